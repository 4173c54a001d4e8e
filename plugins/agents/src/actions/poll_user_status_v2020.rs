//! 2020-07-01 PollUserStatus (official SDK `alibabacloud-ccc20200701`; no seed documents it):
//! the agent desk's poll. Answers the agent's `UserContext` and `ContextId` (the per-instance
//! `seq` of its latest state change: it grows with every change, so a poller sees whether
//! anything happened) and records the poll as the agent's `Heartbeat` (UTC ms). Changes no
//! state and logs nothing. `CallContext` is null until the calls plugin fills it.
//!
//! Errors: 400 `Parameter.Null` (no `UserId` and the caller is no user), 404 `NotExists.UserId`.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::sea_query::Expr;
use ccgate_plugin_sdk::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::desk;
use crate::api::Ctx;
use crate::api::poll_user_status_v2020::{Data, Request, Response};
use crate::state::Snapshot;
use crate::state::store::snapshot_of;
use crate::storage::agent_state;

/// Serves PollUserStatus.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let agent = desk::agent(ctx, req.user_id.as_deref()).await?;
    let now = ctx.now_ms();
    let row = desk::stored(ctx, &agent).await?;
    if row.is_some() {
        agent_state::Entity::update_many()
            .col_expr(agent_state::Column::HeartbeatMs, Expr::value(now))
            .filter(agent_state::Column::UserId.eq(agent.id.as_str()))
            .exec(&ctx.db)
            .await?;
    }
    let snapshot = row
        .as_ref()
        .map(snapshot_of)
        .unwrap_or_else(Snapshot::default);
    let heartbeat = if row.is_some() { now } else { 0 };
    Ok(Response {
        params: Vec::new(),
        data: Data {
            context_id: row.as_ref().map_or(0, |r| r.seq),
            user_context: desk::context(ctx, &agent, &snapshot, heartbeat).await?,
            call_context: None,
            chat_contexts: Vec::new(),
        },
    })
}
