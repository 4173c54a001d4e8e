//! Events between plugins and the host's background work (docs/events.md):
//!
//! - in process, on every backend of `CCGATE_TEST_DATABASES` (comma separated from `sqlite`,
//!   `postgres`, `mysql`; default `sqlite`; servers at `CCGATE_TEST_POSTGRES` and
//!   `CCGATE_TEST_MYSQL`): order per stream, positions per subscriber, two subscribers
//!   progressing independently, a failing event retried and not skipped, a restarted service
//!   resuming after the stored position, concurrent publishers losing nothing, two replicas
//!   delivering each event once (the lease) and the survivor taking over;
//! - built-in tasks: restart with back-off after a panic and an error, stop, cancellation of a
//!   task that ignores stop, shutdown in reverse registration order;
//! - the test plugin loaded as a library: publishing through the host's transaction, delivery,
//!   tasks and shutdown through the ABI;
//! - a real process (`examples/events_node.rs`) killed with SIGKILL between the commit of a
//!   change and the delivery of its event, and between a delivery and the storing of the
//!   position, then restarted: nothing lost, order kept, the one redelivery seen and absorbed
//!   by the idempotent subscriber; and the same process stopped with SIGTERM while serving a
//!   request: the request completes, then tasks stop, then the plugin shuts down.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use actix_web::test::TestRequest;
use ccgate_gateway::events;
use ccgate_gateway::lifecycle::{self, Background};
use ccgate_gateway::plugin_set;
use ccgate_gateway::registry::Registry;
use ccgate_gateway::sdk::events::{DomainEvent, publish};
use ccgate_gateway::sdk::sea_orm::{self, ConnectionTrait, DatabaseConnection, Statement};
use ccgate_gateway::sdk::storage::begin_write;
use ccgate_gateway::sdk::{
    ActionSpec, ApiError, ApiResult, Context, EventContext, Params, Plugin, Reply, StoredEvent,
    Subscription, TaskContext, async_trait,
};
use ccgate_gateway::settings::EventSettings;
use ccgate_test_plugin::Noted;
use serde::{Deserialize, Serialize};

use super::aliyun::v1;
use super::common::app_with;
use super::dynamic::{test_plugin, workspace_root};

// ---------------------------------------------------------------------------------------------
// Databases

/// The backends to run on: `CCGATE_TEST_DATABASES`, default `sqlite`.
fn backends() -> Vec<String> {
    std::env::var("CCGATE_TEST_DATABASES")
        .unwrap_or_else(|_| "sqlite".into())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A fresh database on one backend, dropped by [`TestDb::drop`].
struct TestDb {
    kind: String,
    url: String,
    server: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    async fn new(kind: &str) -> Self {
        let name = format!("ccgate_ev_{}", uuid::Uuid::new_v4().simple());
        let server = match kind {
            "sqlite" => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
                return Self {
                    kind: kind.into(),
                    url,
                    server: None,
                    _dir: Some(dir),
                };
            }
            "postgres" => std::env::var("CCGATE_TEST_POSTGRES")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
            "mysql" => std::env::var("CCGATE_TEST_MYSQL")
                .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into()),
            other => panic!("unknown backend {other:?} in CCGATE_TEST_DATABASES"),
        };
        let admin = sea_orm::Database::connect(server.as_str())
            .await
            .unwrap_or_else(|e| panic!("{kind} for tests at {server}: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        admin.close().await.unwrap();
        let mut url = url::Url::parse(&server).unwrap();
        url.set_path(&name);
        Self {
            kind: kind.into(),
            url: url.to_string(),
            server: Some((server, name)),
            _dir: None,
        }
    }

    async fn connect(&self) -> DatabaseConnection {
        ccgate_gateway::store::connect(&self.url, 8).await.unwrap()
    }

    async fn drop(mut self) {
        if let Some((server, name)) = self.server.take() {
            drop_database(&server, &name).await;
        }
    }
}

async fn drop_database(server: &str, name: &str) {
    let Ok(admin) = sea_orm::Database::connect(server).await else {
        return;
    };
    // PostgreSQL refuses to drop a database others are connected to (a failed test's pool).
    let force = if server.starts_with("postgres") {
        " WITH (FORCE)"
    } else {
        ""
    };
    let _ = admin
        .execute_unprepared(&format!("DROP DATABASE {name}{force}"))
        .await;
    let _ = admin.close().await;
}

impl Drop for TestDb {
    /// A test that failed before [`TestDb::drop`] still removes its database.
    fn drop(&mut self) {
        if let Some((server, name)) = self.server.take() {
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(drop_database(&server, &name));
                }
            })
            .join();
        }
    }
}

async fn migrated(db: &DatabaseConnection, plugins: &[Arc<dyn Plugin>]) {
    let registry = Registry::new(plugins.to_vec()).unwrap();
    ccgate_gateway::store::migrate(db, &registry).await.unwrap();
}

fn quick() -> EventSettings {
    EventSettings {
        poll_ms: 50,
        batch: 2,
        lease_secs: 2,
        retry_max_ms: 200,
    }
}

async fn ids(db: &DatabaseConnection, sql: &str) -> Vec<i64> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|r| int(r, 0))
        .collect()
}

/// Column `i` as an integer (INTEGER or BIGINT: backends differ).
fn int(row: &sea_orm::QueryResult, i: usize) -> i64 {
    row.try_get_by_index::<i64>(i)
        .or_else(|_| row.try_get_by_index::<i32>(i).map(i64::from))
        .unwrap()
}

/// Waits up to 30 s for `cond`.
async fn until<F: std::future::Future<Output = bool>>(what: &str, mut cond: impl FnMut() -> F) {
    let start = Instant::now();
    while !cond().await {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Built-in plugins for the in-process tests

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Moved {
    stream: String,
    n: u32,
}

impl DomainEvent for Moved {
    const TOPIC: &'static str = "test.moved";
    fn stream(&self) -> String {
        self.stream.clone()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Renamed {
    stream: String,
    name: String,
}

impl DomainEvent for Renamed {
    const TOPIC: &'static str = "test.renamed";
    fn stream(&self) -> String {
        self.stream.clone()
    }
}

#[derive(Debug, Clone)]
struct Got {
    event: StoredEvent,
    attempt: u32,
    at: Instant,
}

/// A plugin with one subscription that records what it gets; `failing[id] = n` fails the first
/// `n` attempts of event `id`.
struct Recorder {
    name: &'static str,
    sub: Subscription,
    got: Mutex<Vec<Got>>,
    failing: Mutex<HashMap<i64, u32>>,
    failed: AtomicUsize,
}

impl Recorder {
    fn new(name: &'static str, sub: Subscription) -> Arc<Self> {
        Arc::new(Self {
            name,
            sub,
            got: Mutex::new(Vec::new()),
            failing: Mutex::new(HashMap::new()),
            failed: AtomicUsize::new(0),
        })
    }

    fn ids(&self) -> Vec<i64> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|g| g.event.id)
            .collect()
    }
}

#[async_trait]
impl Plugin for Recorder {
    fn name(&self) -> &'static str {
        self.name
    }
    fn version(&self) -> &'static str {
        "0"
    }
    fn actions(&self) -> Vec<ActionSpec> {
        Vec::new()
    }
    async fn migrate(&self, _: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        Ok(())
    }
    async fn handle(&self, ctx: &Context, _: usize, _: &Params) -> ApiResult<Reply> {
        Err(ApiError::not_implemented(ctx.spec.action))
    }
    fn subscriptions(&self) -> Vec<Subscription> {
        vec![self.sub.clone()]
    }
    async fn on_event(
        &self,
        ctx: &EventContext,
        sub: usize,
        event: &StoredEvent,
    ) -> Result<(), ApiError> {
        assert_eq!((sub, ctx.subscriber), (0, self.sub.name));
        let fails = self.failing.lock().unwrap().get(&event.id).copied();
        if fails.is_some_and(|n| ctx.attempt <= n) {
            self.failed.fetch_add(1, Ordering::SeqCst);
            return Err(ApiError::new(503, "Busy", "try again"));
        }
        self.got.lock().unwrap().push(Got {
            event: event.clone(),
            attempt: ctx.attempt,
            at: Instant::now(),
        });
        Ok(())
    }
}

async fn publish_one<E: DomainEvent>(db: &DatabaseConnection, e: &E) -> i64 {
    let txn = begin_write(db).await.unwrap();
    let id = publish(&txn, e).await.unwrap();
    txn.commit().await.unwrap();
    id
}

fn moved(stream: &str, n: u32) -> Moved {
    Moved {
        stream: stream.into(),
        n,
    }
}

// ---------------------------------------------------------------------------------------------
// In process, every backend

#[tokio::test]
async fn subscribers_get_their_topics_in_order_and_progress_independently() {
    for kind in backends() {
        let tdb = TestDb::new(&kind).await;
        let db = tdb.connect().await;
        let all = Recorder::new(
            "all",
            Subscription::new("all.audit").to::<Moved>().to::<Renamed>(),
        );
        let slow = Recorder::new("slow", Subscription::new("slow.moves").to::<Moved>());
        let plugins: Vec<Arc<dyn Plugin>> = vec![all.clone(), slow.clone()];
        migrated(&db, &plugins).await;

        // Before the service starts: three streams interleaved, a rename, and a rolled-back
        // event that must never appear.
        let mut published = vec![
            (publish_one(&db, &moved("s1", 1)).await, "s1"),
            (publish_one(&db, &moved("s2", 1)).await, "s2"),
            (publish_one(&db, &moved("s1", 2)).await, "s1"),
        ];
        let renamed = Renamed {
            stream: "s2".into(),
            name: "two".into(),
        };
        let rename_id = publish_one(&db, &renamed).await;
        let txn = begin_write(&db).await.unwrap();
        publish(&txn, &moved("s3", 99)).await.unwrap();
        txn.rollback().await.unwrap();
        published.push((publish_one(&db, &moved("s2", 2)).await, "s2"));
        // The second move of s2 fails three times for `slow`.
        let stuck = published[3].0;
        slow.failing.lock().unwrap().insert(stuck, 3);

        let bg = Background::start(&plugins, &db, &quick(), "test-owner-1").unwrap();
        // While running: more events, delivered without waiting for a poll.
        published.push((publish_one(&db, &moved("s3", 1)).await, "s3"));
        published.push((publish_one(&db, &moved("s1", 3)).await, "s1"));
        let head = events::head(&db).await.unwrap();
        let last_move = published.last().unwrap().0;
        assert_eq!(head, last_move);
        until("both subscribers at the head", || async {
            events::position(&db, "all.audit").await.unwrap() == head
                && events::position(&db, "slow.moves").await.unwrap() == last_move
        })
        .await;

        let mut move_ids: Vec<i64> = published.iter().map(|(id, _)| *id).collect();
        move_ids.sort();
        let mut audit_ids = move_ids.clone();
        audit_ids.push(rename_id);
        audit_ids.sort();
        assert_eq!(
            all.ids(),
            audit_ids,
            "[{kind}] every event of both topics, in id order"
        );
        assert_eq!(
            slow.ids(),
            move_ids,
            "[{kind}] only its topic, in order, none skipped"
        );
        // (SQLite may give the next event the rolled-back id: it never existed.)
        assert!(
            all.got
                .lock()
                .unwrap()
                .iter()
                .all(|g| g.event.json().unwrap()["n"] != 99),
            "[{kind}] the rolled-back event is never delivered"
        );
        // Per stream: the moves of each stream arrive with n = 1, 2, 3...
        for stream in ["s1", "s2", "s3"] {
            let ns: Vec<u64> = slow
                .got
                .lock()
                .unwrap()
                .iter()
                .filter(|g| g.event.stream == stream)
                .map(|g| g.event.json().unwrap()["n"].as_u64().unwrap())
                .collect();
            let expected: Vec<u64> = (1..=ns.len() as u64).collect();
            assert_eq!(ns, expected, "[{kind}] stream {stream} in order");
        }
        // Delivered exactly as published.
        let got = all.got.lock().unwrap().clone();
        let r = got.iter().find(|g| g.event.id == rename_id).unwrap();
        assert_eq!(r.event.topic, "test.renamed");
        assert_eq!(r.event.stream, "s2");
        assert_eq!(r.event.payload, serde_json::to_string(&renamed).unwrap());
        assert_eq!(r.event.decode::<Renamed>().unwrap(), renamed);
        assert!((chrono::Utc::now() - r.event.recorded_at).num_seconds() < 60);
        // The failing event was retried, not skipped, and held back only `slow`.
        assert_eq!(slow.failed.load(Ordering::SeqCst), 3);
        let slow_got = slow.got.lock().unwrap().clone();
        let stuck_got = slow_got.iter().find(|g| g.event.id == stuck).unwrap();
        assert_eq!(
            stuck_got.attempt, 4,
            "[{kind}] delivered on the fourth attempt"
        );
        // Everything published before the start (up to the stuck event) reached `all` while
        // `slow` was still retrying.
        let all_got_stuck = got.iter().find(|g| g.event.id == stuck).unwrap().at;
        assert!(
            all_got_stuck < stuck_got.at,
            "[{kind}] `all` went on while `slow` was retrying"
        );
        assert!(bg.task_names().contains(&"events: subscriber slow.moves"));
        // /metrics material: this process delivers to both, at the head, `slow` failed 3 times
        // (at least: other tests of this process count their own subscribers).
        // The in-process figures follow the stored position a moment later (they record what
        // was stored, after the write returns), so wait for them rather than race them.
        until("the in-process stats at the head", || async {
            let s = events::stats().subscribers["slow.moves"];
            s.leased && s.position == last_move
        })
        .await;
        let stats = events::stats();
        assert!(stats.head >= head);
        let slow_stats = stats.subscribers["slow.moves"];
        assert!(slow_stats.failures >= 3);
        assert!(bg.stop(Duration::from_secs(5)).await.is_empty());

        // A new service (another process, say) resumes after the stored positions.
        let later = publish_one(&db, &moved("s1", 4)).await;
        let bg = Background::start(&plugins, &db, &quick(), "test-owner-2").unwrap();
        until("the later event", || async {
            events::position(&db, "slow.moves").await.unwrap() == later
                && events::position(&db, "all.audit").await.unwrap() == later
        })
        .await;
        assert!(bg.stop(Duration::from_secs(5)).await.is_empty());
        assert_eq!(all.ids().iter().filter(|id| **id == later).count(), 1);
        assert_eq!(
            slow.ids().len(),
            move_ids.len() + 1,
            "[{kind}] nothing delivered twice"
        );
        db.close().await.unwrap();
        tdb.drop().await;
    }
}

#[tokio::test]
async fn concurrent_publishers_lose_nothing_and_arrive_in_id_order() {
    for kind in backends() {
        let tdb = TestDb::new(&kind).await;
        let db = tdb.connect().await;
        let rec = Recorder::new("rec", Subscription::new("rec.moves").to::<Moved>());
        let plugins: Vec<Arc<dyn Plugin>> = vec![rec.clone()];
        migrated(&db, &plugins).await;
        let bg = Background::start(&plugins, &db, &quick(), "test-owner").unwrap();
        // Each writer publishes, then waits before committing: without the publish lock a
        // later writer's smaller id could commit after a larger one was delivered.
        let writers: Vec<_> = (0..6)
            .map(|w| {
                let db = db.clone();
                tokio::spawn(async move {
                    for n in 0..8_u32 {
                        let txn = begin_write(&db).await.unwrap();
                        publish(&txn, &moved(&format!("w{w}"), n)).await.unwrap();
                        tokio::time::sleep(Duration::from_millis(u64::from((w * 7 + n * 3) % 11)))
                            .await;
                        txn.commit().await.unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.await.unwrap();
        }
        let all = ids(&db, "SELECT id FROM core_events ORDER BY id").await;
        assert_eq!(all.len(), 48);
        let head = *all.last().unwrap();
        until("the subscriber at the head", || async {
            events::position(&db, "rec.moves").await.unwrap() == head
        })
        .await;
        assert!(bg.stop(Duration::from_secs(5)).await.is_empty());
        assert_eq!(rec.ids(), all, "[{kind}] every event once, in id order");
        db.close().await.unwrap();
        tdb.drop().await;
    }
}

#[tokio::test]
async fn two_replicas_deliver_each_event_once_and_the_survivor_takes_over() {
    for kind in backends() {
        let tdb = TestDb::new(&kind).await;
        let db = tdb.connect().await;
        // One recorder shared by both "replicas": a double delivery would show as a duplicate.
        let rec = Recorder::new("rec", Subscription::new("rec.moves").to::<Moved>());
        let plugins: Vec<Arc<dyn Plugin>> = vec![rec.clone()];
        migrated(&db, &plugins).await;
        let a = Background::start(&plugins, &db, &quick(), "replica-a").unwrap();
        let b = Background::start(&plugins, &db, &quick(), "replica-b").unwrap();
        for n in 0..10 {
            publish_one(&db, &moved(&format!("s{}", n % 3), n)).await;
        }
        let head = events::head(&db).await.unwrap();
        until("the subscriber at the head", || async {
            events::position(&db, "rec.moves").await.unwrap() == head
        })
        .await;
        let holder = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT lease_owner FROM core_event_subscribers WHERE name = 'rec.moves'",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<String>(0)
            .unwrap();
        // Stop whichever holds the lease; the other takes over.
        let survivor = if holder == "replica-a" {
            assert!(a.stop(Duration::from_secs(5)).await.is_empty());
            b
        } else {
            assert_eq!(holder, "replica-b");
            assert!(b.stop(Duration::from_secs(5)).await.is_empty());
            a
        };
        for n in 10..15 {
            publish_one(&db, &moved(&format!("s{}", n % 3), n)).await;
        }
        let head = events::head(&db).await.unwrap();
        until("the survivor at the head", || async {
            events::position(&db, "rec.moves").await.unwrap() == head
        })
        .await;
        assert!(survivor.stop(Duration::from_secs(5)).await.is_empty());
        let all = ids(&db, "SELECT id FROM core_events ORDER BY id").await;
        assert_eq!(
            rec.ids(),
            all,
            "[{kind}] each event once, in order, across replicas"
        );
        db.close().await.unwrap();
        tdb.drop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Tasks and shutdown of built-in plugins

static SHUTDOWNS: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

/// `steady` counts until stopped; `crashy` panics, then fails, then waits to be stopped;
/// `stubborn` ignores the stop signal.
struct Tasky {
    name: &'static str,
    steady_ticks: AtomicUsize,
    steady_stopped: AtomicUsize,
    crashy_runs: AtomicUsize,
    crashy_stopped: AtomicUsize,
}

impl Tasky {
    fn new(name: &'static str) -> Arc<Self> {
        Arc::new(Self {
            name,
            steady_ticks: AtomicUsize::new(0),
            steady_stopped: AtomicUsize::new(0),
            crashy_runs: AtomicUsize::new(0),
            crashy_stopped: AtomicUsize::new(0),
        })
    }
}

#[async_trait]
impl Plugin for Tasky {
    fn name(&self) -> &'static str {
        self.name
    }
    fn version(&self) -> &'static str {
        "0"
    }
    fn actions(&self) -> Vec<ActionSpec> {
        Vec::new()
    }
    async fn migrate(&self, _: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        Ok(())
    }
    async fn handle(&self, ctx: &Context, _: usize, _: &Params) -> ApiResult<Reply> {
        Err(ApiError::not_implemented(ctx.spec.action))
    }
    fn tasks(&self) -> Vec<&'static str> {
        if self.name == "p1" {
            vec!["steady", "crashy", "stubborn"]
        } else {
            Vec::new()
        }
    }
    async fn run_task(&self, index: usize, cx: TaskContext) -> Result<(), String> {
        assert_eq!(cx.task, self.tasks()[index]);
        match cx.task {
            "steady" => {
                while cx.sleep(Duration::from_millis(10)).await {
                    self.steady_ticks.fetch_add(1, Ordering::SeqCst);
                }
                self.steady_stopped.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
            "crashy" => match self.crashy_runs.fetch_add(1, Ordering::SeqCst) {
                0 => panic!("crashy's first run"),
                1 => Err("crashy's second run".into()),
                _ => {
                    cx.stopped().await;
                    self.crashy_stopped.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            },
            _ => {
                std::future::pending::<()>().await;
                Ok(())
            }
        }
    }
    async fn shutdown(&self) {
        SHUTDOWNS.lock().unwrap().push(self.name);
    }
}

#[tokio::test]
async fn tasks_restart_after_failures_stop_on_signal_and_plugins_shut_down_in_reverse() {
    let tdb = TestDb::new("sqlite").await;
    let db = tdb.connect().await;
    let p1 = Tasky::new("p1");
    let plugins: Vec<Arc<dyn Plugin>> = vec![p1.clone(), Tasky::new("p2"), Tasky::new("p3")];
    migrated(&db, &plugins).await;
    let bg = Background::start(&plugins, &db, &quick(), "owner").unwrap();
    assert_eq!(
        bg.task_names(),
        ["p1/steady", "p1/crashy", "p1/stubborn"],
        "no subscriber, no delivery task"
    );
    // Panic, back-off 1 s, error, back-off 2 s, third run.
    until("crashy's third run", || async {
        p1.crashy_runs.load(Ordering::SeqCst) == 3
    })
    .await;
    assert!(p1.steady_ticks.load(Ordering::SeqCst) > 10);
    let cancelled = bg.stop(Duration::from_millis(500)).await;
    assert_eq!(
        cancelled,
        ["p1/stubborn"],
        "the task ignoring stop is cancelled"
    );
    assert_eq!(p1.steady_stopped.load(Ordering::SeqCst), 1);
    assert_eq!(p1.crashy_stopped.load(Ordering::SeqCst), 1);
    assert_eq!(p1.crashy_runs.load(Ordering::SeqCst), 3);
    let order = lifecycle::shutdown_plugins(&plugins, Duration::from_secs(1)).await;
    assert_eq!(order, ["p3", "p2", "p1"]);
    assert_eq!(*SHUTDOWNS.lock().unwrap(), ["p3", "p2", "p1"]);
    // A duplicate subscriber name stops start-up with one line.
    let twice: Vec<Arc<dyn Plugin>> = vec![
        Recorder::new("a", Subscription::new("same").to::<Moved>()),
        Recorder::new("b", Subscription::new("same").to::<Moved>()),
    ];
    let e = Background::start(&twice, &db, &quick(), "owner")
        .err()
        .unwrap();
    assert_eq!(
        e.to_string(),
        "event subscriber \"same\" is declared by plugin a and by plugin b"
    );
    tdb.drop().await;
}

// ---------------------------------------------------------------------------------------------
// The test plugin as a library: publish through the host's transaction, delivery, tasks and
// shutdown through the ABI

async fn ticks(db: &DatabaseConnection, name: &str) -> (i64, i64) {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT count, stopped FROM testing_ticks WHERE name = '{name}'"),
        ))
        .await
        .unwrap();
    rows.first().map_or((0, 0), |r| (int(r, 0), int(r, 1)))
}

#[actix_web::test]
async fn a_library_plugin_publishes_subscribes_runs_tasks_and_shuts_down_through_the_abi() {
    let settings = ccgate_gateway::settings::PluginSettings {
        enabled: Vec::new(),
        libraries: vec![test_plugin().display().to_string()],
        directory: String::new(),
        tables: Default::default(),
    };
    let plugins = plugin_set::plugins(plugin_set::load(&settings).unwrap());
    assert_eq!(plugins[0].tasks(), ["ticker", "flaky"]);
    assert_eq!(
        plugins[0].subscriptions(),
        [Subscription::new("testing.ledger").to::<Noted>()]
    );
    let t = app_with(plugins.clone(), 900).await;
    let db = t.state.db.clone();
    let call = |params: &[(&str, &str)]| {
        let mut all = vec![("InstanceId", "inst-1")];
        all.extend_from_slice(params);
        v1("testAK", "testSecret", "2017-07-05", "TestPublish", &all).0
    };
    let (status, body) = t
        .json(TestRequest::post().uri(&call(&[("Stream", "s1"), ("Count", "3")])))
        .await;
    assert_eq!(status, 200, "{body}");
    let published: Vec<i64> = serde_json::from_value(body["Ids"].clone()).unwrap();
    let (status, body) = t
        .json(TestRequest::post().uri(&call(&[
            ("Stream", "gone"),
            ("Count", "2"),
            ("Rollback", "true"),
        ])))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = t
        .json(TestRequest::post().uri(&call(&[("Stream", "s2"), ("Note", "fail:2")])))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        ids(&db, "SELECT COUNT(*) FROM core_events").await,
        [4],
        "the rolled-back events went with their transaction"
    );
    assert_eq!(ids(&db, "SELECT COUNT(*) FROM testing_changes").await, [4]);

    let bg = Background::start(&plugins, &db, &quick(), "owner").unwrap();
    let head = events::head(&db).await.unwrap();
    until("the ledger at the head", || async {
        events::position(&db, "testing.ledger").await.unwrap() == head
    })
    .await;
    let seen = ids(&db, "SELECT event_id FROM testing_deliveries ORDER BY n").await;
    assert_eq!(seen[..3], published[..]);
    assert_eq!(seen.len(), 4);
    let attempts = ids(&db, "SELECT attempt FROM testing_deliveries ORDER BY n").await;
    assert_eq!(attempts, [1, 1, 1, 3], "the failing event was retried");
    let resp = t.send(TestRequest::get().uri("/metrics")).await;
    let metrics = String::from_utf8(actix_web::test::read_body(resp).await.to_vec()).unwrap();
    assert!(
        metrics.contains(&format!(
            "ccgate_events_position{{subscriber=\"testing.ledger\"}} {head}"
        )) && metrics.contains("ccgate_events_delivery_failures{subscriber=\"testing.ledger\"} 2"),
        "{metrics}"
    );
    until("ticks and the flaky task's third run", || async {
        ticks(&db, "ticker").await.0 > 3 && ticks(&db, "flaky").await.0 == 3
    })
    .await;
    assert!(bg.stop(Duration::from_secs(5)).await.is_empty());
    assert_eq!(ticks(&db, "ticker").await.1, 1, "the ticker saw the stop");
    assert_eq!(
        ticks(&db, "flaky").await,
        (4, 1),
        "the flaky task's third run stopped"
    );
    lifecycle::shutdown_plugins(&plugins, Duration::from_secs(5)).await;
    assert_eq!(ticks(&db, "shutdown").await, (1, 1));
}

// ---------------------------------------------------------------------------------------------
// A real process, killed with SIGKILL

fn events_node() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .current_dir(workspace_root())
            .args(["build", "-p", "ccgate-gateway", "--example", "events_node"])
            .status()
            .expect("run cargo");
        assert!(status.success(), "building examples/events_node failed");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("target"));
        target.join("debug/examples/events_node")
    })
}

/// Starts `events_node URL PLUGIN args...` with `fault` as `CCGATE_FAULT_EVENTS`.
fn spawn_node(url: &str, plugin: &str, args: &[&str], fault: Option<&str>) -> Child {
    let mut cmd = Command::new(events_node());
    cmd.args([url, plugin])
        .args(args)
        .env("RUST_LOG", "info,sqlx=warn,sea_orm=warn")
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match fault {
        Some(f) => cmd.env("CCGATE_FAULT_EVENTS", f),
        None => cmd.env_remove("CCGATE_FAULT_EVENTS"),
    };
    cmd.spawn().expect("start events_node")
}

/// Reads `child`'s output until a fault point holds and it printed `publishes` `published`
/// lines (its changes are committed), then kills it with SIGKILL; returns the held event id and
/// the published ids.
fn kill_when_held(mut child: Child, publishes: usize) -> (i64, Vec<i64>) {
    use std::os::unix::process::ExitStatusExt;
    enum Seen {
        Held(String),
        Published(i64),
        Ended(String),
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let err_tx = tx.clone();
    std::thread::spawn(move || {
        let mut log = String::new();
        let mut held_sent = false;
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            log.push_str(&line);
            log.push('\n');
            // The fault line is `HELD <subscriber> <event id>`. It is looked for in the whole
            // log so far, not line by line: other output of the process (library log
            // forwarding, driver messages) may land in between its pieces under load.
            if !held_sent && let Some(at) = log.find(events::fault::HELD) {
                let mut words = log[at + events::fault::HELD.len()..].split_whitespace();
                if let (Some(sub), Some(id)) = (words.next(), words.next())
                    && id.parse::<i64>().is_ok()
                {
                    let _ = err_tx.send(Seen::Held(format!("{sub} {id}")));
                    held_sent = true;
                }
            }
        }
        let _ = err_tx.send(Seen::Ended(log));
    });
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(id) = line.strip_prefix("published ") {
                let _ = tx.send(Seen::Published(id.parse().unwrap()));
            }
        }
    });
    let (mut held, mut ids) = (None, Vec::new());
    while held.is_none() || ids.len() < publishes {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Seen::Held(h)) => held = Some(h),
            Ok(Seen::Published(id)) => ids.push(id),
            Ok(Seen::Ended(log)) => panic!("the process ended before the fault point:\n{log}"),
            Err(_) => {
                let _ = child.kill();
                panic!("no fault point reached in 60 s (published {ids:?})")
            }
        }
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "killed by SIGKILL");
    let held = held.unwrap();
    let (sub, id) = held.split_once(' ').unwrap();
    assert_eq!(sub, "testing.ledger");
    (id.parse().unwrap(), ids)
}

fn published(stdout: &str) -> Vec<i64> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("published "))
        .map(|id| id.parse().unwrap())
        .collect()
}

async fn crash_and_resume(tdb: &TestDb, plugin: &str) {
    let kind = &tdb.kind;
    // 1. Publish five changes (three streams' worth, interleaved) with the delivery running;
    //    the third delivery holds: its event is committed, not delivered. Kill -9.
    let (held, ids1) = kill_when_held(
        spawn_node(
            &tdb.url,
            plugin,
            &["run", "s1:1:2", "s2:1:2", "s1:3:1"],
            Some("before-delivery:3"),
        ),
        5,
    );
    assert_eq!(
        ids1.len(),
        5,
        "[{kind}] every change committed before the kill"
    );
    assert_eq!(held, ids1[2]);
    let db = tdb.connect().await;
    assert_eq!(
        ids(&db, "SELECT event_id FROM testing_deliveries ORDER BY n").await,
        ids1[..2],
        "[{kind}] two delivered before the kill"
    );
    assert_eq!(
        events::position(&db, "testing.ledger").await.unwrap(),
        ids1[1]
    );
    // 2. Restart: it resumes at the third event, which the subscriber accepts; killed before
    //    the position is stored.
    let (held, none) = kill_when_held(
        spawn_node(&tdb.url, plugin, &["run"], Some("before-position:1")),
        0,
    );
    assert!(none.is_empty());
    assert_eq!(held, ids1[2], "[{kind}] resumed after the stored position");
    assert_eq!(
        events::position(&db, "testing.ledger").await.unwrap(),
        ids1[1],
        "[{kind}] position not stored"
    );
    // 3. Restart without faults, publishing one more: the third event is delivered again
    //    (at least once), then the rest in order.
    let out = spawn_node(&tdb.url, plugin, &["run", "s2:3:1"], None)
        .wait_with_output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "[{kind}] {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids3 = published(&stdout);
    let all: Vec<i64> = ids1.iter().chain(&ids3).copied().collect();
    assert!(stdout.contains(&format!("delivered {}", all[5])));
    assert_eq!(
        ids(&db, "SELECT event_id FROM testing_deliveries ORDER BY n").await,
        [all[0], all[1], all[2], all[2], all[3], all[4], all[5]],
        "[{kind}] no loss, order kept, one redelivery of the event whose position was lost"
    );
    assert_eq!(
        ids(&db, "SELECT deliveries FROM testing_seen ORDER BY event_id").await,
        [1, 1, 2, 1, 1, 1],
        "[{kind}] the redelivery was recognised by its id (one row per event)"
    );
    // Exactly as published: topic, stream and payload byte for byte, in order per stream.
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT topic, stream, payload FROM testing_seen ORDER BY event_id",
        ))
        .await
        .unwrap();
    let expected = [
        ("s1", 1),
        ("s1", 2),
        ("s2", 1),
        ("s2", 2),
        ("s1", 3),
        ("s2", 3),
    ];
    assert_eq!(rows.len(), expected.len());
    for (row, (stream, seq)) in rows.iter().zip(expected) {
        let payload = serde_json::to_string(&Noted {
            stream: stream.into(),
            seq,
            note: String::new(),
        })
        .unwrap();
        assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "testing.noted");
        assert_eq!(row.try_get_by_index::<String>(1).unwrap(), stream);
        assert_eq!(row.try_get_by_index::<String>(2).unwrap(), payload);
    }
    assert_eq!(
        events::position(&db, "testing.ledger").await.unwrap(),
        all[5]
    );
    assert_eq!(ids(&db, "SELECT COUNT(*) FROM testing_changes").await, [6]);
    db.close().await.unwrap();
}

#[tokio::test]
async fn events_survive_kill_9_between_commit_and_delivery() {
    let lib = test_plugin().display().to_string();
    for kind in backends() {
        let tdb = TestDb::new(&kind).await;
        crash_and_resume(&tdb, &lib).await;
        tdb.drop().await;
    }
    // The same with the plugin built in.
    let tdb = TestDb::new("sqlite").await;
    crash_and_resume(&tdb, "builtin").await;
    tdb.drop().await;
}

#[tokio::test]
async fn sigterm_drains_the_request_then_stops_tasks_then_shuts_the_plugin_down() {
    let tdb = TestDb::new("sqlite").await;
    let lib = test_plugin().display().to_string();
    let mut child = spawn_node(&tdb.url, &lib, &["serve"], None);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening ").unwrap().to_string();
    let db = tdb.connect().await;
    until("the ticker", || async { ticks(&db, "ticker").await.0 > 0 }).await;
    // A request that takes a second, in flight when SIGTERM arrives.
    let request = std::thread::spawn(move || {
        let mut conn = std::net::TcpStream::connect(&addr).unwrap();
        conn.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        answer
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let answer = request.join().unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("slow answer"),
        "{answer}"
    );
    let status = child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(status.success(), "{log}");
    let steps = [
        "signal=\"SIGTERM\"",
        "HTTP server stopped; in-flight requests drained",
        "stopping background tasks",
        "background task stopped",
        "shutting down plugin",
        "plugin shut down",
        "shutdown complete",
    ];
    let mut at = 0;
    for step in steps {
        match log[at..].find(step) {
            Some(i) => at += i + step.len(),
            None => panic!("{step:?} missing or out of order in:\n{log}"),
        }
    }
    assert_eq!(ticks(&db, "ticker").await.1, 1, "the ticker stopped");
    assert_eq!(ticks(&db, "shutdown").await, (1, 1));
    db.close().await.unwrap();
    tdb.drop().await;
}

#[tokio::test]
async fn the_sdk_test_kit_has_the_event_log_so_plugin_tests_can_publish() {
    let env = ccgate_gateway::sdk::testing::TestEnv::new(Vec::new()).await;
    let txn = begin_write(&env.db).await.unwrap();
    let first = publish(&txn, &moved("s1", 1)).await.unwrap();
    txn.commit().await.unwrap();
    let txn = begin_write(&env.db).await.unwrap();
    publish(&txn, &moved("s1", 2)).await.unwrap();
    txn.rollback().await.unwrap();
    let published = env.published().await;
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].id, first);
    assert_eq!(published[0].decode::<Moved>().unwrap(), moved("s1", 1));
}
