//! DialEx (2017-07-05, seed 004 §7.1): a back-end initiated outbound call. The engine calls
//! the customer (`Callee`) first, showing `Caller` (an outbound number of the instance), and
//! once answered hands the call to (`AnswerMode`):
//! - 1, an agent (`RoutPoint` = `ram_id@<domain>`, or UserId / login name), or
//! - 2, a skill group (`RoutPoint` = SkillGroupId or name): the agent is reserved BEFORE the
//!   customer is dialled (`agents.reserve`: READY → RINGING), so the call is never dialled
//!   without an agent to take it; the second leg calls the agent's extension, showing the
//!   customer's number;
//! - 0, a contact flow (`RoutPoint` = flow id) on the media server
//!   `[plugins.calls] media_server_uri`: the second leg calls that URI with `;flow=<id>`.
//!
//! If the engine refuses the call after an agent was reserved, the agent is released
//! (`agents.transition` `no_answer`: RINGING → READY). `Provider` is accepted and ignored (the
//! seed documents no values). `TimeStamp` is epoch milliseconds (the seed's example).

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::telephony::{Leg, StartCall, Target};

use crate::api::Ctx;
use crate::api::clients::agents;
use crate::api::dial_ex::{Request, Response};
use crate::api::errors;
use crate::events::{ROUTE_CONTACT_FLOW, ROUTE_SKILL_GROUP};
use crate::lifecycle::OUTBOUND;
use crate::storage::{LIVE, cdr};
use crate::{dial, tokens};

/// Starts the call (see the module docs).
///
/// `Callee` may be an Encrypt token of the instance ([`crate::tokens`]).
///
/// Errors: 400 `InvalidParameter` (a number that is not a telephone number, a `Callee` token
/// not of the instance, a `Caller` that is not an outbound number of the instance, a flow id
/// with characters a SIP URI parameter cannot carry); 404 `NotExists.UserId` / `NotExists.SkillGroupId` (RoutPoint names no agent /
/// group of the instance); 400 `InvalidAgentState` (the agent is not READY); 400
/// `NoReadyAgent` (no agent of the group is READY); 503 `MediaServer.NotConfigured`
/// (AnswerMode 0 without `media_server_uri`); 503 `Agents.NotEnabled`; the engine's
/// (`crate::dial::start`).
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let token = crate::idempotency::token(ctx, req.client_token.as_deref());
    if let Some(first) = crate::idempotency::replay(ctx, token.as_ref()).await? {
        return Ok(replayed(&first));
    }
    let callee_given = tokens::reveal(ctx, &mut None, "Callee", &req.callee).await?;
    let callee = callee_given.number.clone();
    dial::check_number("Caller", &req.caller)?;
    let shown = dial::caller_id(ctx, "Caller", Some(&req.caller)).await?;
    let now = ctx.now_ms();
    let contact_id = dial::new_contact_id(now);
    let settings = &ctx.state().settings;
    let mut record = cdr::Model {
        contact_id: contact_id.clone(),
        instance_id: ctx.instance().to_string(),
        call_type: OUTBOUND.into(),
        caller: req.caller.clone(),
        callee: callee.clone(),
        call_center_number: shown.clone(),
        route_point: req.rout_point.clone(),
        status: LIVE.into(),
        start_ms: now,
        route_kind: match req.answer_mode {
            0 => ROUTE_CONTACT_FLOW,
            2 => ROUTE_SKILL_GROUP,
            _ => "",
        }
        .into(),
        ..Default::default()
    };
    let second = if req.answer_mode == 0 {
        Leg {
            target: Target::Uri {
                uri: dial::flow_uri(&settings.media_server_uri, &req.rout_point)?,
            },
            caller_id: callee.clone(),
        }
    } else {
        let agent = reserve(ctx, &req, &contact_id).await?;
        record.agent_user_id = Some(agent.user_id.clone());
        record.agent_login_name = Some(agent.login_name.clone());
        record.agent_display_name = Some(agent.display_name.clone());
        record.agent_extension = Some(agent.extension.clone());
        record.skill_group_id = Some(agent.skill_group_id.clone()).filter(|g| !g.is_empty());
        Leg {
            target: Target::Agent {
                user_id: agent.user_id,
                extension: agent.extension,
            },
            caller_id: callee.clone(),
        }
    };
    let call = StartCall {
        call_id: contact_id.clone(),
        instance_id: ctx.instance().to_string(),
        first: Leg {
            target: Target::Number { number: callee },
            caller_id: shown,
        },
        second,
        ring_timeout_seconds: settings.ring_timeout_seconds,
        max_duration_seconds: settings.max_duration_seconds,
    };
    let agent = record.agent_user_id.clone();
    let caller_given = tokens::Given {
        number: req.caller.clone(),
        token: String::new(),
    };
    let mask = tokens::mask(&contact_id, &caller_given, &callee_given);
    let started = crate::idempotency::start(ctx, record, mask, &call, token.as_ref()).await;
    if !matches!(started, Ok(None))
        && let Some(user) = agent
    {
        dial::release_agent(ctx, ctx.instance(), &user, &contact_id).await;
    }
    if let Some(first) = started? {
        return Ok(replayed(&first));
    }
    Ok(Response {
        status_code: "200".into(),
        status_desc: "Okay".into(),
        task_id: contact_id,
        time_stamp: now.to_string(),
    })
}

/// The reply of a retry with a used ClientToken: the first call's TaskId and TimeStamp.
fn replayed(first: &crate::storage::cdr::Model) -> Response {
    Response {
        status_code: "200".into(),
        status_desc: "Okay".into(),
        task_id: first.contact_id.clone(),
        time_stamp: first.start_ms.to_string(),
    }
}

/// Reserves the agent of AnswerMode 1 or the best agent of the group of AnswerMode 2.
async fn reserve(
    ctx: &Ctx<'_>,
    req: &Request,
    contact_id: &str,
) -> ApiResult<agents::reserve::Output> {
    let by_user = req.answer_mode == 1;
    let args = agents::reserve::Args {
        instance_id: ctx.instance().to_string(),
        job_id: contact_id.to_string(),
        user: if by_user {
            req.rout_point.clone()
        } else {
            String::new()
        },
        skill_group: if by_user {
            String::new()
        } else {
            req.rout_point.clone()
        },
    };
    let Some(out) = agents::reserve(ctx, &args).await? else {
        return Err(errors::agents_not_enabled(req.answer_mode));
    };
    match (out.found, out.reserved, by_user) {
        (_, true, _) => Ok(out),
        (false, _, true) => Err(errors::not_exists_user_id(&req.rout_point)),
        (false, _, false) => Err(errors::not_exists_skill_group_id(&req.rout_point)),
        (true, false, true) => Err(errors::invalid_agent_state(&req.rout_point, &out.reason)),
        (true, false, false) => Err(errors::no_ready_agent(&req.rout_point)),
    }
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::ApiError;
    use ccgate_plugin_sdk::telephony::{CallEventKind, LegId, Party, Target};

    use crate::Settings;
    use crate::api::dial_ex::SPEC;
    use crate::testutil::{Harness, NUMBERS};

    fn pairs<'a>(mode: &'a str, route: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            ("AnswerMode", mode),
            ("Callee", "15732036617"),
            ("Caller", "02566040852"),
            ("RoutPoint", route),
        ]
    }

    #[tokio::test]
    async fn an_agent_is_reserved_before_the_customer_is_dialled() {
        let h = Harness::new().await;
        let v = h
            .call(SPEC, &pairs("1", "agent1@ccc.example"))
            .await
            .unwrap();
        let id = v["TaskId"].as_str().unwrap().to_string();
        assert!(v["TimeStamp"].as_str().unwrap().parse::<i64>().is_ok());
        let asked = h.asked.lock().unwrap().clone();
        assert_eq!(asked[0].0, "reserve");
        assert_eq!(asked[0].1["user"], "agent1@ccc.example");
        assert_eq!(asked[0].1["job_id"], id.as_str());
        let call = &h.env.telephony.started()[0];
        assert_eq!(
            call.first.target,
            Target::Number {
                number: "15732036617".into()
            }
        );
        assert_eq!(call.first.caller_id, NUMBERS[0]);
        assert_eq!(
            call.second.target,
            Target::Agent {
                user_id: "u-1".into(),
                extension: "8001".into()
            }
        );
        assert_eq!(call.second.caller_id, "15732036617");
        let c = h.cdr(&id).await;
        assert_eq!(c.agent_user_id.as_deref(), Some("u-1"));
        assert_eq!(c.call_type, "Outbound");

        // The agent leg is followed: answered, then released.
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
        }
        assert_eq!(
            h.agent_legs().await,
            [
                ("u-1".to_string(), "answered".to_string()),
                ("u-1".into(), "released".into())
            ]
        );
        let c = h.cdr(&id).await;
        assert_eq!(
            (c.disposition.as_str(), c.release_initiator.as_str()),
            ("Success", "agent")
        );
        let log = h.log(&id).await;
        assert_eq!(log.last().unwrap().event, "Handle");
        assert_eq!(log[0].agent_name, "agent1");
        // AnswerMode 1 routes through no skill group.
        let ended = h.calls_ended().await;
        assert_eq!(ended.len(), 1);
        assert_eq!(
            (
                ended[0].route_kind.as_str(),
                ended[0].agent_user_id.as_str()
            ),
            ("", "u-1")
        );
    }

    #[tokio::test]
    async fn a_skill_group_without_a_ready_agent_is_refused_without_dialling() {
        let h = Harness::build(Settings::default(), &NUMBERS, true).await;
        let e = h.call(SPEC, &pairs("2", "sales")).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "NoReadyAgent"));
        let e = h.call(SPEC, &pairs("1", "agent1")).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidAgentState"));
        let e = h.call(SPEC, &pairs("2", "nobody")).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.SkillGroupId"));
        let e = h.call(SPEC, &pairs("1", "nobody")).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.UserId"));
        assert!(h.env.telephony.started().is_empty());
        assert!(h.all_cdrs().await.is_empty());
    }

    #[tokio::test]
    async fn a_refused_start_releases_the_reserved_agent() {
        let h = Harness::new().await;
        h.env
            .telephony
            .fail_with(Some(ApiError::new(503, "Telephony.Unavailable", "down")));
        let e = h.call(SPEC, &pairs("2", "sales")).await.unwrap_err();
        assert_eq!(e.code.as_ref(), "Telephony.Unavailable");
        let asked = h.asked.lock().unwrap().clone();
        assert_eq!(asked.len(), 2);
        assert_eq!(asked[1].0, "transition");
        assert_eq!(asked[1].1["command"], "no_answer");
        assert_eq!(asked[1].1["user_id"], "u-1");
        let c = &h.all_cdrs().await[0];
        assert_eq!(
            (c.status.as_str(), c.skill_group_id.as_deref()),
            ("ENDED", Some("sg-1"))
        );
        // AnswerMode 2: the refused call's calls.call_ended is a skill-group call.
        let ended = h.calls_ended().await;
        assert_eq!(ended.len(), 1);
        assert_eq!(
            (ended[0].route_kind.as_str(), ended[0].disposition.as_str()),
            ("SkillGroup", "NoAnswer")
        );
    }

    #[tokio::test]
    async fn a_contact_flow_needs_the_media_server() {
        let h = Harness::new().await;
        let e = h.call(SPEC, &pairs("0", "flow-1")).await.unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (503, "MediaServer.NotConfigured")
        );
        let settings = Settings {
            media_server_uri: "sip:ivr@ms.example".into(),
            ..Settings::default()
        };
        let h = Harness::build(settings, &NUMBERS, false).await;
        let v = h.call(SPEC, &pairs("0", "flow-1")).await.unwrap();
        let id = v["TaskId"].as_str().unwrap().to_string();
        assert_eq!(h.cdr(&id).await.route_kind, "ContactFlow");
        let call = &h.env.telephony.started()[0];
        assert_eq!(
            call.second.target,
            Target::Uri {
                uri: "sip:ivr@ms.example;flow=flow-1".into()
            }
        );
        let e = h.call(SPEC, &pairs("0", "a;b")).await.unwrap_err();
        assert_eq!(e.code.as_ref(), "InvalidParameter");
        // The caller id must be an instance number.
        let mut p = pairs("0", "flow-1");
        p[2] = ("Caller", "01012345678");
        let e = h.call(SPEC, &p).await.unwrap_err();
        assert!(e.message.contains("Caller"), "{e:?}");
    }
    #[tokio::test]
    async fn an_encrypted_callee_is_dialled_and_shown_as_its_token() {
        use crate::api::{encrypt, list_call_event_detail_by_contact_id as list};
        let h = Harness::new().await;
        let v = h
            .call(encrypt::SPEC, &[("PhoneNumbers", "[\"15732036617\"]")])
            .await
            .unwrap();
        let token = v["EncryptedNumbers"][0].as_str().unwrap().to_string();
        let mut p = pairs("1", "agent1@ccc.example");
        p[1] = ("Callee", &token);
        let v = h.call(SPEC, &p).await.unwrap();
        let id = v["TaskId"].as_str().unwrap().to_string();
        let call = &h.env.telephony.started()[0];
        assert_eq!(
            call.first.target,
            Target::Number {
                number: "15732036617".into()
            }
        );
        // The agent sees the customer's number as caller id: the engine needs it.
        assert_eq!(call.second.caller_id, "15732036617");
        assert_eq!(h.cdr(&id).await.callee, "15732036617");
        let v = h.call(list::SPEC, &[("ContactId", &id)]).await.unwrap();
        assert_eq!(v["Data"]["Callee"], token.as_str());
        assert_eq!(v["Data"]["Caller"], "02566040852");
    }
}
