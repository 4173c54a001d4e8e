//! 2017-07-05 ListUsers (seed 004 §9.5 获取客服列表): the users of the instance, paged.
//!
//! Request ([`crate::api::list_users::Request`]): `PageNumber` (1 or more), `PageSize` (1-100).
//! Response: `Users {List: {User: [...]}, PageNumber, PageSize, TotalCount}`, users by login
//! name, each a [`crate::api::shapes::User`] with `Primary` (false) and
//! `PrivateOutboundNumberId` ("" when none).
//!
//! Visibility ([`crate::access`]): an administrator sees every user, a skill-group leader the
//! members of the groups they lead and itself, an agent only itself; `TotalCount` counts what
//! the caller sees.
//!
//! Errors: parameter errors of the spec (`Parameter.Minimum` / `Parameter.Maximum` for the
//! page).

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::paging::PageRequest;
use ccgate_plugin_sdk::sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use ccgate_plugin_sdk::storage;

use crate::access;
use crate::api::Ctx;
use crate::api::list_users::{List, Request, Response, Users};
use crate::render::{UserRenderer, Variant};
use crate::storage::user;

/// A page of the users of the instance matching `filter` (and visible to the caller), by
/// login name, rendered as `variant`: the users, the page and the total.
pub(crate) async fn page(
    ctx: &Ctx<'_>,
    filter: Option<Condition>,
    page: PageRequest,
    variant: Variant,
) -> ApiResult<(Vec<crate::api::shapes::User>, u64)> {
    let mut query = user::Entity::find().filter(user::Column::InstanceId.eq(ctx.instance()));
    if let Some(f) = filter {
        query = query.filter(f);
    }
    if let Some(c) = access::users_condition(access::scope(ctx).as_ref()) {
        query = query.filter(c);
    }
    let rows = storage::page(
        &ctx.db,
        query
            .clone()
            .order_by_asc(user::Column::LoginName)
            .order_by_asc(user::Column::Id),
        page,
    )
    .await?;
    let total = match storage::total_from_page(page, rows.len()) {
        Some(t) => t,
        None => storage::count(&ctx.db, query).await?,
    };
    let r = UserRenderer::load(ctx, &rows).await?;
    Ok((rows.iter().map(|u| r.user(u, variant)).collect(), total))
}

/// Serves ListUsers.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let p = PageRequest::new(req.page_number, req.page_size);
    let (list, total) = page(ctx, None, p, Variant::ListUsers).await?;
    Ok(Response {
        users: Users {
            list: List { user: list },
            page_number: req.page_number,
            page_size: req.page_size,
            total_count: i64::try_from(total).unwrap_or(i64::MAX),
        },
    })
}
