//! Storage of the device-diagnostics domain: its sea-orm entity, the reads and writes the
//! actions share, the retention purge, and the [`migration`].
//!
//! Tables (prefixed `device_diagnostics_`):
//! - [`agent_device`] (`device_diagnostics_agent_devices`): one row per device an agent went
//!   online with (seed 004 §12).
//!
//! Times are UTC epoch milliseconds in BIGINT columns; strings are bounded VARCHARs, so the same
//! schema works on SQLite, PostgreSQL and MySQL/MariaDB.

pub mod agent_device;
pub mod migration;

use ccgate_plugin_sdk::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// Most rows ListAgentDevices returns (the seed documents no paging).
pub const LIST_MAX: u64 = 1000;

/// Most rows the retention purge deletes in one statement ([`purge_older_than`]).
pub const PURGE_BATCH: u64 = 500;

/// A device record to insert ([`insert`]): every column but the id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewDevice {
    /// The instance.
    pub instance_id: String,
    /// The agent's `UserId`.
    pub user_id: String,
    /// The agent's RamId.
    pub ram_id: String,
    /// `BrowserVersion`.
    pub browser_version: String,
    /// `ClientIp`.
    pub client_ip: String,
    /// `ClientPort`, empty when not given.
    pub client_port: String,
    /// `Remark`, empty when not given.
    pub remark: String,
    /// When it is recorded (`LoginTime`), UTC epoch ms; also its `updated_at`.
    pub login_time: i64,
}

/// Inserts `d` with `is_login` 0; the new record's id (`AgentDeviceId`).
///
/// Errors: storage.
pub async fn insert<C: ConnectionTrait>(db: &C, d: NewDevice) -> Result<i64, DbErr> {
    let row = agent_device::ActiveModel {
        instance_id: Set(d.instance_id),
        user_id: Set(d.user_id),
        ram_id: Set(d.ram_id),
        browser_version: Set(d.browser_version),
        client_ip: Set(d.client_ip),
        client_port: Set(d.client_port),
        remark: Set(d.remark),
        is_login: Set(0),
        login_time: Set(d.login_time),
        updated_at: Set(d.login_time),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// Record `id` of `instance`; `None` when there is none (or it belongs to another instance).
///
/// Errors: storage.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    id: i64,
) -> Result<Option<agent_device::Model>, DbErr> {
    Ok(agent_device::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|d| d.instance_id == instance))
}

/// Sets `is_login` and `updated_at` of record `id`; whether a row changed (`false`: it was
/// deleted meanwhile).
///
/// Errors: storage.
pub async fn set_login<C: ConnectionTrait>(
    db: &C,
    id: i64,
    is_login: i32,
    now_ms: i64,
) -> Result<bool, DbErr> {
    let r = agent_device::Entity::update_many()
        .col_expr(
            agent_device::Column::IsLogin,
            ccgate_plugin_sdk::sea_orm::sea_query::Expr::value(is_login),
        )
        .col_expr(
            agent_device::Column::UpdatedAt,
            ccgate_plugin_sdk::sea_orm::sea_query::Expr::value(now_ms),
        )
        .filter(agent_device::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Whose records a list reads ([`list`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whose {
    /// Every record of the instance.
    All,
    /// The records of the user with this `UserId`.
    User(String),
    /// The records of these RamIds.
    RamIds(Vec<String>),
}

/// The records of `instance` that `whose` selects with `from_ms <= login_time <= to_ms`,
/// newest first (`login_time` descending, then id descending), at most [`LIST_MAX`].
///
/// Errors: storage.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    whose: &Whose,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<agent_device::Model>, DbErr> {
    use agent_device::Column as C;
    let mut q = agent_device::Entity::find()
        .filter(C::InstanceId.eq(instance))
        .filter(C::LoginTime.gte(from_ms))
        .filter(C::LoginTime.lte(to_ms));
    q = match whose {
        Whose::All => q,
        Whose::User(user_id) => q.filter(C::UserId.eq(user_id.as_str())),
        Whose::RamIds(ids) => q.filter(C::RamId.is_in(ids.iter().map(String::as_str))),
    };
    q.order_by_desc(C::LoginTime)
        .order_by_desc(C::Id)
        .limit(LIST_MAX)
        .all(db)
        .await
}

/// Deletes every record (of every instance) with `login_time < cutoff_ms`, in batches of at
/// most `batch` rows (a select of ids, then a delete by id: portable, and no statement holds
/// locks on more than `batch` rows); the number deleted. `stop` is asked between batches: when
/// it answers `true` the purge ends early (the rest goes next time).
///
/// Errors: storage.
pub async fn purge_older_than<C: ConnectionTrait>(
    db: &C,
    cutoff_ms: i64,
    batch: u64,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<u64, DbErr> {
    use agent_device::Column as C;
    let batch = batch.max(1);
    let mut deleted = 0;
    loop {
        let ids: Vec<i64> = agent_device::Entity::find()
            .select_only()
            .column(C::Id)
            .filter(C::LoginTime.lt(cutoff_ms))
            .order_by_asc(C::LoginTime)
            .limit(batch)
            .into_tuple()
            .all(db)
            .await?;
        if ids.is_empty() {
            break;
        }
        let n = ids.len() as u64;
        deleted += agent_device::Entity::delete_many()
            .filter(C::Id.is_in(ids))
            .exec(db)
            .await?
            .rows_affected;
        if n < batch || stop() {
            break;
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retention::{DAY_MS, cutoff_ms};
    use crate::testutil::{ALICE, BOB, Harness, NOW};

    #[tokio::test]
    async fn the_purge_deletes_only_records_older_than_the_retention() {
        let h = Harness::new().await;
        let old = h.add_at(ALICE, NOW - 91 * DAY_MS).await;
        let edge = h.add_at(BOB, NOW - 90 * DAY_MS).await;
        let recent = h.add_at(ALICE, NOW - DAY_MS).await;
        let cutoff = cutoff_ms(NOW, 90);
        assert_eq!(cutoff, NOW - 90 * DAY_MS);
        let deleted = purge_older_than(&h.env.db, cutoff, PURGE_BATCH, &|| false)
            .await
            .unwrap();
        assert_eq!(deleted, 1);
        let left: Vec<i64> = h.all_rows().await.iter().map(|r| r.id).collect();
        assert_eq!(left, [edge, recent], "{old} purged, the rest kept");
        // Nothing more to do.
        assert_eq!(
            purge_older_than(&h.env.db, cutoff, PURGE_BATCH, &|| false)
                .await
                .unwrap(),
            0
        );
    }

    #[tokio::test]
    async fn the_purge_works_in_batches_and_stops_between_them_when_asked() {
        let h = Harness::new().await;
        for i in 0..7 {
            h.add_at(ALICE, 1_000 + i).await;
        }
        let keep = h.add_at(ALICE, NOW).await;
        // Asked to stop: one batch of 3, the rest left for next time.
        assert_eq!(
            purge_older_than(&h.env.db, NOW, 3, &|| true).await.unwrap(),
            3
        );
        assert_eq!(h.all_rows().await.len(), 5);
        // The oldest went first.
        assert_eq!(h.all_rows().await[0].login_time, 1_003);
        assert_eq!(
            purge_older_than(&h.env.db, NOW, 3, &|| false)
                .await
                .unwrap(),
            4
        );
        let left: Vec<i64> = h.all_rows().await.iter().map(|r| r.id).collect();
        assert_eq!(left, [keep]);
    }
}
