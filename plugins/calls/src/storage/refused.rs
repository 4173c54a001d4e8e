//! The record of an inbound call ccgate refused (`route_inbound`): written `ENDED` with its
//! event log and its `calls.call_ended` event ([`crate::events::CallEnded`]), so reports see
//! offered-but-unanswered calls.

use ccgate_plugin_sdk::sea_orm::{DatabaseConnection, DbErr};
use ccgate_plugin_sdk::storage::begin_write;

use super::{cdr, records};
use crate::lifecycle::Entry;

/// Inserts `record` (already `ENDED`), appends `entries` at its `release_ms` and publishes its
/// `calls.call_ended`, in one transaction.
///
/// Errors: storage (nothing is written then; a duplicate contact id is a unique violation).
pub async fn insert(
    db: &DatabaseConnection,
    record: cdr::Model,
    entries: &[Entry],
) -> Result<(), DbErr> {
    let txn = begin_write(db).await?;
    let id = record.contact_id.clone();
    let at_ms = record.release_ms;
    let group = record.skill_group_id.clone().unwrap_or_default();
    let ended = record.clone();
    records::insert(&txn, record).await?;
    records::append(&txn, &id, at_ms, "", &group, entries).await?;
    crate::events::publish_ended(&txn, &ended).await?;
    txn.commit().await
}
