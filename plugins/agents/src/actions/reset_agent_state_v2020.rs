//! 2020-07-01 ResetAgentState (official SDK `alibabacloud-ccc20200701`; no seed documents it): resets an agent stuck in a state: a signed-in agent becomes READY (a stuck RINGING, TALKING or WORKING ends), an OFFLINE one stays OFFLINE; the state log records it.
//!
//! Errors: 400 `Parameter.Null` (no `UserId` and the caller is no user), 404
//! `NotExists.UserId`, 400 `InvalidAgentState` naming the state and why. The state machine is
//! `crate::state`.

use ccgate_plugin_sdk::ApiResult;

use super::desk;
use crate::api::Ctx;
use crate::api::reset_agent_state_v2020::{Request, Response};
use crate::state::Command;

/// Serves ResetAgentState.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let agent = desk::agent(ctx, req.user_id.as_deref()).await?;
    let data = desk::run(ctx, &agent, Command::Reset).await?;
    Ok(Response {
        params: Vec::new(),
        data,
    })
}
