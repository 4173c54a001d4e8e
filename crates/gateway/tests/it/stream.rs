//! `GET /v1/instances/{id}/agent-states/stream` (`ccgate_gateway::stream`): Server-Sent Events
//! fed by the agents plugin's `state_snapshot` / `state_log_after`, played by a `FakePlugin`
//! serving a shared log.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::test::TestRequest;
use ccgate_gateway::admin;
use ccgate_gateway::auth::bearer::AUD_ALIYUN;
use ccgate_gateway::auth::signing::acs3;
use ccgate_gateway::sdk::Role;
use ccgate_plugin_sdk::testing::FakePlugin;
use serde_json::{Value, json};

use super::common::{TestApp, app_with};

type Log = Arc<Mutex<Vec<Value>>>;

/// (user id, login, role, member groups).
const USERS: &[(&str, &str, &str, &[&str])] = &[
    ("u-lea", "lea", "skill-group-leader", &["sg-1"]),
    ("u-bob", "bob", "agent", &["sg-1"]),
    ("u-carl", "carl", "agent", &["sg-3"]),
];

fn entry(seq: i64, user: &str, state: &str) -> Value {
    let (id, login, _, groups) = USERS.iter().find(|u| u.0 == user).unwrap();
    json!({"seq": seq, "user_id": id, "login_name": login, "state": state, "break_code": "",
           "skill_group_ids": groups, "at_ms": 1_700_000_000_000i64 + seq, "job_id": ""})
}

/// The agents plugin: `caller` from [`USERS`], the snapshot and the log from `log`.
fn fake_agents(log: Log) -> FakePlugin {
    let snap_log = log.clone();
    FakePlugin::new("agents")
        .answer("caller", |args: &Value| {
            let login = args["login_name"].as_str().unwrap();
            Ok(match USERS.iter().find(|u| u.1 == login) {
                None => json!({"found": false}),
                Some((id, l, role, groups)) => json!({"found": true, "user_id": id,
                    "login_name": l, "role": role, "led_skill_group_ids": groups}),
            })
        })
        .answer("state_snapshot", move |args: &Value| {
            assert_eq!(args["instance_id"], "inst-1");
            let log = snap_log.lock().unwrap();
            let seq = log.last().map_or(0, |e| e["seq"].as_i64().unwrap());
            // Each agent's latest entry.
            let agents: Vec<Value> = USERS
                .iter()
                .filter_map(|u| log.iter().rev().find(|e| e["user_id"] == u.0).cloned())
                .collect();
            Ok(json!({"seq": seq, "agents": agents}))
        })
        .answer("state_log_after", move |args: &Value| {
            let after = args["after_seq"].as_i64().unwrap();
            let limit = args["limit"].as_u64().unwrap() as usize;
            let log = log.lock().unwrap();
            let entries: Vec<&Value> = log
                .iter()
                .filter(|e| e["seq"].as_i64().unwrap() > after)
                .take(limit)
                .collect();
            Ok(json!({"entries": entries}))
        })
}

async fn setup() -> (TestApp, Log) {
    let log: Log = Arc::new(Mutex::new(vec![
        entry(1, "u-lea", "READY"),
        entry(2, "u-bob", "READY"),
        entry(3, "u-carl", "BREAK"),
    ]));
    let t = app_with(vec![Arc::new(fake_agents(log.clone()))], 900).await;
    (t, log)
}

async fn account(t: &TestApp) -> String {
    admin::list_access_keys(&t.state.db, None)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.id == "testAK")
        .unwrap()
        .account_id
}

async fn token(t: &TestApp, login: Option<&str>, role: Option<Role>) -> String {
    let acc = account(t).await;
    let tokens = &t.state.auth.tokens;
    match login {
        Some(l) => tokens.issue_for_user(l, &acc, AUD_ALIYUN, 60, None, role).0,
        None => tokens.issue_as("admin", &acc, AUD_ALIYUN, 60, None, None).0,
    }
}

const PATH: &str = "/v1/instances/inst-1/agent-states/stream";

/// An open stream's body.
struct Sse(actix_web::body::BoxBody);

impl Sse {
    async fn open(t: &TestApp, req: TestRequest) -> Sse {
        let resp = t.send(req).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers().get("content-type").unwrap(),
            "text/event-stream"
        );
        Sse(resp.into_body())
    }

    /// The next chunk, within 3 s.
    async fn next(&mut self) -> String {
        let body = &mut self.0;
        let chunk = tokio::time::timeout(
            Duration::from_secs(3),
            std::future::poll_fn(|cx| Pin::new(&mut *body).poll_next(cx)),
        )
        .await
        .expect("a chunk within 3 s")
        .expect("the stream is open")
        .unwrap();
        String::from_utf8(chunk.to_vec()).unwrap()
    }

    /// Whether nothing arrives within `ms`.
    async fn quiet(&mut self, ms: u64) -> bool {
        let body = &mut self.0;
        tokio::time::timeout(
            Duration::from_millis(ms),
            std::future::poll_fn(|cx| Pin::new(&mut *body).poll_next(cx)),
        )
        .await
        .is_err()
    }
}

/// `(id, event, data)` of each event in `chunk`.
fn events(chunk: &str) -> Vec<(i64, String, Value)> {
    chunk
        .split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| {
            let field = |name: &str| {
                e.lines()
                    .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                    .unwrap_or_else(|| panic!("no {name} in {e:?}"))
                    .to_string()
            };
            (
                field("id").parse().unwrap(),
                field("event"),
                serde_json::from_str(&field("data")).unwrap(),
            )
        })
        .collect()
}

fn bearer(token: &str) -> TestRequest {
    TestRequest::get()
        .uri(PATH)
        .insert_header(("Authorization", format!("Bearer {token}")))
}

fn logins(agents: &Value) -> Vec<&str> {
    agents
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["login_name"].as_str().unwrap())
        .collect()
}

#[actix_web::test]
async fn a_snapshot_then_live_transitions() {
    let (t, log) = setup().await;
    let admin = token(&t, None, None).await;
    let mut sse = Sse::open(&t, bearer(&admin)).await;
    let snap = events(&sse.next().await);
    assert_eq!(snap.len(), 1);
    let (id, kind, data) = &snap[0];
    assert_eq!((*id, kind.as_str()), (3, "snapshot"));
    assert_eq!(data["seq"], 3);
    assert_eq!(logins(&data["agents"]), ["lea", "bob", "carl"]);
    assert_eq!(data["agents"][2], entry(3, "u-carl", "BREAK"));

    log.lock().unwrap().push(entry(4, "u-bob", "TALKING"));
    log.lock().unwrap().push(entry(5, "u-carl", "READY"));
    // What a publish in this process does: the stream reads the log early.
    ccgate_gateway::events::wake();
    let live = events(&sse.next().await);
    assert_eq!(
        live.iter().map(|e| (e.0, e.1.as_str())).collect::<Vec<_>>(),
        [(4, "state"), (5, "state")]
    );
    assert_eq!(live[0].2, entry(4, "u-bob", "TALKING"));
    assert!(sse.quiet(500).await, "no duplicates");
}

#[actix_web::test]
async fn reconnecting_with_last_event_id_resumes_after_it() {
    let (t, log) = setup().await;
    log.lock().unwrap().push(entry(4, "u-lea", "BREAK"));
    let admin = token(&t, None, None).await;
    let mut sse = Sse::open(&t, bearer(&admin).insert_header(("Last-Event-ID", "2"))).await;
    let got = events(&sse.next().await);
    assert_eq!(
        got.iter().map(|e| (e.0, e.1.as_str())).collect::<Vec<_>>(),
        [(3, "state"), (4, "state")],
        "no snapshot, nothing at or before 2"
    );
    // A bad Last-Event-ID is refused.
    let (status, body) = t
        .json(bearer(&admin).insert_header(("Last-Event-ID", "x")))
        .await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (400, Some("InvalidParameter")),
        "{body}"
    );
}

#[actix_web::test]
async fn leaders_see_their_groups_and_agents_themselves() {
    let (t, log) = setup().await;
    let lea = token(&t, Some("lea"), None).await;
    // The token in x-acs-bearer-token this time.
    let mut leader = Sse::open(
        &t,
        TestRequest::get()
            .uri(PATH)
            .insert_header(("x-acs-bearer-token", lea.as_str())),
    )
    .await;
    let bob = token(&t, Some("bob"), Some(Role::Agent)).await;
    // ... and as the BearerToken query parameter (EventSource cannot set headers).
    let mut agent = Sse::open(
        &t,
        TestRequest::get().uri(&format!("{PATH}?BearerToken={bob}")),
    )
    .await;
    let snap = events(&leader.next().await);
    assert_eq!(logins(&snap[0].2["agents"]), ["lea", "bob"]);
    let snap = events(&agent.next().await);
    assert_eq!(logins(&snap[0].2["agents"]), ["bob"]);

    log.lock().unwrap().push(entry(4, "u-carl", "READY"));
    log.lock().unwrap().push(entry(5, "u-bob", "BREAK"));
    log.lock().unwrap().push(entry(6, "u-lea", "READY"));
    let seen = |chunk: &str| events(chunk).into_iter().map(|e| e.0).collect::<Vec<_>>();
    assert_eq!(seen(&leader.next().await), [5, 6]);
    assert_eq!(seen(&agent.next().await), [5]);
    assert!(agent.quiet(500).await);
}

#[actix_web::test]
async fn refusals_come_before_the_stream() {
    let (t, _) = setup().await;
    let (status, body) = t.json(TestRequest::get().uri(PATH)).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (401, Some("InvalidCredentials")),
        "{body}"
    );
    let (status, body) = t.json(bearer("forged")).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (401, Some("InvalidBearerToken.Malformed"))
    );
    let admin = token(&t, None, None).await;
    let other = TestRequest::get()
        .uri("/v1/instances/inst-other/agent-states/stream")
        .insert_header(("Authorization", format!("Bearer {admin}")));
    let (status, body) = t.json(other).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (404, Some("NotExists.InstanceId"))
    );
    let ghost = token(&t, Some("ghost"), Some(Role::Agent)).await;
    let (status, body) = t.json(bearer(&ghost)).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (403, Some("NoPermission")),
        "{body}"
    );
    // Without the agents plugin there is nothing to stream.
    let bare = app_with(vec![], 900).await;
    let admin = token(&bare, None, None).await;
    let (status, body) = bare.json(bearer(&admin)).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (501, Some("NotImplemented")),
        "{body}"
    );
}

#[actix_web::test]
async fn an_acs3_signed_get_opens_the_stream() {
    let (t, _) = setup().await;
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let hash = acs3::content_sha256(acs3::Acs3Algorithm::HmacSha256, b"");
    let headers: Vec<(String, String)> = [
        ("host", "127.0.0.1:8080"),
        ("x-acs-action", "StreamAgentStates"),
        ("x-acs-version", "2020-07-01"),
        ("x-acs-date", now.as_str()),
        (
            "x-acs-signature-nonce",
            &uuid::Uuid::new_v4().simple().to_string(),
        ),
        ("x-acs-content-sha256", &hash),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut signed: Vec<String> = headers.iter().map(|(k, _)| k.clone()).collect();
    signed.sort();
    let canonical = acs3::canonical_request("GET", PATH, &[], &headers, &signed, &hash);
    let sig = acs3::sign(
        acs3::Acs3Algorithm::HmacSha256,
        "testSecret",
        &acs3::string_to_sign(acs3::Acs3Algorithm::HmacSha256, &canonical),
    );
    let mut req = TestRequest::get().uri(PATH).insert_header((
        "Authorization",
        format!(
            "ACS3-HMAC-SHA256 Credential=testAK,SignedHeaders={},Signature={sig}",
            signed.join(";")
        ),
    ));
    for (k, v) in &headers {
        req = req.insert_header((k.as_str(), v.as_str()));
    }
    let mut sse = Sse::open(&t, req).await;
    let snap = events(&sse.next().await);
    assert_eq!(logins(&snap[0].2["agents"]), ["lea", "bob", "carl"]);
    // A signature that does not cover the required headers is refused before the stream.
    let (status, body) = t
        .json(TestRequest::get().uri(PATH).insert_header((
            "Authorization",
            "ACS3-HMAC-SHA256 Credential=testAK,SignedHeaders=host,Signature=00",
        )))
        .await;
    assert_eq!(status, 400, "{body}");
}
