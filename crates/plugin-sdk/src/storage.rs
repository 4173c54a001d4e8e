//! Storage helpers shared by plugins.

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, RuntimeErr, SqlErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

/// Begins a transaction that will write.
///
/// On SQLite it is `BEGIN IMMEDIATE`: a deferred transaction that reads and then writes cannot
/// wait for the write lock (it fails at once with `SQLITE_BUSY`/`BUSY_SNAPSHOT` under
/// concurrency), while an immediate one waits up to the pool's busy timeout. Other backends
/// ignore the mode and start an ordinary transaction.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// MySQL/MariaDB column suffix for text that must compare and sort by code point (as on SQLite
/// and PostgreSQL), instead of the server's case-insensitive default collation.
pub const MYSQL_BINARY_COLLATION: &str = "COLLATE utf8mb4_bin";

/// Prefix of the message of a storage error that a plugin loaded as a dynamic library receives
/// for a unique-constraint violation. Such a plugin has no database driver of its own, so
/// [`DbErr::sql_err`] cannot classify the error; the host marks it instead.
pub const UNIQUE_VIOLATION_PREFIX: &str = "ccgate:unique_violation: ";

/// Whether `err` is a unique-constraint violation (a duplicate key), on every backend, for a
/// built-in plugin (the driver's error) and for a dynamic one (the host's marked error).
pub fn is_unique_violation(err: &DbErr) -> bool {
    if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        return true;
    }
    match err {
        DbErr::Exec(RuntimeErr::Internal(m)) | DbErr::Query(RuntimeErr::Internal(m)) => {
            m.starts_with(UNIQUE_VIOLATION_PREFIX)
        }
        _ => false,
    }
}
