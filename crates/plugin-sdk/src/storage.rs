//! Storage helpers shared by plugins.

use std::fmt::Write as _;

use sea_orm::sea_query::{Expr, LikeExpr, Values};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    QuerySelect, QueryTrait, RuntimeErr, Select, SqlErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use crate::paging::PageRequest;

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
/// built-in plugin (the driver's error) and for a dynamic one (the host's marked error). As a
/// last resort the message is read (SQLite `UNIQUE constraint failed`, MariaDB `Duplicate
/// entry`, PostgreSQL `duplicate key value`), for errors that reach a plugin as text only.
pub fn is_unique_violation(err: &DbErr) -> bool {
    if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        return true;
    }
    if let DbErr::Exec(RuntimeErr::Internal(m)) | DbErr::Query(RuntimeErr::Internal(m)) = err
        && m.starts_with(UNIQUE_VIOLATION_PREFIX)
    {
        return true;
    }
    let text = err.to_string();
    text.contains("UNIQUE constraint failed")
        || text.contains("Duplicate entry")
        || text.contains("duplicate key value")
}

/// Whether a failed statement says its connection is gone rather than that the statement was
/// wrong: the socket broke (`Io`: the server stopped or restarted, or a proxy dropped it), the
/// pool gave up, or the server says so (SQLSTATE class `08` connection exception; `57P01` to
/// `57P03`, PostgreSQL shutting down or not yet accepting connections). `ApiError`'s storage
/// mapping answers these 503 `ServiceUnavailable`, like a failed checkout: the pool pings only
/// connections that sat idle before handing them out, so a connection that was busy when the
/// database went away fails on its next statement instead.
///
/// Needs the `sqlx` feature (the gateway's build); without it this is always `false`, and a
/// plugin library gets the host's classification (`DbErr::Conn`) across the boundary.
pub fn connection_lost(err: &DbErr) -> bool {
    #[cfg(feature = "sqlx")]
    {
        use sea_orm::sqlx;
        let (DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e))) = err
        else {
            return false;
        };
        match e.as_ref() {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(d) => d.code().is_some_and(|c| {
                c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")
            }),
            _ => false,
        }
    }
    #[cfg(not(feature = "sqlx"))]
    {
        let _ = err;
        false
    }
}

/// A `LIKE` pattern matching values that contain `text` anywhere (a substring search such as
/// 2020 ListPhoneNumbers' `SearchPattern`), with `!` escaping `!`, `%` and `_` so they match
/// literally on every backend.
pub fn like_contains(text: &str) -> LikeExpr {
    let mut escaped = String::with_capacity(text.len() + 2);
    escaped.push('%');
    escaped.push_str(&escape_like(text));
    escaped.push('%');
    LikeExpr::new(escaped).escape('!')
}

/// `text` with `!`, `%` and `_` escaped by `!` (for a [`LikeExpr`] with `.escape('!')`).
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '!' | '%' | '_') {
            out.push('!');
        }
        out.push(ch);
    }
    out
}

/// `SELECT COUNT(*) FROM ... WHERE ...` of `query`'s filters: a paged list's `TotalCount`.
/// Reads only what the filters need (an index, when one covers them), unlike sea-orm's
/// `count()`, which wraps the whole row select in a sub-query.
///
/// Errors: the database's.
pub async fn count<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    query: Select<E>,
) -> Result<u64, DbErr> {
    let n: Option<i64> = query
        .select_only()
        .expr_as(Expr::cust("COUNT(*)"), "num_items")
        .into_tuple()
        .one(db)
        .await?;
    Ok(n.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

/// One page of `query` (already ordered by the caller): `... LIMIT <size> OFFSET ?`.
///
/// The page size is rendered as a literal and the offset bound: SQLite re-prepares a cached
/// statement whose bound `LIMIT` changes (the limit is plan-relevant), a bound `OFFSET` does
/// not, so each filter shape and page size has one prepared statement.
///
/// Errors: the database's.
pub async fn page<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    query: Select<E>,
    page: PageRequest,
) -> Result<Vec<E::Model>, DbErr> {
    let backend = db.get_database_backend();
    let mut stmt = query.build(backend);
    let values = stmt.values.get_or_insert_with(|| Values(Vec::new()));
    let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
    values.0.push(offset.into());
    let placeholder = match backend {
        DbBackend::Postgres => format!("${}", values.0.len()),
        _ => "?".to_string(),
    };
    // `page.size` is a validated integer (1..=100), a literal on purpose (see above).
    let _ = write!(stmt.sql, " LIMIT {} OFFSET {placeholder}", page.size);
    E::find().from_raw_sql(stmt).all(db).await
}

/// `TotalCount` when the page itself tells it: a page that is neither full nor past the end
/// holds the last rows, so the total is `offset + rows` and no `COUNT(*)` is needed.
pub fn total_from_page(page: PageRequest, rows: usize) -> Option<u64> {
    let rows = rows as u64;
    (rows < page.size && (rows > 0 || page.offset() == 0)).then(|| page.offset() + rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(escape_like("50%_off!"), "50!%!_off!!");
        assert_eq!(escape_like("plain"), "plain");
    }

    #[test]
    fn a_short_page_tells_the_total() {
        let p = PageRequest::new(3, 20);
        assert_eq!(total_from_page(p, 5), Some(45));
        assert_eq!(total_from_page(p, 20), None, "full: more may follow");
        assert_eq!(total_from_page(p, 0), None, "past the end: count");
        assert_eq!(total_from_page(PageRequest::new(1, 20), 0), Some(0));
    }
}
