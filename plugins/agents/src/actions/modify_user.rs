//! 2017-07-05 ModifyUser (seed 004 §9.3 修改客服): changes a user's data.
//!
//! Request ([`crate::api::modify_user::Request`]): `UserId`, `DisplayName`, `Email`, `Phone`,
//! `RoleId.N` (required); `PrivateOutboundNumberId`, `SkillGroupId.N` with `SkillLevel.N`
//! optional. Response: the envelope only.
//!
//! Display name, e-mail, phone and roles are replaced. `PrivateOutboundNumberId` is replaced
//! when sent and kept when absent (stored as given, see CreateUser). Skill groups: when
//! `SkillGroupId.N` is sent, the memberships become exactly those pairs (a membership that
//! stays keeps its SkillLevelId); when none is sent they are kept (ModifySkillGroupOfUser
//! empties them). The login name, RamId and extension never change. One transaction.
//!
//! Errors: parameter errors of the spec; `InvalidParameter` (Email, SkillLevel count, a group
//! named twice, roles plugin disabled); 404 `NotExists.UserId`, `NotExists.RoleId`,
//! `NotExists.SkillGroupId`.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, Set};
use ccgate_plugin_sdk::storage::begin_write;

use crate::api::Ctx;
use crate::api::errors;
use crate::api::modify_user::{Request, Response};
use crate::roles;
use crate::storage::{user, users};
use crate::user_writes;

/// Serves ModifyUser.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    user_writes::check_email(&req.email)?;
    let skills = user_writes::pair_levels(&req.skill_group_id, &req.skill_level)?;
    let role_names = roles::resolve(ctx, "RoleId", &req.role_id).await?;
    let txn = begin_write(&ctx.db).await?;
    let Some(found) = users::find(&txn, ctx.instance(), &req.user_id).await? else {
        return Err(errors::not_exists_user_id(&req.user_id));
    };
    user_writes::check_groups(&txn, ctx.instance(), &skills).await?;
    let id = found.id.clone();
    let mut a: user::ActiveModel = found.into();
    a.display_name = Set(req.display_name);
    a.email = Set(req.email);
    a.phone = Set(req.phone);
    if let Some(n) = req.private_outbound_number_id {
        a.private_outbound_number_id = Set(Some(n));
    }
    a.updated_at = Set(ctx.now_ms());
    a.update(&txn).await?;
    user_writes::replace_roles(&txn, ctx.instance(), &id, &role_names).await?;
    if !skills.is_empty() {
        user_writes::replace_memberships(&txn, ctx.instance(), &id, &skills).await?;
    }
    txn.commit().await?;
    Ok(Response::default())
}
