//! The data generator of the reports benchmark (issue 13, docs/benchmarks.md "Reports"):
//! one instance with `--agents` agents in `--groups` skill groups (in the agents plugin's own
//! tables, so `agents.roster` pages them) and `--months` months of working days of calls and
//! the agents' state changes consistent with them, written straight into the reports plugin's
//! tables, then the daily rollups built by [`ccgate_reports::rebuild::rebuild`].
//!
//! ```text
//! cargo run --release -p ccgate-reports --example seed_reports -- \
//!     --database sqlite:///tmp/bench_reports.db [--calls 1000000] [--agents 500] [--groups 20] \
//!     [--months 12] [--instance bench-inst] [--end 2026-12-05] [--seed 1] [--reset] \
//!     [--create-database]
//! ```
//! (`cargo xtask seed-reports ...` runs exactly that.)
//!
//! What one working day (Monday-Friday, local days of Asia/Shanghai, the reports plugin's
//! default zone) looks like, per agent: signs in between 08:45 and 09:15 (BREAK `Warm-up`, its
//! skill groups), READY a few minutes later, its share of the attended calls spread over the
//! shift, a lunch BREAK around noon (45-60 min) and now and then a short BREAK `Rest`, signs out
//! (OFFLINE) after 17:30 and after its last call's work. An attended call is
//! - inbound through a skill group of the agent (~74%): waits 2-60 s in the queue, the agent
//!   goes RINGING (2-12 s), TALKING (lognormal-ish talk, 20 s-20 min) and WORKING after the call
//!   (5-120 s, the call's after-call work) then READY; ~6% of them are abandoned while ringing
//!   (`AbandonedRing`: RINGING then READY);
//! - outbound (~17%) or back-to-back (~9%), the agent's leg first: RINGING 1-3 s, TALKING while
//!   the customer is dialled (5-25 s) and talked to, WORKING after a connected call; ~20% are
//!   not answered (`NoAnswer`).
//!
//! 12% of `--calls` are unattended inbound calls spread over the working hours:
//! `AbandonedInQueue` and `QueueOverflow` (a skill group, no agent) and `AbandonedInContactFlow`
//! (IVR). Customers are 200,000 numbers with a skewed popularity; 8 call center numbers.
//!
//! Rows are written with multi-row INSERTs in large transactions: `reports_call` (with the
//! call's `work_ms` and `local_day`), `reports_state_fragment` (every closed period split at
//! local midnights by [`ccgate_reports::ingest::fragments_of`], OFFLINE nights and weekends
//! included, as the subscriber stores them), `reports_agent_open` (each agent's last period:
//! OFFLINE since its last sign-out), and `agents_instance_counters.state_seq` (the last `seq`
//! used, so live transitions continue after it). The agents plugin's own state log is not
//! written (the reports read only their own tables). Timings of each phase are printed.
//!
//! PostgreSQL: `postgres://postgres@127.0.0.1:5432/bench_reports`; `--create-database` creates
//! the database first when it is missing (never `test` or `postgres`). `--reset` deletes the
//! instance's rows from the agents and reports tables before seeding; without it, an instance
//! that already has calls is refused.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ccgate_agents::AgentsPlugin;
use ccgate_agents::storage::{counter, skill_group, skill_level, user, user_role};
use ccgate_plugin_sdk::Plugin;
use ccgate_plugin_sdk::sea_orm::ColumnTrait;
use ccgate_plugin_sdk::sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    EntityTrait, PaginatorTrait, QueryFilter, Set, Statement, TransactionTrait,
};
use ccgate_reports::ReportsPlugin;
use ccgate_reports::clock;
use ccgate_reports::facts::state;
use ccgate_reports::ingest::fragments_of;
use ccgate_reports::storage::{call, fragment, open};
use ccgate_reports::zones::Zones;
use chrono::{Datelike, Months, NaiveDate, Weekday};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Rows per INSERT statement.
const ROWS_PER_INSERT: usize = 1000;
/// Rows per transaction (about).
const ROWS_PER_TXN: usize = 200_000;
/// Share of `--calls` without an agent (abandoned in queue / IVR, overflow).
const UNATTENDED_SHARE: f64 = 0.12;
/// Distinct customer numbers.
const CUSTOMERS: u64 = 200_000;
/// Call center numbers of the instance.
const NUMBERS: usize = 8;

const SEC: i64 = 1000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;

#[derive(Debug, Clone)]
struct Args {
    database: String,
    calls: u64,
    agents: usize,
    groups: usize,
    months: u32,
    instance: String,
    end: NaiveDate,
    seed: u64,
    reset: bool,
    create_database: bool,
    describe: bool,
    rebuild_only: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: seed_reports --database URL [--calls 1000000] [--agents 500] [--groups 20] \
         [--months 12] [--instance bench-inst] [--end YYYY-MM-DD (default: today, UTC)] \
         [--seed 1] [--reset] [--create-database] | --database URL [--instance I] --describe | --rebuild-only"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args {
        database: String::new(),
        calls: 1_000_000,
        agents: 500,
        groups: 20,
        months: 12,
        instance: "bench-inst".into(),
        end: chrono::Utc::now().date_naive(),
        seed: 1,
        reset: false,
        create_database: false,
        describe: false,
        rebuild_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--database" => a.database = value(),
            "--calls" => a.calls = value().parse().unwrap_or_else(|_| usage()),
            "--agents" => a.agents = value().parse().unwrap_or_else(|_| usage()),
            "--groups" => a.groups = value().parse().unwrap_or_else(|_| usage()),
            "--months" => a.months = value().parse().unwrap_or_else(|_| usage()),
            "--instance" => a.instance = value(),
            "--end" => {
                a.end = NaiveDate::parse_from_str(&value(), "%Y-%m-%d").unwrap_or_else(|_| usage())
            }
            "--seed" => a.seed = value().parse().unwrap_or_else(|_| usage()),
            "--reset" => a.reset = true,
            "--create-database" => a.create_database = true,
            "--describe" => a.describe = true,
            "--rebuild-only" => a.rebuild_only = true,
            "-h" | "--help" => usage(),
            _ => {
                eprintln!("unknown argument {flag}");
                usage()
            }
        }
    }
    if a.database.is_empty() || a.agents == 0 || a.groups == 0 || a.months == 0 {
        usage()
    }
    a
}

/// SplitMix64: a small deterministic generator (the data depend on `--seed` only).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [lo, hi] (ms or counts).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.unit() * ((hi - lo + 1) as f64)) as i64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// A talk time: lognormal-ish around 3 minutes, 20 s to 20 min.
    fn talk(&mut self) -> i64 {
        let g: f64 = (0..4).map(|_| self.unit()).sum::<f64>() - 2.0; // ~N(0, 0.58)
        ((180.0 * (g * 1.4).exp()) as i64 * SEC).clamp(20 * SEC, 20 * MIN)
    }
}

fn login(i: usize) -> String {
    format!("agent{i:05}")
}
fn user_id(i: usize) -> String {
    format!("00000000-0000-4000-9000-{i:012}")
}
fn group_id(g: usize) -> String {
    format!("00000000-0000-4000-8000-{g:012}")
}
fn groups_of(i: usize, groups: usize) -> Vec<usize> {
    let (a, b) = (i % groups, (i / groups + i + 1) % groups);
    if a == b { vec![a] } else { vec![a, b] }
}
fn number(n: usize) -> String {
    format!("05718800{n:04}")
}

/// The SQL literal of a string.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
fn b(v: bool) -> &'static str {
    if v { "TRUE" } else { "FALSE" }
}

/// Multi-row INSERTs into one table, executed in the writer's current transaction.
struct Batch {
    head: String,
    sql: String,
    rows: usize,
    written: u64,
}

impl Batch {
    fn new(table: &str, cols: &[&str]) -> Self {
        Batch {
            head: format!(
                "INSERT INTO {table} ({}) VALUES ",
                cols.iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            sql: String::new(),
            rows: 0,
            written: 0,
        }
    }
    async fn push(&mut self, txn: &DatabaseTransaction, values: String) -> Res<()> {
        if self.rows == 0 {
            self.sql.clear();
            self.sql.push_str(&self.head);
        } else {
            self.sql.push(',');
        }
        self.sql.push('(');
        self.sql.push_str(&values);
        self.sql.push(')');
        self.rows += 1;
        if self.rows >= ROWS_PER_INSERT {
            self.flush(txn).await?;
        }
        Ok(())
    }
    async fn flush(&mut self, txn: &DatabaseTransaction) -> Res<()> {
        if self.rows > 0 {
            txn.execute_unprepared(&self.sql).await?;
            self.written += self.rows as u64;
            self.rows = 0;
        }
        Ok(())
    }
}

const CALL_COLS: &[&str] = &[
    "contact_id",
    "instance_id",
    "call_type",
    "caller",
    "callee",
    "call_center_number",
    "customer_number",
    "route_point",
    "route_kind",
    "agent_user_id",
    "agent_login_name",
    "agent_display_name",
    "skill_group_id",
    "transferred_by_user_id",
    "start_ms",
    "first_ring_ms",
    "first_answer_ms",
    "second_invite_ms",
    "second_ring_ms",
    "second_answer_ms",
    "bridged_ms",
    "release_ms",
    "release_initiator",
    "release_reason",
    "disposition",
    "agent_first",
    "work_ms",
    "local_day",
];

fn call_values(c: &call::Model) -> String {
    format!(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
        q(&c.contact_id),
        q(&c.instance_id),
        q(&c.call_type),
        q(&c.caller),
        q(&c.callee),
        q(&c.call_center_number),
        q(&c.customer_number),
        q(&c.route_point),
        q(&c.route_kind),
        q(&c.agent_user_id),
        q(&c.agent_login_name),
        q(&c.agent_display_name),
        q(&c.skill_group_id),
        q(&c.transferred_by_user_id),
        c.start_ms,
        c.first_ring_ms,
        c.first_answer_ms,
        c.second_invite_ms,
        c.second_ring_ms,
        c.second_answer_ms,
        c.bridged_ms,
        c.release_ms,
        q(&c.release_initiator),
        q(&c.release_reason),
        q(&c.disposition),
        b(c.agent_first),
        c.work_ms,
        c.local_day,
    )
}

const FRAGMENT_COLS: &[&str] = &[
    "instance_id",
    "start_seq",
    "local_day",
    "user_id",
    "state",
    "break_code",
    "skill_group_ids",
    "job_id",
    "frag_start_ms",
    "frag_end_ms",
    "first",
    "period_ms",
];

fn fragment_values(f: &fragment::Model) -> String {
    format!(
        "{},{},{},{},{},{},{},{},{},{},{},{}",
        q(&f.instance_id),
        f.start_seq,
        f.local_day,
        q(&f.user_id),
        q(&f.state),
        q(&f.break_code),
        q(&f.skill_group_ids),
        q(&f.job_id),
        f.frag_start_ms,
        f.frag_end_ms,
        b(f.first),
        f.period_ms,
    )
}

const OPEN_COLS: &[&str] = &[
    "instance_id",
    "user_id",
    "seq",
    "state",
    "break_code",
    "skill_group_ids",
    "job_id",
    "since_ms",
];

fn open_values(o: &open::Model) -> String {
    format!(
        "{},{},{},{},{},{},{},{}",
        q(&o.instance_id),
        q(&o.user_id),
        o.seq,
        q(&o.state),
        q(&o.break_code),
        q(&o.skill_group_ids),
        q(&o.job_id),
        o.since_ms,
    )
}

/// One transition of an agent: the state entered at `at`.
#[derive(Debug, Clone)]
struct Step {
    at: i64,
    agent: usize,
    /// Order within the agent's day (ties of `at`).
    k: u32,
    state: &'static str,
    break_code: &'static str,
    job_id: String,
}

/// The agents of the instance.
struct Agent {
    user_id: String,
    login: String,
    display: String,
    groups: Vec<String>,
    groups_json: String,
}

async fn connect(url: &str) -> Res<DatabaseConnection> {
    let url = if url.starts_with("sqlite:") && !url.contains('?') && !url.contains(":memory:") {
        format!("{url}?mode=rwc")
    } else {
        url.to_string()
    };
    let mut opts = ConnectOptions::new(url.clone());
    opts.max_connections(4)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(ccgate_plugin_sdk::sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(ccgate_plugin_sdk::sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
        });
    }
    Ok(Database::connect(opts).await?)
}

/// Creates the PostgreSQL database of `url` when it does not exist.
async fn create_database(url: &str) -> Res<()> {
    let Some((server, name)) = url.rsplit_once('/') else {
        return Err("no database name in the URL".into());
    };
    let name = name.split('?').next().unwrap_or_default();
    if !url.starts_with("postgres") {
        return Ok(());
    }
    if name.is_empty()
        || name == "test"
        || name == "postgres"
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(format!("refusing to create database {name:?}").into());
    }
    let admin = Database::connect(format!("{server}/postgres")).await?;
    let exists = admin
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
        ))
        .await?
        .is_some();
    if !exists {
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        println!("created database {name}");
    }
    admin.close().await?;
    Ok(())
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Res<()> {
    let args = parse_args();
    let total_started = Instant::now();
    if args.create_database {
        create_database(&args.database).await?;
    }
    let db = connect(&args.database).await?;
    let backend = db.get_database_backend();
    let inst = args.instance.clone();
    let zones = Zones::default();
    let tz = zones.of(&inst);
    if args.describe {
        return describe(&db, &inst, tz).await;
    }
    if args.rebuild_only {
        return rollups(&db, &zones, &inst).await;
    }

    // --- schema --------------------------------------------------------------------------
    let t = Instant::now();
    let agents_plugin: Arc<dyn Plugin> = Arc::new(AgentsPlugin::default());
    let reports_plugin: Arc<dyn Plugin> = Arc::new(ReportsPlugin::default());
    agents_plugin.migrate(&db).await?;
    reports_plugin.migrate(&db).await?;
    println!("migrated ({backend:?}) in {}", secs(t.elapsed()));

    let existing = call::Entity::find()
        .filter(call::Column::InstanceId.eq(inst.as_str()))
        .count(&db)
        .await?;
    if existing > 0 || args.reset {
        if !args.reset {
            return Err(format!(
                "instance {inst} already has {existing} calls: pass --reset to replace its data"
            )
            .into());
        }
        let t = Instant::now();
        let txn = db.begin().await?;
        for table in [
            "reports_call",
            "reports_state_fragment",
            "reports_agent_open",
            "reports_daily",
            "agents_skill_levels",
            "agents_user_roles",
            "agents_users",
            "agents_skill_groups",
            "agents_instance_counters",
            "agents_agent_states",
            "agents_state_log",
            "agents_skill_group_numbers",
        ] {
            txn.execute_unprepared(&format!(
                "DELETE FROM {table} WHERE instance_id = {}",
                q(&inst)
            ))
            .await?;
        }
        txn.commit().await?;
        println!("reset instance {inst} in {}", secs(t.elapsed()));
    }

    // --- agents and skill groups (the agents plugin's tables) ---------------------------
    let t = Instant::now();
    let now = ccgate_plugin_sdk::time::now_ms();
    let agents: Vec<Agent> = (0..args.agents)
        .map(|i| {
            let groups: Vec<String> = groups_of(i, args.groups)
                .into_iter()
                .map(group_id)
                .collect();
            Agent {
                user_id: user_id(i),
                login: login(i),
                display: format!("Agent {i}"),
                groups_json: serde_json::to_string(&groups).unwrap_or_default(),
                groups,
            }
        })
        .collect();
    {
        let txn = db.begin().await?;
        skill_group::Entity::insert_many((0..args.groups).map(|g| skill_group::ActiveModel {
            id: Set(group_id(g)),
            instance_id: Set(inst.clone()),
            name: Set(format!("group{g:02}")),
            description: Set(format!("Skill group {g}")),
            routing_strategy: Set(String::new()),
            allow_private_outbound_number: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        }))
        .exec(&txn)
        .await?;
        for chunk in (0..args.agents).collect::<Vec<_>>().chunks(500) {
            user::Entity::insert_many(chunk.iter().map(|&i| user::ActiveModel {
                id: Set(user_id(i)),
                instance_id: Set(inst.clone()),
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
            }))
            .exec(&txn)
            .await?;
            user_role::Entity::insert_many(chunk.iter().map(|&i| user_role::ActiveModel {
                user_id: Set(user_id(i)),
                role: Set("agent".into()),
                instance_id: Set(inst.clone()),
            }))
            .exec(&txn)
            .await?;
            skill_level::Entity::insert_many(
                chunk
                    .iter()
                    .flat_map(|&i| {
                        groups_of(i, args.groups)
                            .into_iter()
                            .map(move |g| (i, g))
                            .collect::<Vec<_>>()
                    })
                    .map(|(i, g)| skill_level::ActiveModel {
                        id: Set(format!("{}-{g:02}", user_id(i))),
                        instance_id: Set(inst.clone()),
                        user_id: Set(user_id(i)),
                        skill_group_id: Set(group_id(g)),
                        level: Set(5),
                    }),
            )
            .exec(&txn)
            .await?;
        }
        txn.commit().await?;
    }
    println!(
        "agents: {} users in {} skill groups in {}",
        args.agents,
        args.groups,
        secs(t.elapsed())
    );

    // --- the days --------------------------------------------------------------------------
    let first = args
        .end
        .checked_sub_months(Months::new(args.months))
        .ok_or("--end minus --months is out of range")?;
    let days: Vec<NaiveDate> = first
        .iter_days()
        .take_while(|d| *d < args.end)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    if days.is_empty() {
        return Err("no working day in the range".into());
    }
    let unattended_total = (args.calls as f64 * UNATTENDED_SHARE).round() as u64;
    let attended_total = args.calls - unattended_total;
    println!(
        "generating {} calls ({attended_total} attended, {unattended_total} unattended) over {} \
         working days {first} .. {} ({} local days)",
        args.calls,
        days.len(),
        args.end.pred_opt().unwrap_or(args.end),
        (args.end - first).num_days()
    );

    let t_gen = Instant::now();
    let mut rng = Rng(args.seed);
    let mut calls = Batch::new("reports_call", CALL_COLS);
    let mut frags = Batch::new("reports_state_fragment", FRAGMENT_COLS);
    let mut opens: Vec<Option<open::Model>> = vec![None; args.agents];
    let mut seq: i64 = 0;
    let mut contact: u64 = 0;
    let mut txn = db.begin().await?;
    let mut rows_in_txn = 0usize;
    let mut transitions = 0u64;
    let mut attended_done = 0u64;
    let mut unattended_done = 0u64;
    for (d_index, date) in days.iter().enumerate() {
        let day = clock::day_of(*date);
        let midnight = clock::day_start(tz, day);
        // This day's share of the attended calls, spread over the agents.
        let attended_today = (attended_total * (d_index as u64 + 1)) / days.len() as u64
            - (attended_total * d_index as u64) / days.len() as u64;
        let unattended_today = (unattended_total * (d_index as u64 + 1)) / days.len() as u64
            - (unattended_total * d_index as u64) / days.len() as u64;
        let mut steps: Vec<Step> = Vec::with_capacity(args.agents * 40);
        let mut day_calls: Vec<call::Model> = Vec::new();
        for (ai, agent) in agents.iter().enumerate() {
            let n_calls = (attended_today * (ai as u64 + 1)) / args.agents as u64
                - (attended_today * ai as u64) / args.agents as u64;
            let mut k = 0u32;
            let mut push = |steps: &mut Vec<Step>,
                            at: i64,
                            st: &'static str,
                            code: &'static str,
                            job: &str| {
                steps.push(Step {
                    at,
                    agent: ai,
                    k,
                    state: st,
                    break_code: code,
                    job_id: job.to_string(),
                });
                k += 1;
            };
            let sign_in = midnight + 8 * HOUR + 45 * MIN + rng.range(0, 30 * MIN);
            let shift_end = midnight + 17 * HOUR + 30 * MIN + rng.range(0, 60 * MIN);
            let lunch_at = midnight + 12 * HOUR + rng.range(0, 30 * MIN);
            push(&mut steps, sign_in, state::BREAK, state::WARM_UP, "");
            let mut at = sign_in + rng.range(MIN, 5 * MIN);
            push(&mut steps, at, state::READY, "", "");
            let mut had_lunch = false;
            // The READY time between calls that fills the shift.
            let busy = 230 * SEC;
            let avail = (shift_end - at - 50 * MIN) as f64;
            let gap_mean = ((avail / (n_calls as f64 + 1.0)) - busy as f64).max(10_000.0);
            for _ in 0..n_calls {
                at += (gap_mean * (0.5 + rng.unit())) as i64;
                if !had_lunch && at >= lunch_at {
                    had_lunch = true;
                    push(&mut steps, at, state::BREAK, "Lunch", "");
                    at += rng.range(45 * MIN, 60 * MIN);
                    push(&mut steps, at, state::READY, "", "");
                    at += rng.range(10 * SEC, 3 * MIN);
                } else if rng.chance(0.04) {
                    push(&mut steps, at, state::BREAK, "Rest", "");
                    at += rng.range(5 * MIN, 15 * MIN);
                    push(&mut steps, at, state::READY, "", "");
                    at += rng.range(10 * SEC, 2 * MIN);
                }
                contact += 1;
                let cid = format!("{}", 1_000_000_000_000_000u64 + contact);
                let customer = customer_number(&mut rng);
                let num = number(ai % NUMBERS);
                let kind = rng.unit();
                let mut c = call::Model {
                    contact_id: cid.clone(),
                    instance_id: inst.clone(),
                    agent_user_id: agent.user_id.clone(),
                    agent_login_name: agent.login.clone(),
                    agent_display_name: agent.display.clone(),
                    call_center_number: num.clone(),
                    customer_number: customer.clone(),
                    release_initiator: if rng.chance(0.5) { "customer" } else { "agent" }.into(),
                    release_reason: "200-OK".into(),
                    ..Default::default()
                };
                if kind < 0.74 {
                    // Inbound through one of the agent's groups.
                    let g = &agent.groups[rng.range(0, agent.groups.len() as i64 - 1) as usize];
                    let wait = rng.range(2 * SEC, 60 * SEC);
                    let ring = rng.range(2 * SEC, 12 * SEC);
                    c.call_type = "Inbound".into();
                    c.caller = customer;
                    c.callee = num;
                    c.route_kind = "SkillGroup".into();
                    c.route_point = g.clone();
                    c.skill_group_id = g.clone();
                    c.start_ms = at - wait;
                    c.first_ring_ms = c.start_ms + 100;
                    c.first_answer_ms = c.start_ms + 400;
                    c.second_invite_ms = at;
                    c.second_ring_ms = at + 150;
                    push(&mut steps, at, "RINGING", "", &cid);
                    if rng.chance(0.06) {
                        c.disposition = "AbandonedRing".into();
                        c.release_ms = at + ring;
                        c.release_initiator = "customer".into();
                        c.release_reason = "487-Request Terminated".into();
                        at = c.release_ms;
                        push(&mut steps, at, state::READY, "", "");
                    } else {
                        c.disposition = "Success".into();
                        c.second_answer_ms = at + ring;
                        c.bridged_ms = c.second_answer_ms;
                        c.release_ms = c.bridged_ms + rng.talk();
                        push(&mut steps, c.second_answer_ms, "TALKING", "", &cid);
                        let work = rng.range(5 * SEC, 120 * SEC);
                        c.work_ms = work;
                        push(&mut steps, c.release_ms, state::WORKING, "", &cid);
                        at = c.release_ms + work;
                        push(&mut steps, at, state::READY, "", "");
                    }
                } else {
                    // The agent's leg first: outbound or back-to-back.
                    c.call_type = if kind < 0.91 { "Outbound" } else { "Back2Back" }.into();
                    c.caller = num;
                    c.callee = customer;
                    c.agent_first = true;
                    c.start_ms = at;
                    c.first_ring_ms = at + 150;
                    c.first_answer_ms = at + rng.range(SEC, 3 * SEC);
                    c.second_invite_ms = c.first_answer_ms + 50;
                    c.second_ring_ms = c.second_invite_ms + 1500;
                    push(&mut steps, at, "RINGING", "", &cid);
                    push(&mut steps, c.first_answer_ms, "TALKING", "", &cid);
                    if rng.chance(0.2) {
                        c.disposition = "NoAnswer".into();
                        c.release_ms = c.second_invite_ms + rng.range(20 * SEC, 40 * SEC);
                        c.release_initiator = "agent".into();
                        c.release_reason = "480-Temporarily Unavailable".into();
                        at = c.release_ms;
                        push(&mut steps, at, state::READY, "", "");
                    } else {
                        c.disposition = "Success".into();
                        c.second_answer_ms = c.second_invite_ms + rng.range(5 * SEC, 25 * SEC);
                        c.bridged_ms = c.second_answer_ms;
                        c.release_ms = c.bridged_ms + rng.talk();
                        let work = rng.range(5 * SEC, 90 * SEC);
                        c.work_ms = work;
                        push(&mut steps, c.release_ms, state::WORKING, "", &cid);
                        at = c.release_ms + work;
                        push(&mut steps, at, state::READY, "", "");
                    }
                }
                c.local_day = clock::local_day(tz, c.start_ms);
                day_calls.push(c);
            }
            if !had_lunch && at < lunch_at {
                push(&mut steps, lunch_at, state::BREAK, "Lunch", "");
                at = lunch_at + rng.range(45 * MIN, 60 * MIN);
                push(&mut steps, at, state::READY, "", "");
            }
            let out = shift_end.max(at + rng.range(10 * SEC, 2 * MIN));
            push(&mut steps, out, state::OFFLINE, "", "");
        }
        // Unattended inbound calls, over the working hours.
        for _ in 0..unattended_today {
            contact += 1;
            let start = midnight + 8 * HOUR + 30 * MIN + rng.range(0, 10 * HOUR);
            let customer = customer_number(&mut rng);
            let num = number(rng.range(0, NUMBERS as i64 - 1) as usize);
            let g = group_id(rng.range(0, args.groups as i64 - 1) as usize);
            let r = rng.unit();
            let mut c = call::Model {
                contact_id: format!("{}", 1_000_000_000_000_000u64 + contact),
                instance_id: inst.clone(),
                call_type: "Inbound".into(),
                caller: customer.clone(),
                callee: num.clone(),
                call_center_number: num,
                customer_number: customer,
                start_ms: start,
                first_ring_ms: start + 100,
                first_answer_ms: start + 400,
                release_initiator: "customer".into(),
                release_reason: "200-OK".into(),
                local_day: clock::local_day(tz, start),
                ..Default::default()
            };
            if r < 0.5 {
                c.route_kind = "SkillGroup".into();
                c.route_point = g.clone();
                c.skill_group_id = g;
                c.disposition = "AbandonedInQueue".into();
                c.release_ms = start + rng.range(5 * SEC, 180 * SEC);
            } else if r < 0.75 {
                c.route_kind = "SkillGroup".into();
                c.route_point = g.clone();
                c.skill_group_id = g;
                c.disposition = "QueueOverflow".into();
                c.release_ms = start + rng.range(60 * SEC, 90 * SEC);
                c.release_initiator = "system".into();
            } else {
                c.route_kind = "ContactFlow".into();
                c.route_point = "flow-main".into();
                c.disposition = "AbandonedInContactFlow".into();
                c.release_ms = start + rng.range(3 * SEC, 60 * SEC);
            }
            day_calls.push(c);
        }
        // The day's transitions in time order: the instance's seq.
        steps.sort_by_key(|s| (s.at, s.agent, s.k));
        for s in steps {
            seq += 1;
            transitions += 1;
            let agent = &agents[s.agent];
            if let Some(o) = opens[s.agent].take() {
                let until = s.at.max(o.since_ms);
                for f in fragments_of(&o, until, tz) {
                    frags.push(&txn, fragment_values(&f)).await?;
                    rows_in_txn += 1;
                }
            }
            opens[s.agent] = Some(open::Model {
                instance_id: inst.clone(),
                user_id: agent.user_id.clone(),
                seq,
                state: s.state.to_string(),
                break_code: s.break_code.to_string(),
                skill_group_ids: if s.state == state::OFFLINE {
                    "[]".into()
                } else {
                    agent.groups_json.clone()
                },
                job_id: s.job_id,
                since_ms: s.at,
            });
        }
        for c in &day_calls {
            calls.push(&txn, call_values(c)).await?;
            rows_in_txn += 1;
            if c.agent_user_id.is_empty() {
                unattended_done += 1;
            } else {
                attended_done += 1;
            }
        }
        if rows_in_txn >= ROWS_PER_TXN {
            calls.flush(&txn).await?;
            frags.flush(&txn).await?;
            txn.commit().await?;
            txn = db.begin().await?;
            rows_in_txn = 0;
        }
        if (d_index + 1) % 20 == 0 || d_index + 1 == days.len() {
            println!(
                "  {date}: {} calls, {} fragments, {transitions} transitions so far ({})",
                calls.written + calls.rows as u64,
                frags.written + frags.rows as u64,
                secs(t_gen.elapsed())
            );
        }
    }
    calls.flush(&txn).await?;
    frags.flush(&txn).await?;
    // Each agent's last period stays open (OFFLINE since the last sign-out).
    let mut open_rows = Batch::new("reports_agent_open", OPEN_COLS);
    for o in opens.iter().flatten() {
        open_rows.push(&txn, open_values(o)).await?;
    }
    open_rows.flush(&txn).await?;
    counter::Entity::insert(counter::ActiveModel {
        instance_id: Set(inst.clone()),
        state_seq: Set(seq),
        last_extension: Set(8000 + args.agents as i64),
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    let gen_time = t_gen.elapsed();
    println!(
        "wrote {} calls ({attended_done} attended, {unattended_done} unattended), {} state \
         fragments of {transitions} transitions, {} open periods in {} ({:.0} rows/s)",
        calls.written,
        frags.written,
        open_rows.written,
        secs(gen_time),
        (calls.written + frags.written) as f64 / gen_time.as_secs_f64()
    );

    let t = Instant::now();
    db.execute_unprepared("ANALYZE").await?;
    println!("ANALYZE in {}", secs(t.elapsed()));

    rollups(&db, &zones, &inst).await?;
    println!(
        "seeded instance {inst}: {} calls, {} agents, {} skill groups, {} .. {} in {}",
        calls.written,
        args.agents,
        args.groups,
        first,
        args.end,
        secs(total_started.elapsed())
    );
    db.close().await?;
    Ok(())
}

/// Builds the instance's rollups ([`ccgate_reports::rebuild::rebuild`]), then refreshes the
/// planner's statistics; prints the timings.
async fn rollups(db: &DatabaseConnection, zones: &Zones, inst: &str) -> Res<()> {
    let backend = db.get_database_backend();
    let t = Instant::now();
    let done = ccgate_reports::rebuild::rebuild(db, zones, Some(inst)).await?;
    println!(
        "rebuild: {} calls, {} fragments read, {} daily rows written in {}",
        done.calls,
        done.fragments,
        done.rows,
        secs(t.elapsed())
    );
    let t = Instant::now();
    if backend == DbBackend::Postgres {
        // The planner's statistics and the visibility map (index-only scans) after the load,
        // as autovacuum would leave them.
        db.execute_unprepared("VACUUM ANALYZE").await?;
    } else {
        db.execute_unprepared("ANALYZE").await?;
    }
    println!("final (VACUUM) ANALYZE in {}", secs(t.elapsed()));
    Ok(())
}

/// Prints what a seeded instance covers, as shell assignments for bench/reports.sh: its first
/// and last local days (`*_LOCAL`: yyyy-mm-dd; `*_MS`: UTC epoch ms of their local midnight;
/// `END_MS`: the midnight after the last day; `FROM30`: 30 days before the end) and sample
/// filter values from its last attended call.
async fn describe(db: &DatabaseConnection, inst: &str, tz: chrono_tz::Tz) -> Res<()> {
    use ccgate_plugin_sdk::sea_orm::{QueryOrder, QuerySelect};
    use ccgate_reports::storage::daily;
    let days: Vec<i32> = daily::Entity::find()
        .select_only()
        .column(daily::Column::LocalDay)
        .filter(daily::Column::InstanceId.eq(inst))
        .filter(daily::Column::Dim.eq(daily::INSTANCE))
        .order_by_asc(daily::Column::LocalDay)
        .into_tuple()
        .all(db)
        .await?;
    let (Some(&first), Some(&last)) = (days.first(), days.last()) else {
        return Err(format!("instance {inst} has no rollups: seed it first").into());
    };
    let latest = call::Entity::find()
        .filter(call::Column::InstanceId.eq(inst))
        .filter(call::Column::AgentUserId.ne(""))
        .order_by_desc(call::Column::StartMs)
        .one(db)
        .await?
        .ok_or("no attended call")?;
    let date = |day: i32| clock::date_of(day).format("%Y-%m-%d").to_string();
    let from30 = last - 29;
    for (k, v) in [
        ("FIRST_LOCAL", date(first)),
        ("LAST_LOCAL", date(last)),
        ("FROM30_LOCAL", date(from30)),
        ("FIRST_MS", clock::day_start(tz, first).to_string()),
        ("LAST_MS", clock::day_start(tz, last).to_string()),
        ("FROM30_MS", clock::day_start(tz, from30).to_string()),
        ("END_MS", clock::day_start(tz, last + 1).to_string()),
        ("CUSTOMER", latest.customer_number),
        ("LOGIN", latest.agent_login_name),
        ("NUMBER", latest.call_center_number),
        ("CONTACT", latest.contact_id),
    ] {
        println!("{k}={v}");
    }
    Ok(())
}

/// A customer's number: 200,000 numbers, the low ones far more frequent (regular callers).
fn customer_number(rng: &mut Rng) -> String {
    let u = rng.unit();
    let i = ((u * u * u) * CUSTOMERS as f64) as u64;
    format!("1380{:07}", i)
}
