//! 2020-07-01 TakeBreak (official SDK `alibabacloud-ccc20200701`; no seed documents it): puts a signed-in agent on a break (BREAK, BreakCode = `Code`) from READY, BREAK, WORKING or a fresh sign-in; OFFLINE, RINGING and TALKING agents are refused (400 `InvalidAgentState`).
//!
//! Errors: 400 `Parameter.Null` (no `UserId` and the caller is no user), 404
//! `NotExists.UserId`, 400 `InvalidAgentState` naming the state and why. The state machine is
//! `crate::state`.

use ccgate_plugin_sdk::ApiResult;

use super::desk;
use crate::api::Ctx;
use crate::api::take_break_v2020::{Request, Response};
use crate::state::Command;

/// Serves TakeBreak.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let agent = desk::agent(ctx, req.user_id.as_deref()).await?;
    let data = desk::run(
        ctx,
        &agent,
        Command::TakeBreak {
            code: req.code.clone(),
        },
    )
    .await?;
    Ok(Response {
        params: Vec::new(),
        data,
    })
}
