//! The `Plugin` trait every domain crate implements, and `Reply`, what a handler returns.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use sea_orm::{DatabaseConnection, DbErr};
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
/// front; for Huawei actions the map is the whole body.
///
/// Usually built field by field ([`Reply::empty`], [`Reply::with`]). A reply rendered once and
/// served many times (a cache hit) is a [`SharedReply`]: turning it into a `Reply` costs a
/// reference count, and the gateway writes its JSON as rendered instead of copying and
/// serializing the fields again.
#[derive(Clone)]
pub struct Reply(Repr);

#[derive(Clone)]
enum Repr {
    Fields(Map<String, Value>),
    Shared(SharedReply),
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

    /// Appends one field (a shared reply is copied first).
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
        }
    }

    /// The fields, in order (a shared reply is copied).
    pub fn into_fields(self) -> Map<String, Value> {
        match self.0 {
            Repr::Fields(m) => m,
            Repr::Shared(s) => s.fields().clone(),
        }
    }

    /// The fields as one JSON object value.
    pub fn into_value(self) -> Value {
        Value::Object(self.into_fields())
    }

    /// The reply rendered before, when it is a [`SharedReply`]: write its JSON as is.
    pub fn shared(&self) -> Option<&SharedReply> {
        match &self.0 {
            Repr::Fields(_) => None,
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
        if let Repr::Shared(s) = reply.0 {
            return s;
        }
        let fields = reply.into_fields();
        let json = serde_json::to_string(&fields).unwrap_or_else(|_| "{}".to_string());
        Self(Arc::new(Rendered {
            json: Text::Owned(json.into_boxed_str()),
            keys: fields.keys().cloned().collect(),
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

    /// Every action this plugin serves.
    fn actions(&self) -> Vec<ActionSpec>;

    /// Creates or upgrades this plugin's tables. Runs at start-up and on `ccgate migrate`;
    /// must be idempotent.
    async fn migrate(&self, db: &DatabaseConnection) -> Result<(), DbErr>;

    /// Serves one call of `ctx.spec`.
    async fn handle(&self, ctx: &Context, params: &Params) -> ApiResult<Reply>;

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
