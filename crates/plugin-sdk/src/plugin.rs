//! The `Plugin` trait every domain crate implements, and `Reply`, what a handler returns.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use sea_orm::{DatabaseConnection, DbErr};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::action::ActionSpec;
use crate::context::Context;
use crate::error::{ApiError, ApiResult};
use crate::events::{EventContext, StoredEvent, Subscription};
use crate::params::Params;
use crate::task::TaskContext;

/// The action-specific fields of a successful response, in documented order.
///
/// For Alibaba actions the gateway puts the common envelope (`RequestId`, `Code`, ...) in
/// front; for Huawei actions the body is the whole response.
///
/// Three forms, one type:
/// - **typed** ([`Reply::typed`]): a generated `Response` struct, kept as is until the
///   envelope serializes it straight into the response body (one pass, no intermediate JSON
///   tree). This is what generated `dispatch` returns for every action;
/// - **shared** ([`SharedReply`]): rendered once and served many times (a cache hit);
///   turning it into a `Reply` costs a reference count, and the gateway writes its JSON as
///   rendered;
/// - **fields** ([`Reply::empty`], [`Reply::with`], [`Reply::from_json`]): a JSON map, for
///   tests and the plugin boundary.
#[derive(Clone)]
pub struct Reply(Repr);

#[derive(Clone)]
enum Repr {
    Fields(Map<String, Value>),
    Shared(SharedReply),
    Typed(Typed),
}

/// A generated response struct behind a reference count, with its field names.
#[derive(Clone)]
struct Typed {
    body: Arc<dyn ErasedBody>,
    keys: &'static [&'static str],
    /// The fields as JSON, built only when asked for ([`Reply::fields`]: XML answers, tests).
    fields: Arc<OnceLock<Map<String, Value>>>,
}

/// A response body the gateway can serialize without knowing its type.
trait ErasedBody: Send + Sync {
    fn write_json(&self, out: &mut Vec<u8>);
    fn to_fields(&self) -> Map<String, Value>;
    fn as_serialize(&self) -> &dyn erased_serde::Serialize;
}

impl<T: Serialize + Send + Sync> ErasedBody for T {
    fn write_json(&self, out: &mut Vec<u8>) {
        if let Err(e) = serde_json::to_writer(&mut *out, self) {
            debug_assert!(false, "response body did not serialize: {e}");
            out.extend_from_slice(b"{}");
        }
    }

    fn to_fields(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            other => {
                debug_assert!(
                    false,
                    "a response body must serialize to an object: {other:?}"
                );
                Map::new()
            }
        }
    }

    fn as_serialize(&self) -> &dyn erased_serde::Serialize {
        self
    }
}

/// A generated response struct (`api::<action>::Response`, a shared shape, ...): a serde
/// object whose top-level field names, in order, are [`ResponseBody::FIELDS`].
///
/// Implemented by `cargo xtask codegen` for every response struct; a hand-written
/// implementation must keep `FIELDS` equal to the serialized keys.
pub trait ResponseBody: Serialize + Send + Sync + 'static {
    /// The JSON names of the top-level fields, in serialization order.
    const FIELDS: &'static [&'static str];
}

/// The reply of an action whose spec documents no response field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Empty {}

impl ResponseBody for Empty {
    const FIELDS: &'static [&'static str] = &[];
}

impl Default for Reply {
    fn default() -> Self {
        Self::empty()
    }
}

impl PartialEq for Reply {
    fn eq(&self, other: &Self) -> bool {
        self.fields() == other.fields()
    }
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Reply").field(self.fields()).finish()
    }
}

impl Reply {
    /// A reply with no action-specific fields.
    pub fn empty() -> Self {
        Self(Repr::Fields(Map::new()))
    }

    /// A reply from a JSON object (`json!({...})`); anything else is a programming error and
    /// yields an empty reply in release builds.
    pub fn from_json(value: Value) -> Self {
        match value {
            Value::Object(map) => Self(Repr::Fields(map)),
            other => {
                debug_assert!(false, "Reply::from_json needs an object, got {other}");
                Self::empty()
            }
        }
    }

    /// A typed reply: `body` is serialized once, when the response is written.
    pub fn typed<T: ResponseBody>(body: T) -> Self {
        Self(Repr::Typed(Typed {
            body: Arc::new(body),
            keys: T::FIELDS,
            fields: Arc::new(OnceLock::new()),
        }))
    }

    /// Appends one field (a shared or typed reply is copied first).
    pub fn with(self, key: &str, value: Value) -> Self {
        let mut fields = self.into_fields();
        fields.insert(key.to_string(), value);
        Self(Repr::Fields(fields))
    }

    /// The fields, in order.
    pub fn fields(&self) -> &Map<String, Value> {
        match &self.0 {
            Repr::Fields(m) => m,
            Repr::Shared(s) => s.fields(),
            Repr::Typed(t) => t.fields.get_or_init(|| t.body.to_fields()),
        }
    }

    /// The fields, in order (a shared or typed reply is converted).
    pub fn into_fields(self) -> Map<String, Value> {
        match self.0 {
            Repr::Fields(m) => m,
            Repr::Shared(s) => s.fields().clone(),
            Repr::Typed(t) => match t.fields.get() {
                Some(m) => m.clone(),
                None => t.body.to_fields(),
            },
        }
    }

    /// Calls `f` with the reply's body as a serde value that serializes to the reply's JSON
    /// object: a typed reply's struct (not converted), a fields reply's map, a shared reply's
    /// fields (parsed on first use). For serializers other than JSON (the gateway's XML).
    pub fn with_body<R>(&self, f: impl FnOnce(&dyn erased_serde::Serialize) -> R) -> R {
        match &self.0 {
            Repr::Fields(m) => f(m),
            Repr::Shared(s) => f(s.fields()),
            Repr::Typed(t) => f(t.body.as_serialize()),
        }
    }

    /// The top-level field names, in order.
    pub fn keys(&self) -> Vec<&str> {
        match &self.0 {
            Repr::Fields(m) => m.keys().map(String::as_str).collect(),
            Repr::Shared(s) => s.keys().iter().map(String::as_str).collect(),
            Repr::Typed(t) => t.keys.to_vec(),
        }
    }

    /// Whether the reply has a top-level field `key`, without rendering it.
    pub fn has_field(&self, key: &str) -> bool {
        match &self.0 {
            Repr::Fields(m) => m.contains_key(key),
            Repr::Shared(s) => s.has_field(key),
            Repr::Typed(t) => t.keys.contains(&key),
        }
    }

    /// Appends the reply's JSON object to `out`. Typed replies are serialized straight into
    /// `out`, shared ones copied as rendered.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        match &self.0 {
            Repr::Fields(m) => {
                let _ = serde_json::to_writer(&mut *out, m);
            }
            Repr::Shared(s) => out.extend_from_slice(s.json().as_bytes()),
            Repr::Typed(t) => t.body.write_json(out),
        }
    }

    /// The fields as one JSON object value.
    pub fn into_value(self) -> Value {
        Value::Object(self.into_fields())
    }

    /// The reply rendered before, when it is a [`SharedReply`]: write its JSON as is.
    pub fn shared(&self) -> Option<&SharedReply> {
        match &self.0 {
            Repr::Fields(_) | Repr::Typed(_) => None,
            Repr::Shared(s) => Some(s),
        }
    }
}

impl From<SharedReply> for Reply {
    fn from(shared: SharedReply) -> Self {
        Self(Repr::Shared(shared))
    }
}

/// A [`Reply`] rendered to JSON once, to serve many times (e.g. from a cache). Cloning it costs
/// a reference count. It keeps only the JSON text; [`SharedReply::fields`] parses it back on
/// first use (for XML answers), which gives the same fields in the same order.
#[derive(Clone)]
pub struct SharedReply(Arc<Rendered>);

struct Rendered {
    json: Text,
    keys: Box<[String]>,
    fields: OnceLock<Map<String, Value>>,
}

/// The JSON text of a rendered reply: owned, or held by someone else until dropped (a reply
/// lent by a plugin library, released through that library).
enum Text {
    Owned(Box<str>),
    Held(Box<dyn AsRef<str> + Send + Sync>),
}

impl Text {
    fn as_str(&self) -> &str {
        match self {
            Text::Owned(s) => s,
            Text::Held(h) => (**h).as_ref(),
        }
    }
}

impl SharedReply {
    /// Renders `reply` to JSON.
    pub fn new(reply: Reply) -> Self {
        let keys = match reply.0 {
            Repr::Shared(s) => return s,
            _ => reply.keys().into_iter().map(str::to_string).collect(),
        };
        let mut json = Vec::with_capacity(256);
        reply.write_json(&mut json);
        let json = String::from_utf8(json).unwrap_or_else(|_| "{}".to_string());
        Self(Arc::new(Rendered {
            json: Text::Owned(json.into_boxed_str()),
            keys,
            fields: OnceLock::new(),
        }))
    }

    /// A reply rendered elsewhere: `json` must be the JSON object of the fields and `keys`
    /// their names in order (what [`SharedReply::json`] and [`SharedReply::keys`] give). Used
    /// for replies of plugins loaded as dynamic libraries, which arrive rendered.
    pub fn from_parts(json: String, keys: Vec<String>) -> Self {
        Self(Arc::new(Rendered {
            json: Text::Owned(json.into_boxed_str()),
            keys: keys.into_boxed_slice(),
            fields: OnceLock::new(),
        }))
    }

    /// As [`SharedReply::from_parts`], with the JSON text held by `text` (read through
    /// `AsRef<str>`, dropped with the last clone of this reply) instead of copied. Used for
    /// replies a plugin library lends the gateway.
    pub fn from_held(text: Box<dyn AsRef<str> + Send + Sync>, keys: Vec<String>) -> Self {
        Self(Arc::new(Rendered {
            json: Text::Held(text),
            keys: keys.into_boxed_slice(),
            fields: OnceLock::new(),
        }))
    }

    /// The field names, in order.
    pub fn keys(&self) -> &[String] {
        &self.0.keys
    }

    /// The JSON object of the fields.
    pub fn json(&self) -> &str {
        self.0.json.as_str()
    }

    /// Whether the reply has a field named `key` (without parsing the JSON).
    pub fn has_field(&self, key: &str) -> bool {
        self.0.keys.iter().any(|k| k == key)
    }

    /// The fields, parsed from the JSON on first use.
    pub fn fields(&self) -> &Map<String, Value> {
        self.0
            .fields
            .get_or_init(|| serde_json::from_str(self.0.json.as_str()).unwrap_or_default())
    }

    /// Bytes of JSON held (for cache weights).
    pub fn json_len(&self) -> usize {
        self.0.json.as_str().len()
    }
}

impl std::fmt::Debug for SharedReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SharedReply").field(&self.json()).finish()
    }
}

/// A domain of the contact-center API (contact flows, phone numbers, ...).
///
/// A plugin owns its actions, its tables and their migrations. It never sees HTTP: the
/// gateway authenticates, resolves the instance, decodes parameters, then calls
/// [`Plugin::handle`], and renders the result in the caller's dialect.
#[async_trait]
pub trait Plugin: Send + Sync + 'static {
    /// Short name used in config (`[plugins] enabled = ["flows"]`) and in cross-plugin queries.
    fn name(&self) -> &'static str;

    /// The plugin crate's version.
    fn version(&self) -> &'static str;

    /// Every action this plugin serves; a request names its action by the index in this list
    /// ([`Plugin::handle`]), so the order must not change while the plugin is loaded.
    fn actions(&self) -> Vec<ActionSpec>;

    /// Creates or upgrades this plugin's tables. Runs at start-up and on `ccgate migrate`;
    /// must be idempotent.
    async fn migrate(&self, db: &DatabaseConnection) -> Result<(), DbErr>;

    /// Reads this plugin's settings, the `[plugins.<name>]` table of the config file (with
    /// `CCGATE__PLUGINS__<NAME>__<KEY>` overrides) as a JSON object (`{}` when absent), and
    /// prepares the plugin to serve. The host calls it once, after [`Plugin::migrate`] and
    /// before the first request; a plugin that is never initialised (unit tests) serves with
    /// its default settings.
    ///
    /// Errors: one line naming the offending key (`plugins.numbers.list_cache_ttl_ms: invalid
    /// type: string "x", expected u64`); the host stops start-up with it.
    /// [`crate::settings::parse`] produces such lines.
    async fn init(&self, settings: &Value) -> Result<(), String> {
        let _ = settings;
        Ok(())
    }

    /// Serves one call of `ctx.spec`, the action at index `action` of [`Plugin::actions`] (the
    /// registry resolved it once; generated `dispatch` matches on the index).
    async fn handle(&self, ctx: &Context, action: usize, params: &Params) -> ApiResult<Reply>;

    /// Answers a read query from another plugin (see [`crate::Services`]). The default knows
    /// no queries.
    async fn query(&self, ctx: &Context, name: &str, args: Value) -> ApiResult<Value> {
        let _ = (ctx, args);
        Err(ApiError::new(
            500,
            "InternalError",
            format!("plugin {} has no query {name}", self.name()),
        ))
    }

    /// Called once when an instance is created (admin CLI or first start), e.g. to create a
    /// default contact flow. The default does nothing.
    async fn on_instance_created(
        &self,
        db: &DatabaseConnection,
        instance_id: &str,
    ) -> Result<(), DbErr> {
        let _ = (db, instance_id);
        Ok(())
    }

    /// Names of the long-running tasks this plugin wants the host to run (see [`crate::task`]),
    /// in order; [`Plugin::run_task`] gets a task's index in this list. The default has none.
    fn tasks(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// Runs task `index` of [`Plugin::tasks`] until `cx` says stop ([`TaskContext::stopped`]),
    /// then returns `Ok(())`.
    ///
    /// The host starts each task after migrations and before serving, on its own runtime.
    /// Errors: a message the host logs before starting the task again after a back-off (as it
    /// does for a panic). Returning `Ok(())` before being stopped ends the task for good.
    async fn run_task(&self, index: usize, cx: TaskContext) -> Result<(), String> {
        let _ = cx;
        Err(format!("plugin {} has no task #{index}", self.name()))
    }

    /// The event subscriptions of this plugin (see [`crate::events`]); [`Plugin::on_event`]
    /// gets a subscription's index in this list. The default has none.
    fn subscriptions(&self) -> Vec<Subscription> {
        Vec::new()
    }

    /// Handles one event of subscription `sub`, delivered in the log's order, at least once
    /// (make it idempotent: a crash after it succeeded but before the host stored the
    /// subscriber's position delivers the event again).
    ///
    /// Errors: the host logs the error and delivers the same event again after a back-off; no
    /// later event reaches this subscriber meanwhile. The default accepts every event.
    async fn on_event(
        &self,
        ctx: &EventContext,
        sub: usize,
        event: &StoredEvent,
    ) -> Result<(), ApiError> {
        let _ = (ctx, sub, event);
        Ok(())
    }

    /// Called once on shutdown (SIGTERM or SIGINT), after in-flight requests were drained and
    /// the plugin's tasks stopped; plugins are shut down in the reverse of their registration
    /// order. The default does nothing.
    async fn shutdown(&self) {}
}

#[cfg(test)]
mod reply_tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_held_reply_reads_its_holder_and_releases_it_with_the_last_clone() {
        use std::sync::atomic::{AtomicBool, Ordering};
        struct Holder(&'static str, Arc<AtomicBool>);
        impl AsRef<str> for Holder {
            fn as_ref(&self) -> &str {
                self.0
            }
        }
        impl Drop for Holder {
            fn drop(&mut self) {
                self.1.store(true, Ordering::SeqCst);
            }
        }
        let released = Arc::new(AtomicBool::new(false));
        let shared = SharedReply::from_held(
            Box::new(Holder(r#"{"Code":"OK","Data":[1]}"#, released.clone())),
            vec!["Code".into(), "Data".into()],
        );
        let reply = Reply::from(shared.clone());
        assert_eq!(shared.json(), r#"{"Code":"OK","Data":[1]}"#);
        assert!(shared.has_field("Data") && !shared.has_field("Message"));
        assert_eq!(reply.fields()["Data"], json!([1]));
        drop(shared);
        assert!(
            !released.load(Ordering::SeqCst),
            "a clone still holds the text"
        );
        drop(reply);
        assert!(released.load(Ordering::SeqCst));
    }

    #[test]
    fn shared_replies_keep_fields_and_order() {
        let reply = Reply::empty()
            .with("Zeta", json!({"B": 1, "A": [true, "x"]}))
            .with("Alpha", json!(u64::MAX));
        let shared = SharedReply::new(reply.clone());
        assert_eq!(
            shared.json(),
            r#"{"Zeta":{"B":1,"A":[true,"x"]},"Alpha":18446744073709551615}"#
        );
        let r = Reply::from(shared.clone());
        assert_eq!(r.shared().map(SharedReply::json), Some(shared.json()));
        assert!(shared.has_field("Alpha") && !shared.has_field("B"));
        assert_eq!(r, reply);
        assert_eq!(
            r.fields().keys().collect::<Vec<_>>(),
            ["Zeta", "Alpha"],
            "order survives the round trip"
        );
        assert_eq!(r.clone().into_value(), reply.clone().into_value());
        // Adding a field turns it back into an ordinary reply.
        let more = r.with("Omega", json!(null));
        assert!(more.shared().is_none());
        assert_eq!(more.fields().len(), 3);
        assert!(reply.shared().is_none());
    }
}
