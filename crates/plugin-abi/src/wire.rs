//! The messages that cross the boundary, serialized with postcard (a compact binary format
//! with a stable specification, <https://postcard.jamesmunk.com/wire-format>). Every top-level
//! message starts with `v: MESSAGE_VERSION` (a varint); a receiver reads that first and refuses
//! another version with a clear error instead of misreading the rest. JSON values inside a
//! message (request bodies, query arguments, JSON columns) travel as JSON text.
//!
//! Storage values have their own representation ([`WireValue`]) instead of sea-query's, so the
//! format does not change when sea-query does.

use std::collections::BTreeMap;

use ccgate_plugin_sdk::{
    ActionSpec, ApiError, AuthModes, Dialect, Envelope, ErrorStyle, InstanceScope, Principal,
};
use sea_orm::sea_query::Value;
use serde::{Deserialize, Serialize};

/// Version of the message format (2: postcard; 1 was JSON; 3: settings, action indexes, roles;
/// 4: tasks and subscriptions in [`PluginInfo`], [`TaskRequest`], [`EventRequest`],
/// [`Outcome::TaskFailed`]; 5: the caller's scope in [`WireContext`], `[access]` in
/// [`WireSpec`]).
pub const MESSAGE_VERSION: u32 = 5;

/// Reads a message, refusing another [`MESSAGE_VERSION`].
///
/// Errors: an empty or malformed message, or a version this build does not speak (the message
/// names both).
pub fn decode<'a, T: Deserialize<'a> + Versioned>(bytes: &'a [u8]) -> Result<T, String> {
    let (version, _) = postcard::take_from_bytes::<u32>(bytes)
        .map_err(|e| format!("malformed message: no version ({e})"))?;
    if version != MESSAGE_VERSION {
        return Err(format!(
            "message version {version} is not supported (this build speaks {MESSAGE_VERSION})"
        ));
    }
    postcard::from_bytes(bytes).map_err(|e| format!("malformed message: {e}"))
}

/// Writes a message.
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    // Serializing these plain structs into a growing buffer cannot fail.
    postcard::to_allocvec(msg).unwrap_or_default()
}

/// Appends a message to `out`.
pub fn encode_into<T: Serialize>(msg: &T, out: Vec<u8>) -> Vec<u8> {
    postcard::to_extend(msg, out).unwrap_or_default()
}

/// A JSON value carried as JSON text (postcard, like any non-self-describing format, cannot
/// read a `serde_json::Value` directly).
pub mod json_text {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes the value's JSON text.
    pub fn serialize<S: Serializer>(v: &serde_json::Value, s: S) -> Result<S::Ok, S::Error> {
        v.to_string().serialize(s)
    }

    /// Reads a value from its JSON text.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<serde_json::Value, D::Error> {
        let text = <&str>::deserialize(d)?;
        serde_json::from_str(text).map_err(serde::de::Error::custom)
    }
}

/// An optional JSON value carried as optional JSON text (see [`json_text`]).
pub mod opt_json_text {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes the value's JSON text, if any.
    pub fn serialize<S, V>(v: &Option<V>, s: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        V: std::borrow::Borrow<serde_json::Value>,
    {
        v.as_ref().map(|v| v.borrow().to_string()).serialize(s)
    }

    /// Reads an optional value from its JSON text.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<serde_json::Value>, D::Error> {
        match <Option<&str>>::deserialize(d)? {
            None => Ok(None),
            Some(text) => serde_json::from_str(text)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// A message with a format version.
pub trait Versioned {
    /// The `v` field.
    fn version(&self) -> u32;
}

macro_rules! versioned {
    ($($t:ty),*) => {$(impl Versioned for $t { fn version(&self) -> u32 { self.v } })*};
}
versioned!(
    PluginInfo,
    HandleRequest,
    QueryRequest,
    InitRequest,
    StorageRequest,
    CallOutcome,
    DbRequest,
    DbResponse,
    ServicesRequest,
    ServicesResponse,
    LogEvent,
    TaskRequest,
    EventRequest
);

/// What a plugin reports at init.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PluginInfo {
    /// [`MESSAGE_VERSION`].
    pub v: u32,
    /// `Plugin::name`.
    pub name: String,
    /// `Plugin::version`.
    pub version: String,
    /// `Plugin::actions`, in order; requests name an action by its index here.
    pub actions: Vec<WireSpec>,
    /// `Plugin::tasks`, in order; [`TaskRequest::index`] names one.
    pub tasks: Vec<String>,
    /// `Plugin::subscriptions`, in order; [`EventRequest::subscription`] names one.
    pub subscriptions: Vec<WireSubscription>,
}

/// A `Subscription` as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireSubscription {
    /// The durable subscriber name.
    pub name: String,
    /// Its topics.
    pub topics: Vec<String>,
}

/// `Plugin::run_task`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskRequest {
    /// [`MESSAGE_VERSION`].
    pub v: u32,
    /// Index of the task in [`PluginInfo::tasks`].
    pub index: u32,
    /// Where the task's statements run.
    pub backend: Backend,
}

/// `Plugin::on_event`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventRequest {
    /// [`MESSAGE_VERSION`].
    pub v: u32,
    /// Index of the subscription in [`PluginInfo::subscriptions`].
    pub subscription: u32,
    /// `EventContext::attempt`.
    pub attempt: u32,
    /// Where the handler's statements run.
    pub backend: Backend,
    /// The event.
    pub event: WireEvent,
}

/// A `StoredEvent` as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireEvent {
    /// `StoredEvent::id`.
    pub id: i64,
    /// `StoredEvent::topic`.
    pub topic: String,
    /// `StoredEvent::stream`.
    pub stream: String,
    /// `StoredEvent::payload` (JSON text, carried as is).
    pub payload: String,
    /// `StoredEvent::recorded_at`, UTC milliseconds since the epoch.
    pub recorded_at_ms: i64,
}

impl WireEvent {
    /// The data of `e`.
    pub fn from_event(e: &ccgate_plugin_sdk::StoredEvent) -> Self {
        Self {
            id: e.id,
            topic: e.topic.clone(),
            stream: e.stream.clone(),
            payload: e.payload.clone(),
            recorded_at_ms: e.recorded_at_ms(),
        }
    }

    /// The event.
    pub fn into_event(self) -> ccgate_plugin_sdk::StoredEvent {
        ccgate_plugin_sdk::StoredEvent {
            id: self.id,
            topic: self.topic,
            stream: self.stream,
            payload: self.payload,
            recorded_at: chrono::DateTime::from_timestamp_millis(self.recorded_at_ms)
                .unwrap_or_default(),
        }
    }
}

/// An [`ActionSpec`] as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireSpec {
    /// `AliyunRpc`, `HuaweiCcManagement` or `HuaweiIsales`.
    pub dialect: String,
    /// API version.
    pub version: String,
    /// Action name.
    pub action: String,
    /// HTTP method and path for path-routed dialects.
    pub route: Option<(String, String)>,
    /// `AkOrBearer` or `BearerOnly`.
    pub auth: String,
    /// `Some(parameter)` for `InstanceScope::Param`, `None` for `InstanceScope::Account`.
    pub instance_param: Option<String>,
    /// Envelope flags: success, http_status_code, message, code.
    pub envelope: [bool; 4],
    /// The admitted roles, [`ccgate_plugin_sdk::Roles::bits`].
    pub roles: u8,
    /// `ActionSpec::access`: the skill-group parameters, the user parameters, `self_only`.
    pub access: (Vec<String>, Vec<String>, bool),
}

impl WireSpec {
    /// The data of `spec`.
    pub fn from_spec(spec: &ActionSpec) -> Self {
        Self {
            dialect: match spec.dialect {
                Dialect::AliyunRpc => "AliyunRpc",
                Dialect::HuaweiCcManagement => "HuaweiCcManagement",
                Dialect::HuaweiIsales => "HuaweiIsales",
            }
            .into(),
            version: spec.version.into(),
            action: spec.action.into(),
            route: spec.route.map(|(m, p)| (m.into(), p.into())),
            auth: match spec.auth {
                AuthModes::AkOrBearer => "AkOrBearer",
                AuthModes::BearerOnly => "BearerOnly",
            }
            .into(),
            instance_param: match spec.instance {
                InstanceScope::Param(p) => Some(p.into()),
                InstanceScope::Account => None,
            },
            envelope: [
                spec.envelope.success,
                spec.envelope.http_status_code,
                spec.envelope.message,
                spec.envelope.code,
            ],
            roles: spec.roles.bits(),
            access: (
                spec.access
                    .skill_groups
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                spec.access.users.iter().map(|s| s.to_string()).collect(),
                spec.access.self_only,
            ),
        }
    }

    /// The spec, with its strings made `'static` by `intern` (each distinct string is kept
    /// once for the life of the process).
    ///
    /// Errors: an unknown dialect or auth mode.
    pub fn to_spec(&self, intern: &impl Fn(&str) -> &'static str) -> Result<ActionSpec, String> {
        Ok(ActionSpec {
            dialect: match self.dialect.as_str() {
                "AliyunRpc" => Dialect::AliyunRpc,
                "HuaweiCcManagement" => Dialect::HuaweiCcManagement,
                "HuaweiIsales" => Dialect::HuaweiIsales,
                other => return Err(format!("unknown dialect {other:?}")),
            },
            version: intern(&self.version),
            action: intern(&self.action),
            route: self.route.as_ref().map(|(m, p)| (intern(m), intern(p))),
            auth: match self.auth.as_str() {
                "AkOrBearer" => AuthModes::AkOrBearer,
                "BearerOnly" => AuthModes::BearerOnly,
                other => return Err(format!("unknown auth mode {other:?}")),
            },
            instance: match &self.instance_param {
                Some(p) => InstanceScope::Param(intern(p)),
                None => InstanceScope::Account,
            },
            envelope: Envelope {
                success: self.envelope[0],
                http_status_code: self.envelope[1],
                message: self.envelope[2],
                code: self.envelope[3],
            },
            roles: ccgate_plugin_sdk::Roles::from_bits(self.roles),
            access: ccgate_plugin_sdk::Access {
                skill_groups: intern_list(&self.access.0),
                users: intern_list(&self.access.1),
                self_only: self.access.2,
            },
        })
    }
}

/// Keeps each distinct list of strings once, forever (the `[access]` parameter lists of the
/// specs: a small, fixed set), like [`intern`].
pub fn intern_list(items: &[String]) -> &'static [&'static str] {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    if items.is_empty() {
        return &[];
    }
    static SET: OnceLock<Mutex<HashMap<Vec<String>, &'static [&'static str]>>> = OnceLock::new();
    let mut set = SET
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(found) = set.get(items) {
        return found;
    }
    let leaked: &'static [&'static str] = Box::leak(
        items
            .iter()
            .map(|s| intern(s))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    set.insert(items.to_vec(), leaked);
    leaked
}

/// Keeps each distinct string once, forever (action names, versions, paths: a small, fixed set).
pub fn intern(s: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static SET: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut set = SET
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(found) = set.get(s) {
        return found;
    }
    let leaked: &'static str = Box::leak(s.to_string().into_boxed_str());
    set.insert(leaked);
    leaked
}

/// The storage backend the host runs statements on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL / MariaDB.
    Mysql,
}

impl Backend {
    /// The sea-orm backend.
    pub fn to_sea(self) -> sea_orm::DbBackend {
        match self {
            Backend::Sqlite => sea_orm::DbBackend::Sqlite,
            Backend::Postgres => sea_orm::DbBackend::Postgres,
            Backend::Mysql => sea_orm::DbBackend::MySql,
        }
    }

    /// From a sea-orm backend.
    pub fn from_sea(b: sea_orm::DbBackend) -> Self {
        match b {
            sea_orm::DbBackend::Postgres => Backend::Postgres,
            sea_orm::DbBackend::MySql => Backend::Mysql,
            _ => Backend::Sqlite,
        }
    }
}

/// The request context of one call, as data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireContext {
    /// `Context::request_id`.
    pub request_id: String,
    /// `Context::account_id`.
    pub account_id: String,
    /// `"ak"` or `"bearer"`.
    pub principal_kind: String,
    /// AccessKeyId or token subject.
    pub principal: String,
    /// `Context::role`, [`ccgate_plugin_sdk::Role::as_str`].
    pub role: String,
    /// `Context::instance_id`.
    pub instance_id: Option<String>,
    /// `Context::account_instances`.
    pub account_instances: Vec<String>,
    /// Where statements run.
    pub backend: Backend,
    /// `Context::caller_scope`.
    pub caller_scope: Option<ccgate_plugin_sdk::CallerScope>,
    /// `Context::token` (absent in messages of older hosts).
    #[serde(default)]
    pub token: Option<ccgate_plugin_sdk::TokenGrant>,
}

impl WireContext {
    /// The role (an unknown name acts as an agent: least privilege).
    pub fn role(&self) -> ccgate_plugin_sdk::Role {
        ccgate_plugin_sdk::Role::parse(&self.role).unwrap_or(ccgate_plugin_sdk::Role::Agent)
    }

    /// The principal.
    pub fn principal(&self) -> Principal {
        if self.principal_kind == "bearer" {
            Principal::Bearer {
                subject: self.principal.clone(),
            }
        } else {
            Principal::AccessKey {
                id: self.principal.clone(),
            }
        }
    }

    /// Kind and name of a principal.
    pub fn principal_parts(p: &Principal) -> (String, String) {
        match p {
            Principal::AccessKey { id } => ("ak".into(), id.clone()),
            Principal::Bearer { subject } => ("bearer".into(), subject.clone()),
        }
    }
}

/// `Plugin::handle`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HandleRequest {
    /// [`MESSAGE_VERSION`].
    pub v: u32,
    /// Index of the action in [`PluginInfo::actions`].
    pub action: u32,
    /// The context.
    pub ctx: WireContext,
    /// Decoded parameters.
    pub params: BTreeMap<String, String>,
    /// `true` for the 2020 `Parameter.Null` style.
    pub v2020_errors: bool,
    /// A JSON body (Huawei dialects).
    #[serde(with = "opt_json_text")]
    pub json_body: Option<serde_json::Value>,
}

impl HandleRequest {
    /// The error style.
    pub fn style(&self) -> ErrorStyle {
        if self.v2020_errors {
            ErrorStyle::V2020
        } else {
            ErrorStyle::Legacy
        }
    }
}

/// A [`HandleRequest`] written from borrowed data (the host's hot path: no copies of the
/// context and parameters before serializing). Reads back as a [`HandleRequest`].
#[derive(Debug, Serialize)]
pub struct HandleRequestRef<'a> {
    /// [`MESSAGE_VERSION`].
    pub v: u32,
    /// Index of the action in [`PluginInfo::actions`].
    pub action: u32,
    /// The context.
    pub ctx: WireContextRef<'a>,
    /// Decoded parameters.
    pub params: &'a BTreeMap<String, String>,
    /// `true` for the 2020 `Parameter.Null` style.
    pub v2020_errors: bool,
    /// A JSON body (Huawei dialects).
    #[serde(serialize_with = "opt_json_text::serialize")]
    pub json_body: Option<&'a serde_json::Value>,
}

/// A [`WireContext`] written from borrowed data.
#[derive(Debug, Serialize)]
pub struct WireContextRef<'a> {
    /// `Context::request_id`.
    pub request_id: &'a str,
    /// `Context::account_id`.
    pub account_id: &'a str,
    /// `"ak"` or `"bearer"`.
    pub principal_kind: &'a str,
    /// AccessKeyId or token subject.
    pub principal: &'a str,
    /// `Context::role`.
    pub role: &'a str,
    /// `Context::instance_id`.
    pub instance_id: Option<&'a str>,
    /// `Context::account_instances`.
    pub account_instances: &'a [String],
    /// Where statements run.
    pub backend: Backend,
    /// `Context::caller_scope`.
    pub caller_scope: Option<&'a ccgate_plugin_sdk::CallerScope>,
    /// `Context::token`.
    pub token: Option<&'a ccgate_plugin_sdk::TokenGrant>,
}

impl<'a> WireContextRef<'a> {
    /// Borrows the wire fields of `ctx`.
    pub fn of(ctx: &'a ccgate_plugin_sdk::Context) -> Self {
        let (principal_kind, principal) = match &ctx.principal {
            Principal::AccessKey { id } => ("ak", id.as_str()),
            Principal::Bearer { subject } => ("bearer", subject.as_str()),
        };
        Self {
            request_id: &ctx.request_id,
            account_id: &ctx.account_id,
            principal_kind,
            principal,
            role: ctx.role.as_str(),
            instance_id: ctx.instance_id.as_deref(),
            account_instances: &ctx.account_instances,
            backend: Backend::from_sea(ctx.db.get_database_backend()),
            caller_scope: ctx.caller_scope.as_ref(),
            token: ctx.token.as_ref(),
        }
    }
}

/// `Plugin::query`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryRequest {
    /// [`MESSAGE_VERSION`].
    pub v: u32,
    /// The calling request's action (it may belong to another plugin).
    pub spec: WireSpec,
    /// The context.
    pub ctx: WireContext,
    /// Query name.
    pub name: String,
    /// Arguments.
    #[serde(with = "json_text")]
    pub args: serde_json::Value,
}

/// `Plugin::init`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InitRequest {
    /// [`MESSAGE_VERSION`].
    pub v: u32,
    /// The plugin's `[plugins.<name>]` table (`null` when absent).
    #[serde(with = "json_text")]
    pub settings: serde_json::Value,
}

/// `Plugin::migrate` and `Plugin::on_instance_created`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StorageRequest {
    /// [`MESSAGE_VERSION`].
    pub v: u32,
    /// Where statements run.
    pub backend: Backend,
    /// The new instance, for `on_instance_created`.
    pub instance_id: Option<String>,
}

/// `ServicesResponse::result` with its JSON value carried as text (see [`json_text`]).
mod services_result {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    type Answer = Result<Option<serde_json::Value>, (u16, String, String)>;

    #[derive(Serialize, Deserialize)]
    enum Repr<'a> {
        Ok(Option<&'a str>),
        Err(u16, &'a str, &'a str),
    }

    pub fn serialize<S: Serializer>(v: &Answer, s: S) -> Result<S::Ok, S::Error> {
        let text = match v {
            Ok(Some(json)) => Some(json.to_string()),
            _ => None,
        };
        match v {
            Ok(_) => Repr::Ok(text.as_deref()),
            Err((status, code, message)) => Repr::Err(*status, code, message),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Answer, D::Error> {
        Ok(match Repr::deserialize(d)? {
            Repr::Ok(None) => Ok(None),
            Repr::Ok(Some(text)) => Ok(Some(
                serde_json::from_str(text).map_err(serde::de::Error::custom)?,
            )),
            Repr::Err(status, code, message) => Err((status, code.into(), message.into())),
        })
    }
}

/// Writes a [`CallOutcome`]. A successful reply is framed so that its JSON text travels as is
/// (not escaped into a JSON string, which cost more than the rest of a cached call):
/// `b'R'`, the header length (u32, little endian), the header (`{"v":1,"keys":[...]}`), then
/// the reply's JSON bytes. Every other outcome is `b'J'` followed by the JSON of the outcome.
pub fn encode_outcome(outcome: &CallOutcome) -> Vec<u8> {
    if let Outcome::Ok { json, keys } = &outcome.result {
        return encode_reply(keys, json);
    }
    let mut out = vec![b'J'];
    out.extend_from_slice(&encode(outcome));
    out
}

/// The frame of a successful outcome (see [`encode_outcome`]) written straight from a reply's
/// field names and JSON text.
pub fn encode_reply(keys: &[String], json: &str) -> Vec<u8> {
    let header = encode(&ReplyHeaderRef {
        v: MESSAGE_VERSION,
        keys,
    });
    let mut out = Vec::with_capacity(5 + header.len() + json.len());
    out.push(b'R');
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(json.as_bytes());
    out
}

#[derive(Serialize)]
struct ReplyHeaderRef<'a> {
    v: u32,
    keys: &'a [String],
}

/// Reads what [`encode_outcome`] wrote.
///
/// Errors: a truncated or unknown frame, malformed JSON, another [`MESSAGE_VERSION`], or a
/// reply that is not UTF-8.
pub fn decode_outcome(bytes: &[u8]) -> Result<CallOutcome, String> {
    match bytes.split_first() {
        Some((b'J', rest)) => decode(rest),
        Some((b'R', rest)) if rest.len() >= 4 => {
            let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            let rest = &rest[4..];
            if rest.len() < len {
                return Err("truncated reply frame".into());
            }
            let header: ReplyHeader = decode(&rest[..len])?;
            let json = simdutf8::basic::from_utf8(&rest[len..])
                .map_err(|_| "reply is not UTF-8".to_string())?
                .to_string();
            Ok(CallOutcome {
                v: header.v,
                result: Outcome::Ok {
                    json,
                    keys: header.keys,
                },
            })
        }
        _ => Err("unknown outcome frame".into()),
    }
}

/// The message of a `handle` answer whose reply text travels separately, lent by the plugin
/// ([`crate::ffi::Answer::text`]): `b'L'`, then the header (`v` and the reply's field names).
pub fn encode_lent_reply(keys: &[String]) -> Vec<u8> {
    encode_into(
        &ReplyHeaderRef {
            v: MESSAGE_VERSION,
            keys,
        },
        vec![b'L'],
    )
}

/// What the message of a `handle` answer says.
#[derive(Debug)]
pub enum HandleAnswer {
    /// A reply with these field names, its JSON text lent beside the message.
    Lent {
        /// Field names of the reply, in order.
        keys: Vec<String>,
    },
    /// Any other outcome (framed as by [`encode_outcome`]).
    Outcome(CallOutcome),
}

/// Reads the message of a `handle` answer: [`encode_lent_reply`] or [`encode_outcome`].
///
/// Errors: as [`decode_outcome`].
pub fn decode_handle_answer(bytes: &[u8]) -> Result<HandleAnswer, String> {
    match bytes.split_first() {
        Some((b'L', rest)) => {
            let header: ReplyHeader = decode(rest)?;
            Ok(HandleAnswer::Lent { keys: header.keys })
        }
        _ => decode_outcome(bytes).map(HandleAnswer::Outcome),
    }
}

#[derive(Serialize, Deserialize)]
struct ReplyHeader {
    v: u32,
    keys: Vec<String>,
}

impl Versioned for ReplyHeader {
    fn version(&self) -> u32 {
        self.v
    }
}

/// How a plugin call ended (written with [`encode_outcome`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallOutcome {
    /// [`MESSAGE_VERSION`].
    pub v: u32,
    /// The result.
    pub result: Outcome,
}

/// The result of a plugin call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Outcome {
    /// A reply: its JSON object text and its field names in order (for `handle`); a JSON value
    /// (for `query`); `null` (for `migrate` and `on_instance_created`).
    Ok {
        /// JSON text.
        json: String,
        /// Field names of a reply, in order.
        keys: Vec<String>,
    },
    /// An API error.
    Api {
        /// HTTP status.
        status: u16,
        /// Error code.
        code: String,
        /// Message.
        message: String,
    },
    /// A storage error (`migrate`, `on_instance_created`).
    Db {
        /// The error text.
        message: String,
    },
    /// The call panicked; the plugin stays loaded.
    Panic {
        /// The panic message.
        message: String,
    },
    /// The request could not be read (version or format mismatch).
    Refused {
        /// Why.
        message: String,
    },
    /// A task returned an error (`run_task`).
    TaskFailed {
        /// The task's message.
        message: String,
    },
}

impl CallOutcome {
    /// Wraps a result.
    pub fn new(result: Outcome) -> Self {
        Self {
            v: MESSAGE_VERSION,
            result,
        }
    }

    /// An API error outcome.
    pub fn api(e: &ApiError) -> Self {
        Self::new(Outcome::Api {
            status: e.status,
            code: e.code.to_string(),
            message: e.message.clone(),
        })
    }
}

/// One storage operation of a plugin, run by the host.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DbRequest {
    /// [`MESSAGE_VERSION`].
    pub v: u32,
    /// What to do.
    pub op: DbOp,
}

/// A storage operation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum DbOp {
    /// A statement returning rows.
    Query(WireStatement),
    /// A statement returning a row count.
    Execute(WireStatement),
    /// Begin a transaction (a savepoint when one is open).
    Begin,
    /// Commit the innermost transaction.
    Commit,
    /// Roll back the innermost transaction.
    Rollback,
}

/// SQL with bound values.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireStatement {
    /// The SQL, with the backend's placeholders.
    pub sql: String,
    /// Bound values, in order.
    pub values: Option<Vec<WireValue>>,
}

/// The host's answer to a [`DbRequest`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DbResponse {
    /// [`MESSAGE_VERSION`].
    pub v: u32,
    /// The result.
    pub result: DbResult,
}

/// The result of a storage operation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum DbResult {
    /// Rows: per row, column name and value.
    Rows(Vec<Vec<(String, WireValue)>>),
    /// A statement's effect.
    Exec {
        /// Last inserted id (MySQL, SQLite).
        last_insert_id: u64,
        /// Rows affected.
        rows_affected: u64,
    },
    /// Begin/commit/rollback done.
    Done,
    /// The operation failed.
    Err {
        /// `unique`, `foreign_key`, `conn`, `exec`, `query`, `type` or `other`.
        kind: String,
        /// The database's message.
        message: String,
    },
}

impl DbResponse {
    /// Wraps a result.
    pub fn new(result: DbResult) -> Self {
        Self {
            v: MESSAGE_VERSION,
            result,
        }
    }
}

/// A value bound to, or read from, a statement. Bound values keep sea-query's exact variant
/// (the drivers encode by type); read values are typed by the column (integers all arrive as
/// `BigInt`; the plugin narrows them to the entity's type, see [`crate::guest::ColumnHints`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WireValue {
    /// Boolean.
    Bool(Option<bool>),
    /// i8.
    TinyInt(Option<i8>),
    /// i16.
    SmallInt(Option<i16>),
    /// i32.
    Int(Option<i32>),
    /// i64.
    BigInt(Option<i64>),
    /// u8.
    TinyUnsigned(Option<u8>),
    /// u16.
    SmallUnsigned(Option<u16>),
    /// u32.
    Unsigned(Option<u32>),
    /// u64.
    BigUnsigned(Option<u64>),
    /// f32.
    Float(Option<f32>),
    /// f64.
    Double(Option<f64>),
    /// Text.
    String(Option<String>),
    /// One character.
    Char(Option<char>),
    /// Binary.
    Bytes(Option<Vec<u8>>),
    /// JSON.
    Json(#[serde(with = "opt_json_text")] Option<serde_json::Value>),
}

impl WireValue {
    /// From sea-query.
    ///
    /// Errors: a variant the boundary does not carry (dates and times, enums, decimals, uuids:
    /// ccgate stores times as epoch milliseconds and ids as text).
    pub fn from_value(v: &Value) -> Result<Self, String> {
        Ok(match v {
            Value::Bool(x) => Self::Bool(*x),
            Value::TinyInt(x) => Self::TinyInt(*x),
            Value::SmallInt(x) => Self::SmallInt(*x),
            Value::Int(x) => Self::Int(*x),
            Value::BigInt(x) => Self::BigInt(*x),
            Value::TinyUnsigned(x) => Self::TinyUnsigned(*x),
            Value::SmallUnsigned(x) => Self::SmallUnsigned(*x),
            Value::Unsigned(x) => Self::Unsigned(*x),
            Value::BigUnsigned(x) => Self::BigUnsigned(*x),
            Value::Float(x) => Self::Float(*x),
            Value::Double(x) => Self::Double(*x),
            Value::String(x) => Self::String(x.clone()),
            Value::Char(x) => Self::Char(*x),
            Value::Bytes(x) => Self::Bytes(x.clone()),
            Value::Json(x) => Self::Json(x.as_deref().cloned()),
            other => {
                return Err(format!(
                    "value {other:?} cannot cross the plugin boundary (supported: booleans, \
                     integers, floats, text, bytes, JSON)"
                ));
            }
        })
    }

    /// To sea-query, keeping the variant.
    pub fn to_value(&self) -> Value {
        match self.clone() {
            Self::Bool(x) => Value::Bool(x),
            Self::TinyInt(x) => Value::TinyInt(x),
            Self::SmallInt(x) => Value::SmallInt(x),
            Self::Int(x) => Value::Int(x),
            Self::BigInt(x) => Value::BigInt(x),
            Self::TinyUnsigned(x) => Value::TinyUnsigned(x),
            Self::SmallUnsigned(x) => Value::SmallUnsigned(x),
            Self::Unsigned(x) => Value::Unsigned(x),
            Self::BigUnsigned(x) => Value::BigUnsigned(x),
            Self::Float(x) => Value::Float(x),
            Self::Double(x) => Value::Double(x),
            Self::String(x) => Value::String(x),
            Self::Char(x) => Value::Char(x),
            Self::Bytes(x) => Value::Bytes(x),
            Self::Json(x) => Value::Json(x.map(Box::new)),
        }
    }
}

/// A cross-plugin query from a dynamic plugin, run by the host's registry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServicesRequest {
    /// [`MESSAGE_VERSION`].
    pub v: u32,
    /// Target plugin.
    pub plugin: String,
    /// Query name.
    pub name: String,
    /// Arguments.
    #[serde(with = "json_text")]
    pub args: serde_json::Value,
}

/// The host's answer to a [`ServicesRequest`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServicesResponse {
    /// [`MESSAGE_VERSION`].
    pub v: u32,
    /// `Ok(None)`: the plugin is not enabled.
    #[serde(with = "services_result")]
    pub result: Result<Option<serde_json::Value>, (u16, String, String)>,
}

/// One tracing event of a plugin, re-emitted by the host with the request's RequestId.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogEvent {
    /// [`MESSAGE_VERSION`].
    pub v: u32,
    /// 1 error, 2 warn, 3 info, 4 debug, 5 trace.
    pub level: u8,
    /// The event's target (module path).
    pub target: String,
    /// The `message` field.
    pub message: String,
    /// The other fields, formatted with `Debug`/`Display`.
    pub fields: Vec<(String, String)>,
}

/// A log level as a number (see [`LogEvent::level`]).
pub fn level_number(level: &tracing::Level) -> u8 {
    match *level {
        tracing::Level::ERROR => 1,
        tracing::Level::WARN => 2,
        tracing::Level::INFO => 3,
        tracing::Level::DEBUG => 4,
        tracing::Level::TRACE => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip_and_replies_are_not_escaped() {
        let reply = CallOutcome::new(Outcome::Ok {
            json: r#"{"A":"x\"y","B":[1,2]}"#.into(),
            keys: vec!["A".into(), "B".into()],
        });
        let bytes = encode_outcome(&reply);
        assert!(
            bytes.ends_with(br#"{"A":"x\"y","B":[1,2]}"#),
            "raw JSON at the end"
        );
        match decode_outcome(&bytes).unwrap().result {
            Outcome::Ok { json, keys } => {
                assert_eq!(json, r#"{"A":"x\"y","B":[1,2]}"#);
                assert_eq!(keys, ["A", "B"]);
            }
            other => panic!("{other:?}"),
        }
        let panic = CallOutcome::new(Outcome::Panic {
            message: "boom".into(),
        });
        match decode_outcome(&encode_outcome(&panic)).unwrap().result {
            Outcome::Panic { message } => assert_eq!(message, "boom"),
            other => panic!("{other:?}"),
        }
        assert!(decode_outcome(b"R\x05").is_err());
        assert!(decode_outcome(b"").is_err());
        // A header of another message version is refused by name.
        let header = encode(&ReplyHeaderRef {
            v: 9,
            keys: &["A".to_string()],
        });
        let mut other_version = vec![b'R'];
        other_version.extend_from_slice(&(header.len() as u32).to_le_bytes());
        other_version.extend_from_slice(&header);
        other_version.extend_from_slice(b"{}");
        assert!(
            decode_outcome(&other_version)
                .unwrap_err()
                .contains("message version 9")
        );
    }

    #[test]
    fn tasks_subscriptions_and_events_round_trip() {
        let info = PluginInfo {
            v: MESSAGE_VERSION,
            name: "p".into(),
            version: "1".into(),
            actions: Vec::new(),
            tasks: vec!["engine".into(), "sweeper".into()],
            subscriptions: vec![WireSubscription {
                name: "p.audit".into(),
                topics: vec!["a.b".into(), "c.d".into()],
            }],
        };
        let read: PluginInfo = decode(&encode(&info)).unwrap();
        assert_eq!(read.tasks, info.tasks);
        assert_eq!(read.subscriptions, info.subscriptions);

        let event = ccgate_plugin_sdk::StoredEvent {
            id: 42,
            topic: "a.b".into(),
            stream: "i/1".into(),
            payload: r#"{"k":"v\"w","n":[1,2.5]}"#.into(),
            recorded_at: chrono::DateTime::from_timestamp_millis(1_700_000_000_321).unwrap(),
        };
        let req = EventRequest {
            v: MESSAGE_VERSION,
            subscription: 0,
            attempt: 3,
            backend: Backend::Mysql,
            event: WireEvent::from_event(&event),
        };
        let read: EventRequest = decode(&encode(&req)).unwrap();
        assert_eq!((read.subscription, read.attempt), (0, 3));
        assert_eq!(read.backend, Backend::Mysql);
        assert_eq!(
            read.event.into_event(),
            event,
            "the payload text travels byte for byte"
        );

        let task: TaskRequest = decode(&encode(&TaskRequest {
            v: MESSAGE_VERSION,
            index: 1,
            backend: Backend::Postgres,
        }))
        .unwrap();
        assert_eq!((task.index, task.backend), (1, Backend::Postgres));

        let failed = CallOutcome::new(Outcome::TaskFailed {
            message: "lost the line".into(),
        });
        match decode_outcome(&encode_outcome(&failed)).unwrap().result {
            Outcome::TaskFailed { message } => assert_eq!(message, "lost the line"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lent_replies_carry_only_their_field_names() {
        let keys = vec!["Data".to_string(), "Code".to_string()];
        match decode_handle_answer(&encode_lent_reply(&keys)).unwrap() {
            HandleAnswer::Lent { keys: read } => assert_eq!(read, keys),
            other => panic!("{other:?}"),
        }
        let api = CallOutcome::new(Outcome::Api {
            status: 400,
            code: "Parameter.Invalid".into(),
            message: "bad".into(),
        });
        match decode_handle_answer(&encode_outcome(&api)).unwrap() {
            HandleAnswer::Outcome(CallOutcome {
                result: Outcome::Api { code, .. },
                ..
            }) => assert_eq!(code, "Parameter.Invalid"),
            other => panic!("{other:?}"),
        }
    }

    fn encode_spec(spec: &WireSpec) -> Vec<u8> {
        postcard::to_allocvec(spec).unwrap()
    }

    fn decode_spec(bytes: &[u8]) -> WireSpec {
        postcard::from_bytes(bytes).unwrap()
    }

    #[test]
    fn json_values_travel_as_text_inside_postcard_messages() {
        let body = serde_json::json!({"taskId": 7, "names": ["a", "b\"c"]});
        let params = BTreeMap::from([("InstanceId".to_string(), "i-1".to_string())]);
        let scope = ccgate_plugin_sdk::CallerScope {
            user_id: "u-1".into(),
            login_name: "lea".into(),
            role: ccgate_plugin_sdk::Role::SkillGroupLeader,
            led_skill_group_ids: vec!["sg-1".into(), "sg-2".into()],
        };
        let bytes = encode(&HandleRequestRef {
            v: MESSAGE_VERSION,
            action: 3,
            ctx: WireContextRef {
                request_id: "R",
                account_id: "acc",
                principal_kind: "ak",
                principal: "AK1",
                role: "agent",
                instance_id: Some("i-1"),
                account_instances: &[],
                backend: Backend::Postgres,
                caller_scope: Some(&scope),
                token: None,
            },
            params: &params,
            v2020_errors: true,
            json_body: Some(&body),
        });
        let read: HandleRequest = decode(&bytes).unwrap();
        assert_eq!(read.action, 3);
        assert_eq!(read.params, params);
        assert_eq!(read.json_body, Some(body.clone()));
        assert_eq!(read.ctx.backend, Backend::Postgres);
        assert_eq!(read.ctx.role(), ccgate_plugin_sdk::Role::Agent);
        assert_eq!(read.ctx.caller_scope, Some(scope));
        assert_eq!(read.style(), ErrorStyle::V2020);

        // A spec's `[access]` crosses as data and comes back interned.
        let spec = ccgate_plugin_sdk::ActionSpec::rpc("2020-07-01", "SignInGroup").with_access(
            ccgate_plugin_sdk::Access {
                skill_groups: &["SkillGroupIdList"],
                users: &["UserId", "RamId"],
                self_only: true,
            },
        );
        let wire: WireSpec = decode_spec(&encode_spec(&WireSpec::from_spec(&spec)));
        let back = wire.to_spec(&intern).unwrap();
        assert_eq!(back, spec);
        assert!(std::ptr::eq(
            back.access.users,
            wire.to_spec(&intern).unwrap().access.users
        ));

        let row = DbResponse::new(DbResult::Rows(vec![vec![
            ("doc".into(), WireValue::Json(Some(body.clone()))),
            ("none".into(), WireValue::Json(None)),
            ("n".into(), WireValue::BigInt(Some(-5))),
        ]]));
        let read: DbResponse = decode(&encode(&row)).unwrap();
        assert_eq!(format!("{:?}", read.result), format!("{:?}", row.result));

        for result in [
            Ok(Some(body)),
            Ok(None),
            Err((404, "NotFound".into(), "x".into())),
        ] {
            let msg = ServicesResponse {
                v: MESSAGE_VERSION,
                result: result.clone(),
            };
            let read: ServicesResponse = decode(&encode(&msg)).unwrap();
            assert_eq!(read.result, result);
        }
        assert!(
            decode::<ServicesResponse>(&[9, 0])
                .unwrap_err()
                .contains("message version 9 is not supported")
        );
        assert!(decode::<ServicesResponse>(&[]).is_err());
    }
}
