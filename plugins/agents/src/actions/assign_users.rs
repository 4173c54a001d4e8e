//! 2017-07-05 AssignUsers (seed 004 §9.6 导入客服): imports principals of the account's user
//! directory (the stand-in for RAM sub-users, `ccgate user add`) as users of the instance.
//!
//! Request ([`crate::api::assign_users::Request`]): `UserRamId.N` (required); `RoleId.N`,
//! `SkillGroupId.N` with `SkillLevel.N` (1-10, paired by index) optional; every imported user
//! gets the same roles and memberships. Without `RoleId.N` a user gets the agent role
//! (`roles.of_instance`'s `agent`; none when the roles plugin is disabled).
//! Response: the envelope only.
//!
//! Each user takes the principal's RamId, login name, display name, e-mail and phone (empty
//! when the directory has none), a fresh UUID and the next extension. All users or none: one
//! transaction.
//!
//! Errors: parameter errors of the spec; `InvalidParameter` (SkillLevel count, a group named
//! twice, a RamId named twice, a principal's login name with `@` or spaces, roles plugin
//! disabled while RoleId.N is sent); 404 `NotExists.RamId` (not in the caller's account
//! directory), `NotExists.RoleId`, `NotExists.SkillGroupId`; 409 `Conflict.User` (the principal
//! is already a user of the instance), `Conflict.LoginName` (another user has its login name).

use std::collections::HashSet;

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use ccgate_plugin_sdk::storage::begin_write;

use crate::api::Ctx;
use crate::api::assign_users::{Request, Response};
use crate::api::errors;
use crate::directory;
use crate::roles;
use crate::storage::user;
use crate::user_writes::{self, NewUser};

/// Serves AssignUsers.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let mut seen = HashSet::new();
    if let Some(dup) = req.user_ram_id.iter().find(|id| !seen.insert(id.as_str())) {
        return Err(errors::invalid_parameter(
            "UserRamId",
            format!("RamId {dup} is named twice"),
        ));
    }
    let skills = user_writes::pair_levels(&req.skill_group_id, &req.skill_level)?;
    let role_names = if req.role_id.is_empty() {
        roles::of_instance(ctx)
            .await?
            .into_iter()
            .filter(|r| r.name == ccgate_plugin_sdk::Role::Agent.as_str())
            .map(|r| r.name)
            .collect()
    } else {
        roles::resolve(ctx, "RoleId", &req.role_id).await?
    };
    let principals = directory::lookup(ctx, &req.user_ram_id).await?;
    if let Some(missing) = req
        .user_ram_id
        .iter()
        .find(|id| !principals.iter().any(|p| &p.ram_id == *id))
    {
        return Err(errors::not_exists_ram_id(missing));
    }
    for p in &principals {
        user_writes::check_login("UserRamId", &p.login_name)?;
    }
    let txn = begin_write(&ctx.db).await?;
    if let Some(existing) = user::Entity::find()
        .filter(user::Column::InstanceId.eq(ctx.instance()))
        .filter(user::Column::RamId.is_in(req.user_ram_id.iter().cloned()))
        .one(&txn)
        .await?
    {
        return Err(errors::conflict_user(&existing.ram_id));
    }
    user_writes::check_groups(&txn, ctx.instance(), &skills).await?;
    for p in principals {
        user_writes::insert_user(
            &txn,
            ctx.instance(),
            NewUser {
                ram_id: p.ram_id,
                login_name: p.login_name,
                display_name: p.display_name,
                email: p.email.unwrap_or_default(),
                phone: p.phone.unwrap_or_default(),
                private_outbound_number_id: None,
                roles: role_names.clone(),
                skills: skills.clone(),
            },
            ctx.now_ms(),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Response::default())
}
