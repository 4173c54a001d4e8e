//! ListCallDetailRecords' `TotalCount` without counting every matching call.
//!
//! A 12-month range holds about a million calls; `COUNT(*)` walks every matching index entry
//! (200 ms to 1 s, docs/benchmarks.md "Reports"). The per-day counts of
//! [`call_count`](crate::storage::call_count) answer the whole local days of a range with one
//! indexed `SUM` over at most (days × types × dispositions × numbers) small rows; only the
//! partial first and last days are counted call by call. The filters these counts can answer
//! are [`Filter`]'s (time, `ContactType`, `ContactDisposition`, `PhoneNumber`); `Criteria` and
//! `ContactId` are selective and are counted directly by the action.

use ccgate_plugin_sdk::sea_orm::sea_query::{Expr, Query};
use ccgate_plugin_sdk::sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QuerySelect, Select,
};
use ccgate_plugin_sdk::storage::count;
use chrono_tz::Tz;

use crate::clock;
use crate::storage::{call, call_count};

/// The filters of ListCallDetailRecords that the per-day counts answer (seed 004 §11.1); an
/// empty list or `None` does not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// `ContactType` values, any of.
    pub types: Vec<String>,
    /// `ContactDisposition` values, any of.
    pub dispositions: Vec<String>,
    /// `PhoneNumber`: the call center number.
    pub number: Option<String>,
}

/// The instance's calls that began in `[start, stop)` (UTC epoch ms) and match `f`.
pub fn calls(instance: &str, start: i64, stop: i64, f: &Filter) -> Select<call::Entity> {
    let q = call::Entity::find()
        .filter(call::Column::InstanceId.eq(instance))
        .filter(call::Column::StartMs.gte(start))
        .filter(call::Column::StartMs.lt(stop));
    f.apply(
        q,
        call::Column::CallType,
        call::Column::Disposition,
        call::Column::CallCenterNumber,
    )
}

impl Filter {
    /// `q` restricted to this filter, given the columns of type, disposition and number.
    fn apply<E: EntityTrait>(
        &self,
        mut q: Select<E>,
        call_type: E::Column,
        disposition: E::Column,
        number: E::Column,
    ) -> Select<E> {
        if let Some(n) = &self.number {
            q = q.filter(number.eq(n.as_str()));
        }
        if !self.types.is_empty() {
            q = q.filter(call_type.is_in(self.types.clone()));
        }
        if !self.dispositions.is_empty() {
            q = q.filter(disposition.is_in(self.dispositions.clone()));
        }
        q
    }
}

/// How many of the instance's calls that began in `[start, stop)` (UTC epoch ms) match `f`:
/// the per-day counts of the whole local days of `tz` inside the range plus a count of the
/// calls of the partial days at either end. `stop` should not lie far beyond now (no call
/// begins in the future; the action clamps it), so that the local days stay in range.
///
/// Errors: storage.
pub async fn total<C: ConnectionTrait>(
    db: &C,
    tz: Tz,
    instance: &str,
    start: i64,
    stop: i64,
    f: &Filter,
) -> Result<u64, DbErr> {
    if stop <= start {
        return Ok(0);
    }
    let first = clock::local_day(tz, start);
    let first_whole = if clock::day_start(tz, first) == start {
        first
    } else {
        first + 1
    };
    // Every day before the one `stop` falls in ends at or before `stop`.
    let last_whole = clock::local_day(tz, stop) - 1;
    if first_whole > last_whole {
        return count(db, calls(instance, start, stop, f)).await;
    }
    let (whole_start, whole_end) = (
        clock::day_start(tz, first_whole),
        clock::day_start(tz, last_whole + 1),
    );
    let mut n = sum_days(db, instance, first_whole, last_whole, f).await?;
    if start < whole_start {
        n += count(db, calls(instance, start, whole_start, f)).await?;
    }
    if whole_end < stop {
        n += count(db, calls(instance, whole_end, stop, f)).await?;
    }
    Ok(n)
}

/// The sum of the per-day counts of local days `first..=last` matching `f`.
async fn sum_days<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    first: i32,
    last: i32,
    f: &Filter,
) -> Result<u64, DbErr> {
    let q = f.apply(
        call_count::Entity::find()
            .filter(call_count::Column::InstanceId.eq(instance))
            .filter(call_count::Column::LocalDay.gte(first))
            .filter(call_count::Column::LocalDay.lte(last)),
        call_count::Column::CallType,
        call_count::Column::Disposition,
        call_count::Column::CallCenterNumber,
    );
    // SUM of a BIGINT is NUMERIC on PostgreSQL and DECIMAL on MySQL: cast back to an integer.
    let sum = match db.get_database_backend() {
        DbBackend::Postgres => "CAST(COALESCE(SUM(n), 0) AS BIGINT)",
        DbBackend::MySql => "CAST(COALESCE(SUM(n), 0) AS SIGNED)",
        _ => "COALESCE(SUM(n), 0)",
    };
    let n: Option<i64> = q
        .select_only()
        .expr_as(Expr::cust(sum), "total")
        .into_tuple()
        .one(db)
        .await?;
    Ok(n.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

/// Adds stored call `c` to its day's count (in the caller's transaction, the one that stores
/// the call).
///
/// Errors: storage.
pub async fn add<C: ConnectionTrait>(db: &C, c: &call::Model) -> Result<(), DbErr> {
    use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let key = (
        c.instance_id.clone(),
        c.local_day,
        c.call_type.clone(),
        c.disposition.clone(),
        c.call_center_number.clone(),
    );
    match call_count::Entity::find_by_id(key).one(db).await? {
        Some(row) => {
            let n = row.n + 1;
            let mut am = row.into_active_model();
            am.n = Set(n);
            am.update(db).await?;
        }
        None => {
            call_count::ActiveModel {
                instance_id: Set(c.instance_id.clone()),
                local_day: Set(c.local_day),
                call_type: Set(c.call_type.clone()),
                disposition: Set(c.disposition.clone()),
                call_center_number: Set(c.call_center_number.clone()),
                n: Set(1),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// Recomputes the per-day counts of `instance` (every instance when `None`) from the stored
/// calls, by their stored local days (`crate::rebuild` fixes those first).
///
/// Errors: storage.
pub async fn recount<C: ConnectionTrait>(db: &C, instance: Option<&str>) -> Result<(), DbErr> {
    let mut delete = call_count::Entity::delete_many();
    if let Some(i) = instance {
        delete = delete.filter(call_count::Column::InstanceId.eq(i));
    }
    delete.exec(db).await?;
    let keys = [
        call::Column::InstanceId,
        call::Column::LocalDay,
        call::Column::CallType,
        call::Column::Disposition,
        call::Column::CallCenterNumber,
    ];
    let mut select = Query::select();
    select
        .columns(keys)
        .expr(Expr::cust("COUNT(*)"))
        .from(call::Entity)
        .group_by_columns(keys);
    if let Some(i) = instance {
        select.and_where(call::Column::InstanceId.eq(i));
    }
    let insert = Query::insert()
        .into_table(call_count::Entity)
        .columns([
            call_count::Column::InstanceId,
            call_count::Column::LocalDay,
            call_count::Column::CallType,
            call_count::Column::Disposition,
            call_count::Column::CallCenterNumber,
            call_count::Column::N,
        ])
        .select_from(select)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    db.execute(&insert).await?;
    Ok(())
}
