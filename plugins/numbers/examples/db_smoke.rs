//! Runs the numbers actions against a real database and times 2020 ListPhoneNumbers over
//! 10,000 numbers (seed 002; the unit tests use in-memory SQLite only).
//!
//! ```text
//! cargo run -p ccgate-numbers --example db_smoke -- postgres://postgres@127.0.0.1/scratch
//! cargo run -p ccgate-numbers --example db_smoke -- mysql://root@127.0.0.1/scratch
//! cargo run -p ccgate-numbers --example db_smoke -- sqlite::memory:
//! ```
//!
//! The URL must name a scratch database: the example migrates it twice (idempotence), runs the
//! actions, checks their answers and that the per-instance count (`numbers_instance_counts`)
//! stays `COUNT(*)` (after the bulk adds, after migration M0003 is rolled back and re-run, and
//! under concurrent adds and removals: not on `sqlite::memory:`, where each pooled connection
//! has its own database; use a file, `sqlite:///tmp/smoke.db?mode=rwc`), then rolls the numbers
//! migrations back (dropping the
//! `numbers_*` tables; set `DB_SMOKE_KEEP=1` to keep them for inspection). It exits non-zero on
//! the first failed check.

use std::sync::Arc;
use std::time::Instant;

use ccgate_numbers::NumbersPlugin;
use ccgate_numbers::api::ACTIONS;
use ccgate_numbers::storage::migration::Migrator;
use ccgate_numbers::storage::{instance_counts, phone_number};
use ccgate_plugin_sdk::sea_orm::{
    ColumnTrait, ConnectOptions, Database, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use ccgate_plugin_sdk::sea_orm_migration::MigratorTrait;
use ccgate_plugin_sdk::serde_json::{Value, json};
use ccgate_plugin_sdk::testing::PluginServices;
use ccgate_plugin_sdk::{ApiResult, Context, ErrorStyle, Params, Plugin, Principal};

const INSTANCE: &str = "ccc-smoke";

async fn call(
    db: &DatabaseConnection,
    plugin: &Arc<dyn Plugin>,
    version: &str,
    action: &str,
    pairs: &[(&str, &str)],
) -> ApiResult<Value> {
    call_in(db, plugin, INSTANCE, version, action, pairs).await
}

async fn call_in(
    db: &DatabaseConnection,
    plugin: &Arc<dyn Plugin>,
    instance: &str,
    version: &str,
    action: &str,
    pairs: &[(&str, &str)],
) -> ApiResult<Value> {
    let index = ACTIONS
        .iter()
        .position(|s| s.version == version && s.action == action)
        .expect("known action");
    let spec = ACTIONS[index];
    let ctx = Context {
        request_id: "SMOKE".into(),
        account_id: "acc-smoke".into(),
        principal: Principal::AccessKey { id: "ak".into() },
        role: ccgate_plugin_sdk::Role::Admin,
        caller_scope: None,
        token: None,
        spec,
        instance_id: Some(instance.into()),
        account_instances: vec![instance.into()],
        db: db.clone(),
        services: Arc::new(PluginServices::new(vec![plugin.clone()])),
        clock: Default::default(),
    };
    let style = if spec.is_2020() {
        ErrorStyle::V2020
    } else {
        ErrorStyle::Legacy
    };
    let mut all = vec![("InstanceId", instance)];
    all.extend_from_slice(pairs);
    let reply = plugin
        .handle(&ctx, index, &Params::from_pairs(&all, style))
        .await?;
    Ok(reply.into_value())
}

fn check(what: &str, ok: bool, detail: impl std::fmt::Display) {
    if !ok {
        eprintln!("FAILED: {what}: {detail}");
        std::process::exit(1);
    }
    println!("ok: {what}");
}

/// Checks that the maintained count of `instance` (`numbers_instance_counts`) is `COUNT(*)`
/// of its numbers, and that it is `expected`.
async fn check_count(db: &DatabaseConnection, instance: &str, expected: u64) {
    let kept = instance_counts::get(db, instance).await.expect("count row");
    let rows = phone_number::Entity::find()
        .filter(phone_number::Column::InstanceId.eq(instance))
        .count(db)
        .await
        .expect("COUNT(*)");
    check(
        &format!("{instance}: maintained count = COUNT(*) = {expected}"),
        kept == rows && rows == expected,
        format!("maintained {kept}, COUNT(*) {rows}"),
    );
}

/// Concurrent writes on a fresh instance: 16 tasks whose first adds race to create the
/// instance's count row, who all try to add one shared number (one wins), then remove every
/// number twice at once (one removal wins each). The count must stay `COUNT(*)`.
async fn concurrent_writes(db: &DatabaseConnection, plugin: &Arc<dyn Plugin>) {
    const RACE: &str = "ccc-smoke-race";
    const V17: &str = "2017-07-05";
    const TASKS: usize = 16;
    const EACH: usize = 10;
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let (db, plugin) = (db.clone(), plugin.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            let mut conflicts = 0;
            let numbers = (0..EACH)
                .map(|i| format!("0390{t:02}{i:05}"))
                .chain(["039999999999".to_string()]);
            for number in numbers {
                let pairs = [("PhoneNumber", number.as_str()), ("Usage", "Inbound")];
                match call_in(&db, &plugin, RACE, V17, "AddPhoneNumber", &pairs).await {
                    Ok(v) => ids.push(
                        v["PhoneNumber"]["PhoneNumberId"]
                            .as_str()
                            .unwrap()
                            .to_string(),
                    ),
                    Err(e) if e.code == "Conflict.PhoneNumber" => conflicts += 1,
                    Err(e) => panic!("add {number}: {e}"),
                }
            }
            (ids, conflicts)
        }));
    }
    let mut ids = Vec::new();
    let mut conflicts = 0;
    for t in tasks {
        let (i, c) = t.await.expect("task");
        ids.extend(i);
        conflicts += c;
    }
    check(
        "concurrent adds: the shared number bound once",
        ids.len() == TASKS * EACH + 1 && conflicts == TASKS - 1,
        format!("{} added, {conflicts} conflicts", ids.len()),
    );
    check_count(db, RACE, ids.len() as u64).await;
    let mut tasks = Vec::new();
    for id in ids.iter().chain(ids.iter()) {
        let (db, plugin, id) = (db.clone(), plugin.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            let pairs = [("PhoneNumberId", id.as_str())];
            match call_in(&db, &plugin, RACE, V17, "RemovePhoneNumber", &pairs).await {
                Ok(_) => 1,
                Err(e) if e.code == "NotExists.PhoneNumberId" => 0,
                Err(e) => panic!("remove {id}: {e}"),
            }
        }));
    }
    let mut removed = 0;
    for t in tasks {
        removed += t.await.expect("task");
    }
    check(
        "concurrent removals: each number removed once",
        removed == ids.len(),
        format!("{removed} of {}", ids.len()),
    );
    check_count(db, RACE, 0).await;
}

#[tokio::main]
async fn main() {
    let url = std::env::args()
        .nth(1)
        .expect("usage: db_smoke <database url>");
    let mut opts = ConnectOptions::new(url.clone());
    opts.max_connections(8).sqlx_logging(false);
    let db = Database::connect(opts).await.expect("connect");
    let plugin: Arc<dyn Plugin> = Arc::new(NumbersPlugin::new());
    plugin.migrate(&db).await.expect("migrate");
    plugin.migrate(&db).await.expect("migrate again");
    println!("ok: migrations on {url}");

    const V17: &str = "2017-07-05";
    const V20: &str = "2020-07-01";
    let v = call(
        &db,
        &plugin,
        V17,
        "AddPhoneNumber",
        &[("PhoneNumber", "053168962496"), ("Usage", "Bidirection")],
    )
    .await
    .expect("add");
    let id = v["PhoneNumber"]["PhoneNumberId"]
        .as_str()
        .unwrap()
        .to_string();
    let e = call(
        &db,
        &plugin,
        V17,
        "AddPhoneNumber",
        &[("PhoneNumber", "053168962496"), ("Usage", "Inbound")],
    )
    .await
    .unwrap_err();
    check(
        "duplicate number is 409",
        e.code == "Conflict.PhoneNumber",
        &e,
    );
    let v = call(
        &db,
        &plugin,
        V17,
        "ModifyPhoneNumber",
        &[
            ("PhoneNumberId", &id),
            ("Usage", "Outbound"),
            ("SkillGroupId.1", "sg-1"),
            ("SkillGroupId.2", "sg-2"),
        ],
    )
    .await
    .expect("modify");
    check(
        "modify binds skill groups",
        v["PhoneNumber"]["SkillGroups"]["SkillGroup"]
            .as_array()
            .map(Vec::len)
            == Some(2),
        &v,
    );

    // 10,000 numbers in 10 bulk calls, a tenth of them in skill group sg-1.
    let started = Instant::now();
    for batch in 0..10 {
        let numbers: Vec<(String, String)> = (0..1000)
            .map(|i| {
                (
                    format!("PhoneNumber.{}", i + 1),
                    format!("0216{batch:02}{i:05}"),
                )
            })
            .collect();
        let mut pairs: Vec<(&str, &str)> = numbers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let usage = if batch % 2 == 0 {
            "Outbound"
        } else {
            "Inbound"
        };
        pairs.push(("Usage", usage));
        if batch == 0 {
            pairs.push(("SkillGroupId.1", "sg-1"));
        }
        let v = call(&db, &plugin, V17, "AddBulkPhoneNumbers", &pairs)
            .await
            .expect("bulk");
        let added = v["PhoneNumbers"]["PhoneNumber"].as_array().map(Vec::len);
        check(
            &format!("bulk batch {batch}"),
            added == Some(1000),
            json!(added),
        );
    }
    println!("   10,000 numbers added in {:?}", started.elapsed());
    check_count(&db, INSTANCE, 10_001).await;
    // Migration M0003 again (down one step drops the counts, up fills them from the rows).
    Migrator::down(&db, Some(1)).await.expect("down M0003");
    Migrator::up(&db, None).await.expect("up M0003");
    check_count(&db, INSTANCE, 10_001).await;
    if url.starts_with("sqlite::memory:") {
        println!(
            "   (concurrent writes skipped: every pooled connection has its own memory database)"
        );
    } else {
        concurrent_writes(&db, &plugin).await;
    }

    let timed = |label: &'static str, pairs: Vec<(&'static str, &'static str)>| {
        let db = db.clone();
        let plugin = plugin.clone();
        async move {
            let started = Instant::now();
            let v = call(&db, &plugin, V20, "ListPhoneNumbers", &pairs)
                .await
                .expect(label);
            println!("   {label}: {:?}", started.elapsed());
            v
        }
    };
    let v = timed(
        "2020 list, page 1",
        vec![("PageNumber", "1"), ("PageSize", "100")],
    )
    .await;
    check(
        "total 10,001",
        v["Data"]["TotalCount"] == json!(10001),
        &v["Data"]["TotalCount"],
    );
    let v = timed(
        "2020 list, page 100",
        vec![("PageNumber", "100"), ("PageSize", "100")],
    )
    .await;
    check(
        "page 100 is full",
        v["Data"]["List"].as_array().map(Vec::len) == Some(100),
        "",
    );
    let v = timed(
        "2020 list, Usage + SearchPattern",
        vec![
            ("PageNumber", "1"),
            ("PageSize", "20"),
            ("Usage", "Outbound"),
            ("SearchPattern", "021604"),
        ],
    )
    .await;
    check(
        "filtered total",
        v["Data"]["TotalCount"] == json!(1000),
        &v["Data"]["TotalCount"],
    );
    let v = timed(
        "2020 list, Active=false",
        vec![("PageNumber", "1"), ("PageSize", "20"), ("Active", "false")],
    )
    .await;
    check(
        "no inactive numbers",
        v["Data"]["TotalCount"] == json!(0),
        &v["Data"]["TotalCount"],
    );

    let started = Instant::now();
    let v = call(
        &db,
        &plugin,
        V17,
        "PickGlobalOutboundNumbers",
        &[
            ("CalleeNumber", "05923293251"),
            ("SkillGroupId.1", "sg-1"),
            ("Count", "3"),
        ],
    )
    .await
    .expect("pick");
    println!(
        "   pick among 1,001 numbers of sg-1: {:?}",
        started.elapsed()
    );
    check(
        "pick returns 3 pairs",
        v["DialNumberPairs"]["DialNumberPair"]
            .as_array()
            .map(Vec::len)
            == Some(3),
        &v,
    );
    let started = Instant::now();
    let v = call(
        &db,
        &plugin,
        V17,
        "ListPhoneNumbers",
        &[("OutboundOnly", "true")],
    )
    .await
    .expect("list 2017");
    println!(
        "   2017 list of 5,001 outbound numbers: {:?}",
        started.elapsed()
    );
    check(
        "2017 outbound list",
        v["PhoneNumbers"]["PhoneNumber"].as_array().map(Vec::len) == Some(5001),
        "",
    );
    let v = call(
        &db,
        &plugin,
        V17,
        "RemovePhoneNumber",
        &[("PhoneNumberId", &id)],
    )
    .await
    .expect("remove");
    check("remove", v == json!({}), &v);
    check_count(&db, INSTANCE, 10_000).await;

    if std::env::var_os("DB_SMOKE_KEEP").is_some() {
        println!("kept the numbers tables (DB_SMOKE_KEEP is set)");
        return;
    }
    Migrator::down(&db, None).await.expect("roll back");
    println!("ok: numbers tables dropped");
}
