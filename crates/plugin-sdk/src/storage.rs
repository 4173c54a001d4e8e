//! Storage helpers shared by plugins.

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
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
