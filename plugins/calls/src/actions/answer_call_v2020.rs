//! 2020-07-01 AnswerCall (official SDK `alibabacloud-ccc20200701`; no seed documents it).
//!
//! **It does not pick up a SIP phone.** ccgate's engine calls the agent's device (third-party
//! call control, RFC 3725): a ringing agent answers on the phone itself (the SIP device or
//! softphone sends 200 OK), and the engine reports it (`answered`, agent TALKING). AnswerCall
//! checks the call and answers its context unchanged, so a softphone that calls it when its
//! user clicks "answer" keeps working; `UserState` / `ChannelState` tell whether the phone has
//! answered. Chosen over refusing it: a softphone built on the SDK may call AnswerCall from its
//! answer button, and a refusal would show an error for a call that works.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::answer_call_v2020::{Request, Response};
use crate::{call_context, desk};

/// Answers the call's context (see the module docs).
///
/// Errors: 404 `NotExists.JobId`, `NotExists.UserId`.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let me = desk::acting(ctx, req.user_id.as_deref()).await?;
    let c = desk::call(ctx, &req.job_id, me.as_deref()).await?;
    let device = req.device_id.unwrap_or_default();
    Ok(Response {
        data: call_context::typed(call_context::data(&c, &device, ctx.now_ms()))?,
        params: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use crate::api::answer_call_v2020::SPEC;
    use crate::testutil::Harness;

    #[tokio::test]
    async fn answers_the_context_and_changes_nothing() {
        let h = Harness::new().await;
        let v = h
            .call_as(
                "agent1",
                crate::api::make_call_v2020::SPEC,
                &[("Callee", "13188880000")],
            )
            .await
            .unwrap();
        let id = v["Data"]["CallContext"]["JobId"]
            .as_str()
            .unwrap()
            .to_string();
        let v = h
            .call_as("agent1", SPEC, &[("JobId", &id), ("DeviceId", "web-1")])
            .await
            .unwrap();
        assert_eq!(v["Data"]["UserContext"]["UserState"], "RINGING");
        assert_eq!(v["Data"]["UserContext"]["DeviceId"], "web-1");
        assert_eq!(v["Data"]["CallContext"]["ChannelContexts"][1]["Index"], 1);
        assert_eq!(h.env.telephony.started().len(), 1);
        assert!(h.env.telephony.hung_up().is_empty());
        assert!(h.agent_legs().await.is_empty());
        let e = h
            .call_as("agent2", SPEC, &[("JobId", &id)])
            .await
            .unwrap_err();
        assert_eq!(e.code.as_ref(), "NotExists.JobId");
    }
}
