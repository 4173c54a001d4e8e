//! 2020-07-01 HoldCall (official SDK `alibabacloud-ccc20200701`; no seed documents it):
//! holds call `JobId` through the engine (`telephony::hold`, hold = true): both parties
//! are re-INVITEd with their media inactive (RFC 3264 §8.4). The engine holds
//! a call as a whole, so `ChannelId` (required) must be one of the call's channels but either
//! does the same. `Music` is ignored (ccgate has no media: held parties hear silence).
//! The engine reports `held` events (event log entries Hold).

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::telephony;

use crate::api::Ctx;
use crate::api::errors;
use crate::api::hold_call_v2020::{Request, Response};
use crate::{call_context, desk};

/// HoldCall (see the module docs).
///
/// Errors: 404 `NotExists.JobId`, `NotExists.UserId`; 400 `InvalidParameter` (ChannelId);
/// 400 `InvalidCallState` (the call is not live and bridged); the engine's (`Telephony.*`).
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let me = desk::acting(ctx, req.user_id.as_deref()).await?;
    let c = desk::call(ctx, &req.job_id, me.as_deref()).await?;
    desk::check_channel(&c, Some(&req.channel_id))?;
    if c.status == crate::storage::ENDED || c.bridged_ms == 0 {
        return Err(errors::invalid_call_state(
            &c.contact_id,
            "it is not bridged",
        ));
    }
    let done = telephony::hold(ctx, &c.contact_id, true).await?;
    if !done.found {
        return Err(errors::invalid_call_state(
            &c.contact_id,
            "the engine has no such bridged call",
        ));
    }
    let device = req.device_id.unwrap_or_default();
    Ok(Response {
        data: call_context::typed(call_context::data(&c, &device, ctx.now_ms()))?,
        params: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use crate::api::hold_call_v2020::SPEC;
    use crate::testutil::Harness;

    #[tokio::test]
    async fn a_bridged_call_is_held_or_retrieved_through_the_engine() {
        let h = Harness::new().await;
        let id = h.bridged_make_call().await;
        let ch = format!("{id}-2");
        let v = h
            .call_as("agent1", SPEC, &[("JobId", &id), ("ChannelId", &ch)])
            .await
            .unwrap();
        let holds = h.env.telephony.holds();
        assert_eq!(
            (holds[0].call_id.as_str(), holds[0].hold),
            (id.as_str(), true)
        );
        assert_eq!(
            v["Data"]["CallContext"]["ChannelContexts"][1]["SkillGroupId"],
            ""
        );
        assert_eq!(v["Data"]["UserContext"]["Mobile"], "");
        let e = h
            .call_as("agent1", SPEC, &[("JobId", &id), ("ChannelId", "other")])
            .await
            .unwrap_err();
        assert_eq!(e.code.as_ref(), "InvalidParameter");
        // Not bridged (yet), or the engine no longer has it: InvalidCallState.
        let v = h
            .call_as(
                "agent1",
                crate::api::make_call_v2020::SPEC,
                &[("Callee", "13188880001")],
            )
            .await
            .unwrap();
        let ringing = v["Data"]["CallContext"]["JobId"]
            .as_str()
            .unwrap()
            .to_string();
        let e = h
            .call_as(
                "agent1",
                SPEC,
                &[("JobId", &ringing), ("ChannelId", &format!("{ringing}-1"))],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidCallState"));
        h.call(crate::api::release_call_v2020::SPEC, &[("JobId", &id)])
            .await
            .unwrap();
        let e = h
            .call_as("agent1", SPEC, &[("JobId", &id), ("ChannelId", &ch)])
            .await
            .unwrap_err();
        assert_eq!(e.code.as_ref(), "InvalidCallState");
    }
}
