//! The Alibaba RPC dialect end to end in process: signature v1 and ACS3 signed by the
//! gateway's own signer, replay protection, Bearer tokens, isolation, envelopes, XML, paging.

use std::collections::BTreeMap;

use actix_web::test::{self, TestRequest};
use ccgate_gateway::admin;
use ccgate_gateway::auth::bearer::AUD_ALIYUN;
use ccgate_gateway::auth::signing::{acs3, percent::rfc3986, rpc_v1};
use serde_json::json;

use super::common::app;

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A signature-v1 POST with `params` plus the common parameters, signed with `secret`.
pub fn v1(
    ak: &str,
    secret: &str,
    version: &str,
    action: &str,
    params: &[(&str, &str)],
) -> (String, BTreeMap<String, String>) {
    let mut p: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (k, v) in [
        ("Action", action),
        ("Version", version),
        ("Format", "JSON"),
        ("AccessKeyId", ak),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureType", ""),
    ] {
        p.entry(k.into()).or_insert_with(|| v.into());
    }
    p.entry("Timestamp".into()).or_insert_with(now);
    p.entry("SignatureNonce".into())
        .or_insert_with(|| uuid::Uuid::new_v4().simple().to_string());
    let sts = rpc_v1::string_to_sign("POST", &p);
    p.insert(
        "Signature".into(),
        rpc_v1::sign(rpc_v1::SignatureMethod::HmacSha1, secret, &sts),
    );
    let q = p
        .iter()
        .map(|(k, v)| format!("{}={}", rfc3986(k), rfc3986(v)))
        .collect::<Vec<_>>()
        .join("&");
    (format!("/?{q}"), p)
}

fn post(uri: &str) -> TestRequest {
    TestRequest::post().uri(uri)
}

#[actix_web::test]
async fn signature_v1_success_has_the_2017_envelope() {
    let t = app(900).await;
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-1"), ("OutboundOnly", "True")],
    );
    let (status, body) = t.json(post(&uri)).await;
    assert_eq!(status, 200, "{body}");
    let keys: Vec<&String> = body.as_object().unwrap().keys().take(5).collect();
    assert_eq!(
        keys,
        ["RequestId", "Success", "Code", "Message", "HttpStatusCode"]
    );
    assert_eq!(body["Success"], true);
    assert_eq!(body["Params"]["OutboundOnly"], "True");
    assert_eq!(body["Caller"], "testAK");
    assert_eq!(body["Instance"], "inst-1");
}

#[actix_web::test]
async fn wrong_secret_reports_the_string_to_sign_after_a_colon() {
    let t = app(900).await;
    let (uri, p) = v1(
        "testAK",
        "not-the-secret",
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-1")],
    );
    let (status, body) = t.json(post(&uri)).await;
    assert_eq!(status, 400);
    assert_eq!(body["Code"], "SignatureDoesNotMatch");
    let msg = body["Message"].as_str().unwrap();
    // The 2017 SDK evaluates Message.split(':')[1] and compares it with its own string-to-sign.
    assert_eq!(
        msg.split(':').nth(1).unwrap(),
        rpc_v1::string_to_sign("POST", &p)
    );
}

#[actix_web::test]
async fn replayed_nonce_and_stale_timestamp_are_refused() {
    let t = app(900).await;
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-1")],
    );
    assert_eq!(t.json(post(&uri)).await.0, 200);
    let (status, body) = t.json(post(&uri)).await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (400, "SignatureNonceUsed")
    );
    let old = (chrono::Utc::now() - chrono::Duration::minutes(16))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-1"), ("Timestamp", &old)],
    );
    let (status, body) = t.json(post(&uri)).await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (400, "InvalidTimeStamp.Expired")
    );
}

#[actix_web::test]
async fn unknown_and_disabled_keys() {
    let t = app(900).await;
    let (uri, _) = v1(
        "LTAInope",
        "x",
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-1")],
    );
    let (status, body) = t.json(post(&uri)).await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (404, "InvalidAccessKeyId.NotFound")
    );
    admin::set_access_key_active(&t.state.db, "testAK", false)
        .await
        .unwrap();
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-1")],
    );
    let (status, body) = t.json(post(&uri)).await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (400, "InvalidAccessKeyId.Inactive")
    );
}

#[actix_web::test]
async fn another_accounts_instance_does_not_exist_for_you() {
    let t = app(900).await;
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-other")],
    );
    let (status, body) = t.json(post(&uri)).await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (404, "NotExists.InstanceId")
    );
    assert_eq!(
        body["Message"],
        "The specified instance inst-other does not exist."
    );
    let (id, secret) = (t.other_key.id.clone(), t.other_key.secret.clone());
    let (uri, _) = v1(
        &id,
        &secret,
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-other")],
    );
    assert_eq!(t.json(post(&uri)).await.0, 200);
    let (uri, _) = v1(
        &id,
        &secret,
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-1")],
    );
    assert_eq!(t.json(post(&uri)).await.1["Code"], "NotExists.InstanceId");
}

#[actix_web::test]
async fn missing_instance_uses_the_versions_error_family() {
    let t = app(900).await;
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "ListPhoneNumbers",
        &[],
    );
    assert_eq!(t.json(post(&uri)).await.1["Code"], "MissingParameter");
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2020-07-01",
        "ListThings",
        &[("PageNumber", "1"), ("PageSize", "1")],
    );
    assert_eq!(t.json(post(&uri)).await.1["Code"], "Parameter.Null");
}

#[actix_web::test]
async fn paging_bounds_and_shape() {
    let t = app(900).await;
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2020-07-01",
        "ListThings",
        &[
            ("InstanceId", "inst-1"),
            ("PageNumber", "3"),
            ("PageSize", "100"),
        ],
    );
    let (status, body) = t.json(post(&uri)).await;
    assert_eq!(status, 200);
    assert!(
        body.get("Success").is_none(),
        "2020 envelope has no Success"
    );
    assert_eq!(body["Data"]["TotalCount"], 250);
    assert_eq!(body["Data"]["List"].as_array().unwrap().len(), 50);
    assert_eq!(body["Data"]["List"][0]["N"], 200);
    for (n, s, code) in [
        ("0", "10", "Parameter.Minimum"),
        ("101", "10", "Parameter.Maximum"),
        ("1", "101", "Parameter.Maximum"),
        ("x", "10", "InvalidParameter"),
    ] {
        let (uri, _) = v1(
            "testAK",
            "testSecret",
            "2020-07-01",
            "ListThings",
            &[("InstanceId", "inst-1"), ("PageNumber", n), ("PageSize", s)],
        );
        let (status, body) = t.json(post(&uri)).await;
        assert_eq!(
            (status, body["Code"].as_str().unwrap()),
            (400, code),
            "PageNumber={n} PageSize={s}"
        );
    }
}

#[actix_web::test]
async fn bearer_only_actions_refuse_access_keys_and_accept_tokens() {
    let t = app(900).await;
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "GetSecretThing",
        &[("InstanceId", "inst-1")],
    );
    let (status, body) = t.json(post(&uri)).await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (403, "Forbidden.BearerTokenRequired")
    );
    let acc = admin::list_access_keys(&t.state.db, None)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.id == "testAK")
        .unwrap()
        .account_id;
    let (token, _) = t
        .state
        .auth
        .tokens
        .issue("agent@inst-1", &acc, AUD_ALIYUN, 60, None);
    let req = post(
        "/?Action=GetSecretThing&Version=2017-07-05&InstanceId=inst-1&SignatureType=BEARERTOKEN",
    )
    .insert_header(("x-acs-bearer-token", token.as_str()));
    let (status, body) = t.json(req).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Caller"], "agent@inst-1");
    let q = format!(
        "/?Action=GetSecretThing&Version=2017-07-05&InstanceId=inst-1&SignatureType=BEARERTOKEN&BearerToken={token}"
    );
    assert_eq!(t.json(post(&q)).await.0, 200);
    let (status, body) = t.json(post("/?Action=GetSecretThing&Version=2017-07-05&InstanceId=inst-1&SignatureType=BEARERTOKEN&BearerToken=forged")).await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (401, "InvalidBearerToken.Malformed")
    );
}

#[actix_web::test]
async fn acs3_with_headers_and_form_body() {
    let t = app(900).await;
    let body = "Content=%7B%22a%22%3A+1%7D";
    let hash = acs3::content_sha256(acs3::Acs3Algorithm::HmacSha256, body.as_bytes());
    let headers: Vec<(String, String)> = [
        ("host", "127.0.0.1:8080"),
        ("x-acs-action", "CreateContactFlow"),
        ("x-acs-version", "2017-07-05"),
        ("x-acs-date", &now()),
        (
            "x-acs-signature-nonce",
            &uuid::Uuid::new_v4().simple().to_string(),
        ),
        ("x-acs-content-sha256", &hash),
        ("content-type", "application/x-www-form-urlencoded"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let signed: Vec<String> = {
        let mut s: Vec<String> = headers.iter().map(|(k, _)| k.clone()).collect();
        s.sort();
        s
    };
    let query = vec![
        ("InstanceId".to_string(), "inst-1".to_string()),
        ("Name".to_string(), "a b".to_string()),
    ];
    let canonical = acs3::canonical_request("POST", "/", &query, &headers, &signed, &hash);
    let sig = acs3::sign(
        acs3::Acs3Algorithm::HmacSha256,
        "testSecret",
        &acs3::string_to_sign(acs3::Acs3Algorithm::HmacSha256, &canonical),
    );
    let mut req = post("/?InstanceId=inst-1&Name=a+b")
        .insert_header((
            "Authorization",
            format!(
                "ACS3-HMAC-SHA256 Credential=testAK,SignedHeaders={},Signature={sig}",
                signed.join(";")
            ),
        ))
        .set_payload(body);
    for (k, v) in &headers {
        req = req.insert_header((k.as_str(), v.as_str()));
    }
    let (status, resp) = t.json(req).await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(resp["Params"]["Content"], "{\"a\": 1}");
    assert_eq!(resp["Params"]["Name"], "a b");
}

#[actix_web::test]
async fn xml_format_and_unknown_actions() {
    let t = app(900).await;
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-1"), ("Format", "XML")],
    );
    let resp = t.send(post(&uri)).await;
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "text/xml;charset=utf-8"
    );
    let xml = String::from_utf8(test::read_body(resp).await.to_vec()).unwrap();
    assert!(
        xml.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListPhoneNumbersResponse><RequestId>"
        ),
        "{xml}"
    );
    assert!(xml.contains("<Instance>inst-1</Instance>"));
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "NoSuchAction",
        &[("InstanceId", "inst-1")],
    );
    let (status, body) = t.json(post(&uri)).await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (404, "InvalidAction.NotFound")
    );
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "1999-01-01",
        "ListPhoneNumbers",
        &[("InstanceId", "inst-1")],
    );
    assert_eq!(t.json(post(&uri)).await.1["Code"], "InvalidVersion");
}

#[actix_web::test]
async fn internal_errors_keep_the_envelope() {
    let t = app(900).await;
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "Explode",
        &[("InstanceId", "inst-1")],
    );
    let (status, body) = t.json(post(&uri)).await;
    assert_eq!(status, 500);
    assert_eq!(body["Code"], "InternalError");
    assert_eq!(body["RequestId"].as_str().unwrap().len(), 36);
    let _ = json!(null);
}

/// A specified action that no loaded plugin serves answers 501 `NotImplemented` in the
/// Alibaba envelope, after authentication (a bad signature is still refused), and the
/// OpenAPI document lists every specified action.
#[actix_web::test]
async fn specified_actions_without_a_handler_are_not_implemented() {
    let t = app(900).await;
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "GetConversationDetailByContactId",
        &[("InstanceId", "inst-1"), ("ContactId", "1")],
    );
    let (status, body) = t.json(post(&uri)).await;
    assert_eq!(status, 501, "{body}");
    assert_eq!(body["Code"], "NotImplemented");
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .contains("GetConversationDetailByContactId"),
        "{body}"
    );
    assert_eq!(body["RequestId"].as_str().unwrap().len(), 36);
    let (uri, _) = v1(
        "testAK",
        "wrongSecret",
        "2017-07-05",
        "GetConversationDetailByContactId",
        &[("InstanceId", "inst-1")],
    );
    assert_eq!(t.json(post(&uri)).await.1["Code"], "SignatureDoesNotMatch");

    let resp = t.send(TestRequest::get().uri("/openapi.json")).await;
    assert_eq!(resp.status(), 200);
    let doc: serde_json::Value = serde_json::from_slice(&test::read_body(resp).await).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let dial =
        &doc["paths"]["/#Action=GetConversationDetailByContactId&Version=2017-07-05"]["post"];
    assert_eq!(dial["x-ccgate-implemented"], false);
    assert!(
        doc["paths"]["/#Action=ListPhoneNumbers&Version=2020-07-01"]["post"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "PageSize" && p["schema"]["maximum"] == 100)
    );
}
