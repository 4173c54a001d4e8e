//! Tests of CDR exports ([`crate::export`]) and their jobs ([`crate::jobs`], the queries).

use std::sync::Arc;

use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait};
use ccgate_plugin_sdk::serde_json::{Value, json};
use ccgate_plugin_sdk::testing::TestEnv;
use ccgate_plugin_sdk::{ActionSpec, Plugin};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::RowAccessor;

use crate::ReportsPlugin;
use crate::export::{COLUMNS, Export, Format, export_all, page};
use crate::jobs::{self, Outcome};
use crate::storage::{call, export as job};

const I: &str = "inst-1";

fn call_at(id: &str, start_ms: i64) -> call::Model {
    call::Model {
        contact_id: id.into(),
        instance_id: I.into(),
        call_type: "Outbound".into(),
        caller: "057188880000".into(),
        callee: "13900000001".into(),
        call_center_number: "057188880000".into(),
        customer_number: "13900000001".into(),
        start_ms,
        bridged_ms: start_ms + 3_000,
        release_ms: start_ms + 65_500,
        release_initiator: "callee".into(),
        release_reason: "200-Normal call clearing".into(),
        disposition: "Success".into(),
        ..Default::default()
    }
}

async fn env() -> TestEnv {
    TestEnv::new(vec![Arc::new(ReportsPlugin::default())]).await
}

async fn insert(db: &DatabaseConnection, calls: Vec<call::Model>) {
    for chunk in calls.chunks(500) {
        call::Entity::insert_many(chunk.iter().cloned().map(call::ActiveModel::from))
            .exec(db)
            .await
            .unwrap();
    }
}

async fn csv_of(db: &DatabaseConnection, from: i64, to: i64) -> (String, u64) {
    let (out, rows) = export_all(db, I, from, to, Format::Csv, Vec::new(), |_, _| {})
        .await
        .unwrap();
    (String::from_utf8(out).unwrap(), rows)
}

#[tokio::test]
async fn csv_has_the_header_and_one_line_per_call_in_the_range_in_start_order() {
    let env = env().await;
    let mut agent_call = call_at("c2", 2_000);
    agent_call.call_type = "Inbound".into();
    agent_call.agent_user_id = "u-1".into();
    agent_call.agent_login_name = "alice".into();
    agent_call.agent_display_name = "Alice, \"A\"".into();
    agent_call.skill_group_id = "g-1".into();
    agent_call.work_ms = 7_900;
    let mut unanswered = call_at("c3", 3_000);
    unanswered.bridged_ms = 0;
    unanswered.disposition = "NoAnswer".into();
    let mut elsewhere = call_at("c9", 2_500);
    elsewhere.instance_id = "inst-2".into();
    insert(
        &env.db,
        vec![
            call_at("c0", 999),
            unanswered,
            agent_call,
            call_at("c1", 1_000),
            call_at("c4", 4_000),
            elsewhere,
        ],
    )
    .await;
    let (text, rows) = csv_of(&env.db, 1_000, 4_000).await;
    assert_eq!(rows, 3);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "ContactId,InstanceId,ContactType,ContactDisposition,CallingNumber,CalledNumber,\
         CallCenterNumber,StartTime,Duration,AgentNames,AgentUserId,SkillGroupIdList,AnswerTime,\
         TalkTime,ReleaseTime,ReleaseInitiator,ReleaseReason,WorkTime"
    );
    assert_eq!(lines[0].split(',').count(), COLUMNS.len());
    assert_eq!(
        lines[1],
        "c1,inst-1,Outbound,Success,057188880000,13900000001,057188880000,1000,65,,,,4000,62,\
         66500,callee,200-Normal call clearing,0"
    );
    assert_eq!(
        lines[2],
        "c2,inst-1,Inbound,Success,057188880000,13900000001,057188880000,2000,65,\
         \"Alice, \"\"A\"\"\",u-1,g-1,5000,62,67500,callee,200-Normal call clearing,7"
    );
    assert!(
        lines[3].starts_with("c3,inst-1,Outbound,NoAnswer,")
            && lines[3].contains(",3000,65,,,,0,0,68500,"),
        "{}",
        lines[3]
    );
    assert_eq!(lines.len(), 4);
    // An empty range: the header alone, 100 % done.
    let (text, rows) = csv_of(&env.db, 10_000, 20_000).await;
    assert_eq!((text.lines().count(), rows), (1, 0));
}

#[tokio::test]
async fn parquet_reads_back_with_the_same_rows_and_columns() {
    let env = env().await;
    let calls: Vec<call::Model> = (0..40)
        .map(|n| call_at(&format!("c{n:03}"), 1_000 + n))
        .collect();
    insert(&env.db, calls).await;
    let (bytes, rows) = export_all(
        &env.db,
        I,
        0,
        10_000,
        Format::Parquet,
        Vec::new(),
        |_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(rows, 40);
    assert_eq!(&bytes[..4], b"PAR1");
    assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.parquet");
    std::fs::write(&path, &bytes).unwrap();
    let reader = SerializedFileReader::try_from(path.as_path()).unwrap();
    let meta = reader.metadata().file_metadata();
    assert_eq!(meta.num_rows(), 40);
    let names: Vec<&str> = meta
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name())
        .collect();
    let expected: Vec<&str> = COLUMNS.iter().map(|c| c.0).collect();
    assert_eq!(names, expected);
    let rows: Vec<_> = reader
        .get_row_iter(None)
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(rows[0].get_string(0).unwrap(), "c000");
    assert_eq!(rows[39].get_string(0).unwrap(), "c039");
    assert_eq!(rows[5].get_long(7).unwrap(), 1_005);
    assert_eq!(rows[5].get_long(8).unwrap(), 65);
    assert_eq!(rows[5].get_string(16).unwrap(), "200-Normal call clearing");
}

#[tokio::test]
async fn the_cursor_pages_through_equal_start_times_without_gaps_or_repeats() {
    let env = env().await;
    // Seven calls at the same instant around others: pages of 2 split the tie group.
    let mut calls = vec![call_at("a", 100), call_at("z", 300)];
    for id in ["t5", "t1", "t7", "t3", "t2", "t6", "t4"] {
        calls.push(call_at(id, 200));
    }
    insert(&env.db, calls).await;
    let mut seen = Vec::new();
    let mut after: Option<(i64, String)> = None;
    loop {
        let rows = page(
            &env.db,
            I,
            0,
            1_000,
            after.as_ref().map(|(s, c)| (*s, c.as_str())),
            2,
        )
        .await
        .unwrap();
        let Some(last) = rows.last() else { break };
        after = Some((last.start_ms, last.contact_id.clone()));
        seen.extend(rows.into_iter().map(|r| r.contact_id));
    }
    assert_eq!(seen, ["a", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "z"]);
}

#[tokio::test]
async fn progress_counts_pages_and_reaches_all_rows() {
    let env = env().await;
    let n = crate::export::PAGE as i64 * 2 + 17;
    // Many calls share a start time, across the page boundaries.
    let calls: Vec<call::Model> = (0..n)
        .map(|k| call_at(&format!("c{k:05}"), 10_000 + k / 3))
        .collect();
    insert(&env.db, calls).await;
    let mut seen = Vec::new();
    let (out, rows) = export_all(&env.db, I, 0, i64::MAX, Format::Csv, Vec::new(), |d, t| {
        seen.push((d, t))
    })
    .await
    .unwrap();
    assert_eq!(rows, n as u64);
    let total = n as u64;
    let page = crate::export::PAGE;
    assert_eq!(
        seen,
        [(0, total), (page, total), (2 * page, total), (total, total)]
    );
    let text = String::from_utf8(out).unwrap();
    let mut ids: Vec<&str> = text.lines().skip(1).map(|l| &l[..6]).collect();
    assert_eq!(ids.len(), n as usize);
    ids.dedup();
    assert_eq!(ids.len(), n as usize, "no row twice");
    let mut e = Export::start(&env.db, I, 0, i64::MAX, Format::Csv, Vec::new())
        .await
        .unwrap();
    assert_eq!(e.percent_done(), 0);
    while e.step(&env.db).await.unwrap() {}
    assert_eq!(e.percent_done(), 100);
}

fn status_of(v: &Value) -> (&str, i64, i64, i64) {
    (
        v["status"].as_str().unwrap(),
        v["percent_done"].as_i64().unwrap(),
        v["rows_done"].as_i64().unwrap(),
        v["rows_total"].as_i64().unwrap(),
    )
}

const SPEC: ActionSpec = ActionSpec::rpc("2017-07-05", "ExportCallDetailRecords");

#[tokio::test]
async fn a_job_goes_from_pending_to_done_and_its_file_is_served() {
    let env = env().await;
    let plugin = ReportsPlugin::default();
    insert(
        &env.db,
        (0..5)
            .map(|k| call_at(&format!("c{k}"), 1_000 + k))
            .collect(),
    )
    .await;
    let ctx = env.ctx(SPEC, I);
    let started = plugin
        .query(
            &ctx,
            "export_start",
            json!({"instance_id": I, "from_ms": 0, "to_ms": 5_000, "format": "CSV"}),
        )
        .await
        .unwrap();
    let id = started["export_id"].as_str().unwrap().to_string();
    assert_eq!(started["status"], "Pending");
    let args = json!({"instance_id": I, "export_id": id});
    let st = plugin
        .query(&ctx, "export_status", args.clone())
        .await
        .unwrap();
    assert_eq!(st["found"], true);
    assert_eq!(status_of(&st), ("Pending", 0, 0, 0));
    let file = plugin
        .query(&ctx, "export_file", args.clone())
        .await
        .unwrap();
    assert_eq!(
        (file["found"].as_bool(), file["path"].as_str()),
        (Some(true), Some(""))
    );
    // Another instance does not see it.
    let other = json!({"instance_id": "inst-2", "export_id": id});
    assert_eq!(
        plugin.query(&ctx, "export_status", other).await.unwrap()["found"],
        false
    );

    let dir = tempfile::tempdir().unwrap();
    let j = jobs::claim(&env.db, 10_000).await.unwrap().unwrap();
    assert_eq!(j.export_id, id);
    assert!(
        jobs::claim(&env.db, 10_001).await.unwrap().is_none(),
        "claimed once"
    );
    let outcome = jobs::run_job(&env.db, dir.path(), &j, &|| false)
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Done(5));
    let st = plugin
        .query(&ctx, "export_status", args.clone())
        .await
        .unwrap();
    assert_eq!(status_of(&st), ("Done", 100, 5, 5));
    assert!(st["finished_ms"].as_i64().unwrap() > 0);
    let file = plugin.query(&ctx, "export_file", args).await.unwrap();
    let path = file["path"].as_str().unwrap();
    assert_eq!(path, dir.path().join(format!("{id}.csv")).to_str().unwrap());
    assert_eq!(file["content_type"], "text/csv; charset=utf-8");
    assert_eq!(file["file_name"], format!("cdr-{I}-{id}.csv"));
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(text.lines().count(), 6);
    // No .part file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[tokio::test]
async fn bad_arguments_and_too_many_open_exports_are_refused() {
    let env = env().await;
    let plugin = ReportsPlugin::default();
    let ctx = env.ctx(SPEC, I);
    let start = |from: i64, to: i64, format: &str| json!({"instance_id": I, "from_ms": from, "to_ms": to, "format": format});
    let e = plugin
        .query(&ctx, "export_start", start(0, 10, "xlsx"))
        .await
        .unwrap_err();
    assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
    assert!(e.message.contains("Format"), "{}", e.message);
    let e = plugin
        .query(&ctx, "export_start", start(10, 10, "csv"))
        .await
        .unwrap_err();
    assert!(e.message.contains("EndTime"), "{}", e.message);
    for _ in 0..jobs::MAX_OPEN_PER_INSTANCE {
        plugin
            .query(&ctx, "export_start", start(0, 10, "parquet"))
            .await
            .unwrap();
    }
    let refused = plugin
        .query(&ctx, "export_start", start(0, 10, "csv"))
        .await
        .unwrap();
    assert_eq!(
        (&refused["throttled"], &refused["export_id"]),
        (&json!(true), &json!(""))
    );
    assert!(
        refused["reason"].as_str().unwrap().contains("at most 5"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_job_left_running_by_a_crash_is_restarted_and_a_live_one_is_not() {
    let env = env().await;
    insert(&env.db, vec![call_at("c1", 1_000), call_at("c2", 2_000)]).await;
    let now = 1_000_000;
    let crashed = job::Model {
        export_id: "00000000-0000-4000-8000-000000000001".into(),
        instance_id: I.into(),
        from_ms: 0,
        to_ms: 10_000,
        format: "parquet".into(),
        status: job::RUNNING.into(),
        rows_done: 1,
        rows_total: 2,
        created_ms: now - 120_000,
        updated_ms: now - jobs::STALE_MS - 1,
        ..Default::default()
    };
    let live = job::Model {
        export_id: "00000000-0000-4000-8000-000000000002".into(),
        created_ms: now - 200_000,
        updated_ms: now - 1_000,
        ..crashed.clone()
    };
    job::ActiveModel::from(crashed.clone())
        .insert(&env.db)
        .await
        .unwrap();
    job::ActiveModel::from(live.clone())
        .insert(&env.db)
        .await
        .unwrap();
    let j = jobs::claim(&env.db, now).await.unwrap().unwrap();
    assert_eq!(j.export_id, crashed.export_id);
    assert_eq!((j.status.as_str(), j.rows_done), (job::RUNNING, 0));
    assert!(
        jobs::claim(&env.db, now).await.unwrap().is_none(),
        "the live job stays with its owner"
    );
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        jobs::run_job(&env.db, dir.path(), &j, &|| false)
            .await
            .unwrap(),
        Outcome::Done(2)
    );
    let done = job::Entity::find_by_id(crashed.export_id.clone())
        .one(&env.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (done.status.as_str(), jobs::percent_done(&done)),
        (job::DONE, 100)
    );
    let reader = SerializedFileReader::try_from(done.file_path.as_str()).unwrap();
    assert_eq!(reader.metadata().file_metadata().num_rows(), 2);

    // The owner of a job taken over gives it up at its next write.
    let mut stolen = jobs::claim(&env.db, now + jobs::STALE_MS)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stolen.export_id, live.export_id);
    stolen.updated_ms -= 1; // as the previous owner knew it
    assert_eq!(
        jobs::run_job(&env.db, dir.path(), &stolen, &|| false)
            .await
            .unwrap(),
        Outcome::Lost
    );
}

#[tokio::test]
async fn a_stop_between_pages_puts_the_job_back_to_pending() {
    let env = env().await;
    let n = crate::export::PAGE as i64 + 1;
    insert(
        &env.db,
        (0..n).map(|k| call_at(&format!("c{k:05}"), k)).collect(),
    )
    .await;
    let j = jobs::create(&env.db, I, 0, n, "csv", 5)
        .await
        .unwrap()
        .unwrap();
    let j2 = jobs::claim(&env.db, 10).await.unwrap().unwrap();
    assert_eq!(j2.export_id, j.export_id);
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        jobs::run_job(&env.db, dir.path(), &j2, &|| true)
            .await
            .unwrap(),
        Outcome::Stopped
    );
    let back = jobs::find(&env.db, I, &j.export_id).await.unwrap().unwrap();
    assert_eq!((back.status.as_str(), back.rows_done), (job::PENDING, 0));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no partial file"
    );
    // Claimed again, it completes.
    let again = jobs::claim(&env.db, 20).await.unwrap().unwrap();
    assert_eq!(
        jobs::run_job(&env.db, dir.path(), &again, &|| false)
            .await
            .unwrap(),
        Outcome::Done(n as u64)
    );
}

#[tokio::test]
async fn a_failure_is_recorded_with_its_error() {
    let env = env().await;
    let j = jobs::create(&env.db, I, 0, 10, "csv", 5)
        .await
        .unwrap()
        .unwrap();
    let claimed = jobs::claim(&env.db, 10).await.unwrap().unwrap();
    // A directory that cannot be created: a file stands in its way.
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("blocked");
    std::fs::write(&blocker, b"x").unwrap();
    let outcome = jobs::run_job(&env.db, &blocker.join("exports"), &claimed, &|| false)
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Failed(_)), "{outcome:?}");
    let failed = jobs::find(&env.db, I, &j.export_id).await.unwrap().unwrap();
    assert_eq!(failed.status, job::FAILED);
    assert!(
        failed.error.starts_with("writing the file:"),
        "{}",
        failed.error
    );
    assert_eq!(jobs::percent_done(&failed), 0);
}
