//! Test support for plugin crates (feature `testing`): an in-memory SQLite database (with the
//! host's event log, so handlers can publish), a [`Context`] for an action, [`Services`] that
//! route queries to a list of plugins, calls through the plugin's real dispatch ([`call`],
//! [`TestEnv::call`]), [`FakePlugin`], a stand-in for another domain that answers its queries
//! from closures, the events published so far ([`TestEnv::published`]), and
//! [`FakeTelephony`], a stand-in for the host's SIP engine that answers the telephony port's
//! host queries (`telephony.start_call`, `telephony.hang_up`) and records them.
//!
//! The plugin's dev-dependencies must enable a SQLite driver for sea-orm
//! (`sqlx-sqlite` + `runtime-tokio-rustls`).

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbErr, Statement};
use serde_json::Value;

use crate::context::{DIRECTORY_LOOKUP, HOST_SERVICES};
use crate::events::{EVENTS_TABLE, PUBLISH_LOCK_TABLE, SUBSCRIBERS_TABLE};
use crate::telephony::{
    CallStarted, DeviceSet, HANG_UP, HOLD, HangUp, Hold, HungUp, SET_DEVICE, START_CALL, SetDevice,
    StartCall, TRANSFER, Transfer,
};
use crate::{
    ActionSpec, ApiResult, Context, DirectoryUser, Plugin, Principal, Services, StoredEvent,
};

/// A test user directory: `(account id, principal)` pairs.
pub type Directory = Arc<std::sync::Mutex<Vec<(String, DirectoryUser)>>>;

/// Routes cross-plugin queries to the plugins it was built with; unknown plugins answer
/// `Ok(None)` like a disabled plugin does in the gateway. The host's own queries
/// ([`HOST_SERVICES`]: the user directory) are answered from an in-memory [`Directory`].
#[derive(Clone, Default)]
pub struct PluginServices {
    plugins: Vec<Arc<dyn Plugin>>,
    directory: Directory,
    telephony: Option<Arc<FakeTelephony>>,
}

impl PluginServices {
    /// Services over `plugins`, with an empty directory.
    pub fn new(plugins: Vec<Arc<dyn Plugin>>) -> Self {
        Self {
            plugins,
            directory: Directory::default(),
            telephony: None,
        }
    }

    /// Services over `plugins` whose directory lookups read `directory`.
    pub fn with_directory(plugins: Vec<Arc<dyn Plugin>>, directory: Directory) -> Self {
        Self {
            plugins,
            directory,
            telephony: None,
        }
    }

    /// The same services, with `telephony` answering the telephony port's host queries
    /// (without it they answer as a deployment without `[telephony]`: 503
    /// `Telephony.NotConfigured` from `telephony::start_call`).
    pub fn with_telephony(mut self, telephony: Arc<FakeTelephony>) -> Self {
        self.telephony = Some(telephony);
        self
    }
}

/// A stand-in for the host's SIP engine in plugin tests: answers `telephony.start_call` with
/// [`CallStarted`] (`first_uri` = `sip:<first target>@fake`) or the error set by
/// [`FakeTelephony::fail_with`], answers `telephony.hang_up`, `telephony.hold` and
/// `telephony.transfer` with `found` = whether the call was started here (and, for hold and
/// transfer, not hung up), `telephony.set_device` with `created` = whether the device id is
/// new, and records them all. It places no call and reports no event: a test feeds
/// the [`crate::telephony::CallEvent`]s it wants to the plugin's `on_event`.
#[derive(Debug, Default)]
pub struct FakeTelephony {
    started: std::sync::Mutex<Vec<StartCall>>,
    hung_up: std::sync::Mutex<Vec<String>>,
    holds: std::sync::Mutex<Vec<Hold>>,
    transfers: std::sync::Mutex<Vec<Transfer>>,
    devices: std::sync::Mutex<Vec<SetDevice>>,
    failure: std::sync::Mutex<Option<crate::ApiError>>,
}

impl FakeTelephony {
    /// Every later `start_call` fails with `error` (`None`: succeeds again). A failed start is
    /// not recorded in [`FakeTelephony::started`].
    pub fn fail_with(&self, error: Option<crate::ApiError>) {
        *self.failure.lock().unwrap_or_else(|e| e.into_inner()) = error;
    }

    /// The calls started so far, in order.
    pub fn started(&self) -> Vec<StartCall> {
        self.started
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The call ids hung up so far, in order.
    pub fn hung_up(&self) -> Vec<String> {
        self.hung_up
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The holds and retrieves asked so far, in order.
    pub fn holds(&self) -> Vec<Hold> {
        self.holds.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The transfers asked so far, in order.
    pub fn transfers(&self) -> Vec<Transfer> {
        self.transfers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The devices set so far, in order.
    pub fn devices(&self) -> Vec<SetDevice> {
        self.devices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether call `id` was started here and not hung up.
    fn live(&self, id: &str) -> bool {
        self.started().iter().any(|c| c.call_id == id) && !self.hung_up().iter().any(|h| h == id)
    }

    /// Answers host query `name` (`None` for a query that is not the telephony port's).
    fn answer(&self, name: &str, args: Value) -> Option<ApiResult<Value>> {
        let bad = |e: serde_json::Error| {
            crate::ApiError::new(500, "InternalError", format!("fake telephony: {e}"))
        };
        match name {
            START_CALL => Some((|| {
                let req: StartCall = serde_json::from_value(args).map_err(bad)?;
                if let Some(e) = self
                    .failure
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone()
                {
                    return Err(e);
                }
                let first_uri = match &req.first.target {
                    crate::telephony::Target::Number { number } => format!("sip:{number}@fake"),
                    crate::telephony::Target::Agent { extension, .. } => {
                        format!("sip:{extension}@fake")
                    }
                    crate::telephony::Target::Uri { uri } => uri.clone(),
                };
                let out = CallStarted {
                    call_id: req.call_id.clone(),
                    first_uri,
                };
                self.started
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(req);
                serde_json::to_value(out).map_err(bad)
            })()),
            HANG_UP => Some((|| {
                let req: HangUp = serde_json::from_value(args).map_err(bad)?;
                let found = self.started().iter().any(|c| c.call_id == req.call_id);
                self.hung_up
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(req.call_id);
                serde_json::to_value(HungUp { found }).map_err(bad)
            })()),
            HOLD => Some((|| {
                let req: Hold = serde_json::from_value(args).map_err(bad)?;
                let found = self.live(&req.call_id);
                self.holds
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(req);
                serde_json::to_value(HungUp { found }).map_err(bad)
            })()),
            TRANSFER => Some((|| {
                let req: Transfer = serde_json::from_value(args).map_err(bad)?;
                let found = self.live(&req.call_id);
                self.transfers
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(req);
                serde_json::to_value(HungUp { found }).map_err(bad)
            })()),
            SET_DEVICE => Some((|| {
                let req: SetDevice = serde_json::from_value(args).map_err(bad)?;
                let mut devices = self.devices.lock().unwrap_or_else(|e| e.into_inner());
                let created = !devices
                    .iter()
                    .any(|d| d.instance_id == req.instance_id && d.device_id == req.device_id);
                devices.push(req);
                serde_json::to_value(DeviceSet { created }).map_err(bad)
            })()),
            _ => None,
        }
    }
}

#[async_trait]
impl Services for PluginServices {
    async fn query(
        &self,
        ctx: &Context,
        plugin: &str,
        name: &str,
        args: Value,
    ) -> ApiResult<Option<Value>> {
        if plugin == HOST_SERVICES && name == DIRECTORY_LOOKUP {
            let ram_ids: Vec<String> = args
                .get("ram_ids")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            let dir = self.directory.lock().unwrap_or_else(|e| e.into_inner());
            let users: Vec<&DirectoryUser> = ram_ids
                .iter()
                .filter_map(|id| {
                    dir.iter()
                        .find(|(acc, u)| *acc == ctx.account_id && u.ram_id == *id)
                        .map(|(_, u)| u)
                })
                .collect();
            return Ok(Some(serde_json::json!({ "users": users })));
        }
        if plugin == HOST_SERVICES
            && let Some(answer) = self
                .telephony
                .as_ref()
                .and_then(|t| t.answer(name, args.clone()))
        {
            return answer.map(Some);
        }
        if plugin == HOST_SERVICES
            && let Some(answer) = host_answer(ctx, name, &args)
        {
            return answer.map(Some);
        }
        match self.plugins.iter().find(|p| p.name() == plugin) {
            Some(p) => p.query(ctx, name, args).await.map(Some),
            None => Ok(None),
        }
    }
}

/// The test host's answers to [`crate::host`]'s queries: sealing is reversible and visible
/// (`test-sealed:<plaintext>`), the endpoints are fixed (`127.0.0.1:8080`, SIP
/// `127.0.0.1:5060`), and a refreshed token is `test-token-<jti>` with the old lifetime.
fn host_answer(ctx: &Context, name: &str, args: &Value) -> Option<ApiResult<Value>> {
    use crate::host;
    let text = |key: &str| args.get(key).and_then(Value::as_str).unwrap_or_default();
    Some(Ok(match name {
        host::SEAL => serde_json::json!({ "sealed": format!("test-sealed:{}", text("plaintext")) }),
        host::OPEN => match text("sealed").strip_prefix("test-sealed:") {
            Some(p) => serde_json::json!({ "plaintext": p }),
            None => return Some(Err(crate::ApiError::internal())),
        },
        host::ENDPOINTS => serde_json::to_value(host::Endpoints {
            http: "127.0.0.1:8080".into(),
            sip_udp: Some("127.0.0.1:5060".into()),
            sip_tcp: None,
        })
        .unwrap_or_default(),
        host::REFRESH_TOKEN => {
            let Some(grant) = &ctx.token else {
                return Some(Err(crate::ApiError::new(
                    400,
                    "InvalidParameter",
                    "The request carries no Bearer token to refresh.",
                )));
            };
            let now = ctx.now_ms() / 1000;
            let id = format!("{:032x}", now as u128 + 1);
            serde_json::to_value(host::RefreshedToken {
                token: format!("test-token-{id}"),
                token_id: id,
                issued_at: now,
                expires_at: now + (grant.expires_at - grant.issued_at),
            })
            .unwrap_or_default()
        }
        _ => return None,
    }))
}

/// A migrated in-memory SQLite database and the plugins under test.
pub struct TestEnv {
    /// The database.
    pub db: DatabaseConnection,
    /// The plugins, migrated, in the order given.
    pub plugins: Vec<Arc<dyn Plugin>>,
    /// The clock of every context [`TestEnv::ctx`] makes: the system clock until a test
    /// replaces it (`env.clock = Clock::fixed(ms)`), then shared by all those contexts.
    pub clock: crate::time::Clock,
    /// The user directory [`crate::Services::directory_lookup`] reads in every context
    /// [`TestEnv::ctx`] makes ([`TestEnv::add_directory_user`]).
    pub directory: Directory,
    /// The SIP engine every context [`TestEnv::ctx`] makes reaches through the telephony port
    /// (records the calls started; [`FakeTelephony::fail_with`] makes them fail).
    pub telephony: Arc<FakeTelephony>,
}

impl TestEnv {
    /// Opens `sqlite::memory:` (one connection, so every query sees the same database) and
    /// migrates every plugin.
    pub async fn new(plugins: Vec<Arc<dyn Plugin>>) -> Self {
        let mut opts = sea_orm::ConnectOptions::new("sqlite::memory:");
        opts.max_connections(1)
            .min_connections(1)
            .sqlx_logging(false);
        let db = Database::connect(opts)
            .await
            .expect("open in-memory sqlite");
        event_log(&db).await.expect("create the event log");
        for p in &plugins {
            p.migrate(&db).await.expect("migrate plugin");
        }
        Self {
            db,
            plugins,
            clock: crate::time::Clock::system(),
            directory: Directory::default(),
            telephony: Arc::default(),
        }
    }

    /// Adds `user` to the directory of account `acc-1` (the account of [`TestEnv::ctx`]), as
    /// `ccgate user add` does in a deployment.
    pub fn add_directory_user(&self, user: DirectoryUser) {
        self.directory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(("acc-1".into(), user));
    }

    /// The events published so far, in id order.
    pub async fn published(&self) -> Vec<StoredEvent> {
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                self.db.get_database_backend(),
                format!(
                    "SELECT id, topic, stream, payload, created_at FROM {EVENTS_TABLE} ORDER BY id"
                ),
            ))
            .await
            .expect("read the event log");
        rows.iter()
            .map(|r| StoredEvent {
                id: r.try_get("", "id").expect("id"),
                topic: r.try_get("", "topic").expect("topic"),
                stream: r.try_get("", "stream").expect("stream"),
                payload: r.try_get("", "payload").expect("payload"),
                recorded_at: chrono::DateTime::from_timestamp_millis(
                    r.try_get("", "created_at").expect("created_at"),
                )
                .unwrap_or_default(),
            })
            .collect()
    }

    /// A context for calling `spec` as AccessKey `test-ak` of account `acc-1` on `instance`.
    pub fn ctx(&self, spec: ActionSpec, instance: &str) -> Context {
        Context {
            request_id: "TEST-REQUEST".into(),
            account_id: "acc-1".into(),
            principal: Principal::AccessKey {
                id: "test-ak".into(),
            },
            role: crate::Role::Admin,
            caller_scope: None,
            token: None,
            spec,
            instance_id: Some(instance.to_string()),
            account_instances: vec![instance.to_string()],
            db: self.db.clone(),
            services: Arc::new(
                PluginServices::with_directory(self.plugins.clone(), self.directory.clone())
                    .with_telephony(self.telephony.clone()),
            ),
            clock: self.clock.clone(),
        }
    }
}

impl TestEnv {
    /// Calls `spec` on `instance` with `pairs` through the real dispatch of the plugin (among
    /// [`TestEnv::plugins`]) that serves it, as the gateway would; the reply's fields as JSON.
    ///
    /// Errors: the plugin's; 501 `NotImplemented` when no plugin of the environment serves
    /// `spec`.
    pub async fn call(
        &self,
        spec: ActionSpec,
        instance: &str,
        pairs: &[(&str, &str)],
    ) -> ApiResult<Value> {
        let ctx = self.ctx(spec, instance);
        let plugin = self
            .plugins
            .iter()
            .find(|p| spec.index_in(&p.actions()).is_some())
            .ok_or_else(|| crate::ApiError::not_implemented(spec.action))?;
        call(plugin.as_ref(), &ctx, pairs).await.map(Value::Object)
    }
}

/// A query answer of a [`FakePlugin`]: JSON arguments in, JSON result out.
pub type FakeAnswer = Box<dyn Fn(&Value) -> ApiResult<Value> + Send + Sync>;

/// A stand-in for another domain in a plugin's tests: serves no action, answers the queries it
/// was given (`answer`) and counts the calls, so a test can check how often it was asked.
/// Queries it was not given answer 500 `InternalError`, as an unknown query does, except
/// `ccgate.list_cache.invalidate`, which it answers `null` without counting.
pub struct FakePlugin {
    name: &'static str,
    answers: Vec<(&'static str, FakeAnswer)>,
    calls: std::sync::atomic::AtomicUsize,
}

impl FakePlugin {
    /// A fake of plugin `name` with no queries yet.
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            answers: Vec::new(),
            calls: Default::default(),
        }
    }

    /// Answers query `query` with `f(args)`.
    pub fn answer(
        mut self,
        query: &'static str,
        f: impl Fn(&Value) -> ApiResult<Value> + Send + Sync + 'static,
    ) -> Self {
        self.answers.push((query, Box::new(f)));
        self
    }

    /// How many queries it answered so far.
    pub fn calls(&self) -> usize {
        self.calls.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[async_trait]
impl Plugin for FakePlugin {
    fn name(&self) -> &'static str {
        self.name
    }
    fn version(&self) -> &'static str {
        "fake"
    }
    fn actions(&self) -> Vec<ActionSpec> {
        Vec::new()
    }
    async fn migrate(&self, _db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        Ok(())
    }
    async fn handle(
        &self,
        ctx: &Context,
        _action: usize,
        _params: &crate::Params,
    ) -> ApiResult<crate::Reply> {
        Err(crate::ApiError::not_implemented(ctx.spec.action))
    }
    async fn query(&self, _ctx: &Context, name: &str, args: Value) -> ApiResult<Value> {
        // Another plugin's write dropping this one's cached lists: housekeeping, not a data
        // query, so it is answered as a plugin with a list cache would and not counted.
        if name == crate::cache::INVALIDATE_QUERY {
            return Ok(Value::Null);
        }
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match self.answers.iter().find(|(q, _)| *q == name) {
            Some((_, f)) => f(&args),
            None => Err(crate::ApiError::internal()),
        }
    }
}

/// `pairs` as the gateway hands them to a plugin for `ctx`: the error style of its API version,
/// and the instance parameter (`InstanceId`), which the gateway has checked, unless `pairs`
/// sends its own.
pub fn gateway_params(ctx: &Context, pairs: &[(&str, &str)]) -> crate::Params {
    let style = if ctx.spec.is_2020() {
        crate::ErrorStyle::V2020
    } else {
        crate::ErrorStyle::Legacy
    };
    let mut all: Vec<(&str, &str)> = Vec::new();
    if let (crate::InstanceScope::Param(name), Some(id)) =
        (ctx.spec.instance, ctx.instance_id.as_deref())
        && !pairs.iter().any(|(k, _)| *k == name)
    {
        all.push((name, id));
    }
    all.extend_from_slice(pairs);
    crate::Params::from_pairs(&all, style)
}

/// Creates the host's event tables on a SQLite test database, as the gateway's migration
/// `m0004_event_log` does, so that [`crate::events::publish`] works in plugin tests.
///
/// Errors: storage.
pub async fn event_log(db: &DatabaseConnection) -> Result<(), DbErr> {
    for ddl in [
        format!(
            "CREATE TABLE IF NOT EXISTS {EVENTS_TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, \
             topic VARCHAR(128) NOT NULL, stream VARCHAR(255) NOT NULL, payload TEXT NOT NULL, \
             created_at BIGINT NOT NULL)"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {PUBLISH_LOCK_TABLE} (id INTEGER PRIMARY KEY, \
             published BIGINT NOT NULL DEFAULT 0)"
        ),
        format!("INSERT OR IGNORE INTO {PUBLISH_LOCK_TABLE} (id, published) VALUES (1, 0)"),
        format!(
            "CREATE TABLE IF NOT EXISTS {SUBSCRIBERS_TABLE} (name VARCHAR(128) PRIMARY KEY, \
             position BIGINT NOT NULL DEFAULT 0, lease_owner VARCHAR(128) NOT NULL DEFAULT '', \
             lease_until BIGINT NOT NULL DEFAULT 0, updated_at BIGINT NOT NULL DEFAULT 0)"
        ),
    ] {
        db.execute_unprepared(&ddl).await?;
    }
    Ok(())
}

/// Calls `spec` of `plugin` the way the gateway does: finds the action's index in
/// [`Plugin::actions`], hands the plugin `pairs` ([`gateway_params`]) and returns the reply's
/// fields as JSON. Errors are the plugin's (parameter errors, handler errors); an action the
/// plugin does not list answers 501 `NotImplemented`, as the gateway's registry would.
pub async fn call(
    plugin: &dyn Plugin,
    ctx: &Context,
    pairs: &[(&str, &str)],
) -> ApiResult<serde_json::Map<String, Value>> {
    let index = ctx
        .spec
        .index_in(&plugin.actions())
        .ok_or_else(|| crate::ApiError::not_implemented(ctx.spec.action))?;
    let params = gateway_params(ctx, pairs);
    let reply = plugin.handle(ctx, index, &params).await?;
    Ok(reply.into_fields())
}
