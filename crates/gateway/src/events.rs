//! The delivery service of events between plugins (the host side of
//! [`ccgate_plugin_sdk::events`]; design and guarantees in `docs/events.md`).
//!
//! Plugins append events to `core_events` in the transaction of their change
//! ([`ccgate_plugin_sdk::events::publish`]). This service, a set of host-owned tasks, hands
//! them to the subscribers:
//!
//! - a **head watcher** reads the newest event id (`MAX(id)`) every `[events] poll_ms`, and at
//!   once (then every 20 ms for a second) after a publish in this process ([`wake`]): events
//!   of other processes and replicas arrive by polling, local ones without waiting for it;
//! - one **delivery loop per subscriber** (a [`Subscription`] of a plugin) takes the
//!   subscriber's lease, reads the events of its topics after its stored position in id order,
//!   calls [`Plugin::on_event`] for each, and stores the position after each success. A
//!   failure or panic is retried with back-off (100 ms doubling to `[events] retry_max_ms`)
//!   and never skipped; the other subscribers go on.
//!
//! **Why `id > position` skips nothing.** An id is assigned when its row is inserted, but
//! becomes visible when its transaction commits; with concurrent writers (PostgreSQL, MariaDB)
//! a smaller id can commit after a larger one, and a reader that already moved past the larger
//! one would never see it. Publishing therefore first locks the one row of `core_event_head`
//! (an `UPDATE`, held until the transaction ends): publishing transactions take their ids one
//! after the other, each after the previous one committed or rolled back. So when id `n` is
//! visible, every smaller id is visible or gone for good, and the newest visible id is a safe
//! bound for every reader. (Alternatives considered: a settle window only makes the skip
//! unlikely; reading below the oldest in-flight transaction id is PostgreSQL-only and orders
//! by transaction start rather than commit, which breaks per-stream order for transactions
//! that wait on each other's row locks.) The price is that publishing transactions commit one
//! at a time from their first publish on; see `docs/events.md`.
//!
//! **One deliverer per subscriber.** Each loop holds a lease on its subscriber's row
//! (`lease_owner`, `lease_until`, renewed every third of `[events] lease_secs`, also while a
//! handler runs), so two replicas never deliver to the same subscriber at once; positions are
//! stored only by the lease holder. A stopped process releases its leases; a crashed one's
//! expire.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use ccgate_plugin_sdk::events::{EVENTS_TABLE, SUBSCRIBERS_TABLE};
use ccgate_plugin_sdk::{EventContext, Plugin, StopSignal, StoredEvent, Subscription};
use futures::FutureExt as _;
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Func, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::metrics::{CallKind, PluginCalls};
use crate::settings::EventSettings;

/// Bumped by every publish in this process (the SDK's publish hook); the head watchers of this
/// process wait on it.
static PUBLISHED: LazyLock<watch::Sender<u64>> = LazyLock::new(|| watch::channel(0).0);

/// Wakes the delivery services of this process: an event was published (its transaction may
/// not have committed yet, so the watcher looks again for a short while). Installed as the
/// SDK's publish hook, and called by the plugin ABI for publishes of plugin libraries.
pub fn wake() {
    PUBLISHED.send_modify(|n| *n = n.wrapping_add(1));
}

/// A receiver that changes whenever an event is published in this process (any topic; the
/// publishing transaction may not have committed yet). The agent-state stream
/// (`crate::stream`) waits on it between polls.
pub fn published() -> watch::Receiver<u64> {
    PUBLISHED.subscribe()
}

/// What the delivery services of this process have seen, for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// The newest event id read (0 before the first read, or without subscribers).
    pub head: i64,
    /// Per subscriber served by this process.
    pub subscribers: BTreeMap<&'static str, SubscriberStats>,
}

/// One subscriber in [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubscriberStats {
    /// Whether this process holds the subscriber's lease (delivers to it).
    pub leased: bool,
    /// The subscriber's stored position as this process last read or wrote it.
    pub position: i64,
    /// Failed deliveries (errors and panics of the handler) since the process started.
    pub failures: u64,
}

static STATS: LazyLock<Mutex<Stats>> = LazyLock::new(Default::default);

/// A copy of this process's delivery statistics.
pub fn stats() -> Stats {
    STATS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

fn record(f: impl FnOnce(&mut Stats)) {
    f(&mut STATS.lock().unwrap_or_else(|e| e.into_inner()));
}

fn record_subscriber(name: &'static str, f: impl FnOnce(&mut SubscriberStats)) {
    record(|s| f(s.subscribers.entry(name).or_default()));
}

/// How often the head watcher looks after a wake, and for how long.
const FAST_POLL: Duration = Duration::from_millis(20);
const FAST_WINDOW: Duration = Duration::from_secs(1);
/// First wait before delivering a failed event again.
const RETRY_MIN: Duration = Duration::from_millis(100);

/// A subscription that cannot be served. Displays as one line.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// Two subscriptions share a name (their positions would be one).
    #[error("event subscriber {name:?} is declared by plugin {first} and by plugin {second}")]
    DuplicateSubscriber {
        /// The subscriber name.
        name: String,
        /// The plugin that declared it first.
        first: String,
        /// The plugin that declared it again.
        second: String,
    },
    /// A name that is empty or longer than the column.
    #[error("event subscriber {name:?} of plugin {plugin}: the name must have 1 to 128 characters")]
    BadName {
        /// The subscriber name.
        name: String,
        /// Its plugin.
        plugin: String,
    },
    /// A subscription without topics.
    #[error("event subscriber {name:?} of plugin {plugin} names no topic")]
    NoTopics {
        /// The subscriber name.
        name: String,
        /// Its plugin.
        plugin: String,
    },
}

/// One subscription of one plugin.
#[derive(Clone)]
struct Subscriber {
    plugin: Arc<dyn Plugin>,
    index: usize,
    name: &'static str,
    topics: Vec<&'static str>,
    /// The plugin's call metrics (`ccgate_plugin_calls_total{kind="event"}`).
    calls: Arc<PluginCalls>,
}

/// The subscriptions of `plugins`, checked.
fn subscribers(plugins: &[Arc<dyn Plugin>]) -> Result<Vec<Subscriber>, SetupError> {
    let mut all: Vec<Subscriber> = Vec::new();
    for plugin in plugins {
        let calls = Arc::new(PluginCalls::new(plugin.name()));
        for (index, Subscription { name, topics }) in plugin.subscriptions().into_iter().enumerate()
        {
            if name.is_empty() || name.chars().count() > 128 {
                return Err(SetupError::BadName {
                    name: name.into(),
                    plugin: plugin.name().into(),
                });
            }
            if topics.is_empty() {
                return Err(SetupError::NoTopics {
                    name: name.into(),
                    plugin: plugin.name().into(),
                });
            }
            if let Some(prev) = all.iter().find(|s| s.name == name) {
                return Err(SetupError::DuplicateSubscriber {
                    name: name.into(),
                    first: prev.plugin.name().into(),
                    second: plugin.name().into(),
                });
            }
            all.push(Subscriber {
                plugin: plugin.clone(),
                index,
                name,
                topics,
                calls: calls.clone(),
            });
        }
    }
    Ok(all)
}

/// The delivery service of one process: call [`Delivery::spawn`] on the host's runtime.
pub struct Delivery {
    db: DatabaseConnection,
    subscribers: Vec<Subscriber>,
    settings: EventSettings,
    owner: Arc<str>,
}

impl Delivery {
    /// The service for the subscriptions of `plugins` on `db`; `owner` names this process in
    /// the subscribers' leases (unique per process: host, pid, a random part).
    ///
    /// Errors: a subscriber name declared twice, empty or too long, or a subscription without
    /// topics.
    pub fn new(
        db: DatabaseConnection,
        plugins: &[Arc<dyn Plugin>],
        settings: EventSettings,
        owner: impl Into<Arc<str>>,
    ) -> Result<Self, SetupError> {
        Ok(Self {
            db,
            subscribers: subscribers(plugins)?,
            settings,
            owner: owner.into(),
        })
    }

    /// Names of the subscribers served.
    pub fn subscriber_names(&self) -> Vec<&'static str> {
        self.subscribers.iter().map(|s| s.name).collect()
    }

    /// Starts the head watcher and one delivery loop per subscriber on the current tokio
    /// runtime; they run until `stop` is raised (then each releases its lease and returns).
    /// Returns each task's name and handle. No subscriber, no task.
    pub fn spawn(self, stop: &StopSignal) -> Vec<(String, JoinHandle<()>)> {
        if self.subscribers.is_empty() {
            return Vec::new();
        }
        ccgate_plugin_sdk::events::set_publish_hook(wake);
        let (head_tx, head_rx) = watch::channel(0_i64);
        let mut tasks = Vec::new();
        let poll = Duration::from_millis(Ord::max(self.settings.poll_ms, 1));
        tasks.push((
            "events: head watcher".to_string(),
            tokio::spawn(watch_head(self.db.clone(), head_tx, poll, stop.clone())),
        ));
        for sub in self.subscribers {
            let name = format!("events: subscriber {}", sub.name);
            let lane = Lane {
                db: self.db.clone(),
                lease: Lease::new(sub.name, self.owner.clone(), &self.settings),
                sub,
                head: head_rx.clone(),
                settings: self.settings.clone(),
                stop: stop.clone(),
            };
            tasks.push((name, tokio::spawn(lane.run())));
        }
        tasks
    }
}

fn table(name: &str) -> Alias {
    Alias::new(name)
}

fn col(name: &str) -> Alias {
    Alias::new(name)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The newest event id (0 for an empty log).
pub async fn head(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let q = Query::select()
        .expr_as(Func::max(Expr::col(col("id"))), col("head"))
        .from(table(EVENTS_TABLE))
        .to_owned();
    Ok(match db.query_one(&q).await? {
        Some(row) => row.try_get::<Option<i64>>("", "head")?.unwrap_or(0),
        None => 0,
    })
}

/// The stored position of subscriber `name` (0 when it has none yet).
pub async fn position(db: &impl ConnectionTrait, name: &str) -> Result<i64, DbErr> {
    let q = Query::select()
        .column(col("position"))
        .from(table(SUBSCRIBERS_TABLE))
        .and_where(Expr::col(col("name")).eq(name))
        .to_owned();
    Ok(match db.query_one(&q).await? {
        Some(row) => row.try_get::<i64>("", "position")?,
        None => 0,
    })
}

/// Up to `limit` events of `topics` with `after < id <= upto`, in id order.
async fn read(
    db: &DatabaseConnection,
    topics: &[&'static str],
    after: i64,
    upto: i64,
    limit: u64,
) -> Result<Vec<StoredEvent>, DbErr> {
    let q = Query::select()
        .columns(["id", "topic", "stream", "payload", "created_at"].map(col))
        .from(table(EVENTS_TABLE))
        .and_where(Expr::col(col("id")).gt(after))
        .and_where(Expr::col(col("id")).lte(upto))
        .and_where(Expr::col(col("topic")).is_in(topics.iter().copied()))
        .order_by(col("id"), Order::Asc)
        .limit(Ord::max(limit, 1))
        .to_owned();
    db.query_all(&q)
        .await?
        .iter()
        .map(|row| {
            let ms: i64 = row.try_get("", "created_at")?;
            Ok(StoredEvent {
                id: row.try_get("", "id")?,
                topic: row.try_get("", "topic")?,
                stream: row.try_get("", "stream")?,
                payload: row.try_get("", "payload")?,
                recorded_at: chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default(),
            })
        })
        .collect()
}

/// Reads the newest id every `poll` (every [`FAST_POLL`] for [`FAST_WINDOW`] after a [`wake`])
/// and publishes it to the delivery loops.
async fn watch_head(
    db: DatabaseConnection,
    tx: watch::Sender<i64>,
    poll: Duration,
    stop: StopSignal,
) {
    let mut woken = PUBLISHED.subscribe();
    let mut fast_until: Option<Instant> = None;
    loop {
        match head(&db).await {
            Ok(h) => {
                record(|s| s.head = Ord::max(s.head, h));
                tx.send_if_modified(|cur| {
                    let newer = h > *cur;
                    if newer {
                        *cur = h;
                    }
                    newer
                });
            }
            Err(e) => tracing::warn!(error = %e, "events: reading the newest event id failed"),
        }
        let wait = match fast_until {
            Some(t) if Instant::now() < t => FAST_POLL,
            _ => poll,
        };
        tokio::select! {
            _ = stop.raised() => return,
            changed = woken.changed() => {
                if changed.is_ok() {
                    fast_until = Some(Instant::now() + FAST_WINDOW);
                }
            }
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// A subscriber's delivery lease, held by this process while `Some(position)` came back from
/// [`Lease::acquire`].
struct Lease {
    name: &'static str,
    owner: Arc<str>,
    ttl: Duration,
    renewed: Instant,
}

impl Lease {
    fn new(name: &'static str, owner: Arc<str>, settings: &EventSettings) -> Self {
        Self {
            name,
            owner,
            ttl: Duration::from_secs(Ord::max(settings.lease_secs, 1)),
            renewed: Instant::now(),
        }
    }

    fn ttl_ms(&self) -> i64 {
        i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX)
    }

    /// How often the lease is renewed.
    fn renew_every(&self) -> Duration {
        self.ttl / 3
    }

    /// Takes the lease when it is free, expired or already ours; returns the stored position
    /// then, `None` when another process holds it.
    async fn acquire(&mut self, db: &DatabaseConnection) -> Result<Option<i64>, DbErr> {
        let exists = Query::select()
            .column(col("name"))
            .from(table(SUBSCRIBERS_TABLE))
            .and_where(Expr::col(col("name")).eq(self.name))
            .to_owned();
        if db.query_one(&exists).await?.is_none() {
            let insert = Query::insert()
                .into_table(table(SUBSCRIBERS_TABLE))
                .columns(
                    [
                        "name",
                        "position",
                        "lease_owner",
                        "lease_until",
                        "updated_at",
                    ]
                    .map(col),
                )
                .values_panic([
                    self.name.into(),
                    0_i64.into(),
                    "".into(),
                    0_i64.into(),
                    now_ms().into(),
                ])
                .to_owned();
            if let Err(e) = db.execute(&insert).await
                && !ccgate_plugin_sdk::storage::is_unique_violation(&e)
            {
                return Err(e);
            }
        }
        let now = now_ms();
        let take = Query::update()
            .table(table(SUBSCRIBERS_TABLE))
            .values([
                (col("lease_owner"), self.owner.as_ref().into()),
                (col("lease_until"), (now + self.ttl_ms()).into()),
                (col("updated_at"), now.into()),
            ])
            .and_where(Expr::col(col("name")).eq(self.name))
            .and_where(
                Expr::col(col("lease_owner"))
                    .eq(self.owner.as_ref())
                    .or(Expr::col(col("lease_until")).lt(now)),
            )
            .to_owned();
        if db.execute(&take).await?.rows_affected() != 1 {
            return Ok(None);
        }
        self.renewed = Instant::now();
        position(db, self.name).await.map(Some)
    }

    /// Extends the lease, and stores `position` with it when given. `false`: the lease was
    /// lost (expired and taken by another process).
    async fn extend(
        &mut self,
        db: &DatabaseConnection,
        position: Option<i64>,
    ) -> Result<bool, DbErr> {
        let now = now_ms();
        let mut q = Query::update();
        q.table(table(SUBSCRIBERS_TABLE))
            .values([
                (col("lease_until"), (now + self.ttl_ms()).into()),
                (col("updated_at"), now.into()),
            ])
            .and_where(Expr::col(col("name")).eq(self.name))
            .and_where(Expr::col(col("lease_owner")).eq(self.owner.as_ref()));
        if let Some(p) = position {
            q.value(col("position"), p);
        }
        let held = db.execute(&q).await?.rows_affected() == 1;
        if held {
            self.renewed = Instant::now();
        }
        Ok(held)
    }

    /// Renews the lease when a third of it has passed. `false`: lost.
    async fn keep(&mut self, db: &DatabaseConnection) -> Result<bool, DbErr> {
        if self.renewed.elapsed() < self.renew_every() {
            return Ok(true);
        }
        self.extend(db, None).await
    }

    /// Gives the lease up (on stop), so the next process need not wait for it to expire.
    async fn release(&self, db: &DatabaseConnection) {
        let q = Query::update()
            .table(table(SUBSCRIBERS_TABLE))
            .values([(col("lease_until"), 0_i64.into())])
            .and_where(Expr::col(col("name")).eq(self.name))
            .and_where(Expr::col(col("lease_owner")).eq(self.owner.as_ref()))
            .to_owned();
        if let Err(e) = db.execute(&q).await {
            tracing::warn!(subscriber = self.name, error = %e, "events: releasing the lease failed");
        }
    }
}

/// Why a delivery loop let go of its subscriber.
enum Halt {
    /// The process is stopping.
    Stopped,
    /// Another process took the lease.
    LeaseLost,
}

/// The delivery loop of one subscriber.
struct Lane {
    db: DatabaseConnection,
    sub: Subscriber,
    lease: Lease,
    head: watch::Receiver<i64>,
    settings: EventSettings,
    stop: StopSignal,
}

impl Lane {
    async fn run(mut self) {
        let name = self.sub.name;
        loop {
            if self.stop.is_raised() {
                return;
            }
            match self.lease.acquire(&self.db).await {
                Ok(Some(position)) => {
                    record_subscriber(name, |s| {
                        s.leased = true;
                        s.position = position;
                    });
                    tracing::info!(
                        subscriber = name,
                        position,
                        "events: delivering to subscriber"
                    );
                    let halt = self.deliver_from(position).await;
                    record_subscriber(name, |s| s.leased = false);
                    match halt {
                        Halt::Stopped => {
                            self.lease.release(&self.db).await;
                            return;
                        }
                        Halt::LeaseLost => tracing::warn!(
                            subscriber = name,
                            "events: lease lost to another process; waiting to take it back"
                        ),
                    }
                }
                Ok(None) => {
                    tracing::debug!(
                        subscriber = name,
                        "events: subscriber served by another process"
                    )
                }
                Err(e) => {
                    tracing::warn!(subscriber = name, error = %e, "events: taking the lease failed")
                }
            }
            if !self.pause(self.lease.renew_every()).await {
                return;
            }
        }
    }

    /// Waits `d` or until stopped; `false` when stopped.
    async fn pause(&self, d: Duration) -> bool {
        tokio::select! {
            _ = self.stop.raised() => false,
            _ = tokio::time::sleep(d) => true,
        }
    }

    /// Delivers every event after `position` as the head moves, holding the lease.
    async fn deliver_from(&mut self, position: i64) -> Halt {
        // Everything of the subscriber's topics up to here was delivered (in memory; the
        // stored position moves only when an event is delivered).
        let mut cursor = position;
        let poll = Duration::from_millis(Ord::max(self.settings.poll_ms, 1));
        loop {
            if self.stop.is_raised() {
                return Halt::Stopped;
            }
            let head = *self.head.borrow_and_update();
            if head > cursor {
                match read(
                    &self.db,
                    &self.sub.topics,
                    cursor,
                    head,
                    self.settings.batch,
                )
                .await
                {
                    Ok(events) => {
                        let more = events.len() as u64 >= Ord::max(self.settings.batch, 1);
                        for event in events {
                            if let Some(halt) = self.deliver(&event).await {
                                return halt;
                            }
                            cursor = event.id;
                        }
                        if !more {
                            // Ids up to `head` are settled (see the module docs): none of our
                            // topics is left below it.
                            cursor = head;
                        }
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(subscriber = self.sub.name, error = %e, "events: reading events failed");
                        if !self.pause(poll).await {
                            return Halt::Stopped;
                        }
                    }
                }
            }
            match self.lease.keep(&self.db).await {
                Ok(true) => {}
                Ok(false) => return Halt::LeaseLost,
                Err(e) => {
                    tracing::warn!(subscriber = self.sub.name, error = %e, "events: renewing the lease failed")
                }
            }
            tokio::select! {
                _ = self.stop.raised() => return Halt::Stopped,
                _ = self.head.changed() => {}
                _ = tokio::time::sleep(self.lease.renew_every()) => {}
            }
        }
    }

    /// Delivers one event until the subscriber accepts it, then stores its position. `None`
    /// when done; a halt when stopped or the lease was lost first.
    async fn deliver(&mut self, event: &StoredEvent) -> Option<Halt> {
        let retry_max = Duration::from_millis(self.settings.retry_max_ms).max(RETRY_MIN);
        let mut delay = RETRY_MIN;
        let mut attempt = 0_u32;
        loop {
            attempt = attempt.saturating_add(1);
            fault::point(fault::Point::BeforeDelivery, self.sub.name, event.id).await;
            let ctx = EventContext {
                db: self.db.clone(),
                subscriber: self.sub.name,
                attempt,
            };
            let handled = {
                let call = AssertUnwindSafe(self.sub.calls.time(
                    CallKind::Event,
                    self.sub.plugin.on_event(&ctx, self.sub.index, event),
                ))
                .catch_unwind();
                let mut call = std::pin::pin!(call);
                // The lease is renewed while the handler runs; a lost lease cancels the call.
                loop {
                    tokio::select! {
                        done = &mut call => break Some(done),
                        _ = tokio::time::sleep(self.lease.renew_every()) => {
                            if let Ok(false) = self.lease.keep(&self.db).await {
                                break None;
                            }
                        }
                    }
                }
            };
            let why = match handled {
                None => return Some(Halt::LeaseLost),
                Some(Ok(Ok(()))) => {
                    fault::point(fault::Point::BeforePosition, self.sub.name, event.id).await;
                    return self.store(event.id).await;
                }
                Some(Ok(Err(e))) => e.to_string(),
                Some(Err(p)) => format!("panicked: {}", panic_text(&*p)),
            };
            record_subscriber(self.sub.name, |s| s.failures += 1);
            tracing::warn!(
                subscriber = self.sub.name,
                event = event.id,
                topic = %event.topic,
                stream = %event.stream,
                attempt,
                retry_in_ms = delay.as_millis() as u64,
                error = %why,
                "events: delivery failed; retrying the same event"
            );
            if let Some(halt) = self.wait_holding_lease(delay).await {
                return Some(halt);
            }
            delay = (delay * 2).min(retry_max);
        }
    }

    /// Stores `id` as the subscriber's position, retrying storage failures (the event was
    /// handled: repeating the handler is not needed).
    async fn store(&mut self, id: i64) -> Option<Halt> {
        let mut delay = RETRY_MIN;
        loop {
            match self.lease.extend(&self.db, Some(id)).await {
                Ok(true) => {
                    record_subscriber(self.sub.name, |s| s.position = id);
                    return None;
                }
                Ok(false) => return Some(Halt::LeaseLost),
                Err(e) => {
                    tracing::warn!(subscriber = self.sub.name, event = id, error = %e, "events: storing the position failed; retrying")
                }
            }
            if let Some(halt) = self.wait_holding_lease(delay).await {
                return Some(halt);
            }
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    /// Waits `d`, renewing the lease meanwhile.
    async fn wait_holding_lease(&mut self, d: Duration) -> Option<Halt> {
        let until = Instant::now() + d;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            if !self.pause(left.min(self.lease.renew_every())).await {
                return Some(Halt::Stopped);
            }
            if let Ok(false) = self.lease.keep(&self.db).await {
                return Some(Halt::LeaseLost);
            }
        }
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-string payload".into())
}

/// Fault injection for the crash tests (debug builds only): `CCGATE_FAULT_EVENTS=<point>:<n>`
/// makes the process stop for good (print one line to stderr, then never return) at the `n`th
/// time (1-based, counted over the process) it reaches `<point>`: `before-delivery` (an event
/// was read, committed, and is about to be handed to its subscriber) or `before-position`
/// (the subscriber accepted it; its position is not stored yet). The test then kills the
/// process with SIGKILL. Release builds ignore the variable.
pub mod fault {
    /// Where a delivery can be held.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Point {
        /// Before `on_event`.
        BeforeDelivery,
        /// After `on_event` succeeded, before the position is stored.
        BeforePosition,
    }

    /// The line printed to stderr when a fault point holds (followed by ` <subscriber>
    /// <event id>`).
    pub const HELD: &str = "ccgate-fault: holding";

    #[cfg(debug_assertions)]
    fn configured() -> Option<(Point, u64)> {
        use std::sync::OnceLock;
        static CONF: OnceLock<Option<(Point, u64)>> = OnceLock::new();
        *CONF.get_or_init(|| {
            let v = std::env::var("CCGATE_FAULT_EVENTS").ok()?;
            let (p, n) = v.split_once(':')?;
            let point = match p {
                "before-delivery" => Point::BeforeDelivery,
                "before-position" => Point::BeforePosition,
                _ => return None,
            };
            Some((point, n.parse().ok()?))
        })
    }

    /// Holds forever when this is the configured point's `n`th passage.
    #[cfg(debug_assertions)]
    pub async fn point(at: Point, subscriber: &str, event: i64) {
        use std::sync::atomic::{AtomicU64, Ordering};
        static PASSED: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
        let Some((point, n)) = configured() else {
            return;
        };
        if point != at {
            return;
        }
        let passed = PASSED[at as usize].fetch_add(1, Ordering::SeqCst) + 1;
        if passed == n {
            eprintln!("{HELD} {subscriber} {event}");
            std::future::pending::<()>().await;
        }
    }

    /// Release builds: nothing.
    #[cfg(not(debug_assertions))]
    pub async fn point(_: Point, _: &str, _: i64) {}
}
