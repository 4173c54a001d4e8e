//! The queries roles offers other plugins (specs: `plugins/roles/api/queries/`; generated types
//! and dispatch: [`crate::api::queries`]; docs/plugin-contracts.md). No storage: the roles of
//! an instance are fixed ([`crate::catalog`]).

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::queries::{of_instance, resolve};
use crate::catalog::{self, InstanceRole};

/// `resolve`: the roles of `args.instance_id` that `args.role_ids` name, in the order of the ids
/// (each once), and the ids that name no role of that instance (`Unknown`, in request order,
/// each once). Another instance's role id is unknown here.
///
/// Errors: none.
pub async fn resolve(_ctx: &Ctx<'_>, args: resolve::Args) -> ApiResult<resolve::Output> {
    let mut out = resolve::Output::default();
    for id in &args.role_ids {
        match catalog::find(&args.instance_id, id) {
            Some(r) => {
                if !out.roles.iter().any(|known| known.role_id == r.role_id) {
                    out.roles.push(resolved(r));
                }
            }
            None => {
                if !out.unknown.contains(id) {
                    out.unknown.push(id.clone());
                }
            }
        }
    }
    Ok(out)
}

/// `of_instance`: the three roles of `args.instance_id`, administrator, leader, agent.
///
/// Errors: none.
pub async fn of_instance(
    _ctx: &Ctx<'_>,
    args: of_instance::Args,
) -> ApiResult<of_instance::Output> {
    let roles = catalog::of_instance(&args.instance_id)
        .into_iter()
        .map(|r| of_instance::Roles {
            role_id: r.role_id.clone(),
            name: r.role.as_str().to_string(),
            role_name: r.role_name().to_string(),
            role_description: r.role_description().to_string(),
            instance_id: r.instance_id,
        })
        .collect();
    Ok(of_instance::Output { roles })
}

fn resolved(r: InstanceRole) -> resolve::Roles {
    resolve::Roles {
        role_id: r.role_id.clone(),
        name: r.role.as_str().to_string(),
        role_name: r.role_name().to_string(),
        role_description: r.role_description().to_string(),
        instance_id: r.instance_id,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ccgate_plugin_sdk::serde_json::{Value, json};
    use ccgate_plugin_sdk::testing::TestEnv;
    use ccgate_plugin_sdk::{Plugin, Role};

    use crate::RolesPlugin;
    use crate::api::list_roles::SPEC;
    use crate::catalog::role_id;

    /// Asks the plugin query `name` with `args` the way another plugin's generated client does
    /// (JSON in, JSON out, through `Plugin::query`).
    async fn query(name: &str, args: Value) -> Result<Value, ccgate_plugin_sdk::ApiError> {
        let plugin: Arc<dyn Plugin> = Arc::new(RolesPlugin::default());
        let env = TestEnv::new(vec![plugin.clone()]).await;
        let ctx = env.ctx(SPEC, "ccc-test");
        plugin.query(&ctx, name, args).await
    }

    fn role(instance: &str, r: Role, name: &str, description: &str) -> Value {
        json!({
            "RoleId": role_id(instance, r),
            "Name": r.as_str(),
            "RoleName": name,
            "RoleDescription": description,
            "InstanceId": instance,
        })
    }

    #[tokio::test]
    async fn resolve_answers_known_ids_in_request_order_and_lists_the_unknown() {
        let agent = role_id("ccc-test", Role::Agent);
        let admin = role_id("ccc-test", Role::Admin);
        let foreign = role_id("ccc-other", Role::Admin);
        let out = query(
            "resolve",
            json!({"InstanceId": "ccc-test", "RoleIds": [agent, "nope", admin, agent, foreign, "nope"]}),
        )
        .await
        .unwrap();
        assert_eq!(
            out,
            json!({
                "Roles": [
                    role("ccc-test", Role::Agent, "AGENT", "坐席"),
                    role("ccc-test", Role::Admin, "ADMIN", "管理员"),
                ],
                "Unknown": ["nope", foreign],
            })
        );
    }

    #[tokio::test]
    async fn resolve_of_no_ids_resolves_nothing() {
        let out = query("resolve", json!({"InstanceId": "ccc-test", "RoleIds": []}))
            .await
            .unwrap();
        assert_eq!(out, json!({"Roles": [], "Unknown": []}));
    }

    #[tokio::test]
    async fn resolve_refuses_malformed_arguments() {
        let e = query("resolve", json!({"InstanceId": "ccc-test", "RoleIds": "x"}))
            .await
            .unwrap_err();
        assert!(e.status >= 400, "{e:?}");
    }

    #[tokio::test]
    async fn of_instance_answers_the_three_roles_of_the_instance() {
        let out = query("of_instance", json!({"InstanceId": "ccc-other"}))
            .await
            .unwrap();
        assert_eq!(
            out,
            json!({"Roles": [
                role("ccc-other", Role::Admin, "ADMIN", "管理员"),
                role("ccc-other", Role::SkillGroupLeader, "SKILL_GROUP_ADMIN", "技能组组长"),
                role("ccc-other", Role::Agent, "AGENT", "坐席"),
            ]})
        );
    }

    #[tokio::test]
    async fn an_unknown_query_is_an_error() {
        let e = query("nope", json!({})).await.unwrap_err();
        assert_eq!(e.status, 500);
    }
}
