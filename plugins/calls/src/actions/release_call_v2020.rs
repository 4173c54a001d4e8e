//! 2020-07-01 ReleaseCall (official SDK `alibabacloud-ccc20200701`; no seed documents it):
//! hangs up call `JobId` through the engine (`telephony::hang_up`: CANCEL a ringing leg, BYE
//! answered ones). ccgate's calls have two parties, so releasing either channel ends the
//! call; `ChannelId`, when given, must be one of the call's. Answers the call's context as it
//! stood (the release arrives as engine events; a call the engine no longer knows is answered
//! as it is recorded).

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::telephony;

use crate::api::Ctx;
use crate::api::release_call_v2020::{Request, Response};
use crate::{call_context, desk};

/// Hangs up (see the module docs).
///
/// Errors: 404 `NotExists.JobId`, `NotExists.UserId`; 400 `InvalidParameter` (ChannelId); the
/// engine's (`Telephony.*`).
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let me = desk::acting(ctx, req.user_id.as_deref()).await?;
    let c = desk::call(ctx, &req.job_id, me.as_deref()).await?;
    desk::check_channel(&c, req.channel_id.as_deref())?;
    if c.status != crate::storage::ENDED {
        telephony::hang_up(ctx, &c.contact_id).await?;
    }
    let device = req.device_id.unwrap_or_default();
    Ok(Response {
        data: call_context::typed(call_context::data(&c, &device, ctx.now_ms()))?,
        params: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use crate::api::release_call_v2020::SPEC;
    use crate::testutil::Harness;

    #[tokio::test]
    async fn the_agent_hangs_up_its_call() {
        let h = Harness::new().await;
        let id = h.bridged_make_call().await;
        let v = h
            .call_as(
                "agent1",
                SPEC,
                &[("JobId", &id), ("ChannelId", &format!("{id}-2"))],
            )
            .await
            .unwrap();
        assert_eq!(h.env.telephony.hung_up(), std::slice::from_ref(&id));
        let ch = &v["Data"]["CallContext"]["ChannelContexts"];
        assert_eq!(ch[0]["ChannelState"], "ANSWERED");
        assert_eq!(ch[1]["ChannelVariables"], "");
        assert_eq!(v["Data"]["UserContext"]["UserState"], "TALKING");
        // ChannelId must be the call's; another agent, or an unknown call, is not found.
        let e = h
            .call_as("agent1", SPEC, &[("JobId", &id), ("ChannelId", "x-1")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        let e = h
            .call_as("agent2", SPEC, &[("JobId", &id)])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.JobId"));
        let e = h.call(SPEC, &[("JobId", "nope")]).await.unwrap_err();
        assert_eq!(e.code.as_ref(), "NotExists.JobId");
        // An administrator may release any call; naming another agent is checked.
        h.call(SPEC, &[("JobId", &id)]).await.unwrap();
        let e = h
            .call(SPEC, &[("JobId", &id), ("UserId", "agent2")])
            .await
            .unwrap_err();
        assert_eq!(e.code.as_ref(), "NotExists.JobId");
        let e = h
            .call(SPEC, &[("JobId", &id), ("UserId", "ghost")])
            .await
            .unwrap_err();
        assert_eq!(e.code.as_ref(), "NotExists.UserId");
    }
}
