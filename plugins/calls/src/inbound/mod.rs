//! Inbound calls: where an INVITE from a trunk goes. The host's SIP engine asks the calls
//! plugin's query `route_inbound` ([`telephony::ROUTE_INBOUND`]) with an [`InboundCall`] under
//! a system context (role admin, no instance) and acts on the [`InboundRoute`] answered: both
//! cross the boundary as serde's JSON of the SDK types, so the query is served by hand
//! ([`query`], from `CallsPlugin::query`) rather than from a spec in `api/queries/` (the
//! codegen cannot express `to: Option<Leg>` with its tagged `Target`).
//!
//! The called number decides (`numbers.inbound`: active, usage Inbound or Bidirection, any
//! instance):
//! - not such a number (or no numbers plugin): refuse `404 Not Found`, nothing recorded (no
//!   instance to record it in);
//! - bound to a contact flow and `[plugins.calls] media_server_uri` set: connect to
//!   `Target::Uri` `<media_server_uri>;flow=<ContactFlowId>` (as DialEx AnswerMode 0);
//! - else bound to skill groups: in binding order, `agents.reserve` a READY agent of the group
//!   (instance of the number, `job_id` = the new contact id; READY → RINGING) and connect to
//!   `Target::Agent` showing the caller's number; none READY in any group (or no agents
//!   plugin): refuse `480 Temporarily Unavailable`, recorded with disposition `QueueOverflow`
//!   and the log EnterQueue, ACDOverflow, End;
//! - else (a flow without a media server, or nothing bound): refuse `480 Temporarily
//!   Unavailable`, recorded with disposition `NoAnswer` and the log End.
//!
//! A refused call's record is written `ENDED` with its `calls.call_ended` event
//! ([`crate::events::CallEnded`], [`crate::storage::refused`]); route kind `SkillGroup` for a
//! number bound to skill groups, `ContactFlow` for one bound to a flow, else empty.
//!
//! A connected call's record (`LIVE`, call type `Inbound`, caller = the caller's number,
//! callee and call center number = the number as stored, the agent, the skill group,
//! route point = the group or flow id, route kind `SkillGroup` or `ContactFlow`) is written
//! before the answer; the engine's events then
//! go through the recorder like every call's ([`crate::queue`] has the inbound mapping). A
//! record that cannot be written releases the reserved agent and fails the query (the gateway
//! refuses the call with 503). Ring timeout and longest call: the plugin's
//! `ring_timeout_seconds` and `max_duration_seconds`. Times are the INVITE's arrival
//! (`at_ms`, UTC ms; the plugin's clock when 0).

#[cfg(test)]
mod tests;

use ccgate_plugin_sdk::serde_json::Value;
use ccgate_plugin_sdk::telephony::{self, InboundCall, InboundRoute, Leg, Target};
use ccgate_plugin_sdk::{ApiResult, Context, Cx, query};

use crate::api::Ctx;
use crate::api::clients::{agents, numbers};
use crate::events::{ROUTE_CONTACT_FLOW, ROUTE_SKILL_GROUP};
use crate::lifecycle::{Entry, INBOUND, NO_ANSWER, release_reason};
use crate::storage::{ENDED, LIVE, cdr, records, refused};
use crate::{State, dial, queue};

/// SIP status of a number that is not an inbound number of any instance.
pub const NOT_FOUND: (u16, &str) = (404, "Not Found");
/// SIP status of a call nobody can take (RFC 3261 §21.4.18).
pub const UNAVAILABLE: (u16, &str) = (480, "Temporarily Unavailable");

/// Longest caller number kept (`calls_cdr.caller` is 32 characters).
const CALLER_MAX: usize = 32;

/// The query [`telephony::ROUTE_INBOUND`]: `args` is an [`InboundCall`], the answer an
/// [`InboundRoute`] ([`route`]).
///
/// Errors: 500 `InternalError` for arguments of another shape; [`route`]'s.
pub async fn query(state: &State, ctx: &Context, args: Value) -> ApiResult<Value> {
    let call: InboundCall = query::decode_args(telephony::ROUTE_INBOUND, args)?;
    let route = route(&Cx::new(ctx, state), call).await?;
    query::encode_output(telephony::ROUTE_INBOUND, route)
}

/// Routes `call` (see the module docs).
///
/// Errors: storage failures (500; a reserved agent is released first) and the numbers and
/// agents plugins' query errors.
pub async fn route(ctx: &Ctx<'_>, call: InboundCall) -> ApiResult<InboundRoute> {
    let args = numbers::inbound::Args {
        number: call.called.clone(),
    };
    let number = match numbers::inbound(ctx, &args).await? {
        Some(n) if n.found => n,
        _ => {
            tracing::info!(called = %call.called, "inbound call to no number of ours refused");
            return Ok(refusal(NOT_FOUND, String::new(), String::new()));
        }
    };
    let start = if call.at_ms > 0 {
        call.at_ms
    } else {
        ctx.now_ms()
    };
    let mut record = cdr::Model {
        contact_id: dial::new_contact_id(start),
        instance_id: number.instance_id.clone(),
        call_type: INBOUND.into(),
        caller: call.caller.chars().take(CALLER_MAX).collect(),
        callee: number.number.clone(),
        call_center_number: number.number.clone(),
        status: LIVE.into(),
        start_ms: start,
        ..Default::default()
    };
    let settings = &ctx.state().settings;
    let flow = number.contact_flow_id.as_str();
    if !flow.is_empty() && !settings.media_server_uri.is_empty() {
        record.route_point = flow.to_string();
        record.route_kind = ROUTE_CONTACT_FLOW.into();
        return match dial::flow_uri(&settings.media_server_uri, flow) {
            Ok(uri) => connect(ctx, record, Target::Uri { uri }, &call).await,
            Err(_) => {
                tracing::warn!(
                    flow,
                    "inbound call: the contact flow id cannot be a SIP URI parameter"
                );
                refuse(ctx, record, NO_ANSWER, vec![queue::refused_end("ivr")]).await
            }
        };
    }
    let Some(first_group) = number.skill_group_ids.first() else {
        record.route_point = flow.to_string();
        if !flow.is_empty() {
            record.route_kind = ROUTE_CONTACT_FLOW.into();
        }
        tracing::info!(number = %number.number, flow, "inbound call refused: no media server for its flow, or nothing bound");
        return refuse(ctx, record, NO_ANSWER, vec![queue::refused_end("ivr")]).await;
    };
    record.route_point = first_group.clone();
    record.skill_group_id = Some(first_group.clone());
    record.route_kind = ROUTE_SKILL_GROUP.into();
    for group in &number.skill_group_ids {
        let args = agents::reserve::Args {
            instance_id: number.instance_id.clone(),
            job_id: record.contact_id.clone(),
            user: String::new(),
            skill_group: group.clone(),
        };
        let Some(agent) = agents::reserve(ctx, &args).await? else {
            tracing::warn!("inbound call refused: the agents plugin is not enabled");
            break;
        };
        if !agent.reserved {
            continue;
        }
        record.route_point = group.clone();
        record.agent_user_id = Some(agent.user_id.clone());
        record.agent_login_name = Some(agent.login_name);
        record.agent_display_name = Some(agent.display_name);
        record.agent_extension = Some(agent.extension.clone());
        record.skill_group_id = Some(agent.skill_group_id)
            .filter(|g| !g.is_empty())
            .or(Some(group.clone()));
        let to = Target::Agent {
            user_id: agent.user_id,
            extension: agent.extension,
        };
        return connect(ctx, record, to, &call).await;
    }
    let entries = vec![
        queue::enter_queue(),
        queue::overflow(),
        queue::refused_end("queue"),
    ];
    refuse(ctx, record, queue::QUEUE_OVERFLOW, entries).await
}

/// Writes `record` (`LIVE`) and answers: connect the caller to `to`. When the record cannot be
/// written, its reserved agent is released and the error returned.
async fn connect(
    ctx: &Ctx<'_>,
    record: cdr::Model,
    to: Target,
    call: &InboundCall,
) -> ApiResult<InboundRoute> {
    let (id, instance, agent) = (
        record.contact_id.clone(),
        record.instance_id.clone(),
        record.agent_user_id.clone(),
    );
    if let Err(e) = records::insert(&ctx.db, record).await {
        if let Some(user) = agent {
            dial::release_agent(ctx, &instance, &user, &id).await;
        }
        return Err(e.into());
    }
    let settings = &ctx.state().settings;
    Ok(InboundRoute {
        connect: true,
        call_id: id,
        instance_id: instance,
        to: Some(Leg {
            target: to,
            caller_id: call.caller.clone(),
        }),
        ring_timeout_seconds: settings.ring_timeout_seconds,
        max_duration_seconds: settings.max_duration_seconds,
        sip_code: 0,
        reason: String::new(),
    })
}

/// Writes `record` ended at once (released by the system with `480-Temporarily Unavailable`,
/// `disposition`) with `entries`, and answers: refuse with 480.
async fn refuse(
    ctx: &Ctx<'_>,
    mut record: cdr::Model,
    disposition: &str,
    entries: Vec<Entry>,
) -> ApiResult<InboundRoute> {
    record.status = ENDED.into();
    record.release_ms = record.start_ms;
    record.release_initiator = "system".into();
    record.release_reason = release_reason(UNAVAILABLE.0, UNAVAILABLE.1);
    record.disposition = disposition.to_string();
    let (id, instance) = (record.contact_id.clone(), record.instance_id.clone());
    refused::insert(&ctx.db, record, &entries).await?;
    Ok(refusal(UNAVAILABLE, id, instance))
}

/// The refusal `(code, reason)` of call `call_id` (empty when not recorded).
fn refusal((code, reason): (u16, &str), call_id: String, instance_id: String) -> InboundRoute {
    InboundRoute {
        connect: false,
        call_id,
        instance_id,
        to: None,
        ring_timeout_seconds: 0,
        max_duration_seconds: 0,
        sip_code: code,
        reason: reason.to_string(),
    }
}
