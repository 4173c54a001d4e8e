//! The host side of the boundary: the function table a plugin library calls back into
//! ([`HOST_VTABLE`]) and the per-call [`HostSession`] behind it.
//!
//! A session holds the database connection the call runs on, the request context (copied
//! only when the plugin makes a cross-plugin query) and the stack of transactions the plugin opened through its proxy
//! connection: `begin` on an empty stack starts a write transaction on the pool (`BEGIN
//! IMMEDIATE` on SQLite, as the SDK's `begin_write`), a nested `begin` a savepoint. sea-orm's
//! proxy interface cannot report a failed `begin`/`commit`, so the session remembers the
//! failure, refuses every later statement of the call, and the call answers `InternalError`.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, OnceLock};

use async_ffi::FutureExt as _;
use ccgate_plugin_abi::ffi::{ABI_VERSION, Buf, Bytes, FfiFuture, HostVtable, Session};
use ccgate_plugin_abi::wire::{
    self, DbOp, DbResponse, DbResult, LogEvent, ServicesRequest, ServicesResponse, WireStatement,
};
use ccgate_plugin_sdk::{Context, StopSignal};
use futures::FutureExt as _;
use sea_orm::sea_query::Values;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqlErr, Statement,
    TransactionTrait,
};

/// The state of one plugin call on the host.
pub struct HostSession {
    db: DatabaseConnection,
    /// The request context, copied from the call's [`in_call`] scope on the first cross-plugin
    /// query (most calls make none).
    ctx: OnceLock<Context>,
    plugin: &'static str,
    txns: tokio::sync::Mutex<Vec<DatabaseTransaction>>,
    failure: Mutex<Option<String>>,
    /// For a task's session: the task's stop signal (`task_stopped`).
    stop: Option<StopSignal>,
}

impl HostSession {
    /// A session on `db` for a call of `plugin`.
    pub fn new(db: DatabaseConnection, plugin: &'static str) -> Arc<Self> {
        Self::with_stop(db, plugin, None)
    }

    /// A session on `db` for a task of `plugin`, which the plugin sees stopped once `stop` is
    /// raised.
    pub fn for_task(db: DatabaseConnection, plugin: &'static str, stop: StopSignal) -> Arc<Self> {
        Self::with_stop(db, plugin, Some(stop))
    }

    fn with_stop(
        db: DatabaseConnection,
        plugin: &'static str,
        stop: Option<StopSignal>,
    ) -> Arc<Self> {
        Arc::new(Self {
            db,
            ctx: OnceLock::new(),
            plugin,
            txns: tokio::sync::Mutex::new(Vec::new()),
            failure: Mutex::new(None),
            stop,
        })
    }

    /// A new reference for the plugin, which releases it with `session_release`.
    pub fn to_ffi(self: &Arc<Self>) -> Session {
        Session(Arc::into_raw(self.clone()).cast())
    }

    /// A transaction operation that failed during the call, if any.
    pub fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn fail(&self, why: String) {
        let mut f = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        if f.is_none() {
            *f = Some(why);
        }
    }

    async fn run(&self, op: DbOp) -> DbResult {
        if let Some(f) = self.failure() {
            return DbResult::Err {
                kind: "conn".into(),
                message: format!("an earlier transaction operation of this call failed: {f}"),
            };
        }
        let mut txns = self.txns.lock().await;
        let result = match op {
            DbOp::Query(st) => match self.statement(st) {
                Err(e) => Err(e),
                Ok(st) => {
                    let rows = match txns.last() {
                        Some(t) => t.query_all_raw(st).await,
                        None => self.db.query_all_raw(st).await,
                    };
                    match rows {
                        Err(e) => Err(e),
                        Ok(rows) => {
                            match rows
                                .iter()
                                .map(super::rows::to_wire)
                                .collect::<Result<_, _>>()
                            {
                                Ok(rows) => Ok(DbResult::Rows(rows)),
                                Err(e) => Err(DbErr::Type(e)),
                            }
                        }
                    }
                }
            },
            DbOp::Execute(st) => match self.statement(st) {
                Err(e) => Err(e),
                Ok(st) => {
                    let done = match txns.last() {
                        Some(t) => t.execute_raw(st).await,
                        None => self.db.execute_raw(st).await,
                    };
                    let postgres = self.db.get_database_backend() == DbBackend::Postgres;
                    done.map(|r| DbResult::Exec {
                        // PostgreSQL has no last insert id (sea-orm uses RETURNING there).
                        last_insert_id: if postgres { 0 } else { r.last_insert_id() },
                        rows_affected: r.rows_affected(),
                    })
                }
            },
            DbOp::Begin => {
                let begun = match txns.last() {
                    Some(t) => t.begin().await,
                    None => ccgate_plugin_sdk::storage::begin_write(&self.db).await,
                };
                match begun {
                    Ok(t) => {
                        txns.push(t);
                        Ok(DbResult::Done)
                    }
                    Err(e) => {
                        self.fail(format!("begin: {e}"));
                        Err(e)
                    }
                }
            }
            DbOp::Commit => match txns.pop() {
                Some(t) => t.commit().await.map(|()| DbResult::Done).inspect_err(|e| {
                    self.fail(format!("commit: {e}"));
                }),
                None => {
                    self.fail("commit without a transaction".into());
                    Err(DbErr::Custom("commit without a transaction".into()))
                }
            },
            DbOp::Rollback => match txns.pop() {
                Some(t) => t.rollback().await.map(|()| DbResult::Done),
                None => Err(DbErr::Custom("rollback without a transaction".into())),
            },
        };
        result.unwrap_or_else(|e| db_error(&e))
    }

    fn statement(&self, st: WireStatement) -> Result<Statement, DbErr> {
        Ok(Statement {
            sql: st.sql,
            values: st
                .values
                .map(|v| Values(v.iter().map(wire::WireValue::to_value).collect())),
            db_backend: self.db.get_database_backend(),
        })
    }

    fn abort(&self) {
        match self.txns.try_lock() {
            // Dropping a sea-orm transaction rolls it back.
            Ok(mut txns) => drop(txns.pop()),
            Err(_) => self.fail("transaction dropped while a statement was running".into()),
        }
    }
}

fn db_error(e: &DbErr) -> DbResult {
    let kind = match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => "unique",
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => "foreign_key",
        _ => match e {
            DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => "conn",
            // The guest's `ApiError` answers "conn" 503, as the host's own does for these.
            _ if ccgate_plugin_sdk::storage::connection_lost(e) => "conn",
            DbErr::Query(_) => "query",
            DbErr::Exec(_) => "exec",
            DbErr::Type(_) => "type",
            _ => "custom",
        },
    };
    DbResult::Err {
        kind: kind.into(),
        message: e.to_string(),
    }
}

/// Borrows the session behind a plugin's reference without taking it over.
///
/// # Safety
/// `s` must be a live reference made by [`HostSession::to_ffi`].
unsafe fn session(s: Session) -> Arc<HostSession> {
    let ptr = s.0.cast::<HostSession>();
    // SAFETY: the plugin holds a reference, so the count is at least one; we add our own.
    unsafe {
        Arc::increment_strong_count(ptr);
        Arc::from_raw(ptr)
    }
}

/// The plugin call being polled on this thread: its RequestId, its request context (absent for
/// migrations) and its session. Raw pointers, valid while [`in_call`] runs its closure.
#[derive(Clone, Copy)]
struct CallScope {
    request_id: (*const u8, usize),
    ctx: *const Context,
    session: *const HostSession,
}

impl CallScope {
    const NONE: CallScope = CallScope {
        request_id: (std::ptr::null(), 0),
        ctx: std::ptr::null(),
        session: std::ptr::null(),
    };
}

thread_local! {
    static SCOPE: Cell<CallScope> = const { Cell::new(CallScope::NONE) };
}

/// Runs `f` (one poll of a plugin call) with the call current on this thread: plugin log
/// events get `request_id`, and a cross-plugin query of `session` can copy `ctx`. Calls nest
/// (a cross-plugin query reaching another dynamic plugin); the previous call is restored after.
pub fn in_call<T>(
    session: &Arc<HostSession>,
    request_id: &str,
    ctx: Option<&Context>,
    f: impl FnOnce() -> T,
) -> T {
    let scope = CallScope {
        request_id: (request_id.as_ptr(), request_id.len()),
        ctx: ctx.map_or(std::ptr::null(), |c| c as *const Context),
        session: Arc::as_ptr(session),
    };
    let prev = SCOPE.with(|c| c.replace(scope));
    struct Reset(CallScope);
    impl Drop for Reset {
        fn drop(&mut self) {
            SCOPE.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(prev);
    f()
}

fn current_request_id() -> String {
    let (ptr, len) = SCOPE.with(|c| c.get().request_id);
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: set by in_call from a &str that outlives the closure it runs, and reset when
    // that closure returns.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    String::from_utf8_lossy(bytes).into_owned()
}

impl HostSession {
    /// The request context for a cross-plugin query, copied once from the call being polled.
    /// `None` outside a poll of this session's call (a plugin calling from its own thread) or
    /// for a call without a request (migrations).
    fn context(&self) -> Option<&Context> {
        if let Some(ctx) = self.ctx.get() {
            return Some(ctx);
        }
        let scope = SCOPE.with(Cell::get);
        if !std::ptr::eq(scope.session, self) || scope.ctx.is_null() {
            return None;
        }
        // SAFETY: the scope is this session's call, being polled: `in_call` keeps the context
        // it points to borrowed for as long as the scope is set.
        let ctx = unsafe { &*scope.ctx };
        Some(self.ctx.get_or_init(|| ctx.clone()))
    }
}

fn reply(bytes: Vec<u8>) -> Buf {
    Buf::from_vec(bytes)
}

unsafe extern "C" fn free(buf: Buf) {
    // SAFETY: plugins hand back only buffers the host allocated with Buf::from_vec.
    let _ = catch_unwind(AssertUnwindSafe(|| unsafe { buf.free_own() }));
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

unsafe extern "C" fn db(s: Session, request: Bytes<'_>) -> FfiFuture<Buf> {
    let prepared = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the plugin passes its live session reference and the request for this call.
        let session = unsafe { session(s) };
        let req = wire::decode::<wire::DbRequest>(unsafe { request.as_slice() });
        (session, req)
    }));
    async move {
        let result = match prepared {
            Err(p) => DbResult::Err {
                kind: "custom".into(),
                message: format!("host panicked: {}", panic_text(&*p)),
            },
            Ok((_, Err(e))) => DbResult::Err {
                kind: "custom".into(),
                message: e,
            },
            Ok((session, Ok(req))) => {
                match AssertUnwindSafe(session.run(req.op)).catch_unwind().await {
                    Ok(r) => r,
                    Err(p) => DbResult::Err {
                        kind: "custom".into(),
                        message: format!("host panicked: {}", panic_text(&*p)),
                    },
                }
            }
        };
        reply(wire::encode(&DbResponse::new(result)))
    }
    .into_ffi()
}

unsafe extern "C" fn db_abort(s: Session) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the plugin passes its live session reference.
        let session = unsafe { session(s) };
        session.abort();
    }));
}

unsafe extern "C" fn services(s: Session, request: Bytes<'_>) -> FfiFuture<Buf> {
    let prepared = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: as in `db`.
        let session = unsafe { session(s) };
        // Copies the request context now, while the call that makes the query is polled.
        let _ = session.context();
        let req = wire::decode::<ServicesRequest>(unsafe { request.as_slice() });
        (session, req)
    }));
    async move {
        let internal = |why: String| Err((500, "InternalError".to_string(), why));
        let result = match prepared {
            Err(p) => internal(panic_text(&*p)),
            Ok((_, Err(e))) => internal(e),
            Ok((session, Ok(req))) => match session.ctx.get() {
                None => internal(
                    "cross-plugin queries need a request, and must be made while the call is \
                     polled"
                        .into(),
                ),
                Some(ctx) => {
                    let call = ctx.services.query(ctx, &req.plugin, &req.name, req.args);
                    match AssertUnwindSafe(call).catch_unwind().await {
                        Ok(Ok(v)) => Ok(v),
                        Ok(Err(e)) => Err((e.status, e.code.to_string(), e.message)),
                        Err(p) => internal(panic_text(&*p)),
                    }
                }
            },
        };
        reply(wire::encode(&ServicesResponse {
            v: wire::MESSAGE_VERSION,
            result,
        }))
    }
    .into_ffi()
}

unsafe extern "C" fn session_release(s: Session) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the plugin gives back the one reference it was handed.
        drop(unsafe { Arc::from_raw(s.0.cast::<HostSession>()) });
    }));
}

unsafe extern "C" fn log(event: Bytes<'_>) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the plugin keeps the event alive during the call.
        let Ok(ev) = wire::decode::<LogEvent>(unsafe { event.as_slice() }) else {
            return;
        };
        emit(&ev, &current_request_id());
    }));
}

unsafe extern "C" fn task_stopped(s: Session) -> u8 {
    catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the plugin passes its live session reference.
        let session = unsafe { session(s) };
        u8::from(session.stop.as_ref().is_some_and(StopSignal::is_raised))
    }))
    .unwrap_or(0)
}

unsafe extern "C" fn sleep(ms: u64) -> FfiFuture<u8> {
    async move {
        // A timer needs the host's runtime where the future is polled (a plugin task is polled
        // by the host, on its runtime); anywhere else the sleep ends at once with 1.
        let slept = AssertUnwindSafe(async {
            match tokio::runtime::Handle::try_current() {
                Ok(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                    0
                }
                Err(_) => 1,
            }
        })
        .catch_unwind()
        .await;
        slept.unwrap_or(1)
    }
    .into_ffi()
}

unsafe extern "C" fn events_published() {
    let _ = catch_unwind(crate::events::wake);
}

/// Re-emits a plugin's event under target `ccgate::plugin` with the plugin's own target, the
/// RequestId of the request being served, and the event's fields.
fn emit(ev: &LogEvent, request_id: &str) {
    let fields = ev
        .fields
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ");
    let target = ev.target.as_str();
    let message = ev.message.as_str();
    macro_rules! at {
        ($lvl:expr) => {
            tracing::event!(
                target: "ccgate::plugin",
                $lvl,
                request_id,
                plugin_target = target,
                fields = fields.as_str(),
                "{message}"
            )
        };
    }
    match ev.level {
        1 => at!(tracing::Level::ERROR),
        2 => at!(tracing::Level::WARN),
        3 => at!(tracing::Level::INFO),
        4 => at!(tracing::Level::DEBUG),
        _ => at!(tracing::Level::TRACE),
    }
}

fn max_level() -> u8 {
    use tracing::level_filters::LevelFilter as F;
    match F::current() {
        F::OFF => 0,
        F::ERROR => 1,
        F::WARN => 2,
        F::INFO => 3,
        F::DEBUG => 4,
        _ => 5,
    }
}

/// The host's function table, built once (after logging is set up, so plugins learn the
/// host's level).
pub fn vtable() -> &'static HostVtable {
    static TABLE: std::sync::OnceLock<HostVtable> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| HostVtable {
        abi_version: ABI_VERSION,
        max_log_level: max_level(),
        free,
        db,
        db_abort,
        services,
        session_release,
        log,
        task_stopped,
        sleep,
        events_published,
    })
}

/// The session's plugin name (for logs).
impl HostSession {
    /// Name of the plugin this session serves.
    pub fn plugin(&self) -> &'static str {
        self.plugin
    }
}
