//! The roles plugin as agents uses it: `RoleId.N` of CreateUser, ModifyUser, AssignUsers and
//! ModifySkillGroupOfUser resolved to roles (query `roles.resolve`), and the instance's roles
//! for rendering `Roles.Role[]` (query `roles.of_instance`), both through the generated clients
//! ([`crate::api::clients::roles`]). Users store role *names* (`admin`, `skill-group-leader`,
//! `agent`); ids, 2017 names and descriptions come from the roles plugin, which owns them.

use ccgate_plugin_sdk::{ApiResult, Context};

use crate::api::clients::roles as client;
use crate::api::errors;
use crate::api::shapes::UserRole;

/// One role of an instance as the roles plugin answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInfo {
    /// `RoleId`.
    pub role_id: String,
    /// `admin`, `skill-group-leader` or `agent` (what `agents_user_roles.role` stores).
    pub name: String,
    /// 2017 `RoleName`: ADMIN, SKILL_GROUP_ADMIN, AGENT.
    pub role_name: String,
    /// 2017 `RoleDescription`.
    pub role_description: String,
    /// The instance.
    pub instance_id: String,
}

impl RoleInfo {
    /// The 2017 `Role` object.
    pub fn render(&self) -> UserRole {
        UserRole {
            instance_id: self.instance_id.clone(),
            role_description: self.role_description.clone(),
            role_id: self.role_id.clone(),
            role_name: self.role_name.clone(),
        }
    }
}

/// The role names `ids` (`RoleId.N` of `param`) name in the caller's instance, each once, in
/// the order of the ids.
///
/// Errors: 404 `NotExists.RoleId` naming the first id that is no role of the instance;
/// 400 `InvalidParameter` when the roles plugin is not enabled (ids cannot be checked).
pub async fn resolve(ctx: &Context, param: &str, ids: &[String]) -> ApiResult<Vec<String>> {
    let args = client::resolve::Args {
        instance_id: ctx.instance().to_string(),
        role_ids: ids.to_vec(),
    };
    let Some(found) = client::resolve(ctx, &args).await? else {
        return Err(errors::invalid_parameter(
            param,
            "the roles plugin is not enabled, role ids cannot be checked",
        ));
    };
    if let Some(id) = found.unknown.first() {
        return Err(errors::not_exists_role_id(id));
    }
    let mut names: Vec<String> = Vec::new();
    for r in found.roles {
        if !names.contains(&r.name) {
            names.push(r.name);
        }
    }
    Ok(names)
}

/// The roles of the caller's instance; empty when the roles plugin is not enabled (users are
/// then rendered without roles).
///
/// Errors: the roles plugin's.
pub async fn of_instance(ctx: &Context) -> ApiResult<Vec<RoleInfo>> {
    let args = client::of_instance::Args {
        instance_id: ctx.instance().to_string(),
    };
    Ok(client::of_instance(ctx, &args)
        .await?
        .map(|o| {
            o.roles
                .into_iter()
                .map(|r| RoleInfo {
                    role_id: r.role_id,
                    name: r.name,
                    role_name: r.role_name,
                    role_description: r.role_description,
                    instance_id: r.instance_id,
                })
                .collect()
        })
        .unwrap_or_default())
}
