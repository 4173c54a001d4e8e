//! Reads and writes of call records and event logs.

use ccgate_plugin_sdk::sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{LIVE, cdr, event_log};
use crate::lifecycle::Entry;

/// Inserts a new record (`LIVE`).
///
/// Errors: storage (a duplicate contact id is a unique violation).
pub async fn insert<C: ConnectionTrait>(db: &C, record: cdr::Model) -> Result<(), DbErr> {
    cdr::Entity::insert(record.into_active_model())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Ends a record whose call never started (the engine refused it): `ENDED`, `NoAnswer`,
/// released by `system` at `now_ms` with `reason` (`<HTTP status>-<error code>`), and publishes
/// its `calls.call_ended` ([`crate::events::CallEnded`]) in `txn`. A record that is not `LIVE`
/// (or none) is left as it is and publishes nothing.
///
/// Errors: storage.
pub async fn close_unstarted(
    txn: &DatabaseTransaction,
    contact_id: &str,
    now_ms: i64,
    reason: &str,
) -> Result<(), DbErr> {
    let Some(mut c) = lock(txn, contact_id).await? else {
        return Ok(());
    };
    if c.status != LIVE {
        return Ok(());
    }
    c.status = super::ENDED.into();
    c.release_ms = now_ms;
    c.release_initiator = "system".into();
    c.release_reason = reason.to_string();
    c.disposition = crate::lifecycle::NO_ANSWER.into();
    let ended = c.clone();
    update(txn, c).await?;
    crate::events::publish_ended(txn, &ended).await
}

/// The record `contact_id`, locked for update until the transaction `db` ends.
///
/// Errors: storage.
pub async fn lock<C: ConnectionTrait>(
    db: &C,
    contact_id: &str,
) -> Result<Option<cdr::Model>, DbErr> {
    cdr::Entity::find_by_id(contact_id.to_string())
        .lock_exclusive()
        .one(db)
        .await
}

/// The record `contact_id` of `instance`.
///
/// Errors: storage.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    contact_id: &str,
) -> Result<Option<cdr::Model>, DbErr> {
    cdr::Entity::find_by_id(contact_id.to_string())
        .filter(cdr::Column::InstanceId.eq(instance))
        .one(db)
        .await
}

/// Stores `record` (every column).
///
/// Errors: storage.
pub async fn update<C: ConnectionTrait>(db: &C, record: cdr::Model) -> Result<(), DbErr> {
    // Every column is written: the record was read (locked) in the same transaction.
    record.into_active_model().reset_all().update(db).await?;
    Ok(())
}

/// Appends `entries` at `at_ms` to the log of `contact_id` and sets the duration of the entry
/// before each (its state lasted until the next one).
///
/// Errors: storage.
pub async fn append<C: ConnectionTrait>(
    db: &C,
    contact_id: &str,
    at_ms: i64,
    agent_name: &str,
    skill_group: &str,
    entries: &[Entry],
) -> Result<(), DbErr> {
    if entries.is_empty() {
        return Ok(());
    }
    let last = event_log::Entity::find()
        .filter(event_log::Column::ContactId.eq(contact_id))
        .order_by_desc(event_log::Column::Seq)
        .one(db)
        .await?;
    let mut seq = last.as_ref().map_or(0, |l| l.seq);
    if let Some(l) = last {
        let duration = (at_ms - l.at_ms).max(0);
        let mut am = l.into_active_model();
        am.duration_ms = Set(duration);
        am.update(db).await?;
    }
    for e in entries {
        seq += 1;
        event_log::ActiveModel {
            contact_id: Set(contact_id.to_string()),
            seq: Set(seq),
            at_ms: Set(at_ms),
            event: Set(e.event.to_string()),
            status: Set(e.status.to_string()),
            agent_name: Set(agent_name.to_string()),
            duration_ms: Set(0),
            event_type: Set(e.event_type.to_string()),
            hang_uper: Set(e.hang_uper.clone()),
            skill_group: Set(skill_group.to_string()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// The event log of `contact_id`, in order.
///
/// Errors: storage.
pub async fn log_of<C: ConnectionTrait>(
    db: &C,
    contact_id: &str,
) -> Result<Vec<event_log::Model>, DbErr> {
    event_log::Entity::find()
        .filter(event_log::Column::ContactId.eq(contact_id))
        .order_by_asc(event_log::Column::Seq)
        .all(db)
        .await
}

/// The records still `LIVE`, oldest first, at most `limit`.
///
/// Errors: storage.
pub async fn live<C: ConnectionTrait>(db: &C, limit: u64) -> Result<Vec<cdr::Model>, DbErr> {
    cdr::Entity::find()
        .filter(cdr::Column::Status.eq(LIVE))
        .order_by_asc(cdr::Column::StartMs)
        .order_by_asc(cdr::Column::ContactId)
        .limit(limit)
        .all(db)
        .await
}

/// The records of `instance` with `from_ms <= start_ms < to_ms`, after position `after`
/// (`(start_ms, contact_id)`, exclusive), ordered by that position, at most `limit`.
///
/// Errors: storage.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    from_ms: i64,
    to_ms: i64,
    after: Option<(i64, String)>,
    limit: u64,
) -> Result<Vec<cdr::Model>, DbErr> {
    let mut find = cdr::Entity::find()
        .filter(cdr::Column::InstanceId.eq(instance))
        .filter(cdr::Column::StartMs.gte(from_ms))
        .filter(cdr::Column::StartMs.lt(to_ms));
    if let Some((ms, id)) = after {
        find = find.filter(
            Condition::any().add(cdr::Column::StartMs.gt(ms)).add(
                Condition::all()
                    .add(cdr::Column::StartMs.eq(ms))
                    .add(cdr::Column::ContactId.gt(id)),
            ),
        );
    }
    find.order_by_asc(cdr::Column::StartMs)
        .order_by_asc(cdr::Column::ContactId)
        .limit(limit)
        .all(db)
        .await
}
