//! 2017-07-05 GetUser (seed 004 §9.4 客服信息): one user with details, roles and skill levels.
//!
//! Request ([`crate::api::get_user::Request`]): `UserId`: the user's UUID (its login name,
//! `<login>@<instance>` and RamId are accepted too, as in every agents action).
//! Response: `User` ([`crate::api::shapes::User`] without `Primary` and
//! `PrivateOutboundNumberId`, which §9.4 does not list; see [`crate::render`]).
//!
//! Errors: parameter errors of the spec; 404 `NotExists.UserId`.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::errors;
use crate::api::get_user::{Request, Response};
use crate::render::{UserRenderer, Variant};
use crate::storage::users;

/// Serves GetUser.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let Some(u) = users::find(&ctx.db, ctx.instance(), &req.user_id).await? else {
        return Err(errors::not_exists_user_id(&req.user_id));
    };
    let r = UserRenderer::load(ctx, std::slice::from_ref(&u)).await?;
    Ok(Response {
        user: r.user(&u, Variant::GetUser),
    })
}
