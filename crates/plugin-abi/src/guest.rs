//! The plugin side of the boundary: what [`crate::export_plugin!`] compiles into a plugin
//! library. It turns the host's C calls into `Plugin` calls, gives the plugin a sea-orm proxy
//! connection whose statements the host runs, routes cross-plugin queries through the host,
//! and forwards tracing events and panic messages to the host's log.

use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::Poll;

use async_ffi::FutureExt as _;
use ccgate_plugin_sdk::sea_orm::sea_query::{ColumnType, Value};
use ccgate_plugin_sdk::sea_orm::{
    self, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, Iterable, ProxyDatabaseTrait,
    ProxyExecResult, ProxyRow, RuntimeErr, Statement,
};
use ccgate_plugin_sdk::storage::UNIQUE_VIOLATION_PREFIX;
use ccgate_plugin_sdk::task::{BoxFuture, Timer};
use ccgate_plugin_sdk::{
    ActionSpec, ApiError, ApiResult, Context, EventContext, Params, Plugin, Services, SharedReply,
    StopSignal, TaskContext, async_trait,
};
use futures::FutureExt as _;
use serde_json::Value as Json;

use crate::ffi::{
    ABI_VERSION, Answer, Buf, Bytes, FINGERPRINT, FfiFuture, HostVtable, InitOut, LentText,
    PluginEntry, PluginVtable, Session, StaticStr,
};
use crate::wire::{self, Backend, CallOutcome, DbOp, DbResult, Outcome, WireValue};

/// The Rust type each column name of the plugin's entities reads as. The host reads every
/// integer as 64-bit (SQLite cannot tell `INTEGER` from `BIGINT`); the plugin narrows a value
/// to its entity's type here, because sea-orm's proxy rows only convert exact types.
///
/// A name that two entities declare with different types is left unhinted (read as the host
/// sends it).
#[derive(Debug, Default, Clone)]
pub struct ColumnHints(HashMap<String, Option<Kind>>);

/// The value kind a column reads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// bool
    Bool,
    /// i8
    TinyInt,
    /// i16
    SmallInt,
    /// i32
    Int,
    /// i64
    BigInt,
    /// u8
    TinyUnsigned,
    /// u16
    SmallUnsigned,
    /// u32
    Unsigned,
    /// u64
    BigUnsigned,
    /// f32
    Float,
    /// f64
    Double,
    /// String
    String,
    /// `Vec<u8>`
    Bytes,
    /// JSON
    Json,
}

impl Kind {
    fn of(ty: &ColumnType) -> Option<Self> {
        Some(match ty {
            ColumnType::Boolean => Kind::Bool,
            ColumnType::TinyInteger => Kind::TinyInt,
            ColumnType::SmallInteger => Kind::SmallInt,
            ColumnType::Integer => Kind::Int,
            ColumnType::BigInteger => Kind::BigInt,
            ColumnType::TinyUnsigned => Kind::TinyUnsigned,
            ColumnType::SmallUnsigned => Kind::SmallUnsigned,
            ColumnType::Unsigned => Kind::Unsigned,
            ColumnType::BigUnsigned => Kind::BigUnsigned,
            ColumnType::Float => Kind::Float,
            ColumnType::Double => Kind::Double,
            ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_) => Kind::String,
            ColumnType::Binary(_) | ColumnType::VarBinary(_) | ColumnType::Blob => Kind::Bytes,
            ColumnType::Json | ColumnType::JsonBinary => Kind::Json,
            _ => return None,
        })
    }
}

impl ColumnHints {
    /// Adds the columns of entity `E`.
    pub fn add<E: EntityTrait>(&mut self) -> &mut Self {
        for col in E::Column::iter() {
            let name = sea_orm::IdenStatic::as_str(&col).to_string();
            let kind = Kind::of(col.def().get_column_type());
            match self.0.get(&name) {
                Some(prev) if *prev != kind => {
                    self.0.insert(name, None);
                }
                Some(_) => {}
                None => {
                    self.0.insert(name, kind);
                }
            }
        }
        self
    }

    /// The kind of column `name`: exact, or after a one-letter select prefix (`A_name`, as
    /// sea-orm names the columns of a two-entity select).
    pub fn kind(&self, name: &str) -> Option<Kind> {
        if let Some(k) = self.0.get(name) {
            return *k;
        }
        let b = name.as_bytes();
        if b.len() > 2 && b[0].is_ascii_uppercase() && b[1] == b'_' {
            return self.0.get(&name[2..]).copied().flatten();
        }
        None
    }

    /// Converts a value read by the host into the value sea-orm expects for the column.
    pub fn convert(&self, column: &str, value: WireValue) -> Value {
        match self.kind(column) {
            Some(kind) => narrow(value, kind),
            None => value.to_value(),
        }
    }
}

fn narrow(value: WireValue, kind: Kind) -> Value {
    use WireValue as W;
    let int = match &value {
        W::BigInt(x) => Some(*x),
        W::Int(x) => Some(x.map(i64::from)),
        W::Bool(x) => Some(x.map(i64::from)),
        _ => None,
    };
    if let Some(i) = int {
        let fits = |v: Option<Value>| v.unwrap_or_else(|| value.to_value());
        return match kind {
            Kind::Bool => Value::Bool(i.map(|x| x != 0)),
            Kind::TinyInt => fits(opt(i, |x| i8::try_from(x).ok()).map(Value::TinyInt)),
            Kind::SmallInt => fits(opt(i, |x| i16::try_from(x).ok()).map(Value::SmallInt)),
            Kind::Int => fits(opt(i, |x| i32::try_from(x).ok()).map(Value::Int)),
            Kind::BigInt => Value::BigInt(i),
            Kind::TinyUnsigned => fits(opt(i, |x| u8::try_from(x).ok()).map(Value::TinyUnsigned)),
            Kind::SmallUnsigned => {
                fits(opt(i, |x| u16::try_from(x).ok()).map(Value::SmallUnsigned))
            }
            Kind::Unsigned => fits(opt(i, |x| u32::try_from(x).ok()).map(Value::Unsigned)),
            Kind::BigUnsigned => fits(opt(i, |x| u64::try_from(x).ok()).map(Value::BigUnsigned)),
            Kind::Float => Value::Float(i.map(|x| x as f32)),
            Kind::Double => Value::Double(i.map(|x| x as f64)),
            _ => value.to_value(),
        };
    }
    match (value, kind) {
        (W::Double(x), Kind::Float) => Value::Float(x.map(|x| x as f32)),
        (W::Bytes(Some(b)), Kind::String) => match String::from_utf8(b) {
            Ok(s) => Value::String(Some(s)),
            Err(e) => Value::Bytes(Some(e.into_bytes())),
        },
        (W::String(Some(s)), Kind::Json) => match serde_json::from_str(&s) {
            Ok(j) => Value::Json(Some(Box::new(j))),
            Err(_) => Value::String(Some(s)),
        },
        (W::String(None) | W::Bytes(None) | W::Json(None), k) => null_of(k),
        (W::Double(None), k) => null_of(k),
        (v, _) => v.to_value(),
    }
}

/// `Some(None)` for a null, `Some(Some(x))` when `f` converts, `None` when it does not fit.
fn opt<T>(i: Option<i64>, f: impl Fn(i64) -> Option<T>) -> Option<Option<T>> {
    match i {
        None => Some(None),
        Some(x) => f(x).map(Some),
    }
}

fn null_of(kind: Kind) -> Value {
    match kind {
        Kind::Bool => Value::Bool(None),
        Kind::TinyInt => Value::TinyInt(None),
        Kind::SmallInt => Value::SmallInt(None),
        Kind::Int => Value::Int(None),
        Kind::BigInt => Value::BigInt(None),
        Kind::TinyUnsigned => Value::TinyUnsigned(None),
        Kind::SmallUnsigned => Value::SmallUnsigned(None),
        Kind::Unsigned => Value::Unsigned(None),
        Kind::BigUnsigned => Value::BigUnsigned(None),
        Kind::Float => Value::Float(None),
        Kind::Double => Value::Double(None),
        Kind::String => Value::String(None),
        Kind::Bytes => Value::Bytes(None),
        Kind::Json => Value::Json(None),
    }
}

/// A plugin ready to be exported: the plugin and the column hints of its entities.
pub struct Guest {
    plugin: Box<dyn Plugin>,
    hints: ColumnHints,
}

impl Guest {
    /// Wraps `plugin`.
    pub fn new(plugin: Box<dyn Plugin>, hints: ColumnHints) -> Self {
        Self { plugin, hints }
    }
}

struct State {
    plugin: Box<dyn Plugin>,
    hints: ColumnHints,
    specs: Vec<ActionSpec>,
    tasks: Vec<&'static str>,
    subscriptions: Vec<&'static str>,
    host: HostVtable,
    info: Vec<u8>,
}

static MAKE: OnceLock<fn() -> Guest> = OnceLock::new();
static STATE: OnceLock<State> = OnceLock::new();

static ENTRY: PluginEntry = PluginEntry {
    abi_version: ABI_VERSION,
    fingerprint: StaticStr::new(FINGERPRINT),
    init,
};

static VTABLE: PluginVtable = PluginVtable {
    free: free_buf,
    handle,
    query,
    migrate,
    on_instance_created,
    init: init_settings,
    run_task,
    on_event,
    shutdown,
};

/// What the exported entry symbol returns; `make` builds the plugin at init. Used by
/// [`crate::export_plugin!`].
pub fn entry(make: fn() -> Guest) -> *const PluginEntry {
    let _ = MAKE.set(make);
    &ENTRY
}

/// An entry with another ABI version, for tests of the host's version check.
#[doc(hidden)]
pub fn entry_with_abi_version(make: fn() -> Guest, abi_version: u32) -> *const PluginEntry {
    static OTHER: OnceLock<PluginEntry> = OnceLock::new();
    let _ = MAKE.set(make);
    OTHER.get_or_init(|| PluginEntry {
        abi_version,
        fingerprint: StaticStr::new(FINGERPRINT),
        init,
    })
}

unsafe extern "C" fn free_buf(buf: Buf) {
    // SAFETY: the host returns only buffers this library allocated with Buf::from_vec.
    let _ = catch_unwind(AssertUnwindSafe(|| unsafe { buf.free_own() }));
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

unsafe extern "C" fn init(host: *const HostVtable) -> InitOut {
    let result = catch_unwind(AssertUnwindSafe(|| {
        if host.is_null() {
            return Err("the host passed no function table".to_string());
        }
        // SAFETY: the host passes a pointer to its function table, valid during the call; it
        // is copied here.
        let host = unsafe { *host };
        if host.abi_version != ABI_VERSION {
            return Err(format!(
                "the host speaks plugin ABI {}, this library {ABI_VERSION}",
                host.abi_version
            ));
        }
        if let Some(state) = STATE.get() {
            return Ok(state.info.clone());
        }
        let make = MAKE
            .get()
            .ok_or_else(|| "entry point not called before init".to_string())?;
        install_logging(&host);
        let guest = make();
        let specs = guest.plugin.actions();
        let tasks = guest.plugin.tasks();
        let subscriptions = guest.plugin.subscriptions();
        let info = wire::encode(&wire::PluginInfo {
            v: wire::MESSAGE_VERSION,
            name: guest.plugin.name().to_string(),
            version: guest.plugin.version().to_string(),
            actions: specs.iter().map(wire::WireSpec::from_spec).collect(),
            tasks: tasks.iter().map(|t| t.to_string()).collect(),
            subscriptions: subscriptions
                .iter()
                .map(|s| wire::WireSubscription {
                    name: s.name.to_string(),
                    topics: s.topics.iter().map(|t| t.to_string()).collect(),
                })
                .collect(),
        });
        let _ = STATE.set(State {
            plugin: guest.plugin,
            hints: guest.hints,
            specs,
            tasks,
            subscriptions: subscriptions.iter().map(|s| s.name).collect(),
            host,
            info: info.clone(),
        });
        // This library's copy of the SDK tells the host about its publishes.
        ccgate_plugin_sdk::events::set_publish_hook(published);
        Ok(info)
    }));
    match result {
        Ok(Ok(info)) => InitOut {
            vtable: &VTABLE,
            info: Buf::from_vec(info),
            free: free_buf,
        },
        Ok(Err(message)) => InitOut {
            vtable: std::ptr::null(),
            info: Buf::from_vec(message.into_bytes()),
            free: free_buf,
        },
        Err(p) => InitOut {
            vtable: std::ptr::null(),
            info: Buf::from_vec(format!("init panicked: {}", panic_message(&*p)).into_bytes()),
            free: free_buf,
        },
    }
}

fn state() -> &'static State {
    // init runs before the host gets the function table that leads here.
    STATE.get().expect("plugin initialised")
}

/// The plugin's reference on a host session; released when dropped.
#[derive(Debug)]
struct SessionRef {
    session: Session,
    host: &'static HostVtable,
}

impl Drop for SessionRef {
    fn drop(&mut self) {
        // SAFETY: this value owns exactly one reference, released once here.
        unsafe { (self.host.session_release)(self.session) }
    }
}

impl SessionRef {
    /// Calls an async host function with an encoded request and decodes the answer.
    async fn call<T: for<'de> serde::Deserialize<'de> + wire::Versioned>(
        &self,
        f: unsafe extern "C" fn(Session, Bytes<'_>) -> FfiFuture<Buf>,
        request: Vec<u8>,
    ) -> Result<T, String> {
        // SAFETY: the session is live (we hold a reference); the host copies the request
        // before returning the future.
        let fut = unsafe { f(self.session, Bytes::new(&request)) };
        let buf = fut.await;
        // SAFETY: the host allocated `buf` and keeps it alive until we free it below.
        let out = wire::decode::<T>(unsafe { buf.as_slice() });
        // SAFETY: handing the host's buffer back to the host's allocator.
        unsafe { (self.host.free)(buf) };
        out
    }
}

/// What a call produced: an outcome, a reply already framed ([`wire::encode_reply`]), or a
/// rendered reply to lend to the host ([`crate::ffi::Answer`]).
enum Done {
    Outcome(Outcome),
    Frame(Vec<u8>),
    Reply(SharedReply),
}

impl From<Outcome> for Done {
    fn from(o: Outcome) -> Self {
        Done::Outcome(o)
    }
}

impl Done {
    /// As one buffer (`query`, `migrate`, `on_instance_created`): a reply is copied into its
    /// frame.
    fn into_buf(self) -> Buf {
        Buf::from_vec(match self {
            Done::Outcome(o) => wire::encode_outcome(&CallOutcome::new(o)),
            Done::Frame(frame) => frame,
            Done::Reply(r) => wire::encode_reply(r.keys(), r.json()),
        })
    }

    /// As a `handle` answer: a reply's text is lent, not copied.
    fn into_answer(self) -> Answer {
        let Done::Reply(reply) = self else {
            return Answer {
                message: self.into_buf(),
                text: LentText::NONE,
            };
        };
        let message = Buf::from_vec(wire::encode_lent_reply(reply.keys()));
        let owner = Box::new(reply);
        let (ptr, len) = (owner.json().as_ptr(), owner.json().len());
        Answer {
            message,
            text: LentText {
                ptr,
                len,
                owner: Box::into_raw(owner).cast(),
                release: Some(release_reply),
            },
        }
    }
}

unsafe extern "C" fn release_reply(owner: *mut std::ffi::c_void) {
    // SAFETY: `owner` is the Box<SharedReply> made in `Done::into_answer`, released once.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        drop(unsafe { Box::from_raw(owner.cast::<SharedReply>()) })
    }));
}

thread_local! {
    /// The session of the call being polled (or dropped) on this thread: what the plugin's
    /// storage and cross-plugin queries run in. Set by [`InSession`].
    static CURRENT: Cell<*const SessionRef> = const { Cell::new(std::ptr::null()) };
}

/// Makes `session` current on this thread until dropped (then restores the previous one:
/// calls nest when a cross-plugin query reaches another plugin of this library).
struct Scope(*const SessionRef);

impl Scope {
    fn enter(session: &Arc<SessionRef>) -> Self {
        Scope(CURRENT.with(|c| c.replace(Arc::as_ptr(session))))
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

/// The session of the call being polled on this thread, if any.
fn current_session() -> Option<Arc<SessionRef>> {
    let ptr = CURRENT.with(Cell::get);
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` comes from `Arc::as_ptr` of a session that the `InSession` (or `run`)
    // being polled on this thread keeps alive; we take a reference of our own.
    unsafe {
        Arc::increment_strong_count(ptr);
        Some(Arc::from_raw(ptr))
    }
}

/// A plugin future run in its call's session: the session is current on this thread while the
/// future is polled and while it is dropped (a transaction dropped mid-call rolls back in it).
struct InSession<F> {
    session: Arc<SessionRef>,
    inner: ManuallyDrop<F>,
}

impl<F: Future> Future for InSession<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is pinned structurally: it is never moved out, and is dropped in
        // place by `Drop`.
        let this = unsafe { self.get_unchecked_mut() };
        let _scope = Scope::enter(&this.session);
        // SAFETY: as above.
        unsafe { Pin::new_unchecked(&mut *this.inner) }.poll(cx)
    }
}

impl<F> Drop for InSession<F> {
    fn drop(&mut self) {
        let _scope = Scope::enter(&self.session);
        // SAFETY: dropped once, here; never used again.
        unsafe { ManuallyDrop::drop(&mut self.inner) }
    }
}

/// Runs a plugin call as a future that never panics: `body` reads the request and builds the
/// plugin's future, both in the call's session.
fn run<F>(
    session: Session,
    request: Bytes<'_>,
    body: impl FnOnce(&[u8]) -> Result<F, String>,
) -> impl Future<Output = Done> + Send + 'static
where
    F: Future<Output = Done> + Send + 'static,
{
    let prepared = catch_unwind(AssertUnwindSafe(|| {
        let session = Arc::new(SessionRef {
            session,
            host: &state().host,
        });
        let _scope = Scope::enter(&session);
        // SAFETY: the host keeps the request bytes alive for this call.
        let bytes = unsafe { request.as_slice() };
        (body(bytes), session.clone())
    }));
    async move {
        match prepared {
            Err(p) => Outcome::Panic {
                message: panic_message(&*p),
            }
            .into(),
            Ok((Err(message), _)) => Outcome::Refused { message }.into(),
            Ok((Ok(fut), session)) => {
                let fut = InSession {
                    session,
                    inner: ManuallyDrop::new(fut),
                };
                match AssertUnwindSafe(fut).catch_unwind().await {
                    Ok(done) => done,
                    Err(p) => Outcome::Panic {
                        message: panic_message(&*p),
                    }
                    .into(),
                }
            }
        }
    }
}

/// The plugin's storage on `backend`: one proxy connection per backend for the life of the
/// library, running each statement in the current call's session.
fn proxy_db(backend: Backend) -> DatabaseConnection {
    static DBS: [OnceLock<DatabaseConnection>; 3] = [const { OnceLock::new() }; 3];
    let slot = match backend {
        Backend::Sqlite => 0,
        Backend::Postgres => 1,
        Backend::Mysql => 2,
    };
    DBS[slot]
        .get_or_init(|| {
            let proxy: Arc<Box<dyn ProxyDatabaseTrait>> = Arc::new(Box::new(Proxy));
            // The proxy connector only wraps the callbacks; it cannot fail.
            sea_orm::ProxyDatabaseConnector::connect(backend.to_sea(), proxy)
                .expect("proxy connection is infallible")
        })
        .clone()
}

/// Cross-plugin queries of every call (they run in the current call's session).
fn services() -> Arc<dyn Services> {
    static SERVICES: OnceLock<Arc<dyn Services>> = OnceLock::new();
    SERVICES.get_or_init(|| Arc::new(HostServices)).clone()
}

fn context(ctx: wire::WireContext, spec: ActionSpec) -> Context {
    Context {
        principal: ctx.principal(),
        role: ctx.role(),
        caller_scope: ctx.caller_scope,
        token: ctx.token,
        request_id: ctx.request_id,
        account_id: ctx.account_id,
        spec,
        instance_id: ctx.instance_id,
        account_instances: ctx.account_instances,
        db: proxy_db(ctx.backend),
        services: services(),
        clock: Default::default(),
    }
}

unsafe extern "C" fn handle(session: Session, request: Bytes<'_>) -> FfiFuture<Answer> {
    run(session, request, |bytes| {
        let req: wire::HandleRequest = wire::decode(bytes)?;
        let st = state();
        let spec = *st
            .specs
            .get(req.action as usize)
            .ok_or_else(|| format!("no action #{}", req.action))?;
        let style = req.style();
        let mut params = Params::new(req.params, style);
        params.json_body = req.json_body;
        let ctx = context(req.ctx, spec);
        Ok(async move {
            match st.plugin.handle(&ctx, req.action as usize, &params).await {
                Ok(reply) => Done::Reply(SharedReply::new(reply)),
                Err(e) => api_outcome(&e).into(),
            }
        })
    })
    .map(Done::into_answer)
    .into_ffi()
}

fn api_outcome(e: &ApiError) -> Outcome {
    Outcome::Api {
        status: e.status,
        code: e.code.to_string(),
        message: e.message.clone(),
    }
}

unsafe extern "C" fn query(session: Session, request: Bytes<'_>) -> FfiFuture<Buf> {
    run(session, request, |bytes| {
        let req: wire::QueryRequest = wire::decode(bytes)?;
        let spec = req.spec.to_spec(&wire::intern)?;
        let ctx = context(req.ctx, spec);
        let st = state();
        Ok(async move {
            match st.plugin.query(&ctx, &req.name, req.args).await {
                Ok(v) => Done::Frame(wire::encode_reply(&[], &v.to_string())),
                Err(e) => api_outcome(&e).into(),
            }
        })
    })
    .map(Done::into_buf)
    .into_ffi()
}

unsafe extern "C" fn init_settings(session: Session, request: Bytes<'_>) -> FfiFuture<Buf> {
    run(session, request, |bytes| {
        let req: wire::InitRequest = wire::decode(bytes)?;
        let st = state();
        Ok(async move {
            match st.plugin.init(&req.settings).await {
                Ok(()) => Done::Frame(wire::encode_reply(&[], "null")),
                Err(message) => Outcome::Refused { message }.into(),
            }
        })
    })
    .map(Done::into_buf)
    .into_ffi()
}

unsafe extern "C" fn migrate(session: Session, request: Bytes<'_>) -> FfiFuture<Buf> {
    run(session, request, |bytes| {
        let req: wire::StorageRequest = wire::decode(bytes)?;
        let db = proxy_db(req.backend);
        let st = state();
        Ok(async move { db_outcome(st.plugin.migrate(&db).await).into() })
    })
    .map(Done::into_buf)
    .into_ffi()
}

unsafe extern "C" fn on_instance_created(session: Session, request: Bytes<'_>) -> FfiFuture<Buf> {
    run(session, request, |bytes| {
        let req: wire::StorageRequest = wire::decode(bytes)?;
        let instance = req
            .instance_id
            .ok_or_else(|| "on_instance_created needs an instance id".to_string())?;
        let db = proxy_db(req.backend);
        let st = state();
        Ok(async move { db_outcome(st.plugin.on_instance_created(&db, &instance).await).into() })
    })
    .map(Done::into_buf)
    .into_ffi()
}

unsafe extern "C" fn run_task(session: Session, request: Bytes<'_>) -> FfiFuture<Buf> {
    run(session, request, |bytes| {
        let req: wire::TaskRequest = wire::decode(bytes)?;
        let st = state();
        let index = req.index as usize;
        let task = *st
            .tasks
            .get(index)
            .ok_or_else(|| format!("no task #{index}"))?;
        // `run` made the call's session current while this closure runs.
        let session = current_session().ok_or_else(|| "no session".to_string())?;
        let stop = StopSignal::new();
        let cx = TaskContext::new(
            proxy_db(req.backend),
            task,
            stop.clone(),
            Arc::new(HostTimer),
        );
        let fut = st.plugin.run_task(index, cx);
        Ok(async move {
            match (WatchStop {
                session,
                stop,
                inner: fut,
            })
            .await
            {
                Ok(()) => ok_outcome(),
                Err(message) => Outcome::TaskFailed { message },
            }
            .into()
        })
    })
    .map(Done::into_buf)
    .into_ffi()
}

/// A task's future that raises the task's stop signal once the host says so: the host answers
/// `task_stopped` for the session, and polls the task again when it asks it to stop, so the
/// check at each poll is enough to see it; raising the signal then wakes whatever in the task
/// awaits it.
struct WatchStop<F> {
    session: Arc<SessionRef>,
    stop: StopSignal,
    inner: F,
}

impl<F: Future + Unpin> Future for WatchStop<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<F::Output> {
        if !self.stop.is_raised() {
            // SAFETY: the session is live while we hold our reference.
            let stopped = unsafe { (self.session.host.task_stopped)(self.session.session) };
            if stopped != 0 {
                self.stop.raise();
            }
        }
        Pin::new(&mut self.inner).poll(cx)
    }
}

/// The host's timer, for `TaskContext::sleep`.
struct HostTimer;

impl Timer for HostTimer {
    fn sleep(&self, duration: std::time::Duration) -> BoxFuture {
        let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        // SAFETY: a plain host function; the future it returns is the host's to poll and drop.
        let fut = unsafe { (state().host.sleep)(ms) };
        Box::pin(async move {
            let _ = fut.await;
        })
    }
}

/// The SDK's publish hook in this library: tells the host.
fn published() {
    if let Some(st) = STATE.get() {
        // SAFETY: a plain host function without arguments.
        unsafe { (st.host.events_published)() }
    }
}

unsafe extern "C" fn on_event(session: Session, request: Bytes<'_>) -> FfiFuture<Buf> {
    run(session, request, |bytes| {
        let req: wire::EventRequest = wire::decode(bytes)?;
        let st = state();
        let sub = req.subscription as usize;
        let subscriber = *st
            .subscriptions
            .get(sub)
            .ok_or_else(|| format!("no subscription #{sub}"))?;
        let ctx = EventContext {
            db: proxy_db(req.backend),
            subscriber,
            attempt: req.attempt,
        };
        let event = req.event.into_event();
        Ok(async move {
            match st.plugin.on_event(&ctx, sub, &event).await {
                Ok(()) => ok_outcome().into(),
                Err(e) => api_outcome(&e).into(),
            }
        })
    })
    .map(Done::into_buf)
    .into_ffi()
}

unsafe extern "C" fn shutdown(session: Session, request: Bytes<'_>) -> FfiFuture<Buf> {
    run(session, request, |bytes| {
        let _: wire::StorageRequest = wire::decode(bytes)?;
        let st = state();
        Ok(async move {
            st.plugin.shutdown().await;
            ok_outcome().into()
        })
    })
    .map(Done::into_buf)
    .into_ffi()
}

fn ok_outcome() -> Outcome {
    Outcome::Ok {
        json: "null".into(),
        keys: Vec::new(),
    }
}

fn db_outcome(r: Result<(), DbErr>) -> Outcome {
    match r {
        Ok(()) => ok_outcome(),
        Err(e) => Outcome::Db {
            message: e.to_string(),
        },
    }
}

/// The plugin's storage: every statement goes to the host, which runs it in the current
/// call's session: on its pool, or in the transaction the call opened.
#[derive(Debug)]
struct Proxy;

/// The current call's session, or the error of storage used outside a call (from a thread or
/// a task the plugin started itself: the host owns all I/O).
fn session_for_storage() -> Result<Arc<SessionRef>, DbErr> {
    current_session().ok_or_else(|| {
        DbErr::Conn(RuntimeErr::Internal(
            "plugin storage used outside a call of the host".into(),
        ))
    })
}

impl Proxy {
    async fn call(&self, op: DbOp) -> Result<DbResult, DbErr> {
        let session = session_for_storage()?;
        let req = wire::encode(&wire::DbRequest {
            v: wire::MESSAGE_VERSION,
            op,
        });
        let resp: wire::DbResponse = session
            .call(session.host.db, req)
            .await
            .map_err(|e| DbErr::Conn(RuntimeErr::Internal(format!("host storage: {e}"))))?;
        match resp.result {
            DbResult::Err { kind, message } => Err(match kind.as_str() {
                "unique" => DbErr::Exec(RuntimeErr::Internal(format!(
                    "{UNIQUE_VIOLATION_PREFIX}{message}"
                ))),
                "conn" => DbErr::Conn(RuntimeErr::Internal(message)),
                "query" => DbErr::Query(RuntimeErr::Internal(message)),
                "type" => DbErr::Type(message),
                "custom" => DbErr::Custom(message),
                _ => DbErr::Exec(RuntimeErr::Internal(message)),
            }),
            other => Ok(other),
        }
    }

    fn statement(st: &Statement) -> Result<wire::WireStatement, DbErr> {
        let values = match &st.values {
            None => None,
            Some(values) => Some(
                values
                    .0
                    .iter()
                    .map(WireValue::from_value)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(DbErr::Type)?,
            ),
        };
        Ok(wire::WireStatement {
            sql: st.sql.clone(),
            values,
        })
    }

    /// Transaction control: the trait cannot return errors; the host fails the request
    /// instead (see the gateway's `dynamic::host`).
    async fn control(&self, op: DbOp) {
        let _ = self.call(op).await;
    }
}

#[async_trait]
impl ProxyDatabaseTrait for Proxy {
    async fn query(&self, statement: Statement) -> Result<Vec<ProxyRow>, DbErr> {
        match self.call(DbOp::Query(Self::statement(&statement)?)).await? {
            DbResult::Rows(rows) => {
                let hints = &state().hints;
                Ok(rows
                    .into_iter()
                    .map(|row| {
                        ProxyRow::new(
                            row.into_iter()
                                .map(|(name, v)| {
                                    let value = hints.convert(&name, v);
                                    (name, value)
                                })
                                .collect(),
                        )
                    })
                    .collect())
            }
            other => Err(DbErr::Query(RuntimeErr::Internal(format!(
                "host answered a query with {other:?}"
            )))),
        }
    }

    async fn execute(&self, statement: Statement) -> Result<ProxyExecResult, DbErr> {
        match self
            .call(DbOp::Execute(Self::statement(&statement)?))
            .await?
        {
            DbResult::Exec {
                last_insert_id,
                rows_affected,
            } => Ok(ProxyExecResult::new(last_insert_id, rows_affected)),
            other => Err(DbErr::Exec(RuntimeErr::Internal(format!(
                "host answered a statement with {other:?}"
            )))),
        }
    }

    async fn begin(&self) {
        self.control(DbOp::Begin).await
    }

    async fn commit(&self) {
        self.control(DbOp::Commit).await
    }

    async fn rollback(&self) {
        self.control(DbOp::Rollback).await
    }

    fn start_rollback(&self) {
        // A transaction dropped without commit: in its call's session (InSession keeps it
        // current while the call's future is dropped).
        if let Some(session) = current_session() {
            // SAFETY: the session is live while we hold our reference.
            unsafe { (session.host.db_abort)(session.session) }
        }
    }
}

/// Cross-plugin queries through the host's registry, in the current call's session.
struct HostServices;

#[async_trait]
impl Services for HostServices {
    async fn query(
        &self,
        _ctx: &Context,
        plugin: &str,
        name: &str,
        args: Json,
    ) -> ApiResult<Option<Json>> {
        let req = wire::encode(&wire::ServicesRequest {
            v: wire::MESSAGE_VERSION,
            plugin: plugin.to_string(),
            name: name.to_string(),
            args,
        });
        let Some(session) = current_session() else {
            tracing::error!("cross-plugin query outside a call of the host");
            return Err(ApiError::internal());
        };
        let resp: wire::ServicesResponse =
            session
                .call(session.host.services, req)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "cross-plugin query through the host");
                    ApiError::internal()
                })?;
        resp.result
            .map_err(|(status, code, message)| ApiError::new(status, code, message))
    }
}

// ---------------------------------------------------------------------------------------------
// Logging: a minimal subscriber that hands every enabled event to the host.

struct Forwarder {
    max: tracing::level_filters::LevelFilter,
    log: unsafe extern "C" fn(Bytes<'_>),
}

fn level_filter(n: u8) -> tracing::level_filters::LevelFilter {
    use tracing::level_filters::LevelFilter as F;
    match n {
        0 => F::OFF,
        1 => F::ERROR,
        2 => F::WARN,
        3 => F::INFO,
        4 => F::DEBUG,
        _ => F::TRACE,
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    fields: Vec<(String, String)>,
}

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.fields
                .push((field.name().to_string(), value.to_string()));
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.fields
                .push((field.name().to_string(), format!("{value:?}")));
        }
    }
}

impl Forwarder {
    fn send(&self, event: &wire::LogEvent) {
        let bytes = wire::encode(event);
        // SAFETY: the host copies the event during the call.
        unsafe { (self.log)(Bytes::new(&bytes)) }
    }
}

impl tracing::Subscriber for Forwarder {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        *metadata.level() <= self.max
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(self.max)
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        // Spans are not forwarded: the host's own request span is current while the plugin
        // runs, and every event carries the RequestId.
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        self.send(&wire::LogEvent {
            v: wire::MESSAGE_VERSION,
            level: wire::level_number(event.metadata().level()),
            target: event.metadata().target().to_string(),
            message: fields.message,
            fields: fields.fields,
        });
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

fn install_logging(host: &HostVtable) {
    let forwarder = Forwarder {
        max: level_filter(host.max_log_level),
        log: host.log,
    };
    // The library's own copy of `tracing` gets this as its global subscriber.
    let _ = tracing::subscriber::set_global_default(forwarder);
    let log = host.log;
    // A panic is caught at the boundary and answered as InternalError; the message and place
    // go to the host's log (the default hook would print to stderr, outside the host's logs).
    std::panic::set_hook(Box::new(move |info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let event = wire::LogEvent {
            v: wire::MESSAGE_VERSION,
            level: 1,
            target: "ccgate_plugin_abi::panic".into(),
            message: format!("plugin panicked{place}: {}", panic_message(info.payload())),
            fields: Vec::new(),
        };
        let bytes = wire::encode(&event);
        // SAFETY: the host copies the event during the call.
        unsafe { log(Bytes::new(&bytes)) }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_narrow_to_the_entity_type_and_nulls_take_its_variant() {
        let mut hints = ColumnHints::default();
        hints.0.insert("position".into(), Some(Kind::Int));
        hints.0.insert("active".into(), Some(Kind::Bool));
        hints.0.insert("name".into(), Some(Kind::String));
        hints.0.insert("ambiguous".into(), None);
        assert_eq!(
            hints.convert("position", WireValue::BigInt(Some(7))),
            Value::Int(Some(7))
        );
        assert_eq!(
            hints.convert("B_position", WireValue::BigInt(Some(7))),
            Value::Int(Some(7))
        );
        assert_eq!(
            hints.convert("active", WireValue::BigInt(Some(1))),
            Value::Bool(Some(true))
        );
        assert_eq!(
            hints.convert("name", WireValue::Bytes(Some(b"abc".to_vec()))),
            Value::String(Some("abc".into()))
        );
        assert_eq!(
            hints.convert("name", WireValue::BigInt(None)),
            Value::BigInt(None),
            "an integer null stays an integer null (sea-orm reads any null as None)"
        );
        assert_eq!(
            hints.convert("num_items", WireValue::BigInt(Some(3))),
            Value::BigInt(Some(3))
        );
        assert_eq!(
            hints.convert("ambiguous", WireValue::BigInt(Some(3))),
            Value::BigInt(Some(3))
        );
        // Out of range for i32: kept as i64 (sea-orm then reports a type error).
        assert_eq!(
            hints.convert("position", WireValue::BigInt(Some(i64::MAX))),
            Value::BigInt(Some(i64::MAX))
        );
    }
}
