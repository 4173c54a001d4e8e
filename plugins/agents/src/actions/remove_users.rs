//! 2017-07-05 RemoveUsers (seed 004 §9.2 移除客服): removes users from the instance.
//!
//! Request ([`crate::api::remove_users::Request`]): `UserId.N` (required, the users' UUIDs).
//! Response: the envelope only.
//!
//! Every id must name a user of the instance, else nothing is removed. In one transaction the
//! users, their roles, skill-group memberships and current agent state rows are deleted; the
//! append-only state log keeps their history. Naming a user twice removes it once.
//!
//! Errors: parameter errors of the spec; 404 `NotExists.UserId` naming the first unknown id.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::storage::begin_write;

use crate::api::Ctx;
use crate::api::errors;
use crate::api::remove_users::{Request, Response};
use crate::storage::users;
use crate::user_writes;

/// Serves RemoveUsers.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let mut ids = req.user_id;
    ids.dedup();
    let txn = begin_write(&ctx.db).await?;
    let found = users::by_ids(&txn, ctx.instance(), &ids).await?;
    if let Some(unknown) = ids.iter().find(|id| !found.contains_key(*id)) {
        return Err(errors::not_exists_user_id(unknown));
    }
    let ids: Vec<String> = found.into_keys().collect();
    user_writes::delete_users(&txn, &ids).await?;
    txn.commit().await?;
    Ok(Response::default())
}
