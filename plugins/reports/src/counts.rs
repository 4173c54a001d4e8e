//! ListCallDetailRecords' `TotalCount` without counting every matching call.
//!
//! A 12-month range holds about a million calls; `COUNT(*)` walks every matching index entry
//! (200 ms to 1 s, docs/benchmarks.md "Reports"). The per-day counts of
//! [`call_count`](crate::storage::call_count) answer the whole local days of a range with one
//! indexed `SUM` over at most (days × types × dispositions × numbers) small rows; only the
//! partial first and last days are counted call by call. The filters these counts can answer
//! are [`Filter`]'s (time, `ContactType`, `ContactDisposition`, `PhoneNumber`). A [`Criteria`]
//! naming a skill group sums the group's daily rollups ([`total_by_criteria`]); a customer's
//! number, an agent's login and `ContactId` are selective and are counted directly.

use ccgate_plugin_sdk::sea_orm::sea_query::{Expr, Query};
use ccgate_plugin_sdk::sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QuerySelect, Select,
};
use ccgate_plugin_sdk::storage::count;
use chrono_tz::Tz;

use crate::clock;
use crate::storage::{call, call_count, daily};
use crate::tally::Tally;

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
    let Some((first, last, whole_start, whole_end)) = clock::whole_days(tz, start, stop) else {
        return count(db, calls(instance, start, stop, f)).await;
    };
    let mut n = sum_days(db, instance, first, last, f).await?;
    n += edges(db, start, stop, whole_start, whole_end, |s, e| {
        calls(instance, s, e, f)
    })
    .await?;
    Ok(n)
}

/// The calls of the partial days before `whole_start` and from `whole_end`, counted.
async fn edges<C: ConnectionTrait>(
    db: &C,
    start: i64,
    stop: i64,
    whole_start: i64,
    whole_end: i64,
    query: impl Fn(i64, i64) -> Select<call::Entity>,
) -> Result<u64, DbErr> {
    let mut n = 0;
    if start < whole_start {
        n += count(db, query(start, whole_start)).await?;
    }
    if whole_end < stop {
        n += count(db, query(whole_end, stop)).await?;
    }
    Ok(n)
}

/// ListCallDetailRecords' `Criteria` (seed 004 §11.1): a call matches when its customer's
/// number or its agent's login name equals `text`, or its skill group is one of `groups` (the
/// groups named `text`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Criteria {
    /// The text searched for.
    pub text: String,
    /// The ids of the skill groups named `text`.
    pub groups: Vec<String>,
}

impl Criteria {
    /// The condition on `reports_call`.
    pub fn condition(&self) -> Condition {
        let any = self.person();
        if self.groups.is_empty() {
            any
        } else {
            any.add(call::Column::SkillGroupId.is_in(self.groups.clone()))
        }
    }

    /// The condition as its alternatives, each one indexed range of `reports_call` (customer,
    /// login, skill groups): a page is merged from their first rows.
    pub fn branches(&self) -> Vec<Condition> {
        let mut out = vec![
            Condition::all().add(call::Column::CustomerNumber.eq(self.text.as_str())),
            Condition::all().add(call::Column::AgentLoginName.eq(self.text.as_str())),
        ];
        if !self.groups.is_empty() {
            out.push(Condition::all().add(call::Column::SkillGroupId.is_in(self.groups.clone())));
        }
        out
    }

    /// The customer-or-agent half of the condition.
    fn person(&self) -> Condition {
        Condition::any()
            .add(call::Column::CustomerNumber.eq(self.text.as_str()))
            .add(call::Column::AgentLoginName.eq(self.text.as_str()))
    }
}

/// How many of the instance's calls that began in `[start, stop)` match `c`, when `c` names
/// skill groups (a group's calls are thousands a month): for the whole local days, the
/// groups' daily call counts (`Tally::calls` of their rollups) plus the customer's or agent's
/// calls outside those groups (few); the partial end days counted call by call. Without
/// groups, the (selective) matching calls are counted.
///
/// Errors: storage.
pub async fn total_by_criteria<C: ConnectionTrait>(
    db: &C,
    tz: Tz,
    instance: &str,
    start: i64,
    stop: i64,
    c: &Criteria,
) -> Result<u64, DbErr> {
    let matching = |s: i64, e: i64| calls(instance, s, e, &Filter::default()).filter(c.condition());
    if stop <= start {
        return Ok(0);
    }
    let whole = clock::whole_days(tz, start, stop).filter(|_| !c.groups.is_empty());
    let Some((first, last, whole_start, whole_end)) = whole else {
        return count(db, matching(start, stop)).await;
    };
    let rollups = daily::Entity::find()
        .filter(daily::Column::InstanceId.eq(instance))
        .filter(daily::Column::Dim.eq(daily::SKILL_GROUP))
        .filter(daily::Column::DimId.is_in(c.groups.clone()))
        .filter(daily::Column::LocalDay.between(first, last))
        .all(db)
        .await?;
    let mut n: u64 = rollups
        .iter()
        .map(|r| {
            serde_json::from_str::<Tally>(&r.tally)
                .map_or(0, |t| u64::try_from(t.calls).unwrap_or(0))
        })
        .sum();
    let outside_groups = calls(instance, whole_start, whole_end, &Filter::default())
        .filter(c.person())
        .filter(call::Column::SkillGroupId.is_not_in(c.groups.clone()));
    n += count(db, outside_groups).await?;
    n += edges(db, start, stop, whole_start, whole_end, matching).await?;
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
