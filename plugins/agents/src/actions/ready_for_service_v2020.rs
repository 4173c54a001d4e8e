//! 2020-07-01 ReadyForService (official SDK `alibabacloud-ccc20200701`; no seed documents it): makes a signed-in agent READY from BREAK (a fresh sign-in's Warm-up included), WORKING or READY; OFFLINE, RINGING and TALKING agents are refused (400 `InvalidAgentState`).
//!
//! Errors: 400 `Parameter.Null` (no `UserId` and the caller is no user), 404
//! `NotExists.UserId`, 400 `InvalidAgentState` naming the state and why. The state machine is
//! `crate::state`.

use ccgate_plugin_sdk::ApiResult;

use super::desk;
use crate::api::Ctx;
use crate::api::ready_for_service_v2020::{Request, Response};
use crate::state::Command;

/// Serves ReadyForService.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let agent = desk::agent(ctx, req.user_id.as_deref()).await?;
    let data = desk::run(
        ctx,
        &agent,
        Command::Ready {
            outbound_scenario: req.outbound_scenario,
        },
    )
    .await?;
    Ok(Response {
        params: Vec::new(),
        data,
    })
}
