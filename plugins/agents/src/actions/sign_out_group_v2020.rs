//! 2020-07-01 SignOutGroup (official SDK `alibabacloud-ccc20200701`; no seed documents it): signs an agent out of every skill group: OFFLINE from any state but RINGING and TALKING (400 `InvalidAgentState`: the call must end first); signing out an OFFLINE agent changes nothing.
//!
//! Errors: 400 `Parameter.Null` (no `UserId` and the caller is no user), 404
//! `NotExists.UserId`, 400 `InvalidAgentState` naming the state and why. The state machine is
//! `crate::state`.

use ccgate_plugin_sdk::ApiResult;

use super::desk;
use crate::api::Ctx;
use crate::api::sign_out_group_v2020::{Request, Response};
use crate::state::store;
use crate::state::{AgentState, Command};

/// Serves SignOutGroup.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let agent = desk::agent(ctx, req.user_id.as_deref()).await?;
    let now = store::load(&ctx.db, &agent.id).await?;
    // Already signed out: nothing to change or log.
    let data = if now.current() == AgentState::Offline {
        let heartbeat = desk::stored(ctx, &agent)
            .await?
            .map_or(0, |r| r.heartbeat_ms);
        desk::context(ctx, &agent, &now, heartbeat).await?
    } else {
        desk::run(ctx, &agent, Command::SignOut).await?
    };
    Ok(Response {
        params: Vec::new(),
        data,
    })
}
