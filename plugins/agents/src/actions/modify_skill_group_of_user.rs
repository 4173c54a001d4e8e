//! 2017-07-05 ModifySkillGroupOfUser (seed 004 §9.9 修改坐席从属的技能组): sets the skill groups
//! and roles of a user.
//!
//! Request ([`crate::api::modify_skill_group_of_user::Request`]): `UserId`, `RoleId.N`
//! (required); `SkillGroupId.N` with `SkillLevel.N` (1-10, paired by index) optional.
//! Response: the envelope only.
//!
//! The user's roles become `RoleId.N` and its memberships exactly the given pairs: a group not
//! named is left, a named one joined or its level changed (a membership that stays keeps its
//! SkillLevelId); no `SkillGroupId.N` at all leaves every group (the seed's example sends only
//! `RoleId.1` and `UserId`). One transaction.
//!
//! Errors: parameter errors of the spec; `InvalidParameter` (SkillLevel count, a group named
//! twice, roles plugin disabled); 404 `NotExists.UserId`, `NotExists.RoleId`,
//! `NotExists.SkillGroupId`.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, Set};
use ccgate_plugin_sdk::storage::begin_write;

use crate::api::Ctx;
use crate::api::errors;
use crate::api::modify_skill_group_of_user::{Request, Response};
use crate::roles;
use crate::storage::{user, users};
use crate::user_writes;

/// Serves ModifySkillGroupOfUser.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let skills = user_writes::pair_levels(&req.skill_group_id, &req.skill_level)?;
    let role_names = roles::resolve(ctx, "RoleId", &req.role_id).await?;
    let txn = begin_write(&ctx.db).await?;
    let Some(found) = users::find(&txn, ctx.instance(), &req.user_id).await? else {
        return Err(errors::not_exists_user_id(&req.user_id));
    };
    user_writes::check_groups(&txn, ctx.instance(), &skills).await?;
    let id = found.id.clone();
    let mut a: user::ActiveModel = found.into();
    a.updated_at = Set(ctx.now_ms());
    a.update(&txn).await?;
    user_writes::replace_roles(&txn, ctx.instance(), &id, &role_names).await?;
    user_writes::replace_memberships(&txn, ctx.instance(), &id, &skills).await?;
    txn.commit().await?;
    Ok(Response::default())
}
