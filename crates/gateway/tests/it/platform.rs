//! The plugin platform as the gateway enforces it: the caller's role against each action's
//! `roles` (403 before the handler), and plugin settings read at start-up.

use std::sync::Arc;

use actix_web::test::TestRequest;
use ccgate_gateway::admin;
use ccgate_gateway::auth::bearer::AUD_ALIYUN;
use ccgate_gateway::plugin_set;
use ccgate_gateway::sdk::{Plugin, Role};
use ccgate_gateway::settings::Settings;
use serde_json::json;

use super::aliyun::v1;
use super::common::{TestApp, app};

fn post(uri: &str) -> TestRequest {
    TestRequest::post().uri(uri)
}

/// A token of account `test` for `subject` acting as `role` (`None`: an administrator's).
async fn token(t: &TestApp, subject: &str, role: Option<Role>) -> String {
    let acc = admin::list_access_keys(&t.state.db, None)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.id == "testAK")
        .unwrap()
        .account_id;
    t.state
        .auth
        .tokens
        .issue_as(subject, &acc, AUD_ALIYUN, 60, None, role)
        .0
}

async fn call_with_token(t: &TestApp, action: &str, token: &str) -> (u16, serde_json::Value) {
    let uri =
        format!("/?Action={action}&Version=2017-07-05&InstanceId=inst-1&SignatureType=BEARERTOKEN");
    t.json(post(&uri).insert_header(("x-acs-bearer-token", token)))
        .await
}

#[actix_web::test]
async fn roles_are_checked_before_the_handler_and_reach_it() {
    let t = app(900).await;
    let agent = token(&t, "agent@inst-1", Some(Role::Agent)).await;
    let (status, body) = call_with_token(&t, "WhoAmI", &agent).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["Caller"].as_str(), body["Role"].as_str()),
        (Some("agent@inst-1"), Some("agent"))
    );

    let (status, body) = call_with_token(&t, "AdminOnlyThing", &agent).await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (403, Some("NoPermission")),
        "{body}"
    );
    assert_eq!(
        body["Message"],
        "The caller's role agent may not call AdminOnlyThing."
    );
    assert!(body["RequestId"].as_str().is_some_and(|r| r.len() == 36));

    let leader = token(&t, "lead@inst-1", Some(Role::SkillGroupLeader)).await;
    assert_eq!(call_with_token(&t, "AdminOnlyThing", &leader).await.0, 403);

    // Tokens issued for an account or an AccessKey, and AccessKey signatures, are administrators.
    let admin_token = token(&t, "ops", None).await;
    let (status, body) = call_with_token(&t, "AdminOnlyThing", &admin_token).await;
    assert_eq!(
        (status, body["Role"].as_str()),
        (200, Some("admin")),
        "{body}"
    );
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "AdminOnlyThing",
        &[("InstanceId", "inst-1")],
    );
    let (status, body) = t.json(post(&uri)).await;
    assert_eq!(
        (status, body["Role"].as_str()),
        (200, Some("admin")),
        "{body}"
    );
}

#[actix_web::test]
async fn a_bad_role_check_comes_after_authentication() {
    // A forged token is refused as such, not as a role problem.
    let t = app(900).await;
    let (status, body) = call_with_token(&t, "AdminOnlyThing", "forged").await;
    assert_eq!(
        (status, body["Code"].as_str()),
        (401, Some("InvalidBearerToken.Malformed"))
    );
}

/// `[plugins.numbers]` reaches the numbers plugin's typed settings; a bad value stops start-up
/// with one line naming the key; a table of an unknown plugin is only reported.
#[tokio::test]
async fn plugin_settings_are_read_at_start_up_and_bad_values_name_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let load = |text: &str| {
        let path = dir.path().join("c.toml");
        std::fs::write(&path, text).unwrap();
        Settings::load(Some(path.to_str().unwrap())).unwrap()
    };
    let numbers: Vec<Arc<dyn Plugin>> = vec![Arc::new(ccgate_numbers::NumbersPlugin::new())];

    let ok = load("[plugins.numbers]\nlist_cache_ttl_ms = 0\n[plugins.nosuch]\nx = 1\n");
    plugin_set::init(&numbers, &ok.plugins).await.unwrap();

    let bad = load("[plugins.numbers]\nlist_cache_ttl_ms = \"soon\"\n");
    let e = plugin_set::init(&numbers, &bad.plugins).await.unwrap_err();
    assert!(
        e.starts_with("plugins.numbers.list_cache_ttl_ms: invalid type"),
        "{e}"
    );
    assert!(!e.contains('\n'));

    let misspelt = load("[plugins.numbers]\nlist_cache_ttl = 5\n");
    let e = plugin_set::init(&numbers, &misspelt.plugins)
        .await
        .unwrap_err();
    assert!(
        e.starts_with("plugins.numbers.list_cache_ttl: unknown field"),
        "{e}"
    );

    // No table: the defaults.
    plugin_set::init(&numbers, &load("").plugins).await.unwrap();
    assert_eq!(
        json!(ccgate_numbers::Settings::default().list_cache_ttl_ms),
        json!(1000)
    );
}
