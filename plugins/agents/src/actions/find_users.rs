//! 2017-07-05 FindUsers (seed 004 §9.10 查询客服信息): users whose login name or display name
//! contains `Criteria`, paged.
//!
//! Request ([`crate::api::find_users::Request`]): `Criteria` (required, matched as a substring,
//! `%` and `_` literally), `PageNumber` (1 or more), `PageSize` (1-100).
//! Response: as ListUsers (the seed's examples are lowerCamel and flat; its table, followed
//! here, has the ListUsers names), each user with `PrivateOutboundNumberId` but no `Primary`.
//! Visibility as ListUsers ([`crate::access`]).
//!
//! Errors: parameter errors of the spec.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::paging::PageRequest;
use ccgate_plugin_sdk::sea_orm::Condition;
use ccgate_plugin_sdk::sea_orm::sea_query::{Expr, ExprTrait};
use ccgate_plugin_sdk::storage::like_contains;

use crate::api::Ctx;
use crate::api::find_users::{List, Request, Response, Users};
use crate::render::Variant;
use crate::storage::user;

/// Serves FindUsers.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let criteria = req.criteria.trim();
    let filter = Condition::any()
        .add(Expr::col(user::Column::LoginName).like(like_contains(criteria)))
        .add(Expr::col(user::Column::DisplayName).like(like_contains(criteria)));
    let p = PageRequest::new(req.page_number, req.page_size);
    let (list, total) = super::list_users::page(ctx, Some(filter), p, Variant::FindUsers).await?;
    Ok(Response {
        users: Users {
            list: List { user: list },
            page_number: req.page_number,
            page_size: req.page_size,
            total_count: i64::try_from(total).unwrap_or(i64::MAX),
        },
    })
}
