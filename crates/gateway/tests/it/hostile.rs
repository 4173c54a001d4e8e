//! Regression tests of issue 9 (hostile input) that need no running server: signatures bind the
//! action, raw input is checked before any lookup, every refusal is in the dialect's envelope,
//! XML carries no character XML 1.0 forbids, tokens are revocable, one key cannot fill the
//! nonce store. (Timed attacks — held bodies and connections, restarts, logs — are in
//! tests/e2e/test_attacks.py against the real binary.)

use std::sync::Arc;

use actix_web::test::{self, TestRequest};
use ccgate_gateway::admin;
use ccgate_gateway::auth::bearer::AUD_ALIYUN;
use ccgate_gateway::auth::signing::{acs3, percent::rfc3986, rpc_v1};

use super::aliyun::v1;
use super::common::{Echo, TestApp, app, app_tuned};

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn post(uri: &str) -> TestRequest {
    TestRequest::post().uri(uri)
}

/// An ACS3-HMAC-SHA256 POST of `action` with `InstanceId=inst-1`, signing only the headers named
/// in `signed` (all of them when `None`).
fn acs3_post(action: &str, signed: Option<&[&str]>) -> TestRequest {
    let hash = acs3::content_sha256(acs3::Acs3Algorithm::HmacSha256, b"");
    let headers: Vec<(String, String)> = [
        ("host", "127.0.0.1:8080".to_string()),
        ("x-acs-action", action.to_string()),
        ("x-acs-version", "2017-07-05".to_string()),
        ("x-acs-date", now()),
        (
            "x-acs-signature-nonce",
            uuid::Uuid::new_v4().simple().to_string(),
        ),
        ("x-acs-content-sha256", hash.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let mut names: Vec<String> = match signed {
        Some(list) => list.iter().map(|s| s.to_string()).collect(),
        None => headers.iter().map(|(k, _)| k.clone()).collect(),
    };
    names.sort();
    let query = vec![("InstanceId".to_string(), "inst-1".to_string())];
    let canonical = acs3::canonical_request("POST", "/", &query, &headers, &names, &hash);
    let sig = acs3::sign(
        acs3::Acs3Algorithm::HmacSha256,
        "testSecret",
        &acs3::string_to_sign(acs3::Acs3Algorithm::HmacSha256, &canonical),
    );
    let mut req = post("/?InstanceId=inst-1").insert_header((
        "Authorization",
        format!(
            "ACS3-HMAC-SHA256 Credential=testAK,SignedHeaders={},Signature={sig}",
            names.join(";")
        ),
    ));
    for (k, v) in &headers {
        req = req.insert_header((k.as_str(), v.as_str()));
    }
    req
}

/// Asserts an Alibaba error envelope with `status` and `code`; returns its message.
fn envelope(status: u16, body: &serde_json::Value, want: (u16, &str)) -> String {
    assert_eq!(
        (status, body["Code"].as_str().unwrap_or("<none>")),
        want,
        "{body}"
    );
    assert!(
        body["RequestId"].as_str().is_some_and(|r| r.len() == 36),
        "{body}"
    );
    assert_eq!(body["HostId"], "ccgate", "{body}");
    body["Message"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn a_v1_signature_does_not_let_an_unsigned_header_choose_the_action() {
    let t = app(900).await;
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-1")],
    );
    // Finding 3: the signed request was served as the header's action.
    let (status, body) = t
        .json(post(&uri).insert_header(("x-acs-action", "CreateContactFlow")))
        .await;
    let msg = envelope(status, &body, (400, "IncompleteSignature"));
    assert!(msg.contains("x-acs-action"), "{msg}");
    // The same header agreeing with the signed parameter is fine (some SDKs send both).
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-1")],
    );
    let (status, body) = t
        .json(post(&uri).insert_header(("x-acs-action", "ListPhoneNumbers")))
        .await;
    assert_eq!(status, 200, "{body}");
}

#[actix_web::test]
async fn a_v1_request_without_a_signed_action_is_missing_its_action() {
    let t = app(900).await;
    let mut p: std::collections::BTreeMap<String, String> = [
        ("Version", "2017-07-05"),
        ("AccessKeyId", "testAK"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("InstanceId", "inst-1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    p.insert("Timestamp".into(), now());
    p.insert("SignatureNonce".into(), uuid::Uuid::new_v4().to_string());
    let sts = rpc_v1::string_to_sign("POST", &p);
    p.insert(
        "Signature".into(),
        rpc_v1::sign(rpc_v1::SignatureMethod::HmacSha1, "testSecret", &sts),
    );
    let q: Vec<String> = p
        .iter()
        .map(|(k, v)| format!("{}={}", rfc3986(k), rfc3986(v)))
        .collect();
    let req =
        post(&format!("/?{}", q.join("&"))).insert_header(("x-acs-action", "ListPhoneNumbers"));
    let (status, body) = t.json(req).await;
    envelope(status, &body, (400, "MissingParameter"));
}

#[actix_web::test]
async fn acs3_must_sign_the_action_version_host_date_and_nonce() {
    let t = app(900).await;
    let (status, body) = t.json(acs3_post("ListPhoneNumbers", None)).await;
    assert_eq!(status, 200, "{body}");
    // Finding 3: only date and nonce signed, so anyone on the path could swap the action.
    for signed in [
        &["x-acs-date", "x-acs-signature-nonce"][..],
        &[
            "host",
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-version",
        ][..],
        &[
            "host",
            "x-acs-action",
            "x-acs-date",
            "x-acs-signature-nonce",
        ][..],
        &[
            "x-acs-action",
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-version",
        ][..],
    ] {
        let (status, body) = t.json(acs3_post("ListPhoneNumbers", Some(signed))).await;
        let msg = envelope(status, &body, (400, "IncompleteSignature"));
        assert!(msg.contains("missing"), "{signed:?}: {msg}");
    }
}

#[actix_web::test]
async fn nul_and_oversized_names_are_refused_before_any_lookup() {
    let t = app(900).await;
    // Finding 5: an unauthenticated AccessKeyId=%00 reached the key query (500 on PostgreSQL).
    let (status, body) = t
        .json(post(
            "/?Action=ListPhoneNumbers&Version=2017-07-05&AccessKeyId=%00&Signature=x&Timestamp=x&SignatureNonce=x",
        ))
        .await;
    let msg = envelope(status, &body, (400, "InvalidParameter"));
    assert!(msg.contains("AccessKeyId") && msg.contains("NUL"), "{msg}");
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-1"), ("Name", "a\0b")],
    );
    let (status, body) = t.json(post(&uri)).await;
    envelope(status, &body, (400, "InvalidParameter"));
    let long = "N".repeat(200);
    let (status, body) = t
        .json(post(&format!(
            "/?Action=ListPhoneNumbers&Version=2017-07-05&{long}=1"
        )))
        .await;
    let msg = envelope(status, &body, (400, "Parameter.Maximum"));
    assert!(msg.len() < 200, "the name is not echoed whole: {msg}");
    // Ids longer than their columns cannot exist: not found, and the message stays short.
    let (uri, _) = v1(
        &"K".repeat(10_000),
        "testSecret",
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-1")],
    );
    let (status, body) = t.json(post(&uri)).await;
    envelope(status, &body, (404, "InvalidAccessKeyId.NotFound"));
    let long_instance = "i".repeat(10_000);
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", long_instance.as_str())],
    );
    let (status, body) = t.json(post(&uri)).await;
    let msg = envelope(status, &body, (404, "NotExists.InstanceId"));
    assert!(msg.len() < 200, "{msg}");
}

#[actix_web::test]
async fn the_parameter_count_is_bounded() {
    let t = app_tuned(vec![Arc::new(Echo)], |s| s.limits.max_parameters = 50).await;
    let many: Vec<(String, String)> = (1..=60)
        .map(|i| (format!("SkillGroupId.{i}"), format!("g{i}")))
        .collect();
    let refs: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "ListPhoneNumbers",
        &refs,
    );
    let (status, body) = t.json(post(&uri)).await;
    let msg = envelope(status, &body, (400, "Parameter.Maximum"));
    assert!(msg.contains("at most 50"), "{msg}");
}

#[actix_web::test]
async fn oversized_bodies_and_upgrades_get_the_envelope_and_a_closed_connection() {
    let t = app_tuned(vec![Arc::new(Echo)], |s| s.limits.rpc_body_bytes = 1024).await;
    let resp = t
        .send(
            post("/")
                .insert_header(("content-type", "application/x-www-form-urlencoded"))
                .set_payload(vec![b'a'; 2048]),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 413);
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "application/json;charset=utf-8"
    );
    assert_eq!(
        resp.response().head().connection_type(),
        actix_web::http::ConnectionType::Close
    );
    let body: serde_json::Value = serde_json::from_slice(&test::read_body(resp).await).unwrap();
    envelope(413, &body, (413, "RequestEntityTooLarge"));
    // Finding 2: `Upgrade: websocket` on `/` held the connection for minutes.
    let (status, body) = t
        .json(
            TestRequest::get()
                .uri("/")
                .insert_header(("upgrade", "websocket"))
                .insert_header(("connection", "upgrade")),
        )
        .await;
    envelope(status, &body, (400, "InvalidRequest.Upgrade"));
}

#[actix_web::test]
async fn unrouted_paths_and_methods_answer_in_the_dialect_envelope() {
    let t = app(900).await;
    let (status, body) = t.json(TestRequest::get().uri("/no/such/path")).await;
    envelope(status, &body, (404, "InvalidApi.NotFound"));
    let (status, body) = t.json(TestRequest::put().uri("/")).await;
    envelope(status, &body, (405, "UnsupportedHTTPMethod"));
    let (status, body) = t
        .json(TestRequest::post().uri("/apiaccess/rest/cc-management/v1/nothing"))
        .await;
    assert_eq!(
        (status, body["retCode"].as_str()),
        (404, Some("404")),
        "{body}"
    );
    assert!(body["message"].is_string(), "{body}");
}

#[actix_web::test]
async fn xml_answers_replace_characters_xml_cannot_carry() {
    let t = app(900).await;
    // Finding 5: a value holding a control character made every XML listing malformed.
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "ListPhoneNumbers",
        &[
            ("InstanceId", "inst-1"),
            ("Format", "XML"),
            ("Name", "a\u{1}b\u{1b}[31m\u{fffe}c"),
        ],
    );
    let resp = t.send(post(&uri)).await;
    assert_eq!(resp.status().as_u16(), 200);
    let xml = String::from_utf8(test::read_body(resp).await.to_vec()).unwrap();
    assert!(
        xml.contains("<Name>a\u{fffd}b\u{fffd}[31m\u{fffd}c</Name>"),
        "{xml}"
    );
    assert!(
        !xml.chars()
            .any(|c| c < ' ' && !matches!(c, '\t' | '\n' | '\r')),
        "{xml}"
    );
}

async fn account_of_test_key(t: &TestApp) -> String {
    admin::list_access_keys(&t.state.db, None)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.id == "testAK")
        .unwrap()
        .account_id
}

async fn bearer_status(t: &TestApp, token: &str) -> (u16, serde_json::Value) {
    t.json(
        post("/?Action=GetSecretThing&Version=2017-07-05&InstanceId=inst-1&SignatureType=BEARERTOKEN")
            .insert_header(("x-acs-bearer-token", token)),
    )
    .await
}

#[actix_web::test]
async fn bearer_tokens_die_with_their_access_key_and_can_be_revoked() {
    let t = app(900).await;
    let acc = account_of_test_key(&t).await;
    let issue = || {
        t.state
            .auth
            .tokens
            .issue("agent@inst-1", &acc, AUD_ALIYUN, 600, Some("testAK"))
    };
    // Finding 4: a token kept working after its AccessKey was disabled.
    let (token, _) = issue();
    assert_eq!(bearer_status(&t, &token).await.0, 200);
    admin::set_access_key_active(&t.state.db, "testAK", false)
        .await
        .unwrap();
    t.state.auth.keys.invalidate_all(); // what the cache lifetime does on a running gateway
    let (status, body) = bearer_status(&t, &token).await;
    envelope(status, &body, (401, "InvalidBearerToken.Revoked"));
    // Re-enabling the key does not revive the tokens issued before it was disabled.
    admin::set_access_key_active(&t.state.db, "testAK", true)
        .await
        .unwrap();
    t.state.auth.keys.invalidate_all();
    assert_eq!(bearer_status(&t, &token).await.0, 401);
    // One token revoked by id; another issued later still works.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (one, claims) = issue();
    let (other, _) = issue();
    assert_eq!(bearer_status(&t, &one).await.0, 200);
    admin::revoke_token(&t.state.db, &claims.jti, claims.exp)
        .await
        .unwrap();
    t.state.auth.keys.invalidate_all();
    let (status, body) = bearer_status(&t, &one).await;
    let msg = envelope(status, &body, (401, "InvalidBearerToken.Revoked"));
    assert!(msg.contains("revoked"), "{msg}");
    assert_eq!(bearer_status(&t, &other).await.0, 200);
    // Every token of the key, keeping the key.
    admin::revoke_key_tokens(&t.state.db, "testAK")
        .await
        .unwrap();
    t.state.auth.keys.invalidate_all();
    assert_eq!(bearer_status(&t, &other).await.0, 401);
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-1")],
    );
    assert_eq!(
        t.json(post(&uri)).await.0,
        200,
        "the key itself still signs"
    );
}

#[actix_web::test]
async fn one_access_key_cannot_fill_the_nonce_store_for_others() {
    let t = app_tuned(vec![Arc::new(Echo)], |s| {
        s.security.max_nonces = 100;
        s.security.max_nonces_per_key = 5;
    })
    .await;
    let signed = |ak: &str, secret: &str| {
        v1(
            ak,
            secret,
            "2017-07-05",
            "ListPhoneNumbers",
            &[("InstanceId", "inst-1")],
        )
        .0
    };
    for _ in 0..5 {
        assert_eq!(t.json(post(&signed("testAK", "testSecret"))).await.0, 200);
    }
    let (status, body) = t.json(post(&signed("testAK", "testSecret"))).await;
    envelope(status, &body, (429, "Throttling.User"));
    // Another tenant is unaffected (its instance is its own; the signature is what is judged).
    let other = t.other_key.clone();
    let uri = v1(
        &other.id,
        &other.secret,
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-other")],
    )
    .0;
    assert_eq!(t.json(post(&uri)).await.0, 200);
    // /readyz and /metrics show the fill.
    let resp = t.send(TestRequest::get().uri("/readyz")).await;
    let text = String::from_utf8(test::read_body(resp).await.to_vec()).unwrap();
    assert!(text.contains("nonce store: 6 of 100"), "{text}");
    let resp = t.send(TestRequest::get().uri("/metrics")).await;
    let text = String::from_utf8(test::read_body(resp).await.to_vec()).unwrap();
    assert!(text.contains("ccgate_nonce_store_entries 6"), "{text}");
    assert!(text.contains("ccgate_nonce_store_capacity 100"), "{text}");
}
