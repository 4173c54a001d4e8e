//! Report actions over a year of history (issue 13; docs/benchmarks.md, "Reports (issue 13)"),
//! in process: each request goes through the plugin's generated dispatch as the gateway makes
//! it (`ccgate_plugin_sdk::testing::call`, AccessKey/admin caller), with the real agents plugin
//! answering `agents.roster` / `agents.skill_group_index` / `agents.skill_groups`.
//!
//! The database is one seeded beforehand by `examples/seed_reports.rs` (`cargo xtask
//! seed-reports`), named by `REPORTS_BENCH_DB` (a sea-orm URL: `sqlite:///tmp/x.db`,
//! `postgres://postgres@127.0.0.1:5432/bench_reports`); without it the bench prints why and
//! measures nothing (so `cargo test --all-targets` passes everywhere).
//! `REPORTS_BENCH_INSTANCE` (default `bench-inst`) is the seeded instance,
//! `CCBENCH_SAMPLES` (default 300) the number of single calls timed per benchmark for p50/p99
//! (`PERCENTILES ...` lines; 0 = none).
//!
//! Ranges are taken from the data: the last seeded local day `L`, the first `F`.
//! - `ListAgentSummaryReports/30d_page_1_of_100`, `/30d_page_5_of_100`: days `L-29 ..= L`
//!   (`00:00:00` .. `23:59:59`), PageSize 100;
//!   `/30d_partial_edges_page_1`: the same range from 09:30 to 15:00 (two raw edge days);
//! - `GetInstanceSummaryReport/12m`: `F ..= L`;
//! - `ListCallDetailRecords/...`: page 1 of 20 (the default PageSize of the SDK examples), ASC;
//!   `time_1d` / `time_30d` / `time_12m`: the time range only; every other one the 12-month
//!   range plus ONE filter: `ContactType=Inbound` (74% of the rows) and `=Back2Back` (8%),
//!   `ContactDisposition=Success` (most) and `=AbandonedInQueue` (~6%), `Criteria=<customer>`
//!   (the customer number of the last call), `Criteria=<login>` (an agent's login name),
//!   `Criteria=group00` (a skill group's name: its calls, ~5%),
//!   `PhoneNumber=<number>` (a call center number, 1/8 of the calls), `ContactId=<id>`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ccgate_agents::AgentsPlugin;
use ccgate_plugin_sdk::sea_orm::{
    ColumnTrait, ConnectOptions, Database, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use ccgate_plugin_sdk::serde_json::Value;
use ccgate_plugin_sdk::testing::{self, TestEnv};
use ccgate_plugin_sdk::{ActionSpec, Plugin};
use ccgate_reports::ReportsPlugin;
use ccgate_reports::clock;
use ccgate_reports::storage::{call, daily};
use ccgate_reports::zones::Zones;
use criterion::Criterion;

/// True unless criterion will really measure (it measures only with `--bench` and without
/// `--test`/`--list`, see criterion's `configure_from_args`).
fn test_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    !has("--bench") || has("--test") || has("--list")
}

/// The positional arguments criterion reads as filters.
fn filters() -> Vec<String> {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .filter(|a| a.parse::<f64>().is_err())
        .collect()
}

fn spec(action: &str) -> ActionSpec {
    *ccgate_reports::api::ACTIONS
        .iter()
        .find(|a| a.action == action)
        .unwrap_or_else(|| panic!("the reports plugin serves no {action}"))
}

/// The database as `ccgate serve` opens it (SQLite: WAL, synchronous=NORMAL).
async fn open(url: &str) -> DatabaseConnection {
    let mut opts = ConnectOptions::new(url.to_string());
    opts.max_connections(4)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(ccgate_plugin_sdk::sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(ccgate_plugin_sdk::sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
        });
    }
    Database::connect(opts)
        .await
        .expect("open REPORTS_BENCH_DB")
}

/// One measured request: its id, action and parameters.
struct Case {
    id: String,
    spec: ActionSpec,
    pairs: Vec<(&'static str, String)>,
}

/// One call of `case` through the reports plugin's dispatch; its reply's fields.
async fn run(
    env: &TestEnv,
    instance: &str,
    case: &Case,
) -> ccgate_plugin_sdk::serde_json::Map<String, Value> {
    let ctx = env.ctx(case.spec, instance);
    let pairs: Vec<(&str, &str)> = case.pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    testing::call(env.plugins[0].as_ref(), &ctx, &pairs)
        .await
        .unwrap_or_else(|e| panic!("{}: {pairs:?}: {e:?}", case.id))
}

fn bench_reports(c: &mut Criterion) {
    let Ok(url) = std::env::var("REPORTS_BENCH_DB") else {
        eprintln!(
            "reports bench: REPORTS_BENCH_DB is not set; seed a database with `cargo xtask \
             seed-reports --database URL` and set REPORTS_BENCH_DB=URL (docs/benchmarks.md). \
             Nothing measured."
        );
        return;
    };
    let instance =
        std::env::var("REPORTS_BENCH_INSTANCE").unwrap_or_else(|_| "bench-inst".to_string());
    let backend = if url.starts_with("postgres") {
        "postgres"
    } else if url.starts_with("mysql") {
        "mysql"
    } else {
        "sqlite"
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let db = rt.block_on(open(&url));
    let plugins: Vec<Arc<dyn Plugin>> = vec![
        Arc::new(ReportsPlugin::default()),
        Arc::new(AgentsPlugin::default()),
    ];
    let env = TestEnv {
        db: db.clone(),
        plugins,
        clock: ccgate_plugin_sdk::time::Clock::system(),
        directory: Default::default(),
        telephony: Default::default(),
    };
    let tz = Zones::default().of(&instance);

    // The data's extent and sample values, from the database.
    let (first, last, latest) = rt.block_on(async {
        let days: Vec<i32> = daily::Entity::find()
            .select_only()
            .column(daily::Column::LocalDay)
            .filter(daily::Column::InstanceId.eq(instance.as_str()))
            .filter(daily::Column::Dim.eq(daily::INSTANCE))
            .order_by_asc(daily::Column::LocalDay)
            .into_tuple()
            .all(&db)
            .await
            .expect("read reports_daily");
        let latest = call::Entity::find()
            .filter(call::Column::InstanceId.eq(instance.as_str()))
            .filter(call::Column::AgentUserId.ne(""))
            .order_by_desc(call::Column::StartMs)
            .one(&db)
            .await
            .expect("read reports_call");
        (days.first().copied(), days.last().copied(), latest)
    });
    let (Some(first), Some(last), Some(latest)) = (first, last, latest) else {
        eprintln!(
            "reports bench: instance {instance} of REPORTS_BENCH_DB has no rollups or calls \
             (seed it first). Nothing measured."
        );
        return;
    };
    let local = |day: i32, hms: &str| {
        let (y, m, d) = clock::ymd(day);
        format!("{y:04}-{m:02}-{d:02} {hms}")
    };
    let from30 = last - 29;
    let ms = |day: i32| clock::day_start(tz, day).to_string();
    eprintln!(
        "reports bench ({backend}): instance {instance}, days {} .. {}",
        local(first, ""),
        local(last, "")
    );

    let agent_report = spec("ListAgentSummaryReports");
    let instance_report = spec("GetInstanceSummaryReport");
    let cdr = spec("ListCallDetailRecords");
    let mut cases = Vec::new();
    for (label, start, end, page) in [
        (
            "30d_page_1_of_100",
            local(from30, "00:00:00"),
            local(last, "23:59:59"),
            "1",
        ),
        (
            "30d_page_5_of_100",
            local(from30, "00:00:00"),
            local(last, "23:59:59"),
            "5",
        ),
        (
            "30d_partial_edges_page_1",
            local(from30, "09:30:00"),
            local(last, "15:00:00"),
            "1",
        ),
    ] {
        cases.push(Case {
            id: format!("ListAgentSummaryReports/{label}"),
            spec: agent_report,
            pairs: vec![
                ("StartTime", start),
                ("EndTime", end),
                ("PageNumber", page.into()),
                ("PageSize", "100".into()),
            ],
        });
    }
    cases.push(Case {
        id: "GetInstanceSummaryReport/12m".into(),
        spec: instance_report,
        pairs: vec![
            ("StartTime", local(first, "00:00:00")),
            ("EndTime", local(last, "23:59:59")),
        ],
    });
    let cdr_case = |label: &str, from: i32, filter: Option<(&'static str, String)>| {
        let mut pairs = vec![
            ("StartTime", ms(from)),
            ("StopTime", ms(last + 1)),
            ("PageNumber", "1".to_string()),
            ("PageSize", "20".to_string()),
        ];
        pairs.extend(filter);
        Case {
            id: format!("ListCallDetailRecords/{label}"),
            spec: cdr,
            pairs,
        }
    };
    cases.push(cdr_case("time_1d", last, None));
    cases.push(cdr_case("time_30d", from30, None));
    cases.push(cdr_case("time_12m", first, None));
    for (label, key, value) in [
        ("ContactType=Inbound", "ContactType", "Inbound".to_string()),
        ("ContactType=Back2Back", "ContactType", "Back2Back".into()),
        (
            "ContactDisposition=Success",
            "ContactDisposition",
            "Success".into(),
        ),
        (
            "ContactDisposition=AbandonedInQueue",
            "ContactDisposition",
            "AbandonedInQueue".into(),
        ),
        (
            "Criteria=customer",
            "Criteria",
            latest.customer_number.clone(),
        ),
        (
            "Criteria=login",
            "Criteria",
            latest.agent_login_name.clone(),
        ),
        // A skill group's name: every call of one of the 20 groups (~5% of the year).
        ("Criteria=group", "Criteria", "group00".into()),
        (
            "PhoneNumber",
            "PhoneNumber",
            latest.call_center_number.clone(),
        ),
        ("ContactId", "ContactId", latest.contact_id.clone()),
    ] {
        cases.push(cdr_case(&format!("12m_{label}"), first, Some((key, value))));
    }

    let filters = filters();
    let wanted = |id: &str| filters.is_empty() || filters.iter().any(|f| id.contains(f.as_str()));
    // The answers are what they should be; their sizes for the record.
    for case in cases
        .iter()
        .filter(|c| wanted(&format!("reports/{backend}/{}", c.id)))
    {
        let reply = Value::Object(rt.block_on(run(&env, &instance, case)));
        let summary = if let Some(p) = reply.get("PagedAgentSummaryReport") {
            let n = p["List"].as_array().map_or(0, Vec::len);
            assert!(n > 0, "{}: no agents", case.id);
            format!("TotalCount {} agents, {n} rows", p["TotalCount"])
        } else if let Some(p) = reply.get("CallDetailRecords") {
            // `List` is `{"CallDetailRecord": [...]}` (the seed's wire form).
            let list = &p["List"];
            let n = list
                .as_array()
                .or_else(|| list["CallDetailRecord"].as_array())
                .map_or(0, Vec::len);
            assert!(n > 0, "{}: no records", case.id);
            format!("TotalCount {} records, {n} rows", p["TotalCount"])
        } else {
            let r = &reply["InstanceSummaryReport"];
            assert!(
                r["Overall"]["TotalCalls"].as_i64().unwrap_or_default() > 0,
                "{}: no calls",
                case.id
            );
            format!("TotalCalls {}", r["Overall"]["TotalCalls"])
        };
        eprintln!(
            "  {}: {summary}; {} bytes of JSON",
            case.id,
            reply.to_string().len()
        );
    }

    let mut g = c.benchmark_group(format!("reports/{backend}"));
    for case in &cases {
        g.bench_function(case.id.clone(), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(run(&env, &instance, case).await) })
        });
    }
    g.finish();

    let samples: usize = std::env::var("CCBENCH_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    if test_mode() || samples == 0 {
        return;
    }
    for case in &cases {
        let id = format!("reports/{backend}/{}", case.id);
        if !wanted(&id) {
            continue;
        }
        let mut times = rt.block_on(async {
            let mut times = Vec::with_capacity(samples);
            for _ in 0..samples {
                let t = Instant::now();
                black_box(run(&env, &instance, case).await);
                times.push(t.elapsed());
            }
            times
        });
        times.sort();
        let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        println!(
            "PERCENTILES {id}: n={} p50={:.2} ms p99={:.2} ms max={:.2} ms",
            times.len(),
            at(0.50).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3,
        );
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_reports(&mut c);
    c.final_summary();
}
