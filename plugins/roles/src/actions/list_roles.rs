//! 2017-07-05 ListRoles (seed 004 §5.1, `plugins/roles/api/ListRoles.2017-07-05.toml`): the
//! roles the caller may manage in the instance.
//!
//! Request ([`crate::api::list_roles::Request`]): `InstanceId` (required; the gateway has
//! checked that it is an instance of the caller's account).
//! Response ([`crate::api::list_roles::Response`]): `Roles.Role[] {InstanceId, RoleDescription,
//! RoleId, RoleName}`, by the caller's role ([`crate::catalog::manageable_by`]): an
//! administrator (or AccessKey) gets all three roles, a skill-group leader the leader and agent
//! roles, an agent the agent role; in the order administrator, leader, agent.
//! Errors: the parameter errors of the generated parser (`MissingParameter`, `Parameter.Empty`,
//! `Parameter.Maximum`); 404 `NotExists.InstanceId` comes from the gateway.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::list_roles::{Request, Response, ResponseRoles, ResponseRolesRole};
use crate::catalog::{self, InstanceRole};

/// Serves ListRoles: the roles of the instance the caller's role may manage.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let role = catalog::manageable_by(ctx.role)
        .iter()
        .map(|r| render(InstanceRole::new(&req.instance_id, *r)))
        .collect();
    Ok(Response {
        roles: ResponseRoles { role },
    })
}

fn render(r: InstanceRole) -> ResponseRolesRole {
    ResponseRolesRole {
        role_name: r.role_name().to_string(),
        role_description: r.role_description().to_string(),
        instance_id: r.instance_id,
        role_id: r.role_id,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ccgate_plugin_sdk::serde_json::{Value, json};
    use ccgate_plugin_sdk::testing::{self, TestEnv};
    use ccgate_plugin_sdk::{ApiResult, Plugin, Role};

    use crate::RolesPlugin;
    use crate::api::list_roles::SPEC;
    use crate::catalog::role_id;

    /// Calls ListRoles on `instance` as a caller of `role` through the real dispatch (parser,
    /// handler, reply check), as the gateway would.
    async fn call_as(role: Role, instance: &str, pairs: &[(&str, &str)]) -> ApiResult<Value> {
        let plugin: Arc<dyn Plugin> = Arc::new(RolesPlugin::default());
        let env = TestEnv::new(vec![plugin.clone()]).await;
        let mut ctx = env.ctx(SPEC, instance);
        ctx.role = role;
        testing::call(plugin.as_ref(), &ctx, pairs)
            .await
            .map(Value::Object)
    }

    fn role(instance: &str, r: Role, name: &str, description: &str) -> Value {
        json!({
            "InstanceId": instance,
            "RoleDescription": description,
            "RoleId": role_id(instance, r),
            "RoleName": name,
        })
    }

    #[tokio::test]
    async fn an_administrator_gets_all_three_roles() {
        let reply = call_as(Role::Admin, "ccc-test", &[("InstanceId", "ccc-test")])
            .await
            .unwrap();
        assert_eq!(
            reply,
            json!({"Roles": {"Role": [
                role("ccc-test", Role::Admin, "ADMIN", "管理员"),
                role("ccc-test", Role::SkillGroupLeader, "SKILL_GROUP_ADMIN", "技能组组长"),
                role("ccc-test", Role::Agent, "AGENT", "坐席"),
            ]}})
        );
    }

    #[tokio::test]
    async fn the_access_key_test_caller_acts_as_administrator() {
        // TestEnv::call: an AccessKey caller, as the gateway sets it up (role Admin).
        let env = TestEnv::new(vec![Arc::new(RolesPlugin::default())]).await;
        let reply = env
            .call(SPEC, "ccc-test", &[("InstanceId", "ccc-test")])
            .await
            .unwrap();
        assert_eq!(reply["Roles"]["Role"].as_array().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn a_skill_group_leader_gets_leader_and_agent() {
        let reply = call_as(
            Role::SkillGroupLeader,
            "ccc-test",
            &[("InstanceId", "ccc-test")],
        )
        .await
        .unwrap();
        let names: Vec<&str> = reply["Roles"]["Role"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["RoleName"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["SKILL_GROUP_ADMIN", "AGENT"]);
    }

    #[tokio::test]
    async fn an_agent_gets_the_agent_role_only() {
        let reply = call_as(Role::Agent, "ccc-test", &[("InstanceId", "ccc-test")])
            .await
            .unwrap();
        assert_eq!(
            reply,
            json!({"Roles": {"Role": [role("ccc-test", Role::Agent, "AGENT", "坐席")]}})
        );
    }

    #[tokio::test]
    async fn role_ids_differ_per_instance_and_are_stable() {
        let a = call_as(Role::Admin, "ccc-test", &[("InstanceId", "ccc-test")])
            .await
            .unwrap();
        let again = call_as(Role::Admin, "ccc-test", &[("InstanceId", "ccc-test")])
            .await
            .unwrap();
        let b = call_as(Role::Admin, "ccc-other", &[("InstanceId", "ccc-other")])
            .await
            .unwrap();
        assert_eq!(a, again);
        assert_ne!(
            a["Roles"]["Role"][0]["RoleId"],
            b["Roles"]["Role"][0]["RoleId"]
        );
        assert_eq!(b["Roles"]["Role"][0]["InstanceId"], "ccc-other");
    }

    #[tokio::test]
    async fn the_instance_defaults_to_the_gateways_and_an_empty_one_is_refused() {
        // The gateway hands the checked instance over as InstanceId.
        let reply = call_as(Role::Agent, "ccc-test", &[]).await.unwrap();
        assert_eq!(reply["Roles"]["Role"][0]["InstanceId"], "ccc-test");
        let e = call_as(Role::Admin, "ccc-test", &[("InstanceId", "")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Empty"));
        let long = "x".repeat(257);
        let e = call_as(Role::Admin, "ccc-test", &[("InstanceId", &long)])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Maximum"));
    }
}
