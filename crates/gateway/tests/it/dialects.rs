//! Path-routed dialects as data (issue 10): route templates with path parameters, the dialect
//! and envelope chosen from the spec, Huawei CC-iSales `auth-v2` (C2) next to cc-management
//! (C1), `vdnId` resolved to an instance of the caller's account, 404/405/501 in each
//! dialect's shape.
//!
//! The test plugin declares a CC-iSales operation with `{vdnId}` (the template of the
//! specified `queryCampaigns`), a CC-iSales `POST /rest/cmsapp/v1/ping` (the path of the
//! huawei-aicc.md §4.3 vectors 2 and 3: its dialect comes from the spec, not the `/rest/`
//! prefix, which the cc-management envelope answers), and two cc-management operations, one
//! with a `{flowId}` parameter and one whose literal segment overlaps it.

use std::sync::Arc;

use actix_web::test::TestRequest;
use ccgate_gateway::admin;
use ccgate_gateway::auth::signing::{huawei_c2, percent};
use ccgate_gateway::crypto::MasterKey;
use ccgate_gateway::registry::{Registry, RegistryError};
use ccgate_gateway::sdk::{
    ActionSpec, ApiResult, AuthModes, Context, Dialect, Envelope, InstanceScope, Params, Plugin,
    Reply, async_trait, contract, sea_orm,
};
use serde_json::{Value, json};

use super::common::{MASTER_KEY_B64, TestApp, app_tuned};

/// huawei-aicc.md §4.3: AccessKey, secret, timestamp and host of the vectors.
const AK: &str = "globalaktest";
const SK: &str = "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p";
const VECTOR_TS: &str = "2024-01-01T00:00:00Z";
const HOST: &str = "10.22.26.181:28080";

const CAMPAIGNS: &str = "/rest/isales/v1/openapi/campaigns/{vdnId}";
const PING: &str = "/rest/cmsapp/v1/ping";
const ITEMS: &str = "/apiaccess/rest/cc-management/v1/test/{flowId}/items";
const ALL_ITEMS: &str = "/apiaccess/rest/cc-management/v1/test/all/items";

fn isales(action: &'static str, method: &'static str, path: &'static str) -> ActionSpec {
    ActionSpec {
        dialect: Dialect::HuaweiIsales,
        version: "huawei-isales-v1",
        action,
        route: Some((method, path)),
        auth: AuthModes::BearerOnly,
        instance: InstanceScope::Account,
        envelope: Envelope::NONE,
        roles: ccgate_gateway::sdk::Roles::ALL,
        access: ccgate_gateway::sdk::Access::NONE,
    }
}

/// Serves the operations above; `campaigns: false` leaves `{vdnId}` to the catalog (501).
struct Paths {
    campaigns: bool,
}

#[async_trait]
impl Plugin for Paths {
    fn name(&self) -> &'static str {
        "paths"
    }
    fn version(&self) -> &'static str {
        "0"
    }
    fn actions(&self) -> Vec<ActionSpec> {
        let mut v = vec![
            isales("testPing", "POST", PING),
            ActionSpec::huawei_cc_management("testItems", "POST", ITEMS),
            ActionSpec::huawei_cc_management("testAllItems", "POST", ALL_ITEMS),
        ];
        if self.campaigns {
            let mut spec = isales("testCampaigns", "GET", CAMPAIGNS);
            spec.instance = InstanceScope::Param("vdnId");
            v.push(spec);
        }
        v
    }
    async fn migrate(&self, _db: &sea_orm::DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        Ok(())
    }
    async fn handle(&self, ctx: &Context, _action: usize, params: &Params) -> ApiResult<Reply> {
        let caller = ctx.principal.display_name();
        Ok(Reply::from_json(match ctx.spec.action {
            // What a generated parser does with the spec of queryCampaigns.
            "testCampaigns" => {
                let vdn = contract::int("vdnId", params.required("vdnId")?, 1, 9999)?;
                let status =
                    contract::int_one_of("status", params.required("status")?, &[0, 2, 3, 4])?;
                let page = contract::int("curPage", params.required("curPage")?, 1, i64::MAX)?;
                json!({
                    "resultCode": "0200000", "resultDesc": "", "returnCode": "0200000",
                    "returnDesc": "", "vdnId": vdn, "status": status, "curPage": page,
                    "name": params.optional("name"), "instance": ctx.instance(), "caller": caller,
                })
            }
            "testPing" => json!({
                "resultCode": "0100000", "say": params.required("say")?,
                "instances": ctx.account_instances, "caller": caller,
            }),
            "testItems" => json!({
                "retCode": "0", "message": "success", "flowId": params.required("flowId")?,
                "limit": params.get("limit"), "filter": params.get("filter"),
                "absent": params.get("absent"), "body": params.json_body,
                "instances": ctx.account_instances, "caller": caller,
            }),
            _ => json!({"retCode": "0", "message": "success", "all": true}),
        }))
    }
}

/// The app: `Paths` served, the vectors' AccessKey imported into the test account (which owns
/// `inst-1`, VDN 1); the other account's `inst-other` has VDN 2.
async fn paths_app(campaigns: bool, window_secs: u64) -> TestApp {
    let t = app_tuned(vec![Arc::new(Paths { campaigns })], |s| {
        s.security.replay_window_secs = window_secs
    })
    .await;
    let db = &t.state.db;
    let inst = admin::list_instances(db, None).await.unwrap();
    let account = &inst.iter().find(|i| i.id == "inst-1").unwrap().account_id;
    let master = MasterKey::from_base64(MASTER_KEY_B64).unwrap();
    admin::import_access_key(db, &master, account, AK, SK)
        .await
        .unwrap();
    admin::set_instance_vdn(db, "inst-1", Some(1))
        .await
        .unwrap();
    admin::set_instance_vdn(db, "inst-other", Some(2))
        .await
        .unwrap();
    t
}

/// Ten years: the §4.3 vectors are stamped 2024-01-01.
const VECTOR_WINDOW: u64 = 10 * 365 * 86_400;

fn now_ts() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// An `auth-v2` Authorization value signing `host` only, as the Java clients do.
fn sign(ak: &str, sk: &str, ts: &str, method: &str, path: &str, query: &str, body: &str) -> String {
    let signed = vec!["host".to_string()];
    let canonical = huawei_c2::canonical_request(
        method,
        path,
        &percent::form_decode_pairs(query),
        &[("host".into(), HOST.into())],
        &signed,
        body,
    );
    huawei_c2::sign(sk, ak, ts, &signed, &canonical)
}

/// A GET of `path?query` from the vectors' host with `authorization`.
fn get(path: &str, query: &str, authorization: &str) -> TestRequest {
    let uri = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    };
    TestRequest::get()
        .uri(&uri)
        .insert_header(("host", HOST))
        .insert_header(("Content-Type", "application/json; charset=UTF-8"))
        .insert_header(("Authorization", authorization))
}

/// The iSales error shape: the four fields, each code and description given twice.
fn assert_isales_error(body: &Value, code: &str, says: &str) {
    assert_eq!(body["resultCode"], code, "{body}");
    assert_eq!(body["returnCode"], code, "{body}");
    let desc = body["resultDesc"].as_str().unwrap();
    assert_eq!(body["returnDesc"], desc);
    assert!(desc.contains(says), "{desc:?} should say {says:?}");
    assert_eq!(body.as_object().unwrap().len(), 4, "{body}");
}

const VECTOR_1_QUERY: &str = "name=&status=0&deviceType=0&curPage=1&rowsPerPage=10";

#[actix_web::test]
async fn auth_v2_vectors_verify_and_path_parameters_reach_the_handler() {
    let t = paths_app(true, VECTOR_WINDOW).await;
    // §4.3 vector 1, byte for byte.
    let (status, body) = t
        .json(get(
            "/rest/isales/v1/openapi/campaigns/1",
            VECTOR_1_QUERY,
            "auth-v2/globalaktest/2024-01-01T00:00:00Z/host/e11dc831057c9f1ed79945217b86ea919e705dc8f714cf4c15ebbc3e8487dda0",
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resultCode"], "0200000");
    assert_eq!(
        body["vdnId"], 1,
        "the path parameter, parsed like any other"
    );
    assert_eq!((&body["status"], &body["curPage"]), (&json!(0), &json!(1)));
    assert_eq!(body["name"], Value::Null, "an empty optional is absent");
    assert_eq!(body["instance"], "inst-1", "VDN 1 is the caller's inst-1");
    assert_eq!(body["caller"], AK);

    // §4.3 vectors 2 and 3: a POST with a JSON body, signing host, then three headers.
    for (signed, signature) in [
        (
            "host",
            "70b71078cd28e6bc80a1c7bbd681deeac7f5f856e5bb27d88b395f5a85b97998",
        ),
        (
            "content-length;content-type;host",
            "9eb998a66264a8966f5d5cc9225cb67b3e1290f628d90dee6fb99b5302d3bb50",
        ),
    ] {
        let (status, body) = t
            .json(
                TestRequest::post()
                    .uri(PING)
                    .insert_header(("Host", HOST))
                    .insert_header(("Content-Type", "application/json;charset=UTF-8"))
                    .insert_header((
                        "Authorization",
                        format!("auth-v2/{AK}/{VECTOR_TS}/{signed}/{signature}"),
                    ))
                    .set_payload(r#"{"say":"Hello world!"}"#),
            )
            .await;
        assert_eq!(status, 200, "{signed}: {body}");
        assert_eq!(
            body["say"], "Hello world!",
            "a JSON body field is a parameter"
        );
        assert_eq!(body["instances"], json!(["inst-1"]));
    }

    // A fresh signature of the same GET; a percent-encoded parameter is decoded.
    let ts = now_ts();
    let path = "/rest/isales/v1/openapi/campaigns/%31";
    let query = "status=2&curPage=3&name=a+b%21";
    let auth = sign(AK, SK, &ts, "GET", path, query, "");
    let (status, body) = t.json(get(path, query, &auth)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            &body["vdnId"],
            &body["status"],
            &body["curPage"],
            &body["name"]
        ),
        (&json!(1), &json!(2), &json!(3), &json!("a b!"))
    );
}

#[actix_web::test]
async fn auth_v2_failures_are_401_in_the_isales_shape() {
    let t = paths_app(true, 900).await;
    let path = "/rest/isales/v1/openapi/campaigns/1";
    let query = "status=0&curPage=1";
    let ts = now_ts();
    let ok = sign(AK, SK, &ts, "GET", path, query, "");
    let (status, body) = t.json(get(path, query, &ok)).await;
    assert_eq!(status, 200, "{body}");

    // The §4.3 vector, correct but stamped 2024: outside the 900 s window.
    let (status, body) = t
        .json(get(
            path,
            VECTOR_1_QUERY,
            "auth-v2/globalaktest/2024-01-01T00:00:00Z/host/e11dc831057c9f1ed79945217b86ea919e705dc8f714cf4c15ebbc3e8487dda0",
        ))
        .await;
    assert_eq!(status, 401);
    assert_isales_error(&body, "401", "seconds away from the server's time");
    let stale = (chrono::Utc::now() - chrono::Duration::seconds(3600))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let auth = sign(AK, SK, &stale, "GET", path, query, "");
    let (status, body) = t.json(get(path, query, &auth)).await;
    assert_eq!(status, 401);
    assert_isales_error(&body, "401", "seconds away");

    let cases: Vec<(String, String, &str)> = vec![
        // Wrong secret: the server shows its canonical request.
        (
            sign(AK, "wrong-secret", &ts, "GET", path, query, ""),
            query.into(),
            "the signature does not match; the server's canonical request is: GET\\n/rest/isales/v1/openapi/campaigns/1\\ncurPage=1&status=0\\nhost\\nhost:10.22.26.181%3A28080\\n",
        ),
        // A parameter changed after signing.
        (ok.clone(), "status=2&curPage=1".into(), "does not match"),
        (ok.clone(), format!("{query}&extra=1"), "does not match"),
        // An AccessKey nobody has.
        (
            sign("nobody", SK, &ts, "GET", path, query, ""),
            query.into(),
            "access key is unknown",
        ),
        // Signatures that leave out host, or are not auth-v2 at all.
        (
            ok.replacen("/host/", "/accept/", 1),
            query.into(),
            "must include host",
        ),
        (
            format!("auth-v2/{AK}/{ts}/host"),
            query.into(),
            "5 '/'-separated",
        ),
        ("Bearer abc".into(), query.into(), "auth-v2/"),
        (
            ok.replacen(&ts, "yesterday", 1),
            query.into(),
            "not yyyy-MM-ddTHH:mm:ssZ",
        ),
    ];
    for (authorization, sent_query, says) in cases {
        let (status, body) = t.json(get(path, &sent_query, &authorization)).await;
        assert_eq!(status, 401, "{authorization}: {body}");
        assert_isales_error(&body, "401", says);
    }
    let (status, body) = t
        .json(TestRequest::get().uri(&format!("{path}?{query}")))
        .await;
    assert_eq!(status, 401);
    assert_isales_error(&body, "401", "Authorization header is missing");

    // A disabled key.
    admin::set_access_key_active(&t.state.db, AK, false)
        .await
        .unwrap();
    t.state.auth.keys.invalidate_all();
    let (status, body) = t.json(get(path, query, &ok)).await;
    assert_eq!(status, 401);
    assert_isales_error(&body, "401", "disabled");
}

#[actix_web::test]
async fn vdn_ids_and_parameters_are_checked_in_the_isales_shape() {
    let t = paths_app(true, 900).await;
    let ts = now_ts();
    let call = |vdn: &str, query: &str| {
        let path = format!("/rest/isales/v1/openapi/campaigns/{vdn}");
        let auth = sign(AK, SK, &ts, "GET", &path, query, "");
        get(&path, query, &auth)
    };
    // VDN 2 is the other account's, VDN 3 nobody's: the same answer.
    for vdn in ["2", "3", "abc"] {
        let (status, body) = t.json(call(vdn, "status=0&curPage=1")).await;
        assert_eq!(status, 404, "{vdn}: {body}");
        assert_isales_error(&body, "0200001", "names no VDN of this tenant");
    }
    let (status, body) = t.json(call("1", "curPage=1")).await;
    assert_eq!(status, 400);
    assert_isales_error(&body, "02000001", "status");
    let (status, body) = t.json(call("1", "status=9&curPage=1")).await;
    assert_eq!(status, 400);
    assert_isales_error(&body, "02000007", "status");
    // A path parameter cannot be contradicted by the query.
    let (status, body) = t.json(call("1", "status=0&curPage=1&vdnId=2")).await;
    assert_eq!(status, 400);
    assert_isales_error(&body, "02000006", "given more than once");
}

async fn c1_token(t: &TestApp) -> String {
    let (status, body) = t
        .json(
            TestRequest::post()
                .uri("/apigovernance/api/oauth/tokenByAkSk")
                .set_json(json!({"app_key": "testAK", "app_secret": "testSecret"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["AccessToken"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn cc_management_templates_take_path_and_json_body_parameters() {
    let t = paths_app(true, 900).await;
    let token = c1_token(&t).await;
    let post = |path: &str| {
        TestRequest::post()
            .uri(path)
            .insert_header(("Authorization", format!("Bearer {token}")))
    };
    let (status, body) = t
        .json(
            post("/apiaccess/rest/cc-management/v1/test/flow%201/items")
                .set_json(json!({"limit": 5, "filter": {"a": [1]}, "absent": null})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["flowId"], "flow 1");
    assert_eq!(body["limit"], "5", "numbers arrive as their JSON text");
    assert_eq!(body["filter"], r#"{"a":[1]}"#, "objects as compact JSON");
    assert_eq!(body["absent"], Value::Null, "null is absent");
    assert_eq!(body["body"]["filter"]["a"][0], 1, "the whole body is kept");
    assert_eq!(body["instances"], json!(["inst-1"]), "account-wide");
    assert_eq!(body["caller"], "testAK");
    // The literal segment beats the parameter.
    let (status, body) = t.json(post(ALL_ITEMS)).await;
    assert_eq!((status, &body["all"]), (200, &json!(true)), "{body}");
    // A body field cannot contradict the path.
    let (status, body) = t
        .json(
            post("/apiaccess/rest/cc-management/v1/test/f/items").set_json(json!({"flowId": "g"})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["retCode"], "InvalidParameter", "{body}");
    // C1 credentials are not C2's, nor the other way round.
    let (status, body) = t
        .json(
            TestRequest::post()
                .uri(PING)
                .insert_header(("Authorization", format!("Bearer {token}")))
                .set_json(json!({"say": "x"})),
        )
        .await;
    assert_eq!(status, 401);
    assert_isales_error(&body, "401", "auth-v2");
    let c2 = sign(AK, SK, &now_ts(), "POST", ITEMS, "", "");
    let (status, body) = t
        .json(post(ALL_ITEMS).insert_header(("Authorization", c2)))
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["retCode"], "403");
}

#[actix_web::test]
async fn unserved_unknown_and_wrong_method_paths_answer_in_their_dialect() {
    let t = paths_app(false, 900).await;
    let path = "/rest/isales/v1/openapi/campaigns/123";
    // Specified (queryCampaigns), not served: authenticated first, then 501.
    let (status, body) = t.json(TestRequest::get().uri(path)).await;
    assert_eq!(status, 401, "{body}");
    assert_isales_error(&body, "401", "Authorization");
    let auth = sign(AK, SK, &now_ts(), "GET", path, "", "");
    let (status, body) = t.json(get(path, "", &auth)).await;
    assert_eq!(status, 501, "{body}");
    assert_isales_error(&body, "501", "queryCampaigns");
    // Only GET is specified there.
    let (status, body) = t.json(TestRequest::post().uri(path)).await;
    assert_eq!(status, 405);
    assert_isales_error(&body, "405", "send GET");
    // Unknown paths: the envelope of the path's prefix.
    let (status, body) = t
        .json(TestRequest::get().uri("/rest/isales/v1/openapi/nothing"))
        .await;
    assert_eq!(status, 404);
    assert_isales_error(&body, "404", "not found");
    for unknown in [
        "/apiaccess/rest/cc-management/v1/nothing",
        "/rest/cmsapp/v1/nothing",
        "/apiaccess/rest/cc-management/v1/test/all",
    ] {
        let (status, body) = t.json(TestRequest::post().uri(unknown)).await;
        assert_eq!(status, 404, "{unknown}");
        assert_eq!(body["retCode"], "404", "{unknown}: {body}");
    }
    let (status, body) = t.json(TestRequest::get().uri("/nothing")).await;
    assert_eq!(status, 404);
    assert_eq!(body["Code"], "InvalidApi.NotFound", "{body}");
    // A body over the limit is refused in the matched route's dialect, not its prefix's.
    let (status, body) = t
        .json(
            TestRequest::post()
                .uri(PING)
                .set_payload(vec![b' '; 2 << 20]),
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_isales_error(&body, "413", "larger than");
}

/// A plugin declaring the given path-routed operations (cc-management).
struct Declares(&'static str, Vec<(&'static str, &'static str)>);

#[async_trait]
impl Plugin for Declares {
    fn name(&self) -> &'static str {
        self.0
    }
    fn version(&self) -> &'static str {
        "0"
    }
    fn actions(&self) -> Vec<ActionSpec> {
        self.1
            .iter()
            .map(|(m, p)| ActionSpec::huawei_cc_management("op", m, p))
            .collect()
    }
    async fn migrate(&self, _db: &sea_orm::DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        Ok(())
    }
    async fn handle(&self, _ctx: &Context, _action: usize, _params: &Params) -> ApiResult<Reply> {
        Ok(Reply::empty())
    }
}

fn registry(plugins: Vec<Declares>) -> Result<Registry, RegistryError> {
    Registry::new(
        plugins
            .into_iter()
            .map(|p| Arc::new(p) as Arc<dyn Plugin>)
            .collect(),
    )
}

#[test]
fn colliding_templates_are_refused_when_the_registry_is_built() {
    let e = registry(vec![
        Declares("a", vec![("GET", "/rest/x/{vdnId}/items")]),
        Declares("b", vec![("GET", "/rest/x/{id}/items")]),
    ])
    .err()
    .expect("same paths, other parameter name");
    assert!(
        matches!(&e, RegistryError::Route { plugin, .. } if plugin == "b"),
        "{e}"
    );
    assert!(e.to_string().contains("/rest/x/{vdnId}/items"), "{e}");
    let e = registry(vec![
        Declares("a", vec![("GET", "/rest/x/{v}")]),
        Declares("b", vec![("GET", "/rest/x/{v}")]),
    ])
    .err()
    .expect("the same template twice");
    assert!(matches!(e, RegistryError::Duplicate { .. }), "{e}");
    let e = registry(vec![Declares("a", vec![("GET", "/rest/x/{v}{w}")])])
        .err()
        .expect("malformed");
    assert!(e.to_string().contains("whole segment"), "{e}");
    // Resolved, not refused: a literal beside a parameter, or another method.
    let reg = registry(vec![
        Declares("a", vec![("GET", "/rest/x/{v}"), ("POST", "/rest/x/{w}")]),
        Declares("b", vec![("GET", "/rest/x/all")]),
    ])
    .unwrap();
    let owner = |m, p| reg.path(m, p).map(|r| r.plugin.name());
    assert_eq!(owner("GET", "/rest/x/all"), Some("b"));
    assert_eq!(owner("GET", "/rest/x/7"), Some("a"));
    assert_eq!(owner("POST", "/rest/x/all"), Some("a"));
    assert_eq!(owner("GET", "/rest/x"), None);
    assert_eq!(reg.path_routes().count(), 3);
}
