//! 2017-07-05 CreateUser (seed 004 §9.1 新增客服): creates a user of the instance.
//!
//! Request ([`crate::api::create_user::Request`]): `DisplayName`, `Email`, `LoginName`,
//! `RoleId.N` (required); `Phone`, `PrivateOutboundNumberId`, `SkillGroupId.N` with
//! `SkillLevel.N` (1-10, paired by index, same count) optional.
//! Response: `UserId`, the new user's UUID.
//!
//! What it does, in one transaction: the login name must be free in the instance; the user gets
//! a fresh UUID, a generated RamId (16 digits) and the next extension of the instance (8001,
//! 8002, ...); its roles and memberships are stored. Roles are resolved through the roles plugin
//! (`roles.resolve`) before the transaction. No e-mail is sent (the seed's Alibaba sends the
//! login URL and password; ccgate users sign in with tokens, `ccgate token issue`).
//!
//! `PrivateOutboundNumberId` is stored as given: the numbers plugin offers no query to check
//! a number id yet (documented `NotExists.PhoneNumberId` is reserved for that check).
//!
//! Errors: parameter errors of the spec; `InvalidParameter` (LoginName with `@`/spaces, Email
//! without `@`, SkillLevel count not the SkillGroupId count, a skill group named twice, roles
//! plugin disabled); 404 `NotExists.RoleId`, `NotExists.SkillGroupId`; 409 `Conflict.LoginName`.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::storage::begin_write;

use crate::api::Ctx;
use crate::api::create_user::{Request, Response};
use crate::roles;
use crate::user_writes::{self, NewUser};

/// Serves CreateUser.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    user_writes::check_login("LoginName", &req.login_name)?;
    user_writes::check_email(&req.email)?;
    let skills = user_writes::pair_levels(&req.skill_group_id, &req.skill_level)?;
    let role_names = roles::resolve(ctx, "RoleId", &req.role_id).await?;
    let txn = begin_write(&ctx.db).await?;
    user_writes::check_groups(&txn, ctx.instance(), &skills).await?;
    let user = user_writes::insert_user(
        &txn,
        ctx.instance(),
        NewUser {
            ram_id: user_writes::new_ram_id(),
            login_name: req.login_name,
            display_name: req.display_name,
            email: req.email,
            phone: req.phone.unwrap_or_default(),
            private_outbound_number_id: req.private_outbound_number_id,
            roles: role_names,
            skills,
        },
        ctx.now_ms(),
    )
    .await?;
    txn.commit().await?;
    Ok(Response { user_id: user.id })
}
