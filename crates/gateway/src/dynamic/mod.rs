//! Domain plugins loaded at run time from dynamic libraries (libloading), through the C-ABI
//! boundary of `ccgate-plugin-abi`.
//!
//! [`load`] opens a library, checks its ABI version and build fingerprint before anything
//! else, initialises it with the host's function table ([`host::vtable`]) and wraps it in a
//! [`DynamicPlugin`], which implements the SDK's `Plugin` trait so the registry serves it like a
//! built-in one. Libraries are never unloaded.

pub mod host;
mod rows;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use ccgate_plugin_abi::ffi::{
    ABI_VERSION, Buf, Bytes, ENTRY_SYMBOL, FINGERPRINT, FfiFuture, LentText, PluginEntry,
    PluginVtable, Session,
};
use ccgate_plugin_abi::wire::{self, Backend, HandleAnswer, Outcome, WireContext, WireSpec};
use ccgate_plugin_sdk::{
    ActionSpec, ApiError, ApiResult, Context, ErrorStyle, EventContext, Params, Plugin, Reply,
    SharedReply, StoredEvent, Subscription, TaskContext,
};
use futures::FutureExt as _;
use sea_orm::{DatabaseConnection, DbErr};
use serde_json::Value;

use self::host::HostSession;

/// Why a plugin library was refused. Displays as one line naming the file and the reason.
#[derive(Debug, thiserror::Error)]
#[error("plugin library {}: {reason}", path.display())]
pub struct LoadError {
    /// The library file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub reason: String,
}

impl LoadError {
    fn new(path: &Path, reason: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}

/// A plugin served from a dynamic library.
pub struct DynamicPlugin {
    name: &'static str,
    version: &'static str,
    path: PathBuf,
    specs: Vec<ActionSpec>,
    tasks: Vec<&'static str>,
    subscriptions: Vec<Subscription>,
    vtable: &'static PluginVtable,
    /// The storage `migrate` got, for the session of `shutdown` (which gets none).
    db: OnceLock<DatabaseConnection>,
}

impl std::fmt::Debug for DynamicPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamicPlugin")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Opens the plugin library at `path`.
///
/// Errors (each a [`LoadError`] naming the file): the file does not exist; it is not a
/// loadable library (corrupt, wrong platform); it exports no `ccgate_plugin_entry` (not a
/// ccgate plugin); its ABI version or build fingerprint differs from this ccgate's; its
/// initialisation failed or its description is unreadable.
pub fn load(path: &Path) -> Result<DynamicPlugin, LoadError> {
    if !path.exists() {
        return Err(LoadError::new(path, "file not found"));
    }
    if !path.is_file() {
        return Err(LoadError::new(path, "not a file"));
    }
    // SAFETY: loading a library runs its initialisers; ccgate only loads files the deployer
    // configured. The handle is leaked: plugins are never unloaded, so every pointer into the
    // library stays valid.
    let lib = unsafe { libloading::Library::new(path) }
        .map_err(|e| LoadError::new(path, format!("not a loadable library ({})", one_line(&e))))?;
    let lib: &'static libloading::Library = Box::leak(Box::new(lib));
    // SAFETY: the symbol of this name is the entry point the plugin ABI defines, with this
    // signature.
    let entry_fn = unsafe { lib.get::<extern "C" fn() -> *const PluginEntry>(ENTRY_SYMBOL) }
        .map_err(|_| {
            LoadError::new(
                path,
                "not a ccgate plugin (it exports no ccgate_plugin_entry symbol)",
            )
        })?;
    let entry = entry_fn();
    if entry.is_null() {
        return Err(LoadError::new(
            path,
            "not a ccgate plugin (null entry point)",
        ));
    }
    // SAFETY: non-null, points to the library's static entry (never unloaded); its first two
    // fields have the same layout in every ABI version.
    let entry: &'static PluginEntry = unsafe { &*entry };
    if entry.abi_version != ABI_VERSION {
        return Err(LoadError::new(
            path,
            format!(
                "ABI version mismatch: the library was built for plugin ABI {}, this ccgate \
                 loads ABI {ABI_VERSION}; rebuild the plugin from this ccgate's sources",
                entry.abi_version
            ),
        ));
    }
    // SAFETY: the fingerprint is a static string of the library.
    let fingerprint = unsafe { entry.fingerprint.to_str() }.unwrap_or("<not UTF-8>");
    if fingerprint != FINGERPRINT {
        return Err(LoadError::new(
            path,
            format!(
                "build mismatch: the library was built with `{fingerprint}`, this ccgate with \
                 `{FINGERPRINT}`; rebuild the plugin from this ccgate's sources"
            ),
        ));
    }
    // SAFETY: ABI versions match, so `init` has this signature; the host table is static.
    let out = unsafe { (entry.init)(host::vtable()) };
    // SAFETY: the library allocated `info`; we read it, then hand it back to its `free`.
    let info = unsafe { out.info.as_slice() }.to_vec();
    // SAFETY: as above.
    unsafe { (out.free)(out.info) };
    if out.vtable.is_null() {
        return Err(LoadError::new(
            path,
            format!("initialisation failed: {}", String::from_utf8_lossy(&info)),
        ));
    }
    // SAFETY: non-null table in the library's static data.
    let vtable: &'static PluginVtable = unsafe { &*out.vtable };
    let info: wire::PluginInfo = wire::decode(&info)
        .map_err(|e| LoadError::new(path, format!("unreadable plugin description: {e}")))?;
    let specs = info
        .actions
        .iter()
        .map(|s| s.to_spec(&wire::intern))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| LoadError::new(path, format!("unreadable action: {e}")))?;
    let tasks = info.tasks.iter().map(|t| wire::intern(t)).collect();
    let subscriptions = info
        .subscriptions
        .iter()
        .map(|s| Subscription {
            name: wire::intern(&s.name),
            topics: s.topics.iter().map(|t| wire::intern(t)).collect(),
        })
        .collect();
    Ok(DynamicPlugin {
        name: wire::intern(&info.name),
        version: wire::intern(&info.version),
        path: path.to_path_buf(),
        specs,
        tasks,
        subscriptions,
        vtable,
        db: OnceLock::new(),
    })
}

/// The error and its causes on one line.
fn one_line(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text.replace('\n', " ")
}

impl DynamicPlugin {
    /// The library file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Polls a plugin call to its end with the call current on this thread ([`host::in_call`]:
    /// plugin log events carry `request_id`, a cross-plugin query can copy `ctx`). `None` when
    /// the plugin's future panicked.
    async fn poll_call<T>(
        &self,
        mut fut: FfiFuture<T>,
        session: &Arc<HostSession>,
        request_id: &str,
        ctx: Option<&Context>,
    ) -> Option<T> {
        let polled = std::future::poll_fn(|cx| {
            host::in_call(session, request_id, ctx, || Pin::new(&mut fut).poll(cx))
        });
        AssertUnwindSafe(polled).catch_unwind().await.ok()
    }

    /// Runs one call of the plugin whose answer is one buffer, and reads its outcome.
    async fn call(
        &self,
        f: unsafe extern "C" fn(Session, Bytes<'_>) -> FfiFuture<Buf>,
        session: &Arc<HostSession>,
        request: Vec<u8>,
        ctx: Option<&Context>,
    ) -> Outcome {
        // SAFETY: the plugin takes over one session reference and copies the request before
        // returning.
        let fut = unsafe { f(session.to_ffi(), Bytes::new(&request)) };
        let request_id = ctx.map_or("", |c| c.request_id.as_str());
        match self.poll_call(fut, session, request_id, ctx).await {
            Some(buf) => self.read_outcome(buf),
            None => future_panicked(),
        }
    }

    /// Reads a call's answer and hands the buffer back to the plugin.
    fn read_outcome(&self, buf: Buf) -> Outcome {
        // SAFETY: the plugin allocated `buf`; read it, then hand it back to the plugin's free.
        let out = wire::decode_outcome(unsafe { buf.as_slice() });
        // SAFETY: as above.
        unsafe { (self.vtable.free)(buf) };
        match out {
            Ok(o) => o.result,
            Err(message) => Outcome::Refused { message },
        }
    }

    /// The JSON and field names of a successful `handle` / `query` outcome; a storage failure
    /// of the session, a panic or a refused call is logged and becomes `InternalError`, an API
    /// error is passed on. `what` names the call in the log (`handler`, `query`).
    fn answer(
        &self,
        session: &HostSession,
        outcome: Outcome,
        what: &str,
        request_id: &str,
    ) -> Result<(String, Vec<String>), ApiError> {
        self.session_ok(session, request_id)?;
        match outcome {
            Outcome::Ok { json, keys } => Ok((json, keys)),
            Outcome::Api {
                status,
                code,
                message,
            } => Err(ApiError::new(status, code, message)),
            Outcome::Panic { message } => {
                Err(self.failed(&format!("{what} panicked"), request_id, &message))
            }
            Outcome::Db { message }
            | Outcome::Refused { message }
            | Outcome::TaskFailed { message } => {
                Err(self.failed(&format!("{what} refused"), request_id, &message))
            }
        }
    }

    /// `InternalError` (logged) when a transaction operation of the session failed: sea-orm's
    /// proxy cannot report it to the plugin, so the call's reply is not to be trusted.
    fn session_ok(&self, session: &HostSession, request_id: &str) -> Result<(), ApiError> {
        match session.failure() {
            Some(f) => Err(self.failed("storage", request_id, &f)),
            None => Ok(()),
        }
    }

    fn failed(&self, what: &str, request_id: &str, why: &str) -> ApiError {
        tracing::error!(plugin = self.name, path = %self.path.display(), request_id, "{what}: {why}");
        ApiError::internal()
    }

    async fn storage_call(
        &self,
        f: unsafe extern "C" fn(Session, Bytes<'_>) -> FfiFuture<Buf>,
        db: &DatabaseConnection,
        instance_id: Option<&str>,
    ) -> Result<(), DbErr> {
        let session = HostSession::new(db.clone(), self.name);
        let req = wire::encode(&wire::StorageRequest {
            v: wire::MESSAGE_VERSION,
            backend: Backend::from_sea(db.get_database_backend()),
            instance_id: instance_id.map(str::to_string),
        });
        let outcome = self.call(f, &session, req, None).await;
        if let Some(f) = session.failure() {
            return Err(DbErr::Custom(format!("plugin {}: {f}", self.name)));
        }
        match outcome {
            Outcome::Ok { .. } => Ok(()),
            Outcome::Db { message } => Err(DbErr::Migration(format!(
                "plugin {} ({}): {message}",
                self.name,
                self.path.display()
            ))),
            Outcome::Panic { message } => Err(DbErr::Custom(format!(
                "plugin {} panicked: {message}",
                self.name
            ))),
            Outcome::Api { code, message, .. } => Err(DbErr::Custom(format!(
                "plugin {}: {code}: {message}",
                self.name
            ))),
            Outcome::Refused { message } | Outcome::TaskFailed { message } => Err(DbErr::Custom(
                format!("plugin {} refused the call: {message}", self.name),
            )),
        }
    }
}

/// The outcome of a call whose future panicked (caught on the host side).
fn future_panicked() -> Outcome {
    Outcome::Panic {
        message: "the plugin's future panicked".into(),
    }
}

fn wire_context(ctx: &Context) -> WireContext {
    let (principal_kind, principal) = WireContext::principal_parts(&ctx.principal);
    WireContext {
        request_id: ctx.request_id.clone(),
        account_id: ctx.account_id.clone(),
        principal_kind,
        principal,
        role: ctx.role.as_str().to_string(),
        instance_id: ctx.instance_id.clone(),
        account_instances: ctx.account_instances.clone(),
        backend: Backend::from_sea(ctx.db.get_database_backend()),
        caller_scope: ctx.caller_scope.clone(),
        token: ctx.token.clone(),
    }
}

#[async_trait]
impl Plugin for DynamicPlugin {
    fn name(&self) -> &'static str {
        self.name
    }

    fn version(&self) -> &'static str {
        self.version
    }

    fn actions(&self) -> Vec<ActionSpec> {
        self.specs.clone()
    }

    async fn migrate(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let _ = self.db.set(db.clone());
        self.storage_call(self.vtable.migrate, db, None).await
    }

    async fn init(&self, settings: &Value) -> Result<(), String> {
        // Reading settings touches no storage: the session's connection is a disconnected one.
        let session = HostSession::new(DatabaseConnection::default(), self.name);
        let req = wire::encode(&wire::InitRequest {
            v: wire::MESSAGE_VERSION,
            settings: settings.clone(),
        });
        match self.call(self.vtable.init, &session, req, None).await {
            Outcome::Ok { .. } => Ok(()),
            Outcome::Refused { message } => Err(message),
            Outcome::Panic { message } => Err(format!(
                "plugin {} panicked while reading its settings: {message}",
                self.name
            )),
            Outcome::Api { code, message, .. } => {
                Err(format!("plugin {}: {code}: {message}", self.name))
            }
            Outcome::Db { message } | Outcome::TaskFailed { message } => {
                Err(format!("plugin {}: {message}", self.name))
            }
        }
    }

    async fn handle(&self, ctx: &Context, action: usize, params: &Params) -> ApiResult<Reply> {
        if action >= self.specs.len() {
            return Err(ApiError::not_implemented(ctx.spec.action));
        }
        let action = action as u32;
        // Sized for the usual request, so that encoding allocates once.
        let size = 256
            + params
                .all()
                .iter()
                .map(|(k, v)| k.len() + v.len() + 4)
                .sum::<usize>();
        let req = wire::encode_into(
            &wire::HandleRequestRef {
                v: wire::MESSAGE_VERSION,
                action,
                ctx: wire::WireContextRef::of(ctx),
                params: params.all(),
                v2020_errors: params.style() == ErrorStyle::V2020,
                json_body: params.json_body.as_ref(),
            },
            Vec::with_capacity(size),
        );
        let session = HostSession::new(ctx.db.clone(), self.name);
        // SAFETY: the plugin takes over one session reference and copies the request before
        // returning.
        let fut = unsafe { (self.vtable.handle)(session.to_ffi(), Bytes::new(&req)) };
        let answer = self
            .poll_call(fut, &session, &ctx.request_id, Some(ctx))
            .await;
        let outcome = match answer {
            None => future_panicked(),
            Some(answer) => {
                // Released (through the plugin) on every path from here.
                let text = LentReply(answer.text);
                // SAFETY: the plugin allocated the message; read it, then hand it back to its
                // free.
                let message = wire::decode_handle_answer(unsafe { answer.message.as_slice() });
                // SAFETY: as above.
                unsafe { (self.vtable.free)(answer.message) };
                match message {
                    Ok(HandleAnswer::Lent { keys }) => {
                        self.session_ok(&session, &ctx.request_id)?;
                        return Ok(Reply::from(SharedReply::from_held(Box::new(text), keys)));
                    }
                    Ok(HandleAnswer::Outcome(o)) => o.result,
                    Err(message) => Outcome::Refused { message },
                }
            }
        };
        let (json, keys) = self.answer(&session, outcome, "handler", &ctx.request_id)?;
        Ok(Reply::from(SharedReply::from_parts(json, keys)))
    }

    async fn query(&self, ctx: &Context, name: &str, args: Value) -> ApiResult<Value> {
        let req = wire::encode(&wire::QueryRequest {
            v: wire::MESSAGE_VERSION,
            spec: WireSpec::from_spec(&ctx.spec),
            ctx: wire_context(ctx),
            name: name.to_string(),
            args,
        });
        let session = HostSession::new(ctx.db.clone(), self.name);
        let outcome = self.call(self.vtable.query, &session, req, Some(ctx)).await;
        let (json, _) = self.answer(&session, outcome, "query", &ctx.request_id)?;
        serde_json::from_str(&json)
            .map_err(|e| self.failed("query answer", &ctx.request_id, &e.to_string()))
    }

    async fn on_instance_created(
        &self,
        db: &DatabaseConnection,
        instance_id: &str,
    ) -> Result<(), DbErr> {
        self.storage_call(self.vtable.on_instance_created, db, Some(instance_id))
            .await
    }

    fn tasks(&self) -> Vec<&'static str> {
        self.tasks.clone()
    }

    async fn run_task(&self, index: usize, cx: TaskContext) -> Result<(), String> {
        let req = wire::encode(&wire::TaskRequest {
            v: wire::MESSAGE_VERSION,
            index: u32::try_from(index).map_err(|_| format!("no task #{index}"))?,
            backend: Backend::from_sea(cx.db.get_database_backend()),
        });
        // A task's session lives as long as the task. (A failed begin/commit poisons it like a
        // request's: the task's later statements fail, it returns an error, and its restart
        // gets a new session.)
        let session = HostSession::for_task(cx.db.clone(), self.name, cx.stop_signal().clone());
        // SAFETY: the plugin takes over one session reference and copies the request before
        // returning.
        let mut fut = unsafe { (self.vtable.run_task)(session.to_ffi(), Bytes::new(&req)) };
        let mut stopped = std::pin::pin!(cx.stopped());
        let mut stop_seen = false;
        let polled = std::future::poll_fn(|c| {
            // Until the stop signal is raised, its waker is registered here: raising it wakes
            // this task, which polls the plugin's future again, and the plugin sees
            // `task_stopped` (see `PluginVtable::run_task`).
            if !stop_seen && stopped.as_mut().poll(c).is_ready() {
                stop_seen = true;
            }
            host::in_call(&session, "", None, || Pin::new(&mut fut).poll(c))
        });
        let outcome = match AssertUnwindSafe(polled).catch_unwind().await {
            Ok(buf) => self.read_outcome(buf),
            Err(_) => future_panicked(),
        };
        match outcome {
            Outcome::Ok { .. } => Ok(()),
            Outcome::TaskFailed { message } => Err(message),
            Outcome::Panic { message } => Err(format!("panicked: {message}")),
            Outcome::Api { code, message, .. } => Err(format!("{code}: {message}")),
            Outcome::Db { message } | Outcome::Refused { message } => {
                Err(format!("refused: {message}"))
            }
        }
    }

    fn subscriptions(&self) -> Vec<Subscription> {
        self.subscriptions.clone()
    }

    async fn on_event(
        &self,
        ctx: &EventContext,
        sub: usize,
        event: &StoredEvent,
    ) -> Result<(), ApiError> {
        let req = wire::encode(&wire::EventRequest {
            v: wire::MESSAGE_VERSION,
            subscription: u32::try_from(sub).unwrap_or(u32::MAX),
            attempt: ctx.attempt,
            backend: Backend::from_sea(ctx.db.get_database_backend()),
            event: wire::WireEvent::from_event(event),
        });
        let session = HostSession::new(ctx.db.clone(), self.name);
        let outcome = self.call(self.vtable.on_event, &session, req, None).await;
        self.answer(&session, outcome, "event handler", "")
            .map(|_| ())
    }

    async fn shutdown(&self) {
        let db = self.db.get().cloned().unwrap_or_default();
        let req = wire::encode(&wire::StorageRequest {
            v: wire::MESSAGE_VERSION,
            backend: Backend::from_sea(db.get_database_backend()),
            instance_id: None,
        });
        let session = HostSession::new(db, self.name);
        match self.call(self.vtable.shutdown, &session, req, None).await {
            Outcome::Ok { .. } => {}
            other => {
                tracing::error!(plugin = self.name, path = %self.path.display(), outcome = ?other, "plugin shutdown failed")
            }
        }
    }
}

/// A reply's JSON text lent by a plugin ([`ccgate_plugin_abi::ffi::LentText`]), handed back
/// to the plugin when dropped.
struct LentReply(LentText);

impl Drop for LentReply {
    fn drop(&mut self) {
        if let (false, Some(release)) = (self.0.owner.is_null(), self.0.release) {
            // SAFETY: the owner the plugin lent with this text, released exactly once.
            unsafe { release(self.0.owner) };
        }
    }
}

impl AsRef<str> for LentReply {
    fn as_ref(&self) -> &str {
        if self.0.ptr.is_null() || self.0.len == 0 {
            return "";
        }
        // SAFETY: the plugin keeps `len` bytes at `ptr` alive and unchanged until `release`
        // (in Drop). They are UTF-8 by the ABI's contract: the guest side lends
        // `SharedReply::json()`, a `&str`, and the build fingerprint checked at load
        // guarantees that guest code. (Re-validating would cost ~0.5 µs per 5 kB reply and
        // protect against nothing an in-process library could not do anyway.)
        unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.0.ptr, self.0.len)) }
    }
}

/// The library files configured in `[plugins]`: `libraries` in order, then the files of
/// `directory` with the platform's library suffix (`.so`, `.dylib`, `.dll`), sorted by name.
///
/// Errors: `directory` is set but cannot be read.
pub fn configured_paths(libraries: &[String], directory: &str) -> Result<Vec<PathBuf>, LoadError> {
    let mut paths: Vec<PathBuf> = libraries
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(PathBuf::from)
        .collect();
    if !directory.trim().is_empty() {
        let dir = Path::new(directory);
        let entries = std::fs::read_dir(dir)
            .map_err(|e| LoadError::new(dir, format!("cannot read the plugin directory: {e}")))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && p.extension().and_then(|e| e.to_str())
                        == Some(std::env::consts::DLL_EXTENSION)
            })
            .collect();
        found.sort();
        paths.extend(found);
    }
    Ok(paths)
}
