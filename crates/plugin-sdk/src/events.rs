//! Events between plugins, through an outbox in the host's database.
//!
//! A plugin **publishes** a typed [`DomainEvent`] with [`publish`], passing the transaction of
//! the change that caused it: the event is a row of the host's event log (`core_events`)
//! written in that transaction, so it exists if and only if the change committed. Another
//! plugin **subscribes** by declaring a [`Subscription`] (a durable subscriber name and the
//! topics it wants) in [`crate::Plugin::subscriptions`]; the host's delivery service calls its
//! [`crate::Plugin::on_event`] for every event of those topics, in the log's order, at least
//! once, and stores the subscriber's position after each success.
//!
//! Guarantees and their limits (the design is in `docs/events.md`):
//! - **No loss**: an event committed with its change is delivered, also after a crash (`kill
//!   -9`) between the commit and the delivery; a restarted subscriber resumes after its stored
//!   position.
//! - **Order**: each subscriber receives the events of its topics in id order, which is commit
//!   order, so in particular in order per stream. A failing event is retried with back-off and
//!   never skipped: it holds back the later events of that subscriber (and only of it).
//! - **At least once**: a crash after `on_event` succeeded but before the position was stored
//!   delivers that event again. Handlers must be idempotent; [`StoredEvent::id`] is the key to
//!   deduplicate on.
//!
//! The same API serves plugins loaded as libraries: their statements run through the host, in
//! the host-side transaction of the call.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The event log: `id` (monotonic, assigned in commit order), `topic`, `stream`, `payload`
/// (JSON text), `created_at` (UTC milliseconds since the epoch). Created by the host's
/// migrations.
pub const EVENTS_TABLE: &str = "core_events";

/// One row (`id = 1`) whose lock serializes publishers, so that event ids are assigned in
/// commit order (see `docs/events.md`, "Ordering").
pub const PUBLISH_LOCK_TABLE: &str = "core_event_head";

/// The subscribers' positions: `name`, `position` (the id of the last event delivered),
/// and the delivery lease (`lease_owner`, `lease_until`).
pub const SUBSCRIBERS_TABLE: &str = "core_event_subscribers";

/// Longest topic, in characters.
pub const MAX_TOPIC_CHARS: usize = 128;
/// Longest stream key, in characters.
pub const MAX_STREAM_CHARS: usize = 255;
/// Largest payload, in bytes of JSON text (the size of a MySQL `TEXT` column). Events are
/// facts, not documents: refer to large data by id.
pub const MAX_PAYLOAD_BYTES: usize = 65_535;

/// A typed domain event: a fact another plugin may react to ("agent state changed", "call
/// ended"). Its JSON form (serde) is the payload stored and delivered.
pub trait DomainEvent: Serialize + DeserializeOwned {
    /// The topic, `<plugin>.<what-happened>` (e.g. `flows.contact-flow-deleted`), at most
    /// [`MAX_TOPIC_CHARS`] characters. Subscribers name topics.
    const TOPIC: &'static str;

    /// The stream the event belongs to: the thing it is about, e.g. `<instance>/<flow id>`, at
    /// most [`MAX_STREAM_CHARS`] characters. Events of one stream are delivered in the order
    /// they were committed.
    fn stream(&self) -> String;
}

static PUBLISHED: OnceLock<fn()> = OnceLock::new();

/// For hosts: `hook` is called after every [`publish`] in this process (before the
/// publishing transaction commits), to wake the delivery service early instead of at its next
/// poll. Only the first call sets it; returns whether this one did.
pub fn set_publish_hook(hook: fn()) -> bool {
    PUBLISHED.set(hook).is_ok()
}

/// Appends `event` to the host's event log in `txn`, the transaction of the change that caused
/// it, and returns the event's id. The event becomes visible to subscribers when `txn` commits
/// and disappears with it when it rolls back.
///
/// Publishing takes a lock (one row of [`PUBLISH_LOCK_TABLE`]) that the transaction holds until
/// it ends, so publishing transactions commit one after the other: publish as the **last**
/// write of a transaction, to hold it briefly and not to wait for it while holding other
/// locks.
///
/// Errors: the payload does not serialize, the topic, stream or payload is too long (see the
/// `MAX_*` constants), or storage fails (the event log is missing when the host's migrations
/// have not run).
pub async fn publish<E: DomainEvent>(txn: &DatabaseTransaction, event: &E) -> Result<i64, DbErr> {
    let payload = serde_json::to_string(event)
        .map_err(|e| DbErr::Custom(format!("event {}: payload: {e}", E::TOPIC)))?;
    publish_json(txn, E::TOPIC, &event.stream(), &payload).await
}

/// [`publish`] with the topic, stream and payload (JSON text) given as they are, for code that
/// forwards events it does not know the type of.
///
/// Errors: as [`publish`], and a payload that is not JSON.
pub async fn publish_json(
    txn: &DatabaseTransaction,
    topic: &str,
    stream: &str,
    payload: &str,
) -> Result<i64, DbErr> {
    check(topic, stream, payload)?;
    let backend = txn.get_database_backend();
    let locked = txn
        .execute_raw(Statement::from_string(
            backend,
            format!("UPDATE {PUBLISH_LOCK_TABLE} SET published = published + 1 WHERE id = 1"),
        ))
        .await?;
    if locked.rows_affected() != 1 {
        return Err(DbErr::Custom(format!(
            "the event log is not migrated: {PUBLISH_LOCK_TABLE} has no row 1"
        )));
    }
    let now = Utc::now().timestamp_millis();
    let values: [sea_orm::Value; 4] = [topic.into(), stream.into(), payload.into(), now.into()];
    let id = if backend == DbBackend::Postgres {
        let sql = format!(
            "INSERT INTO {EVENTS_TABLE} (topic, stream, payload, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id"
        );
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?
            .ok_or_else(|| DbErr::Custom("INSERT ... RETURNING gave no row".into()))?;
        row.try_get::<i64>("", "id")?
    } else {
        let sql = format!(
            "INSERT INTO {EVENTS_TABLE} (topic, stream, payload, created_at) VALUES (?, ?, ?, ?)"
        );
        let done = txn
            .execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        i64::try_from(done.last_insert_id())
            .map_err(|_| DbErr::Custom("event id out of range".into()))?
    };
    if let Some(hook) = PUBLISHED.get() {
        hook();
    }
    Ok(id)
}

fn check(topic: &str, stream: &str, payload: &str) -> Result<(), DbErr> {
    let bad = |what: String| Err(DbErr::Custom(format!("event {topic:?}: {what}")));
    if topic.is_empty() || topic.chars().count() > MAX_TOPIC_CHARS {
        return bad(format!(
            "the topic must have 1 to {MAX_TOPIC_CHARS} characters"
        ));
    }
    if stream.chars().count() > MAX_STREAM_CHARS {
        return bad(format!(
            "the stream has more than {MAX_STREAM_CHARS} characters"
        ));
    }
    if payload.len() > MAX_PAYLOAD_BYTES {
        return bad(format!(
            "the payload has {} bytes, more than {MAX_PAYLOAD_BYTES}",
            payload.len()
        ));
    }
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(payload) {
        return bad(format!("the payload is not JSON: {e}"));
    }
    Ok(())
}

/// A durable subscription: a subscriber name, unique in the deployment and stable across
/// releases (its position is stored under it), and the topics it receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The subscriber name, `<plugin>.<purpose>` (e.g. `numbers.unbind-deleted-flows`), at
    /// most 128 characters. Renaming it starts a new subscriber from the beginning of the log.
    pub name: &'static str,
    /// The topics delivered to it.
    pub topics: Vec<&'static str>,
}

impl Subscription {
    /// A subscriber named `name`, with no topics yet.
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            topics: Vec::new(),
        }
    }

    /// Adds a topic by name.
    pub fn topic(mut self, topic: &'static str) -> Self {
        self.topics.push(topic);
        self
    }

    /// Adds the topic of event type `E`.
    pub fn to<E: DomainEvent>(self) -> Self {
        self.topic(E::TOPIC)
    }
}

/// An event as stored in the log and delivered to a subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Position in the log: unique, increasing in commit order. The key to deduplicate a
    /// redelivery on.
    pub id: i64,
    /// The topic ([`DomainEvent::TOPIC`]).
    pub topic: String,
    /// The stream ([`DomainEvent::stream`]).
    pub stream: String,
    /// The payload's JSON text, byte for byte as published.
    pub payload: String,
    /// When the event was published (the publisher's clock, UTC, millisecond precision).
    pub recorded_at: DateTime<Utc>,
}

/// Why [`StoredEvent::decode`] failed.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The event has another topic than the type asked for.
    #[error("event {id} has topic {found:?}, not {expected:?}")]
    Topic {
        /// The event's id.
        id: i64,
        /// The type's topic.
        expected: &'static str,
        /// The event's topic.
        found: String,
    },
    /// The payload does not deserialize into the type.
    #[error("event {id} ({topic}): {source}")]
    Payload {
        /// The event's id.
        id: i64,
        /// The event's topic.
        topic: String,
        /// The serde error.
        source: serde_json::Error,
    },
}

impl From<DecodeError> for ApiError {
    /// A 500 `InvalidEvent`: the delivery is retried (with back-off) until the handler is
    /// fixed, so that no event is skipped silently.
    fn from(e: DecodeError) -> Self {
        ApiError::new(500, "InvalidEvent", e.to_string())
    }
}

impl StoredEvent {
    /// Whether the event has the topic of `E`.
    pub fn is<E: DomainEvent>(&self) -> bool {
        self.topic == E::TOPIC
    }

    /// The payload as event type `E`.
    ///
    /// Errors: [`DecodeError::Topic`] when the topic is not `E::TOPIC`,
    /// [`DecodeError::Payload`] when the payload does not deserialize into `E`.
    pub fn decode<E: DomainEvent>(&self) -> Result<E, DecodeError> {
        if self.topic != E::TOPIC {
            return Err(DecodeError::Topic {
                id: self.id,
                expected: E::TOPIC,
                found: self.topic.clone(),
            });
        }
        serde_json::from_str(&self.payload).map_err(|source| DecodeError::Payload {
            id: self.id,
            topic: self.topic.clone(),
            source,
        })
    }

    /// The payload as a JSON value.
    ///
    /// Errors: the payload is not JSON (the host stores only JSON, so only a row written by
    /// hand can fail).
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }

    /// [`StoredEvent::recorded_at`] in UTC milliseconds since the epoch (how it is stored).
    pub fn recorded_at_ms(&self) -> i64 {
        self.recorded_at.timestamp_millis()
    }
}

/// What [`crate::Plugin::on_event`] gets besides the event.
#[derive(Debug, Clone)]
pub struct EventContext {
    /// The host's storage: the pool. Open a transaction (`storage::begin_write`) to make the
    /// handler's writes atomic, and record [`StoredEvent::id`] in it to make it idempotent.
    pub db: DatabaseConnection,
    /// The subscriber being served ([`Subscription::name`]).
    pub subscriber: &'static str,
    /// 1 for the first delivery of this event to this subscriber in this process, then 2, 3…
    /// for retries after a failure. A redelivery after a restart starts at 1 again.
    pub attempt: u32,
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct FlowDeleted {
        instance: String,
        flow: String,
    }

    impl DomainEvent for FlowDeleted {
        const TOPIC: &'static str = "flows.deleted";
        fn stream(&self) -> String {
            format!("{}/{}", self.instance, self.flow)
        }
    }

    fn stored(topic: &str, payload: &str) -> StoredEvent {
        StoredEvent {
            id: 7,
            topic: topic.into(),
            stream: "i/f".into(),
            payload: payload.into(),
            recorded_at: DateTime::from_timestamp_millis(1_700_000_000_123).unwrap(),
        }
    }

    #[test]
    fn stored_events_decode_into_their_type_only() {
        let e = stored("flows.deleted", r#"{"instance":"i","flow":"f"}"#);
        assert!(e.is::<FlowDeleted>());
        assert_eq!(
            e.decode::<FlowDeleted>().unwrap(),
            FlowDeleted {
                instance: "i".into(),
                flow: "f".into()
            }
        );
        assert_eq!(e.json().unwrap()["flow"], "f");
        assert_eq!(e.recorded_at_ms(), 1_700_000_000_123);

        let other = stored("numbers.bound", "{}");
        assert!(!other.is::<FlowDeleted>());
        let err = other.decode::<FlowDeleted>().unwrap_err();
        assert!(matches!(err, DecodeError::Topic { .. }), "{err}");
        let api = ApiError::from(err);
        assert_eq!((api.status, api.code.as_ref()), (500, "InvalidEvent"));

        let bad = stored("flows.deleted", r#"{"instance":1}"#);
        assert!(matches!(
            bad.decode::<FlowDeleted>(),
            Err(DecodeError::Payload { id: 7, .. })
        ));
    }

    #[test]
    fn subscriptions_collect_topics() {
        let s = Subscription::new("numbers.unbind")
            .to::<FlowDeleted>()
            .topic("flows.renamed");
        assert_eq!(s.name, "numbers.unbind");
        assert_eq!(s.topics, ["flows.deleted", "flows.renamed"]);
    }

    #[test]
    fn oversized_or_malformed_events_are_refused_before_any_statement() {
        assert!(check("t", "s", "{}").is_ok());
        assert!(check("", "s", "{}").is_err());
        assert!(check(&"t".repeat(MAX_TOPIC_CHARS + 1), "s", "{}").is_err());
        assert!(check("t", &"s".repeat(MAX_STREAM_CHARS + 1), "{}").is_err());
        let big = format!("\"{}\"", "x".repeat(MAX_PAYLOAD_BYTES));
        assert!(
            check("t", "s", &big)
                .unwrap_err()
                .to_string()
                .contains("bytes")
        );
        assert!(check("t", "s", "{not json").is_err());
    }
}
