//! The roles plugin as agents uses it: `RoleId.N` of CreateUser, ModifyUser, AssignUsers and
//! ModifySkillGroupOfUser resolved to roles (query `roles.resolve`), and the instance's roles
//! for rendering `Roles.Role[]` (query `roles.of_instance`). Users store role *names*
//! (`admin`, `skill-group-leader`, `agent`); ids, 2017 names and descriptions come from the
//! roles plugin, which owns them.

use ccgate_plugin_sdk::{ApiResult, Context};

use crate::api::errors;
use crate::api::shapes::UserRole;

/// One role of an instance as the roles plugin answers it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RoleInfo {
    /// `RoleId`.
    #[serde(rename = "RoleId")]
    pub role_id: String,
    /// `admin`, `skill-group-leader` or `agent` (what `agents_user_roles.role` stores).
    #[serde(rename = "Name")]
    pub name: String,
    /// 2017 `RoleName`: ADMIN, SKILL_GROUP_ADMIN, AGENT.
    #[serde(rename = "RoleName")]
    pub role_name: String,
    /// 2017 `RoleDescription`.
    #[serde(rename = "RoleDescription")]
    pub role_description: String,
    /// The instance.
    #[serde(rename = "InstanceId")]
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

#[derive(serde::Serialize)]
struct ResolveArgs<'a> {
    #[serde(rename = "InstanceId")]
    instance_id: &'a str,
    #[serde(rename = "RoleIds")]
    role_ids: &'a [String],
}

#[derive(serde::Deserialize)]
struct Resolved {
    #[serde(rename = "Roles")]
    roles: Vec<RoleInfo>,
    #[serde(rename = "Unknown", default)]
    unknown: Vec<String>,
}

#[derive(serde::Serialize)]
struct InstanceArgs<'a> {
    #[serde(rename = "InstanceId")]
    instance_id: &'a str,
}

#[derive(serde::Deserialize)]
struct InstanceRoles {
    #[serde(rename = "Roles")]
    roles: Vec<RoleInfo>,
}

/// The role names `ids` (`RoleId.N` of `param`) name in the caller's instance, each once, in
/// the order of the ids.
///
/// Errors: 404 `NotExists.RoleId` naming the first id that is no role of the instance;
/// 400 `InvalidParameter` when the roles plugin is not enabled (ids cannot be checked).
pub async fn resolve(ctx: &Context, param: &str, ids: &[String]) -> ApiResult<Vec<String>> {
    let args = ResolveArgs {
        instance_id: ctx.instance(),
        role_ids: ids,
    };
    let Some(found) =
        ccgate_plugin_sdk::query::call::<_, Resolved>(ctx, "roles", "resolve", &args).await?
    else {
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
    let args = InstanceArgs {
        instance_id: ctx.instance(),
    };
    Ok(
        ccgate_plugin_sdk::query::call::<_, InstanceRoles>(ctx, "roles", "of_instance", &args)
            .await?
            .map(|r| r.roles)
            .unwrap_or_default(),
    )
}
