//! `ccgate reports rebuild`: recomputes the daily rollups and the per-day call counts from the
//! reports' own records of calls and closed state periods, in one transaction per instance. The figures equal those
//! the events built incrementally (the property test checks it); rebuilding is also how the
//! rollups move to new local days after an instance's time zone changed: each call's local
//! day and each period's split at midnight are recomputed in the current zone first.

use std::collections::BTreeMap;

use ccgate_plugin_sdk::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use ccgate_plugin_sdk::storage::begin_write;

use crate::clock;
use crate::ingest::{accumulate, call_contributions, fragment_contributions, fragments_of, json};
use crate::storage::{call, daily, fragment, open};
use crate::tally::Tally;
use crate::zones::Zones;

/// Rows read per page.
const PAGE: u64 = 5000;
/// Rows written per INSERT.
const BATCH: usize = 500;

/// What a rebuild did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rebuilt {
    /// Instances rebuilt.
    pub instances: usize,
    /// Calls read.
    pub calls: u64,
    /// Fragments read (after any re-split).
    pub fragments: u64,
    /// Rollup rows written.
    pub rows: u64,
}

/// The instances with reports data.
///
/// Errors: storage.
pub async fn instances<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, DbErr> {
    let mut out: Vec<String> = call::Entity::find()
        .select_only()
        .column(call::Column::InstanceId)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let more: Vec<String> = open::Entity::find()
        .select_only()
        .column(open::Column::InstanceId)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    out.extend(more);
    out.sort();
    out.dedup();
    Ok(out)
}

/// Rebuilds the rollups of `only` (or of every instance with data).
///
/// Errors: storage; the instance being rebuilt keeps its previous rollups then.
pub async fn rebuild(
    db: &DatabaseConnection,
    zones: &Zones,
    only: Option<&str>,
) -> Result<Rebuilt, DbErr> {
    let list = match only {
        Some(i) => vec![i.to_string()],
        None => instances(db).await?,
    };
    let mut done = Rebuilt::default();
    for instance in list {
        let one = rebuild_instance(db, zones, &instance).await?;
        done.instances += 1;
        done.calls += one.calls;
        done.fragments += one.fragments;
        done.rows += one.rows;
    }
    Ok(done)
}

async fn rebuild_instance(
    db: &DatabaseConnection,
    zones: &Zones,
    instance: &str,
) -> Result<Rebuilt, DbErr> {
    let tz = zones.of(instance);
    let txn = begin_write(db).await?;
    let mut sums: BTreeMap<(String, String, i32), Tally> = BTreeMap::new();
    let mut done = Rebuilt::default();
    // Fragments first: re-split periods whose split no longer matches the zone.
    let mut after: Option<(i64, i32)> = None;
    let mut stale = std::collections::BTreeSet::new();
    loop {
        let mut q = fragment::Entity::find()
            .filter(fragment::Column::InstanceId.eq(instance))
            .order_by_asc(fragment::Column::StartSeq)
            .order_by_asc(fragment::Column::LocalDay)
            .limit(PAGE);
        if let Some((seq, day)) = after {
            // `start_seq >= seq` lets the primary key seek to the page instead of scanning
            // every earlier fragment (the OR alone is not a range): pages stay O(page).
            q = q.filter(fragment::Column::StartSeq.gte(seq)).filter(
                ccgate_plugin_sdk::sea_orm::Condition::any()
                    .add(fragment::Column::StartSeq.gt(seq))
                    .add(
                        ccgate_plugin_sdk::sea_orm::Condition::all()
                            .add(fragment::Column::StartSeq.eq(seq))
                            .add(fragment::Column::LocalDay.gt(day)),
                    ),
            );
        }
        let rows = q.all(&txn).await?;
        let Some(last) = rows.last() else { break };
        after = Some((last.start_seq, last.local_day));
        for f in rows {
            if clock::local_day(tz, f.frag_start_ms) != f.local_day {
                stale.insert(f.start_seq);
                continue;
            }
            done.fragments += 1;
            accumulate(&mut sums, f.local_day, fragment_contributions(&f));
        }
    }
    // Periods split in another zone: split again in this one.
    for seq in stale {
        for f in resplit(&txn, tz, instance, seq).await? {
            done.fragments += 1;
            accumulate(&mut sums, f.local_day, fragment_contributions(&f));
        }
    }
    let mut after = String::new();
    loop {
        let rows = call::Entity::find()
            .filter(call::Column::InstanceId.eq(instance))
            .filter(call::Column::ContactId.gt(after.clone()))
            .order_by_asc(call::Column::ContactId)
            .limit(PAGE)
            .all(&txn)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.contact_id.clone();
        for mut c in rows {
            let day = clock::local_day(tz, c.start_ms);
            if day != c.local_day {
                let mut am = c.clone().into_active_model();
                am.local_day = Set(day);
                am.update(&txn).await?;
                c.local_day = day;
            }
            done.calls += 1;
            accumulate(&mut sums, c.local_day, call_contributions(&c));
        }
    }
    crate::counts::recount(&txn, Some(instance)).await?;
    daily::Entity::delete_many()
        .filter(daily::Column::InstanceId.eq(instance))
        .exec(&txn)
        .await?;
    let rows: Vec<daily::ActiveModel> = sums
        .into_iter()
        .map(|((dim, dim_id, day), t)| daily::ActiveModel {
            instance_id: Set(instance.to_string()),
            dim: Set(dim),
            dim_id: Set(dim_id),
            local_day: Set(day),
            tally: Set(json(&t)),
        })
        .collect();
    done.rows = rows.len() as u64;
    for chunk in rows.chunks(BATCH) {
        daily::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(done)
}

/// Replaces the fragments of the period begun at `seq` by a split at the local midnights of
/// `tz`, answering the new fragments.
async fn resplit<C: ConnectionTrait>(
    db: &C,
    tz: chrono_tz::Tz,
    instance: &str,
    seq: i64,
) -> Result<Vec<fragment::Model>, DbErr> {
    let parts = fragment::Entity::find()
        .filter(fragment::Column::InstanceId.eq(instance))
        .filter(fragment::Column::StartSeq.eq(seq))
        .all(db)
        .await?;
    let (Some(first), Some(until)) = (
        parts.iter().min_by_key(|f| f.frag_start_ms),
        parts.iter().map(|f| f.frag_end_ms).max(),
    ) else {
        return Ok(Vec::new());
    };
    let period = open::Model {
        instance_id: instance.to_string(),
        user_id: first.user_id.clone(),
        seq,
        state: first.state.clone(),
        break_code: first.break_code.clone(),
        skill_group_ids: first.skill_group_ids.clone(),
        job_id: first.job_id.clone(),
        since_ms: first.frag_start_ms,
    };
    fragment::Entity::delete_many()
        .filter(fragment::Column::InstanceId.eq(instance))
        .filter(fragment::Column::StartSeq.eq(seq))
        .exec(db)
        .await?;
    let frags = fragments_of(&period, until, tz);
    fragment::Entity::insert_many(frags.iter().cloned().map(fragment::ActiveModel::from))
        .exec(db)
        .await?;
    Ok(frags)
}
