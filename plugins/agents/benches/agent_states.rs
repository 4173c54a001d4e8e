//! The agents plugin on a contact center of realistic size (docs/benchmarks.md, "Agents").
//!
//! `cargo bench -p ccgate-agents --bench agent_states` (add `-- --measurement-time 3
//! --warm-up-time 1` for a quicker run, or a filter such as `-- transition`).
//!
//! Data: [`USERS`] users (role `agent`) of one instance in [`GROUPS`] skill groups, each user a
//! member of two groups, inserted in bulk through the storage entities; every second user signed
//! in through [`ccgate_agents::state::store::apply`] (the path of SignInGroup), then moved on to
//! a mix of states: a fifth each stay signed in (BREAK `Warm-up`), READY, BREAK `Lunch`,
//! TALKING (Ring + Answer) and WORKING (+ HangUp). That writes ~6,000 state-log entries and
//! `agents.state_changed` events before anything is measured.
//!
//! Two databases, each a [`TestEnv`] (the SDK's test environment: the plugin's real generated
//! dispatch, the host's event log):
//! - `memory`: `sqlite::memory:` as `TestEnv::new` opens it (one connection);
//! - `file`: a SQLite file in a temp dir opened as `ccgate serve` opens it
//!   (`ccgate_gateway::store::connect`: WAL, `synchronous=NORMAL`, busy timeout; pool of 4).
//!
//! Benchmarks, per database, each a call through the plugin's dispatch as the gateway makes it
//! ([`testing::call`]: the action's index, the parameters as the gateway hands them over, the
//! typed reply), as an AccessKey (admin) caller:
//! - `ListRealtimeAgentStates_2020/page_1`, `/page_50`: PageSize 100, no filter (page 50 is the
//!   last: OFFSET 4,900); the page of users, their states and the groups they are signed into,
//!   and `COUNT(*)` (every page is full);
//! - `transition/TakeBreak+ReadyForService`: one action per iteration, alternating TakeBreak
//!   (Code `Lunch`) and ReadyForService for one READY agent; each writes the state row, a state-log
//!   entry and the event in one write transaction (`state::store::apply`). The log grows by
//!   one row per iteration during the run.
//!
//! criterion reports the mean per call; after it, unless `CCBENCH_SAMPLES=0`, each benchmark is
//! run again `CCBENCH_SAMPLES` times (default 2,000) one call at a time and the p50 / p99 of
//! those calls are printed (`PERCENTILES ...` lines), as docs/benchmarks.md asks for.
//!
//! In test mode (`cargo test --all-targets` runs benches once, without `--bench`) only
//! [`TEST_MODE_USERS`] users are seeded and no percentiles are taken.

use std::cell::Cell;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ccgate_agents::AgentsPlugin;
use ccgate_agents::state::Command;
use ccgate_agents::state::store;
use ccgate_agents::storage::{skill_group, skill_level, user, user_role};
use ccgate_plugin_sdk::sea_orm::{ConnectOptions, Database, DatabaseConnection, EntityTrait};
use ccgate_plugin_sdk::serde_json::Value;
use ccgate_plugin_sdk::testing::{self, TestEnv};
use ccgate_plugin_sdk::{ActionSpec, Plugin};
use criterion::Criterion;
use tokio::runtime::Runtime;

const INSTANCE: &str = "ccc-test";
/// Users seeded for a real benchmark run.
const USERS: usize = 5_000;
/// Skill groups seeded.
const GROUPS: usize = 50;
/// Users seeded in test mode.
const TEST_MODE_USERS: usize = 200;
/// Page size of every ListRealtimeAgentStates request.
const PAGE_SIZE: usize = 100;
/// Rows per bulk INSERT (12 columns: well under SQLite's 32,766 bound variables).
const INSERT_CHUNK: usize = 500;

/// True unless criterion will really measure (it measures only with `--bench` and without
/// `--test`/`--list`, see criterion's `configure_from_args`).
fn test_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    !has("--bench") || has("--test") || has("--list")
}

/// The positional arguments criterion reads as filters (substring match is close enough for
/// deciding whether to take percentiles of a benchmark).
fn filters() -> Vec<String> {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .filter(|a| a.parse::<f64>().is_err())
        .collect()
}

fn spec(version: &str, action: &str) -> ActionSpec {
    *ccgate_agents::api::ACTIONS
        .iter()
        .find(|a| a.version == version && a.action == action)
        .unwrap_or_else(|| panic!("the agents plugin serves no {action} {version}"))
}

/// A migrated [`TestEnv`] over `db` with the agents plugin (as `TestEnv::new` builds one over
/// `sqlite::memory:`).
async fn env_over(db: DatabaseConnection) -> TestEnv {
    let agents: Arc<dyn Plugin> = Arc::new(AgentsPlugin::default());
    testing::event_log(&db).await.expect("event log");
    agents.migrate(&db).await.expect("migrate agents");
    TestEnv {
        db,
        plugins: vec![agents],
        clock: ccgate_plugin_sdk::time::Clock::system(),
        directory: Default::default(),
        telephony: Default::default(),
    }
}

/// The options of `ccgate_gateway::store::connect` for a SQLite URL.
async fn file_db(path: &std::path::Path) -> DatabaseConnection {
    let mut opts = ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()));
    opts.max_connections(4)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    opts.map_sqlx_sqlite_opts(|o| {
        o.journal_mode(ccgate_plugin_sdk::sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(ccgate_plugin_sdk::sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
    });
    Database::connect(opts).await.expect("open sqlite file")
}

fn login(i: usize) -> String {
    format!("agent{i:05}")
}

fn group_id(g: usize) -> String {
    format!("00000000-0000-4000-8000-{g:012}")
}

/// Inserts `users` users in [`GROUPS`] groups and signs every second one in, in a mix of
/// states. Returns the login of a READY agent (the one the transition benchmark moves).
async fn seed(env: &TestEnv, users: usize) -> String {
    use ccgate_plugin_sdk::sea_orm::Set;
    let db = &env.db;
    let now = ccgate_plugin_sdk::time::now_ms();
    let groups: Vec<skill_group::ActiveModel> = (0..GROUPS)
        .map(|g| skill_group::ActiveModel {
            id: Set(group_id(g)),
            instance_id: Set(INSTANCE.into()),
            name: Set(format!("group{g:02}")),
            description: Set(format!("Skill group {g}")),
            routing_strategy: Set(String::new()),
            allow_private_outbound_number: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    skill_group::Entity::insert_many(groups)
        .exec(db)
        .await
        .expect("insert groups");
    let ids: Vec<String> = (0..users)
        .map(|i| format!("00000000-0000-4000-9000-{i:012}"))
        .collect();
    let groups_of = |i: usize| [i % GROUPS, (i / GROUPS + i + 1) % GROUPS];
    for chunk in (0..users).collect::<Vec<_>>().chunks(INSERT_CHUNK) {
        let rows = chunk.iter().map(|&i| user::ActiveModel {
            id: Set(ids[i].clone()),
            instance_id: Set(INSTANCE.into()),
            ram_id: Set(format!("{}", 1_000_000_000_000_000u64 + i as u64)),
            login_name: Set(login(i)),
            display_name: Set(format!("Agent {i}")),
            email: Set(format!("{}@example.com", login(i))),
            phone: Set(format!("1390000{i:04}")),
            department: Set(String::new()),
            private_outbound_number_id: Set(None),
            extension: Set(format!("{}", 8001 + i)),
            created_at: Set(now),
            updated_at: Set(now),
        });
        user::Entity::insert_many(rows)
            .exec(db)
            .await
            .expect("insert users");
        let roles = chunk.iter().map(|&i| user_role::ActiveModel {
            user_id: Set(ids[i].clone()),
            role: Set("agent".into()),
            instance_id: Set(INSTANCE.into()),
        });
        user_role::Entity::insert_many(roles)
            .exec(db)
            .await
            .expect("insert roles");
        let levels = chunk.iter().flat_map(|&i| {
            let [a, b] = groups_of(i);
            let mut v = vec![(i, a)];
            if b != a {
                v.push((i, b));
            }
            v.into_iter().map(|(i, g)| skill_level::ActiveModel {
                id: Set(format!("{}-{g:02}", ids[i])),
                instance_id: Set(INSTANCE.into()),
                user_id: Set(ids[i].clone()),
                skill_group_id: Set(group_id(g)),
                level: Set(5),
            })
        });
        skill_level::Entity::insert_many(levels)
            .exec(db)
            .await
            .expect("insert memberships");
    }
    // Sign every second user in (as SignInGroup does), then move them on.
    let mut ready = None;
    for i in (0..users).step_by(2) {
        let agent = user::Entity::find_by_id(ids[i].clone())
            .one(db)
            .await
            .expect("read user")
            .expect("the user");
        let [a, b] = groups_of(i);
        let mut signed = vec![group_id(a)];
        if b != a {
            signed.push(group_id(b));
        }
        let mut commands = vec![Command::SignIn {
            skill_group_ids: signed,
            additive: false,
            device_id: format!("ACC-YUNBS-1.0.10-{i:05}"),
        }];
        let ready_cmd = Command::Ready {
            outbound_scenario: false,
        };
        match (i / 2) % 5 {
            0 => {}
            1 => commands.push(ready_cmd),
            2 => commands.push(Command::TakeBreak {
                code: "Lunch".into(),
            }),
            3 => commands.extend([
                ready_cmd,
                Command::Ring {
                    job_id: format!("job-{i}"),
                },
                Command::Answer,
            ]),
            _ => commands.extend([
                ready_cmd,
                Command::Ring {
                    job_id: format!("job-{i}"),
                },
                Command::Answer,
                Command::HangUp,
            ]),
        }
        for c in &commands {
            store::apply(db, &agent, c, ccgate_plugin_sdk::time::now_ms())
                .await
                .expect("storage")
                .unwrap_or_else(|r| panic!("refused {c:?}: {r:?}"));
        }
        if (i / 2) % 5 == 1 && ready.is_none() {
            ready = Some(login(i));
        }
    }
    ready.expect("a READY agent")
}

/// A seeded environment: the database, the agent the transition moves.
struct Seeded {
    name: &'static str,
    env: TestEnv,
    agent: String,
    _dir: Option<tempfile::TempDir>,
}

fn seeded(rt: &Runtime, name: &'static str, users: usize) -> Seeded {
    let (env, dir) = rt.block_on(async {
        if name == "memory" {
            (
                TestEnv::new(vec![Arc::new(AgentsPlugin::default())]).await,
                None,
            )
        } else {
            let dir = tempfile::tempdir().expect("tempdir");
            let db = file_db(&dir.path().join("agents.db")).await;
            (env_over(db).await, Some(dir))
        }
    });
    let started = Instant::now();
    let agent = rt.block_on(seed(&env, users));
    if !test_mode() {
        eprintln!(
            "seeded {name}: {users} users in {GROUPS} groups, {} signed in, in {:.2} s",
            users / 2,
            started.elapsed().as_secs_f64()
        );
    }
    Seeded {
        name,
        env,
        agent,
        _dir: dir,
    }
}

/// ListRealtimeAgentStates page `page` of [`PAGE_SIZE`], checked.
async fn list_page(env: &TestEnv, ctx: &ccgate_plugin_sdk::Context, page: &str) -> Value {
    let reply = testing::call(
        env.plugins[0].as_ref(),
        ctx,
        &[
            ("InstanceId", INSTANCE),
            ("PageNumber", page),
            ("PageSize", "100"),
        ],
    )
    .await
    .expect("ListRealtimeAgentStates");
    Value::Object(reply)
}

fn bench_agents(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let users = if test_mode() { TEST_MODE_USERS } else { USERS };
    let last_page = users.div_ceil(PAGE_SIZE).to_string();
    let pct_samples: usize = std::env::var("CCBENCH_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000);
    let filters = filters();
    let wanted = |id: &str| filters.is_empty() || filters.iter().any(|f| id.contains(f.as_str()));
    let list_spec = spec("2020-07-01", "ListRealtimeAgentStates");
    let take_break = spec("2020-07-01", "TakeBreak");
    let ready = spec("2020-07-01", "ReadyForService");

    for backend in ["memory", "file"] {
        let ids = [
            "ListRealtimeAgentStates_2020/page_1",
            "ListRealtimeAgentStates_2020/page_50",
            "transition/TakeBreak+ReadyForService",
        ];
        if !ids
            .iter()
            .any(|id| wanted(&format!("agents/{backend}/{id}")))
        {
            continue;
        }
        let s = seeded(&rt, backend, users);
        let env = &s.env;
        let list_ctx = env.ctx(list_spec, INSTANCE);
        // The answers are what they should be.
        rt.block_on(async {
            let first = list_page(env, &list_ctx, "1").await;
            assert_eq!(first["Data"]["TotalCount"], users as i64, "{first}");
            assert_eq!(first["Data"]["List"].as_array().unwrap().len(), PAGE_SIZE);
            assert_eq!(
                first["Data"]["List"][0]["AgentId"],
                format!("agent00000@{INSTANCE}")
            );
            let last = list_page(env, &list_ctx, &last_page).await;
            assert_eq!(
                last["Data"]["List"].as_array().unwrap().last().unwrap()["AgentId"],
                format!("{}@{INSTANCE}", login(users - 1))
            );
        });
        let pages = [("page_1", "1".to_string()), ("page_50", last_page.clone())];
        let take_ctx = env.ctx(take_break, INSTANCE);
        let ready_ctx = env.ctx(ready, INSTANCE);
        let agent = s.agent.clone();
        let take_pairs = [
            ("InstanceId", INSTANCE),
            ("UserId", agent.as_str()),
            ("Code", "Lunch"),
        ];
        let ready_pairs = [("InstanceId", INSTANCE), ("UserId", agent.as_str())];
        // One transition: TakeBreak when `on_break` is false, else ReadyForService.
        let on_break = Cell::new(false);
        let transition = || {
            let brk = !on_break.get();
            on_break.set(brk);
            let (ctx, pairs): (_, &[(&str, &str)]) = if brk {
                (&take_ctx, &take_pairs)
            } else {
                (&ready_ctx, &ready_pairs)
            };
            async move {
                let r = testing::call(env.plugins[0].as_ref(), ctx, pairs)
                    .await
                    .expect("transition");
                black_box(r)
            }
        };

        let mut g = c.benchmark_group(format!("agents/{}", s.name));
        for (label, page) in &pages {
            g.bench_function(format!("ListRealtimeAgentStates_2020/{label}"), |b| {
                b.to_async(&rt)
                    .iter(|| async { black_box(list_page(env, &list_ctx, page).await) })
            });
        }
        g.bench_function("transition/TakeBreak+ReadyForService", |b| {
            b.to_async(&rt).iter(&transition)
        });
        g.finish();

        if test_mode() || pct_samples == 0 {
            continue;
        }
        let report = |id: String, times: &mut Vec<Duration>| {
            times.sort();
            let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
            println!(
                "PERCENTILES {id}: n={} p50={:.1} µs p99={:.1} µs max={:.1} µs",
                times.len(),
                at(0.50).as_secs_f64() * 1e6,
                at(0.99).as_secs_f64() * 1e6,
                times.last().unwrap().as_secs_f64() * 1e6,
            );
        };
        for (label, page) in &pages {
            let id = format!("agents/{}/ListRealtimeAgentStates_2020/{label}", s.name);
            if !wanted(&id) {
                continue;
            }
            let mut times = rt.block_on(async {
                let mut times = Vec::with_capacity(pct_samples);
                for _ in 0..pct_samples {
                    let t = Instant::now();
                    black_box(list_page(env, &list_ctx, page).await);
                    times.push(t.elapsed());
                }
                times
            });
            report(id, &mut times);
        }
        let id = format!("agents/{}/transition/TakeBreak+ReadyForService", s.name);
        if wanted(&id) {
            let mut times = rt.block_on(async {
                let mut times = Vec::with_capacity(pct_samples);
                for _ in 0..pct_samples {
                    let t = Instant::now();
                    transition().await;
                    times.push(t.elapsed());
                }
                times
            });
            report(id, &mut times);
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_agents(&mut c);
    c.final_summary();
}
