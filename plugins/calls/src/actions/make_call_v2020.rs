//! 2020-07-01 MakeCall (official SDK `alibabacloud-ccc20200701`; no seed documents it): an
//! agent's outbound call. The calling agent (UserId, or the user of the Bearer token) is
//! reserved first (`agents.reserve`: READY → RINGING, as DialEx does), then the engine rings
//! the agent's device (first leg, `Target::Agent`, showing the customer's number) and, once
//! answered, the customer (second leg, `Target::Number` Callee, showing Caller or the
//! instance's first outbound number), and bridges them.
//!
//! `ClientToken` (ccgate's extension, [`crate::idempotency`]) makes retries safe.
//! `TimeoutSeconds` (30-300) rings each leg at most 120 s (the port's maximum). `MediaType`
//! VIDEO is refused; `FlashSmsVariables`, `MaskedCallee`, `Tags` are accepted and ignored.
//! If the engine refuses the call, the reserved agent is released (`no_answer`).

use ccgate_plugin_sdk::telephony::{Leg, StartCall, Target};
use ccgate_plugin_sdk::{ApiResult, Context};

use crate::api::Ctx;
use crate::api::clients::agents;
use crate::api::errors;
use crate::api::make_call_v2020::{MediaType, Request, Response};
use crate::lifecycle::OUTBOUND;
use crate::storage::{LIVE, cdr};
use crate::{call_context, desk, dial, idempotency};

/// Places the call (see the module docs).
///
/// Errors: 400 `Parameter.Null` (no UserId and the caller is no user); 400 `InvalidParameter`
/// (Callee not a telephone number, Caller not an outbound number of the instance, VIDEO); 404
/// `NotExists.UserId`; 400 `InvalidAgentState` (the agent is not READY); 404
/// `NotExists.OutboundNumber`; 400 `IdempotentParameterMismatch`; 503 `Agents.NotEnabled`; the
/// engine's (`Telephony.*`).
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let device = req.device_id.clone().unwrap_or_default();
    let token = idempotency::token(ctx, req.client_token.as_deref());
    if let Some(first) = idempotency::replay(ctx, token.as_ref()).await? {
        return reply(&first, &device, ctx.now_ms());
    }
    if req.media_type == MediaType::Video {
        return Err(errors::invalid_parameter(
            "MediaType",
            "ccgate places voice calls only (AUDIO)",
        ));
    }
    let callee = dial::check_number("Callee", &req.callee)?;
    let user = match req.user_id.as_deref().filter(|u| !u.is_empty()) {
        Some(u) => u.to_string(),
        None => match &ctx.caller_scope {
            Some(me) => me.user_id.clone(),
            None => return Err(errors::parameter_null("UserId")),
        },
    };
    let wanted = req.caller.as_deref().filter(|n| !n.is_empty());
    if let Some(w) = wanted {
        dial::check_number("Caller", w)?;
    }
    let shown = dial::caller_id(ctx, "Caller", wanted).await?;
    let now = ctx.now_ms();
    let contact_id = dial::new_contact_id(now);
    let agent = reserve(ctx, &user, &contact_id).await?;
    let settings = &ctx.state().settings;
    let ring = desk::ring_seconds(req.timeout_seconds, settings.ring_timeout_seconds);
    let call = StartCall {
        call_id: contact_id.clone(),
        instance_id: ctx.instance().to_string(),
        first: Leg {
            target: Target::Agent {
                user_id: agent.user_id.clone(),
                extension: agent.extension.clone(),
            },
            caller_id: callee.clone(),
        },
        second: Leg {
            target: Target::Number {
                number: callee.clone(),
            },
            caller_id: shown.clone(),
        },
        ring_timeout_seconds: ring,
        max_duration_seconds: settings.max_duration_seconds,
    };
    let record = cdr::Model {
        contact_id: contact_id.clone(),
        instance_id: ctx.instance().to_string(),
        call_type: OUTBOUND.into(),
        caller: shown.clone(),
        callee,
        call_center_number: shown,
        agent_user_id: Some(agent.user_id.clone()),
        agent_login_name: Some(agent.login_name.clone()),
        agent_display_name: Some(agent.display_name.clone()),
        agent_extension: Some(agent.extension.clone()),
        agent_first: true,
        status: LIVE.into(),
        start_ms: now,
        ..Default::default()
    };
    let started = idempotency::start(ctx, record.clone(), None, &call, token.as_ref()).await;
    match started {
        Ok(None) => reply(&record, &device, now),
        Ok(Some(first)) => {
            release(ctx, &agent.user_id, &contact_id).await;
            reply(&first, &device, now)
        }
        Err(e) => {
            release(ctx, &agent.user_id, &contact_id).await;
            Err(e)
        }
    }
}

/// The reply for call `c`.
fn reply(c: &cdr::Model, device: &str, now_ms: i64) -> ApiResult<Response> {
    Ok(Response {
        data: call_context::typed(call_context::data(c, device, now_ms))?,
        params: Vec::new(),
    })
}

/// Reserves the calling agent (READY → RINGING).
///
/// Errors: 404 `NotExists.UserId`; 400 `InvalidAgentState`; 503 `Agents.NotEnabled`.
pub async fn reserve(
    ctx: &Context,
    user: &str,
    contact_id: &str,
) -> ApiResult<agents::reserve::Output> {
    let args = agents::reserve::Args {
        instance_id: ctx.instance().to_string(),
        job_id: contact_id.to_string(),
        user: user.to_string(),
        skill_group: String::new(),
    };
    let Some(out) = agents::reserve(ctx, &args).await? else {
        return Err(errors::agents_not_enabled_msg(
            "MakeCall rings an agent, which needs the agents plugin; this deployment does not enable it.",
        ));
    };
    match (out.found, out.reserved) {
        (_, true) => Ok(out),
        (false, _) => Err(errors::not_exists_user_id(user)),
        (true, false) => Err(errors::invalid_agent_state(user, &out.reason)),
    }
}

/// Releases an agent reserved for a call that did not start (RINGING → READY); a failure is
/// logged (ResetAgentState repairs it).
pub async fn release(ctx: &Context, user: &str, contact_id: &str) {
    let args = agents::transition::Args {
        instance_id: ctx.instance().to_string(),
        user_id: user.to_string(),
        command: "no_answer".into(),
        job_id: contact_id.to_string(),
    };
    if let Err(e) = agents::transition(ctx, &args).await {
        tracing::error!(user, call = contact_id, error = %e, "could not release a reserved agent");
    }
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::telephony::{CallEventKind, LegId, Party, Target};

    use crate::Settings;
    use crate::api::make_call_v2020::SPEC;
    use crate::testutil::{Harness, NUMBERS};

    #[tokio::test]
    async fn an_agent_calls_a_customer_its_phone_first() {
        let h = Harness::new().await;
        let v = h
            .call_as(
                "agent1",
                SPEC,
                &[("Callee", "13188880000"), ("TimeoutSeconds", "300")],
            )
            .await
            .unwrap();
        let d = &v["Data"];
        let id = d["CallContext"]["JobId"].as_str().unwrap().to_string();
        assert_eq!(d["CallContext"]["CallType"], "OUTBOUND");
        let ch = &d["CallContext"]["ChannelContexts"];
        assert_eq!(ch[0]["ChannelId"], format!("{id}-1"));
        assert_eq!(ch[0]["UserId"], "agent1@ccc-test");
        assert_eq!(ch[0]["Destination"], "8001");
        assert_eq!(ch[0]["ChannelState"], "CREATED");
        assert_eq!(ch[1]["Destination"], "13188880000");
        assert_eq!(ch[1]["Originator"], NUMBERS[0]);
        assert_eq!(ch[1]["UserId"], "");
        assert_eq!(d["UserContext"]["UserState"], "RINGING");
        assert_eq!(d["UserContext"]["JobId"], id.as_str());
        // The SDK's model of MakeCall has no Index / ChannelVariables / Heartbeat.
        assert!(ch[0].get("Index").is_none());
        assert!(d["UserContext"].get("Heartbeat").is_none());

        let call = &h.env.telephony.started()[0];
        assert_eq!(
            call.first.target,
            Target::Agent {
                user_id: "u-1".into(),
                extension: "8001".into()
            }
        );
        assert_eq!(call.first.caller_id, "13188880000");
        assert_eq!(
            call.second.target,
            Target::Number {
                number: "13188880000".into()
            }
        );
        assert_eq!(call.second.caller_id, NUMBERS[0]);
        assert_eq!(call.ring_timeout_seconds, 120);
        assert_eq!(h.asked.lock().unwrap()[0].1["user"], "u-1");
        let c = h.cdr(&id).await;
        assert!(c.agent_first);

        // The agent's leg is the first: answered when the phone answers.
        use CallEventKind::*;
        let events = [
            Inviting {
                leg: LegId::First,
                uri: "u".into(),
            },
            Answered { leg: LegId::First },
            Inviting {
                leg: LegId::Second,
                uri: "u".into(),
            },
            Answered { leg: LegId::Second },
            Bridged,
            Released {
                by: Party::Second,
                sip_code: 200,
                reason: "Normal call clearing".into(),
            },
            Ended,
        ];
        for (i, k) in events.into_iter().enumerate() {
            h.feed(&id, i as u32 + 1, k).await;
            if i == 1 {
                assert_eq!(h.agent_legs().await, [("u-1".into(), "answered".into())]);
            }
        }
        assert_eq!(h.agent_legs().await[1], ("u-1".into(), "released".into()));
        let c = h.cdr(&id).await;
        assert_eq!(c.release_initiator, "customer");
        assert_eq!(c.disposition, "Success");
    }

    #[tokio::test]
    async fn who_calls_and_what_is_refused() {
        let h = Harness::new().await;
        let e = h
            .call(SPEC, &[("Callee", "13188880000")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Null"));
        h.call(
            SPEC,
            &[("Callee", "13188880000"), ("UserId", "agent2@ccc-test")],
        )
        .await
        .unwrap();
        assert_eq!(
            h.env.telephony.started()[0].first.target,
            Target::Agent {
                user_id: "u-2".into(),
                extension: "8002".into()
            }
        );
        let e = h
            .call(SPEC, &[("Callee", "13188880000"), ("UserId", "nobody")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.UserId"));
        let e = h
            .call_as(
                "agent1",
                SPEC,
                &[("Callee", "13188880000"), ("MediaType", "VIDEO")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code.as_ref(), "InvalidParameter");
        let e = h
            .call_as(
                "agent1",
                SPEC,
                &[("Callee", "13188880000"), ("Caller", "0101")],
            )
            .await
            .unwrap_err();
        assert!(e.message.contains("Caller"), "{e:?}");
        let e = h
            .call_as(
                "agent1",
                SPEC,
                &[("Callee", "13188880000"), ("TimeoutSeconds", "10")],
            )
            .await
            .unwrap_err();
        assert!(e.message.contains("TimeoutSeconds"), "{e:?}");

        let busy = Harness::build(Settings::default(), &NUMBERS, true).await;
        let e = busy
            .call_as("agent1", SPEC, &[("Callee", "13188880000")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidAgentState"));
        assert!(busy.env.telephony.started().is_empty());
    }

    #[tokio::test]
    async fn a_refused_start_releases_the_agent() {
        let h = Harness::new().await;
        h.env
            .telephony
            .fail_with(Some(ccgate_plugin_sdk::ApiError::new(
                503,
                "Telephony.Unavailable",
                "down",
            )));
        let e = h
            .call_as("agent1", SPEC, &[("Callee", "13188880000")])
            .await
            .unwrap_err();
        assert_eq!(e.code.as_ref(), "Telephony.Unavailable");
        let asked = h.asked.lock().unwrap().clone();
        assert_eq!(asked[1].0, "transition");
        assert_eq!(asked[1].1["command"], "no_answer");
        assert_eq!(h.all_cdrs().await[0].status, "ENDED");
        // The ended record's calls.call_ended is published with it.
        let ended = h.calls_ended().await;
        assert_eq!(ended.len(), 1);
        assert_eq!(
            (
                ended[0].disposition.as_str(),
                ended[0].release_reason.as_str(),
                ended[0].agent_first
            ),
            ("NoAnswer", "503-Telephony.Unavailable", true)
        );
    }
}
