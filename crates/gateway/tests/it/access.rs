//! Role-based access control of user tokens (`auth::access`): the agents plugin's `caller` and
//! `authorize` queries (played by a `FakePlugin`) decide who a user's token acts for; the
//! gateway checks the effective role and the specs' `[access]` parameters before the handler.

use std::sync::Arc;

use actix_web::test::TestRequest;
use ccgate_gateway::admin;
use ccgate_gateway::auth::bearer::AUD_ALIYUN;
use ccgate_gateway::sdk::{
    Access, ActionSpec, ApiResult, Context, Params, Plugin, Reply, Role, Roles, async_trait,
    sea_orm,
};
use ccgate_plugin_sdk::testing::FakePlugin;
use serde_json::{Value, json};

use super::aliyun::v1;
use super::common::{TestApp, app_with};

/// A plugin whose actions carry `[access]` rules and answer the caller's role and scope.
struct Desk;

#[async_trait]
impl Plugin for Desk {
    fn name(&self) -> &'static str {
        "desk"
    }
    fn version(&self) -> &'static str {
        "0"
    }
    fn actions(&self) -> Vec<ActionSpec> {
        vec![
            ActionSpec::rpc("2017-07-05", "ModifyGroup").with_access(Access {
                skill_groups: &["SkillGroupId"],
                users: &["UserId"],
                self_only: false,
            }),
            ActionSpec::rpc("2017-07-05", "DeskAction").with_access(Access {
                skill_groups: &[],
                users: &["UserId"],
                self_only: true,
            }),
            ActionSpec::rpc("2017-07-05", "Whoami"),
            ActionSpec::rpc("2017-07-05", "AdminOnly").with_roles(Roles::ADMIN),
        ]
    }
    async fn migrate(&self, _db: &sea_orm::DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        Ok(())
    }
    async fn handle(&self, ctx: &Context, _action: usize, _params: &Params) -> ApiResult<Reply> {
        Ok(Reply::empty()
            .with("Role", json!(ctx.role.as_str()))
            .with("Scope", json!(ctx.caller_scope)))
    }
}

/// The users of instance `inst-1` the fake agents plugin knows: login, user id, role, groups.
const USERS: &[(&str, &str, &str, &[&str])] = &[
    ("alice", "u-alice", "admin", &[]),
    ("lea", "u-lea", "skill-group-leader", &["sg-1", "sg-2"]),
    ("bob", "u-bob", "agent", &["sg-1"]),
    ("carl", "u-carl", "agent", &["sg-3"]),
];

fn user_of(
    r: &str,
) -> Option<&'static (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
)> {
    let login = r.strip_suffix("@inst-1").unwrap_or(r);
    USERS
        .iter()
        .find(|(l, id, ..)| *l == login || *id == r || format!("ram-{l}") == r)
}

/// The agents plugin as the contract (`/work/notes/agents-core-contract.md`) describes it.
fn fake_agents() -> FakePlugin {
    FakePlugin::new("agents")
        .answer("caller", |args: &Value| {
            assert_eq!(args["instance_id"], "inst-1");
            let login = args["login_name"].as_str().unwrap_or_default();
            Ok(match USERS.iter().find(|(l, ..)| *l == login) {
                None => json!({"found": false}),
                Some((l, id, role, groups)) => json!({
                    "found": true, "user_id": id, "login_name": l, "role": role,
                    "led_skill_group_ids": groups,
                }),
            })
        })
        .answer("authorize", |args: &Value| {
            let me = user_of(args["login_name"].as_str().unwrap()).unwrap();
            let self_only = args["self_only"].as_bool().unwrap();
            for r in args["user_refs"].as_array().unwrap() {
                let r = r.as_str().unwrap();
                let ok = match user_of(r) {
                    None => false,
                    Some(u) if u.0 == me.0 => true,
                    Some(_) if self_only => false,
                    Some(u) => u.3.iter().any(|g| me.3.contains(g)),
                };
                if !ok {
                    return Ok(json!({"allowed": false, "reason": format!("user {r}")}));
                }
            }
            Ok(json!({"allowed": true, "reason": ""}))
        })
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

/// A user token of `login` (`role`: the claim; `None`: none).
async fn user_token(t: &TestApp, login: &str, role: Option<Role>) -> String {
    let acc = account(t).await;
    t.state
        .auth
        .tokens
        .issue_for_user(login, &acc, AUD_ALIYUN, 60, None, role)
        .0
}

async fn call(t: &TestApp, token: &str, action: &str, extra: &str) -> (u16, Value) {
    let uri = format!(
        "/?Action={action}&Version=2017-07-05&InstanceId=inst-1&SignatureType=BEARERTOKEN{extra}"
    );
    t.json(
        TestRequest::post()
            .uri(&uri)
            .insert_header(("x-acs-bearer-token", token)),
    )
    .await
}

fn refused(r: &(u16, Value)) -> String {
    assert_eq!(
        (r.0, r.1["Code"].as_str()),
        (403, Some("NoPermission")),
        "{}",
        r.1
    );
    r.1["Message"].as_str().unwrap().to_string()
}

fn ok(r: &(u16, Value)) -> &Value {
    assert_eq!(r.0, 200, "{}", r.1);
    &r.1
}

async fn with_agents() -> TestApp {
    app_with(vec![Arc::new(Desk), Arc::new(fake_agents())], 900).await
}

#[actix_web::test]
async fn the_scope_comes_from_the_agents_plugin_and_the_role_is_the_lesser() {
    let t = with_agents().await;
    // No role claim (admin) for a leader: acts as a leader, with the groups.
    let lea = user_token(&t, "lea", None).await;
    let r = call(&t, &lea, "Whoami", "").await;
    let body = ok(&r);
    assert_eq!(body["Role"], "skill-group-leader");
    assert_eq!(
        body["Scope"],
        json!({"user_id": "u-lea", "login_name": "lea", "role": "skill-group-leader",
               "led_skill_group_ids": ["sg-1", "sg-2"]})
    );
    // An admin user with an agent token acts as an agent.
    let alice = user_token(&t, "alice", Some(Role::Agent)).await;
    assert_eq!(ok(&call(&t, &alice, "Whoami", "").await)["Role"], "agent");
    let alice = user_token(&t, "alice", None).await;
    assert_eq!(ok(&call(&t, &alice, "Whoami", "").await)["Role"], "admin");
    // The effective role is checked against `roles`.
    let m = refused(&call(&t, &lea, "AdminOnly", "").await);
    assert_eq!(
        m,
        "The caller's role skill-group-leader may not call AdminOnly."
    );
}

#[actix_web::test]
async fn a_user_missing_from_the_instance_is_refused() {
    let t = with_agents().await;
    let ghost = user_token(&t, "ghost", Some(Role::Agent)).await;
    let m = refused(&call(&t, &ghost, "Whoami", "").await);
    assert_eq!(m, "The user ghost does not exist in instance inst-1.");
}

#[actix_web::test]
async fn administrators_and_access_keys_touch_everything() {
    let t = with_agents().await;
    let alice = user_token(&t, "alice", None).await;
    ok(&call(&t, &alice, "ModifyGroup", "&SkillGroupId=sg-9&UserId=carl").await);
    ok(&call(&t, &alice, "DeskAction", "&UserId=bob").await);
    // An account token: admin, no scope, no query.
    let acc = account(&t).await;
    let admin_token = t
        .state
        .auth
        .tokens
        .issue_as("admin", &acc, AUD_ALIYUN, 60, None, None)
        .0;
    let r = call(
        &t,
        &admin_token,
        "ModifyGroup",
        "&SkillGroupId=sg-9&UserId=carl",
    )
    .await;
    assert_eq!(ok(&r)["Scope"], Value::Null);
    let (uri, _) = v1(
        "testAK",
        "testSecret",
        "2017-07-05",
        "ModifyGroup",
        &[("InstanceId", "inst-1"), ("SkillGroupId", "sg-9")],
    );
    let r = t.json(TestRequest::post().uri(&uri)).await;
    assert_eq!(ok(&r)["Role"], "admin");
}

#[actix_web::test]
async fn a_leader_touches_only_the_groups_they_lead_and_their_members() {
    let t = with_agents().await;
    let lea = user_token(&t, "lea", Some(Role::SkillGroupLeader)).await;
    // Inside: led groups (one value, a repeat list, a comma-separated list), members by
    // login, login@instance, user id, RamId, and themselves.
    ok(&call(&t, &lea, "ModifyGroup", "&SkillGroupId=sg-1").await);
    ok(&call(
        &t,
        &lea,
        "ModifyGroup",
        "&SkillGroupId.1=sg-1&SkillGroupId.2=sg-2",
    )
    .await);
    ok(&call(
        &t,
        &lea,
        "ModifyGroup",
        "&SkillGroupId=sg-1,sg-2&UserId=bob",
    )
    .await);
    ok(&call(&t, &lea, "ModifyGroup", "&UserId=bob%40inst-1").await);
    ok(&call(&t, &lea, "ModifyGroup", "&UserId=u-bob").await);
    ok(&call(&t, &lea, "ModifyGroup", "&UserId=ram-bob").await);
    ok(&call(&t, &lea, "ModifyGroup", "&UserId=u-lea").await);
    // Outside: another group, a user of another group, an unknown user.
    let m = refused(&call(&t, &lea, "ModifyGroup", "&SkillGroupId=sg-1,sg-3").await);
    assert_eq!(
        m,
        "The caller's role skill-group-leader may not call ModifyGroup for skill group sg-3."
    );
    let m = refused(&call(&t, &lea, "ModifyGroup", "&UserId.1=bob&UserId.2=carl").await);
    assert_eq!(
        m,
        "The caller's role skill-group-leader may not call ModifyGroup for user carl."
    );
    refused(&call(&t, &lea, "ModifyGroup", "&UserId=nobody").await);
    // Agent-desk actions: only for themselves, members included.
    ok(&call(&t, &lea, "DeskAction", "").await);
    ok(&call(&t, &lea, "DeskAction", "&UserId=lea%40inst-1").await);
    let m = refused(&call(&t, &lea, "DeskAction", "&UserId=bob").await);
    assert_eq!(
        m,
        "The caller's role skill-group-leader may not call DeskAction for user bob."
    );
}

#[actix_web::test]
async fn an_agent_acts_only_for_itself_and_its_groups() {
    let t = with_agents().await;
    let bob = user_token(&t, "bob", Some(Role::Agent)).await;
    ok(&call(&t, &bob, "DeskAction", "").await);
    ok(&call(&t, &bob, "DeskAction", "&UserId=bob").await);
    ok(&call(&t, &bob, "DeskAction", "&UserId=ram-bob").await);
    ok(&call(&t, &bob, "ModifyGroup", "&SkillGroupId=sg-1&UserId=u-bob").await);
    let m = refused(&call(&t, &bob, "DeskAction", "&UserId=lea").await);
    assert_eq!(
        m,
        "The caller's role agent may not call DeskAction for user lea."
    );
    // Another member of its own group is still another user.
    refused(&call(&t, &bob, "ModifyGroup", "&UserId=ram-lea").await);
    let m = refused(&call(&t, &bob, "ModifyGroup", "&SkillGroupId=sg-2").await);
    assert_eq!(
        m,
        "The caller's role agent may not call ModifyGroup for skill group sg-2."
    );
}

#[actix_web::test]
async fn without_the_agents_plugin_the_role_claim_alone_counts() {
    let t = app_with(vec![Arc::new(Desk)], 900).await;
    let ghost = user_token(&t, "ghost", Some(Role::Agent)).await;
    let r = call(&t, &ghost, "ModifyGroup", "&SkillGroupId=sg-9&UserId=carl").await;
    let body = ok(&r);
    assert_eq!(
        (body["Role"].as_str(), &body["Scope"]),
        (Some("agent"), &Value::Null)
    );
    let m = refused(&call(&t, &ghost, "AdminOnly", "").await);
    assert_eq!(m, "The caller's role agent may not call AdminOnly.");
}
