//! 2020-07-01 BlindTransfer (official SDK `alibabacloud-ccc20200701`; no seed documents it):
//! the customer's leg stays ([`crate::lifecycle::customer_leg`]: DialEx's first, MakeCall's
//! and StartBack2BackCall's second) and the other party is replaced by the transferee
//! (`telephony::transfer`):
//! - `AGENT`: the agent is reserved first (`agents.reserve`, READY → RINGING);
//! - `SKILL_GROUP`: the best READY agent of the group is reserved (as DialEx AnswerMode 2; no
//!   queueing: none READY is 400 `NoReadyAgent`);
//! - `EXTERNAL_NUMBER`: a number through the trunks, showing `Transferor` (an outbound number
//!   of the instance) or the call's caller id;
//! - `IVR`: a contact flow on `[plugins.calls] media_server_uri` (`;flow=<id>`, as DialEx).
//!
//! Absent `TransfereeType`: EXTERNAL_NUMBER for a telephone number, else AGENT. Agents and
//! flows see the customer's number. The pending transfer (and its reserved agent) is written
//! to the record before the engine is asked; the recorder completes it when the new party
//! answers (old agent `released`, new one `answered`) or drops it when it fails (new agent
//! `missed`, the call goes on). `RoutingType` Manual is refused (no ClaimCall); the queueing
//! and strategy parameters are ignored. `TimeoutSeconds` (default 30) rings at most 120 s.

use ccgate_plugin_sdk::telephony::{self, Leg, Target, Transfer};
use ccgate_plugin_sdk::{ApiError, ApiResult};

use crate::api::Ctx;
use crate::api::blind_transfer_v2020::{Request, Response, RoutingType, TransfereeType};
use crate::api::clients::agents;
use crate::api::errors;
use crate::storage::{ENDED, transfers};
use crate::{call_context, desk, dial, lifecycle};

/// The SDK's default ring time of a transferee, seconds.
pub const DEFAULT_RING_SECONDS: u32 = 30;

/// Starts the transfer (see the module docs).
///
/// Errors: 404 `NotExists.JobId`, `NotExists.UserId`, `NotExists.SkillGroupId`; 400
/// `InvalidParameter` (Manual routing, a malformed number or flow id, a Transferor that is not
/// an outbound number); 400 `InvalidAgentState`, `NoReadyAgent`; 400 `InvalidCallState` (not
/// bridged, or a transfer already pending); 503 `MediaServer.NotConfigured`,
/// `Agents.NotEnabled`; the engine's (`Telephony.*`).
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    if req.routing_type == Some(RoutingType::Manual) {
        return Err(errors::invalid_parameter(
            "RoutingType",
            "ccgate routes automatically only (it has no ClaimCall)",
        ));
    }
    let me = desk::acting(ctx, req.user_id.as_deref()).await?;
    let mut c = desk::call(ctx, &req.job_id, me.as_deref()).await?;
    if c.status == ENDED || c.bridged_ms == 0 {
        return Err(errors::invalid_call_state(
            &c.contact_id,
            "it is not bridged",
        ));
    }
    if !c.transfer_target.is_empty() {
        return Err(errors::invalid_call_state(
            &c.contact_id,
            format!("a transfer to {} is in progress", c.transfer_target),
        ));
    }
    let kind = req.transferee_type.unwrap_or_else(|| {
        if dial::check_number("Transferee", &req.transferee).is_ok() {
            TransfereeType::ExternalNumber
        } else {
            TransfereeType::Agent
        }
    });
    // The customer is the callee of every call type with a customer leg.
    let customer = c.callee.clone();
    let target = match kind {
        TransfereeType::ExternalNumber => {
            let number = dial::check_number("Transferee", &req.transferee)?;
            let shown = match req.transferor.as_deref().filter(|t| !t.is_empty()) {
                Some(t) => dial::caller_id(ctx, "Transferor", Some(t)).await?,
                None => c.call_center_number.clone(),
            };
            Leg {
                target: Target::Number { number },
                caller_id: shown,
            }
        }
        TransfereeType::Ivr => Leg {
            target: Target::Uri {
                uri: flow_uri(&ctx.state().settings.media_server_uri, &req.transferee)?,
            },
            caller_id: customer,
        },
        TransfereeType::Agent | TransfereeType::SkillGroup => {
            let by_user = kind == TransfereeType::Agent;
            let agent = reserve(ctx, &req.transferee, by_user, &c.contact_id).await?;
            c.transfer_user_id = Some(agent.user_id.clone());
            c.transfer_login_name = Some(agent.login_name.clone());
            c.transfer_extension = Some(agent.extension.clone());
            c.transfer_skill_group_id =
                Some(agent.skill_group_id.clone()).filter(|g| !g.is_empty());
            Leg {
                target: Target::Agent {
                    user_id: agent.user_id,
                    extension: agent.extension,
                },
                caller_id: customer,
            }
        }
    };
    c.transfer_target = req.transferee.clone();
    let reserved = c.transfer_user_id.clone();
    transfers::set(&ctx.db, &c).await?;
    let transfer = Transfer {
        call_id: c.contact_id.clone(),
        keep: lifecycle::customer_leg(&c),
        to: target,
        ring_timeout_seconds: desk::ring_seconds(req.timeout_seconds, DEFAULT_RING_SECONDS),
    };
    let outcome = telephony::transfer(ctx, &transfer).await;
    let failure = match outcome {
        Ok(done) if done.found => None,
        Ok(_) => Some(errors::invalid_call_state(
            &c.contact_id,
            "the engine has no such bridged call",
        )),
        Err(e) => Some(e),
    };
    if let Some(e) = failure {
        undo(ctx, &mut c, reserved.as_deref()).await?;
        return Err(e);
    }
    let device = req.device_id.unwrap_or_default();
    Ok(Response {
        data: call_context::typed(call_context::data(&c, &device, ctx.now_ms()))?,
        params: Vec::new(),
    })
}

/// Clears the pending transfer of a refused transfer and releases its reserved agent.
async fn undo(
    ctx: &Ctx<'_>,
    c: &mut crate::storage::cdr::Model,
    reserved: Option<&str>,
) -> ApiResult<()> {
    c.transfer_target.clear();
    c.transfer_user_id = None;
    c.transfer_login_name = None;
    c.transfer_extension = None;
    c.transfer_skill_group_id = None;
    transfers::set(&ctx.db, c).await?;
    if let Some(user) = reserved {
        super::make_call_v2020::release(ctx, user, &c.contact_id).await;
    }
    Ok(())
}

/// The media server URI that runs flow `flow`: `<uri>;flow=<flow>`.
///
/// Errors: 503 `MediaServer.NotConfigured`; 400 `InvalidParameter`.
fn flow_uri(uri: &str, flow: &str) -> ApiResult<String> {
    if uri.is_empty() {
        return Err(errors::media_server_not_configured_msg(
            "TransfereeType IVR hands the call to a contact flow on a media server: set [plugins.calls] media_server_uri.",
        ));
    }
    let ok = !flow.is_empty()
        && flow
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !ok {
        return Err(errors::invalid_parameter(
            "Transferee",
            "a contact flow id has letters, digits, '-', '_' and '.' only",
        ));
    }
    Ok(format!("{uri};flow={flow}"))
}

/// Reserves the named agent or the best agent of the named group.
async fn reserve(
    ctx: &Ctx<'_>,
    who: &str,
    by_user: bool,
    contact_id: &str,
) -> ApiResult<agents::reserve::Output> {
    let args = agents::reserve::Args {
        instance_id: ctx.instance().to_string(),
        job_id: contact_id.to_string(),
        user: if by_user {
            who.to_string()
        } else {
            String::new()
        },
        skill_group: if by_user {
            String::new()
        } else {
            who.to_string()
        },
    };
    let out: Option<agents::reserve::Output> = agents::reserve(ctx, &args).await?;
    let Some(out) = out else {
        return Err(errors::agents_not_enabled_msg(
            "A transfer to an agent or skill group needs the agents plugin; this deployment does not enable it.",
        ));
    };
    let e: Option<ApiError> = match (out.found, out.reserved, by_user) {
        (_, true, _) => None,
        (false, _, true) => Some(errors::not_exists_user_id(who)),
        (false, _, false) => Some(errors::not_exists_skill_group_id(who)),
        (true, false, true) => Some(errors::invalid_agent_state(who, &out.reason)),
        (true, false, false) => Some(errors::no_ready_agent(who)),
    };
    e.map_or(Ok(out), Err)
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::telephony::{CallEventKind, LegId, Target};

    use crate::Settings;
    use crate::api::blind_transfer_v2020::SPEC;
    use crate::testutil::{Harness, NUMBERS};

    #[tokio::test]
    async fn an_agent_hands_its_customer_to_another_agent() {
        let h = Harness::new().await;
        let id = h.bridged_make_call().await;
        let v = h
            .call_as(
                "agent1",
                SPEC,
                &[
                    ("JobId", &id),
                    ("Transferee", "agent2@ccc-test"),
                    ("TransfereeType", "AGENT"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            v["Data"]["CallContext"]["ChannelContexts"][0]["ChannelFlags"],
            ""
        );
        let t = &h.env.telephony.transfers()[0];
        // MakeCall: the customer is the second leg, which stays.
        assert_eq!(t.keep, LegId::Second);
        assert_eq!(
            t.to.target,
            Target::Agent {
                user_id: "u-2".into(),
                extension: "8002".into()
            }
        );
        assert_eq!(t.to.caller_id, "13188880000");
        assert_eq!(t.ring_timeout_seconds, 30);
        let c = h.cdr(&id).await;
        assert_eq!(c.transfer_user_id.as_deref(), Some("u-2"));
        // A second transfer while one is pending is refused.
        let e = h
            .call_as(
                "agent1",
                SPEC,
                &[("JobId", &id), ("Transferee", "13900000000")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code.as_ref(), "InvalidCallState");
        // The new agent answers: the old one is released, the new one answered.
        h.feed(
            &id,
            6,
            CallEventKind::Transferring {
                keep: LegId::Second,
                uri: "sip:8002@fake".into(),
            },
        )
        .await;
        h.feed(&id, 7, CallEventKind::Answered { leg: LegId::First })
            .await;
        let legs = h.agent_legs().await;
        assert_eq!(
            legs[1..],
            [
                ("u-1".to_string(), "released".to_string()),
                ("u-2".into(), "answered".into())
            ]
        );
        let c = h.cdr(&id).await;
        assert_eq!(
            (c.agent_user_id.as_deref(), c.transfer_target.as_str()),
            (Some("u-2"), "")
        );
        assert_eq!(c.transferred_by_user_id, "u-1");
        // agent1 no longer has the call; agent2 has.
        let release = crate::api::release_call_v2020::SPEC;
        let e = h
            .call_as("agent1", release, &[("JobId", &id)])
            .await
            .unwrap_err();
        assert_eq!(e.code.as_ref(), "NotExists.JobId");
        h.call_as("agent2", release, &[("JobId", &id)])
            .await
            .unwrap();
        // The call ends: its calls.call_ended names agent2 and the agent it came from.
        h.feed(&id, 8, CallEventKind::Ended).await;
        let ended = h.calls_ended().await;
        assert_eq!(ended.len(), 1);
        assert_eq!(
            (
                ended[0].agent_user_id.as_str(),
                ended[0].agent_login_name.as_str(),
                ended[0].transferred_by_user_id.as_str()
            ),
            ("u-2", "agent2", "u-1")
        );
    }

    #[tokio::test]
    async fn a_failed_transfer_frees_the_reserved_agent_and_the_call_goes_on() {
        let h = Harness::new().await;
        let id = h.bridged_make_call().await;
        h.call_as(
            "agent1",
            SPEC,
            &[
                ("JobId", &id),
                ("Transferee", "sales"),
                ("TransfereeType", "SKILL_GROUP"),
            ],
        )
        .await
        .unwrap();
        assert_eq!(
            h.cdr(&id).await.transfer_skill_group_id.as_deref(),
            Some("sg-1")
        );
        h.feed(
            &id,
            6,
            CallEventKind::Failed {
                leg: LegId::First,
                sip_code: 486,
                reason: "Busy Here".into(),
            },
        )
        .await;
        let legs = h.agent_legs().await;
        assert_eq!(
            legs.last().unwrap(),
            &("u-1".to_string(), "missed".to_string())
        );
        let c = h.cdr(&id).await;
        assert_eq!(
            (c.agent_user_id.as_deref(), c.transfer_target.as_str()),
            (Some("u-1"), "")
        );
    }

    #[tokio::test]
    async fn numbers_flows_and_refusals() {
        let settings = Settings {
            media_server_uri: "sip:ivr@ms.example".into(),
            ..Settings::default()
        };
        let h = Harness::build(settings, &NUMBERS, false).await;
        let id = h.bridged_make_call().await;
        // A number (type inferred), shown as the Transferor.
        h.call_as(
            "agent1",
            SPEC,
            &[
                ("JobId", &id),
                ("Transferee", "13900000000"),
                ("Transferor", NUMBERS[1]),
                ("TimeoutSeconds", "300"),
            ],
        )
        .await
        .unwrap();
        let t = &h.env.telephony.transfers()[0];
        assert_eq!(
            t.to.target,
            Target::Number {
                number: "13900000000".into()
            }
        );
        assert_eq!(
            (t.to.caller_id.as_str(), t.ring_timeout_seconds),
            (NUMBERS[1], 120)
        );
        // The transfer to a number completes: agent1 is released, nobody answered.
        h.feed(&id, 6, CallEventKind::Answered { leg: LegId::First })
            .await;
        assert_eq!(
            h.agent_legs().await.last().unwrap(),
            &("u-1".to_string(), "released".to_string())
        );
        assert_eq!(h.cdr(&id).await.agent_user_id, None);

        let id = h.bridged_make_call().await;
        h.call(
            SPEC,
            &[
                ("JobId", &id),
                ("Transferee", "flow-1"),
                ("TransfereeType", "IVR"),
            ],
        )
        .await
        .unwrap();
        assert_eq!(
            h.env.telephony.transfers()[1].to.target,
            Target::Uri {
                uri: "sip:ivr@ms.example;flow=flow-1".into()
            }
        );
        let id = h.bridged_make_call().await;
        for (pairs, code) in [
            (vec![("Transferee", "ghost")], "NotExists.UserId"),
            (
                vec![("Transferee", "ghost"), ("TransfereeType", "SKILL_GROUP")],
                "NotExists.SkillGroupId",
            ),
            (
                vec![("Transferee", "agent2"), ("RoutingType", "Manual")],
                "InvalidParameter",
            ),
            (
                vec![("Transferee", "a;b"), ("TransfereeType", "IVR")],
                "InvalidParameter",
            ),
        ] {
            let mut p = vec![("JobId", id.as_str())];
            p.extend(pairs);
            let e = h.call_as("agent1", SPEC, &p).await.unwrap_err();
            assert_eq!(e.code.as_ref(), code, "{p:?}");
        }
        // The engine no longer has the call: the reserved agent is released.
        h.call(crate::api::release_call_v2020::SPEC, &[("JobId", &id)])
            .await
            .unwrap();
        let e = h
            .call_as("agent1", SPEC, &[("JobId", &id), ("Transferee", "agent2")])
            .await
            .unwrap_err();
        assert_eq!(e.code.as_ref(), "InvalidCallState");
        let asked = h.asked.lock().unwrap().clone();
        assert_eq!(asked.last().unwrap().1["command"], "no_answer");
        assert_eq!(asked.last().unwrap().1["user_id"], "u-2");
        assert_eq!(h.cdr(&id).await.transfer_target, "");
        // No media server: 503.
        let h = Harness::new().await;
        let id = h.bridged_make_call().await;
        let e = h
            .call_as(
                "agent1",
                SPEC,
                &[
                    ("JobId", &id),
                    ("Transferee", "f"),
                    ("TransfereeType", "IVR"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (503, "MediaServer.NotConfigured")
        );
    }
}
