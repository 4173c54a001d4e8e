//! Core storage: accounts, instances, AccessKeys and token-signing keys (tables `core_*`),
//! the connection pool, and migrations of the core and of every enabled plugin.
//!
//! Plugins own their tables and migrate them through [`ccgate_plugin_sdk::Plugin::migrate`].

pub mod entities;
mod migration;

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;

use crate::registry::Registry;

/// How long a pooled connection may sit idle before it is pinged on checkout.
pub const IDLE_BEFORE_PING: Duration = Duration::from_secs(5);

/// Opens the pool for `url` ([`connect_with`] with the pool's default acquire timeout, 30 s).
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, max_connections, None).await
}

/// Opens the pool for `url`. For SQLite the file's directory is created, WAL and a busy
/// timeout are set so concurrent requests wait instead of failing.
///
/// `acquire_timeout` bounds how long a request waits for a connection (`[database]
/// acquire_timeout_ms`): when the database is down, requests fail after it with 503
/// `ServiceUnavailable` ([`ccgate_plugin_sdk::ApiError`]'s storage mapping) instead of hanging,
/// and the pool reconnects by itself once the database is back.
pub async fn connect_with(
    url: &str,
    max_connections: u32,
    acquire_timeout: Option<Duration>,
) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_path(url)
        && let Some(dir) = std::path::Path::new(&path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| DbErr::Custom(format!("create {}: {e}", dir.display())))?;
    }
    let mut opts = ConnectOptions::new(url.to_string());
    opts.max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        // Ping only a connection that sat idle (where a restart, a proxy or a firewall may
        // have dropped it), not every checkout: on PostgreSQL the per-checkout ping was one
        // extra round trip per statement. A busy connection whose server went away fails its
        // next statement, which answers 503 like a failed checkout (`ApiError: From<DbErr>`).
        .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
        .sqlx_logging(false);
    if let Some(t) = acquire_timeout {
        opts.acquire_timeout(t);
    }
    if url.starts_with("sqlite:") {
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
        });
    }
    Database::connect(opts).await
}

/// The file path of a `sqlite://PATH?...` URL (None for memory databases and other backends).
fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// Migrates the core tables, then each plugin of `registry` in registration order.
pub async fn migrate(db: &DatabaseConnection, registry: &Registry) -> Result<(), DbErr> {
    migration::Migrator::up(db, None).await?;
    for plugin in registry.plugins() {
        plugin
            .migrate(db)
            .await
            .map_err(|e| DbErr::Custom(format!("plugin {}: {e}", plugin.name())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_paths() {
        assert_eq!(
            super::sqlite_path("sqlite://./data/x.db?mode=rwc").as_deref(),
            Some("./data/x.db")
        );
        assert_eq!(super::sqlite_path("sqlite::memory:"), None);
        assert_eq!(super::sqlite_path("postgres://x"), None);
    }
}
