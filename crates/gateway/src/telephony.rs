//! The SIP engine as a host service: started from `[telephony]` at boot, reached by plugins
//! through the host queries of the telephony port (`telephony.start_call`,
//! `telephony.hang_up`; [`ccgate_plugin_sdk::telephony`]), its call events written to the
//! durable event log (topic `telephony.call`) for plugins to subscribe to.
//!
//! The engine runs on its own thread and runtime (`ccgate-telephony`); this module only moves
//! commands and events across.

use std::sync::Arc;
use std::time::Duration;

use ccgate_plugin_sdk::telephony::{
    CallEvent, DeviceSet, HANG_UP, HOLD, HangUp, Hold, INBOUND_ROUTER, InboundCall, InboundRoute,
    ROUTE_INBOUND, SET_DEVICE, START_CALL, SetDevice, StartCall, TRANSFER, Transfer,
    not_configured,
};
use ccgate_plugin_sdk::{ApiError, ApiResult};
use ccgate_telephony::{
    DeviceCredential, DeviceDirectory, InboundRouter, Telephony, TelephonyConfig,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};

use crate::crypto::MasterKey;
use crate::store::entities::sip_device;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The running engine and the task that records its events.
pub struct HostTelephony {
    /// The engine.
    pub engine: Arc<Telephony>,
    recorder: JoinHandle<()>,
}

impl HostTelephony {
    /// Starts the engine of `config` (its registrar reading devices from `db`) and the
    /// recorder of its events into `db`.
    ///
    /// Errors: one line for a bad `[telephony]` value or an address that cannot be bound.
    pub fn start(
        config: TelephonyConfig,
        db: DatabaseConnection,
        master: MasterKey,
        router: Box<dyn ccgate_telephony::InboundRouter>,
    ) -> anyhow::Result<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        let devices = Box::new(DbDevices::new(db.clone(), master));
        let engine =
            Telephony::start(config, devices, router, tx).map_err(|e| anyhow::anyhow!(e))?;
        let recorder = tokio::spawn(record(db, rx));
        Ok(Self {
            engine: Arc::new(engine),
            recorder,
        })
    }

    /// Ends the live calls (their last events are recorded), stops the engine, and waits up to
    /// `timeout` for the recorder to write what is left.
    pub async fn stop(self, timeout: Duration) {
        self.engine.shutdown().await;
        drop(self.engine);
        if tokio::time::timeout(timeout, self.recorder).await.is_err() {
            tracing::warn!("telephony: call events left unrecorded at shutdown");
        }
    }
}

/// Writes call events to the event log, each batch in one transaction, in the order the engine
/// produced them. A failing write is retried (the events stay in order) until it succeeds or
/// the engine is gone.
async fn record(db: DatabaseConnection, mut rx: mpsc::UnboundedReceiver<CallEvent>) {
    let mut batch: Vec<CallEvent> = Vec::new();
    loop {
        if batch.is_empty() {
            match rx.recv().await {
                Some(e) => batch.push(e),
                None => return,
            }
        }
        while batch.len() < 256 {
            match rx.try_recv() {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        match write(&db, &batch).await {
            Ok(()) => batch.clear(),
            Err(e) => {
                tracing::error!(error = %e, events = batch.len(), "telephony: recording call events");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

async fn write(db: &DatabaseConnection, batch: &[CallEvent]) -> Result<(), sea_orm::DbErr> {
    let txn = db.begin().await?;
    for event in batch {
        ccgate_plugin_sdk::events::publish(&txn, event).await?;
    }
    txn.commit().await
}

/// Serves the telephony host queries; `None` when `name` is not one of them.
pub async fn host_query(
    engine: Option<&Arc<Telephony>>,
    master: Option<&MasterKey>,
    db: &DatabaseConnection,
    name: &str,
    args: Value,
) -> Option<ApiResult<Value>> {
    match name {
        START_CALL => Some(start_call(engine, args).await),
        HANG_UP => Some(hang_up(engine, args).await),
        SET_DEVICE => Some(set_device_query(master, db, args).await),
        HOLD => Some(hold(engine, args).await),
        TRANSFER => Some(transfer(engine, args).await),
        _ => None,
    }
}

async fn set_device_query(
    master: Option<&MasterKey>,
    db: &DatabaseConnection,
    args: Value,
) -> ApiResult<Value> {
    let master = master.ok_or_else(ApiError::internal)?;
    let req: SetDevice = ccgate_plugin_sdk::query::decode_args(SET_DEVICE, args)?;
    let done = set_device(db, master, &req).await?;
    ccgate_plugin_sdk::query::encode_output(SET_DEVICE, done)
}

async fn start_call(engine: Option<&Arc<Telephony>>, args: Value) -> ApiResult<Value> {
    let engine = engine.ok_or_else(not_configured)?;
    let req: StartCall = ccgate_plugin_sdk::query::decode_args(START_CALL, args)?;
    let started = engine.start_call(req).await.map_err(|e| e.to_api())?;
    ccgate_plugin_sdk::query::encode_output(START_CALL, started)
}

async fn hold(engine: Option<&Arc<Telephony>>, args: Value) -> ApiResult<Value> {
    let engine = engine.ok_or_else(not_configured)?;
    let req: Hold = ccgate_plugin_sdk::query::decode_args(HOLD, args)?;
    let done = engine
        .hold(&req.call_id, req.hold)
        .await
        .map_err(|e| e.to_api())?;
    ccgate_plugin_sdk::query::encode_output(HOLD, done)
}

async fn transfer(engine: Option<&Arc<Telephony>>, args: Value) -> ApiResult<Value> {
    let engine = engine.ok_or_else(not_configured)?;
    let req: Transfer = ccgate_plugin_sdk::query::decode_args(TRANSFER, args)?;
    let done = engine.transfer(req).await.map_err(|e| e.to_api())?;
    ccgate_plugin_sdk::query::encode_output(TRANSFER, done)
}

async fn hang_up(engine: Option<&Arc<Telephony>>, args: Value) -> ApiResult<Value> {
    let engine = engine.ok_or_else(not_configured)?;
    let req: HangUp = ccgate_plugin_sdk::query::decode_args(HANG_UP, args)?;
    let done = engine
        .hang_up(&req.call_id)
        .await
        .map_err(|e: ccgate_telephony::PortError| -> ApiError { e.to_api() })?;
    ccgate_plugin_sdk::query::encode_output(HANG_UP, done)
}

/// The registrar's view of `core_sip_devices`.
pub struct DbDevices {
    db: DatabaseConnection,
    master: MasterKey,
}

impl DbDevices {
    /// Devices read from `db`, passwords opened with `master`.
    pub fn new(db: DatabaseConnection, master: MasterKey) -> Self {
        Self { db, master }
    }
}

#[async_trait::async_trait]
impl DeviceDirectory for DbDevices {
    async fn credential(&self, instance_id: &str, device_id: &str) -> Option<DeviceCredential> {
        let row = sip_device::Entity::find_by_id((instance_id.to_string(), device_id.to_string()))
            .one(&self.db)
            .await
            .map_err(|e| tracing::error!(error = %e, "reading SIP device credentials"))
            .ok()??;
        let password = self
            .master
            .open(&row.password_sealed)
            .map_err(|e| tracing::error!(error = %e, "opening a SIP device password"))
            .ok()?;
        Some(DeviceCredential {
            user_id: row.user_id,
            password,
        })
    }
}

/// Checks a [`SetDevice`]: DeviceId 1-64 of `[A-Za-z0-9._-]`, password 6-64 printable ASCII.
///
/// Errors: the message of a 400 `InvalidParameter`.
pub fn check_device(req: &SetDevice) -> Result<(), String> {
    let id_ok = (1..=64).contains(&req.device_id.len())
        && req
            .device_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !id_ok {
        return Err(format!(
            "DeviceId {:?} must be 1-64 letters, digits, '.', '_' or '-'",
            req.device_id
        ));
    }
    let pw_ok = (6..=64).contains(&req.password.len())
        && req.password.chars().all(|c| c.is_ascii_graphic());
    if !pw_ok {
        return Err("Password must be 6-64 printable ASCII characters without spaces".into());
    }
    if req.user_id.is_empty() || req.user_id.len() > 192 {
        return Err("UserId must be 1-192 characters".into());
    }
    Ok(())
}

/// Creates or replaces a device's credentials; `created` is false when it replaced them.
///
/// Errors: 400 `InvalidParameter` ([`check_device`]); storage failures.
pub async fn set_device(
    db: &DatabaseConnection,
    master: &MasterKey,
    req: &SetDevice,
) -> ApiResult<DeviceSet> {
    check_device(req).map_err(|m| ApiError::new(400, "InvalidParameter", m))?;
    let sealed = master.seal(&req.password);
    let now = chrono::Utc::now().timestamp_millis();
    // On SQLite (WAL) a deferred transaction that reads and then writes fails at once with
    // "database is locked" when another connection committed in between (its snapshot is
    // stale; the busy timeout does not apply; seen in CI). So: an immediate transaction
    // (`begin_write`), and the update first; none updated means the device is new.
    let txn = ccgate_plugin_sdk::storage::begin_write(db)
        .await
        .map_err(internal)?;
    let updated = sip_device::Entity::update_many()
        .col_expr(sip_device::Column::UserId, Expr::value(req.user_id.clone()))
        .col_expr(
            sip_device::Column::PasswordSealed,
            Expr::value(sealed.clone()),
        )
        .col_expr(sip_device::Column::UpdatedAt, Expr::value(now))
        .filter(sip_device::Column::InstanceId.eq(&req.instance_id))
        .filter(sip_device::Column::DeviceId.eq(&req.device_id))
        .exec(&txn)
        .await
        .map_err(internal)?;
    let created = updated.rows_affected == 0;
    if created {
        sip_device::ActiveModel {
            instance_id: Set(req.instance_id.clone()),
            device_id: Set(req.device_id.clone()),
            user_id: Set(req.user_id.clone()),
            password_sealed: Set(sealed),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(internal)?;
    }
    txn.commit().await.map_err(internal)?;
    Ok(DeviceSet { created })
}

/// The devices of `instance_id`: `(device id, user id, updated_at ms)`, by device id.
///
/// Errors: storage failures.
pub async fn list_devices(
    db: &DatabaseConnection,
    instance_id: &str,
) -> Result<Vec<(String, String, i64)>, sea_orm::DbErr> {
    Ok(sip_device::Entity::find()
        .filter(sip_device::Column::InstanceId.eq(instance_id))
        .order_by_asc(sip_device::Column::DeviceId)
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.device_id, d.user_id, d.updated_at))
        .collect())
}

fn internal(e: sea_orm::DbErr) -> ApiError {
    tracing::error!(error = %e, "SIP devices");
    ApiError::internal()
}

/// The pseudo-action inbound routing queries run under (role admin, no instance): the calls
/// plugin's `route_inbound` finds the instance from the called number.
const INBOUND_SPEC: ccgate_plugin_sdk::ActionSpec =
    ccgate_plugin_sdk::ActionSpec::rpc("2017-07-05", "InboundCall");

/// Routes the engine's inbound calls through the calls plugin's `route_inbound` query,
/// run on the gateway's runtime (plugin code never runs on the SIP engine's).
pub struct PluginRouter {
    db: DatabaseConnection,
    registry: Arc<crate::registry::Registry>,
    runtime: tokio::runtime::Handle,
}

impl PluginRouter {
    /// A router over `registry`'s plugins; must be created on the gateway's runtime.
    pub fn new(db: DatabaseConnection, registry: Arc<crate::registry::Registry>) -> Self {
        Self {
            db,
            registry,
            runtime: tokio::runtime::Handle::current(),
        }
    }
}

fn refused(code: u16, reason: &str) -> InboundRoute {
    InboundRoute {
        connect: false,
        call_id: String::new(),
        instance_id: String::new(),
        to: None,
        ring_timeout_seconds: 0,
        max_duration_seconds: 0,
        sip_code: code,
        reason: reason.to_string(),
    }
}

#[async_trait::async_trait]
impl InboundRouter for PluginRouter {
    async fn route(&self, call: InboundCall) -> InboundRoute {
        let services: Arc<dyn ccgate_plugin_sdk::Services> = Arc::new(
            crate::registry::RegistryServices(Arc::clone(&self.registry)),
        );
        let ctx = crate::registry::system_context(
            self.db.clone(),
            Arc::clone(&services),
            INBOUND_SPEC,
            "ccgate-sip",
        );
        let args = match serde_json::to_value(&call) {
            Ok(a) => a,
            Err(_) => return refused(500, "Server Internal Error"),
        };
        let asked = self.runtime.spawn(async move {
            services
                .query(&ctx, INBOUND_ROUTER, ROUTE_INBOUND, args)
                .await
        });
        match asked.await {
            Ok(Ok(Some(v))) => serde_json::from_value(v).unwrap_or_else(|e| {
                tracing::error!(error = %e, "route_inbound answered the wrong shape");
                refused(500, "Server Internal Error")
            }),
            Ok(Ok(None)) => refused(480, "No plugin routes inbound calls (enable calls)"),
            Ok(Err(e)) => {
                tracing::error!(code = %e.code, message = %e.message, "route_inbound failed");
                refused(503, "Service Unavailable")
            }
            Err(e) => {
                tracing::error!(error = %e, "route_inbound task");
                refused(500, "Server Internal Error")
            }
        }
    }
}
