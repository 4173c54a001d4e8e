//! Which object a configuration request names (`ObjectType` + `ObjectId`) and whether the
//! caller may read or set it there.

use ccgate_plugin_sdk::{ApiResult, Context, Role};

use crate::api::clients::agents as agents_client;
use crate::api::errors;
use crate::items::Scope;
use crate::people;

/// A checked scope object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The scope.
    pub scope: Scope,
    /// The InstanceId, SkillGroupId or UserId (a user named by RamId or login name is stored
    /// by UserId).
    pub object_id: String,
}

/// Checks `object_type` and `object_id` against the request's instance and caller.
///
/// - `instance`: `object_id` absent, empty or the request's InstanceId;
/// - `skillGroup`: a SkillGroupId of the instance (required);
/// - `user`: a user of the instance (absent: the user the token acts for).
///
/// Non-administrators may name only their own user, a leader also its members and the
/// groups it leads (a skill-group leader's or agent's groups, to read).
///
/// Errors: 400 `InvalidParameter` (unknown ObjectType, a missing id, the agents plugin not
/// enabled); 404 `NotExists.ObjectId`; 403 `NoPermission`.
pub async fn target(
    ctx: &Context,
    object_type: &str,
    object_id: Option<&str>,
) -> ApiResult<Target> {
    let scope = Scope::parse(object_type).ok_or_else(|| {
        errors::invalid_parameter("ObjectType", "it must be instance, skillGroup or user")
    })?;
    let id = object_id.map(str::trim).filter(|s| !s.is_empty());
    let object_id = match scope {
        Scope::Instance => match id {
            None => ctx.instance().to_string(),
            Some(i) if i == ctx.instance() => i.to_string(),
            Some(i) => return Err(errors::not_exists_object_id("instance", i)),
        },
        Scope::SkillGroup => {
            let Some(id) = id else {
                return Err(errors::invalid_parameter(
                    "ObjectId",
                    "ObjectType skillGroup needs a SkillGroupId",
                ));
            };
            let args = agents_client::skill_groups::Args {
                instance_id: ctx.instance().to_string(),
                skill_group_ids: vec![id.to_string()],
            };
            let found = agents_client::skill_groups(ctx, &args)
                .await?
                .ok_or_else(|| {
                    errors::invalid_parameter(
                        "ObjectId",
                        "the agents plugin, which keeps the skill groups, is not enabled",
                    )
                })?;
            if found.skill_groups.is_empty() {
                return Err(errors::not_exists_object_id("skill group", id));
            }
            if ctx.role != Role::Admin
                && !ctx
                    .caller_scope
                    .as_ref()
                    .is_some_and(|s| s.led_skill_group_ids.iter().any(|g| g == id))
            {
                return Err(errors::no_permission(format!(
                    "use the configuration of skill group {id}"
                )));
            }
            id.to_string()
        }
        Scope::User => {
            let user = match id {
                None => people::me(ctx, "ObjectId").await?.ok_or_else(|| {
                    errors::invalid_parameter(
                        "ObjectId",
                        "the caller acts for no user of the instance: name one",
                    )
                })?,
                Some(i) => people::find(ctx, "ObjectId", i)
                    .await?
                    .ok_or_else(|| errors::not_exists_object_id("user", i))?,
            };
            if !people::may_act_for(ctx, &user) {
                return Err(errors::no_permission(format!(
                    "use the configuration of user {}",
                    user.login_name
                )));
            }
            user.user_id
        }
    };
    Ok(Target { scope, object_id })
}
