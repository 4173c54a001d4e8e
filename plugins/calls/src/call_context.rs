//! The 2020 agent-desk `Data` (CallContext, ChannelContexts, UserContext, ContextId) of a call,
//! from its record: pure, no I/O.
//!
//! [`data`] builds the union of the fields the SDK's models of MakeCall, ReleaseCall, HoldCall,
//! RetrieveCall, BlindTransfer and AnswerCall have (their `Data` differ by a few fields:
//! `ChannelVariables`, `SkillGroupId`, `Index`, `Heartbeat`…); [`typed`] reads it into the
//! action's generated `Data`, which keeps exactly that action's fields (serde ignores the
//! others), so every reply has its model's shape.
//!
//! Channels: one per leg, the first leg first, `ChannelId` `<JobId>-1` / `<JobId>-2`.
//! `ChannelState` (ccgate's values; the SDK documents none): `CREATED` (no ring yet), `RINGING`,
//! `ANSWERED`, `RELEASED` (the call ended). `CallType` per Alibaba's MakeCall reference:
//! `OUTBOUND` (MakeCall, DialEx), `BACK2BACK` (StartBack2BackCall), otherwise the record's type
//! in capitals (`INBOUND` for a call from a trunk, whose channels' `Originator` is the caller).
//! `UserContext` is the call's agent's as the call implies it (`UserState`
//! RINGING / TALKING / WORKING / READY); all empty for a call without agent.

use ccgate_plugin_sdk::serde_json::{Value, json};
use ccgate_plugin_sdk::telephony::LegId;
use ccgate_plugin_sdk::{ApiError, ApiResult};
use serde::de::DeserializeOwned;

use crate::lifecycle::{self, BACK2BACK, INBOUND, OUTBOUND, PRIVACY_DIAL};
use crate::storage::{ENDED, cdr};

/// The channel id of `leg` of call `contact_id`.
pub fn channel_id(contact_id: &str, leg: LegId) -> String {
    match leg {
        LegId::First => format!("{contact_id}-1"),
        LegId::Second => format!("{contact_id}-2"),
    }
}

/// The leg `channel` names in call `c`; `None` for another value.
pub fn leg_of(c: &cdr::Model, channel: &str) -> Option<LegId> {
    [LegId::First, LegId::Second]
        .into_iter()
        .find(|l| channel_id(&c.contact_id, *l) == channel)
}

/// The 2020 `CallType` of a record's call type.
pub fn call_type(c: &cdr::Model) -> String {
    match c.call_type.as_str() {
        OUTBOUND => "OUTBOUND".into(),
        BACK2BACK => "BACK2BACK".into(),
        other => other.to_ascii_uppercase(),
    }
}

/// The agent's `UserId` as 2020 answers it, `<login>@<instance>`; empty without agent.
fn agent_v2020(c: &cdr::Model) -> String {
    c.agent_login_name
        .as_deref()
        .map(|l| format!("{l}@{}", c.instance_id))
        .unwrap_or_default()
}

/// One channel of the call.
fn channel(c: &cdr::Model, leg: LegId, index: usize, call_type: &str) -> Value {
    let is_agent = c.agent_user_id.is_some() && lifecycle::agent_leg(c) == leg;
    let customer = lifecycle::customer_leg(c) == leg;
    let (ring, answer) = match leg {
        LegId::First => (c.first_ring_ms, c.first_answer_ms),
        LegId::Second => (c.second_ring_ms, c.second_answer_ms),
    };
    let (state, at) = if c.status == ENDED {
        ("RELEASED", c.release_ms)
    } else if answer > 0 {
        ("ANSWERED", answer)
    } else if ring > 0 {
        ("RINGING", ring)
    } else {
        ("CREATED", c.start_ms)
    };
    let two_numbers = matches!(c.call_type.as_str(), BACK2BACK | PRIVACY_DIAL);
    let destination = if is_agent {
        c.agent_extension.clone().unwrap_or_default()
    } else if two_numbers {
        match leg {
            LegId::First => c.caller.clone(),
            LegId::Second => c.callee.clone(),
        }
    } else if customer {
        c.callee.clone()
    } else {
        c.route_point.clone()
    };
    // An inbound call comes from the caller on both channels.
    let originator = if c.call_type == INBOUND {
        c.caller.clone()
    } else if customer || two_numbers {
        c.call_center_number.clone()
    } else {
        c.callee.clone()
    };
    let ended = c.status == ENDED;
    json!({
        "CallType": call_type,
        "ChannelFlags": "",
        "ChannelId": channel_id(&c.contact_id, leg),
        "ChannelState": state,
        "ChannelVariables": "",
        "Destination": destination,
        "Index": index,
        "JobId": c.contact_id,
        "MediaType": "AUDIO",
        "Originator": originator,
        "ReleaseInitiator": if ended { c.release_initiator.as_str() } else { "" },
        "ReleaseReason": if ended { c.release_reason.as_str() } else { "" },
        "SkillGroupId": if is_agent { c.skill_group_id.clone().unwrap_or_default() } else { String::new() },
        "Timestamp": at,
        "UserExtension": if is_agent { c.agent_extension.clone().unwrap_or_default() } else { String::new() },
        "UserId": if is_agent { agent_v2020(c) } else { String::new() },
    })
}

/// The agent's state as the call implies it.
fn user_state(c: &cdr::Model) -> &'static str {
    match (c.status == ENDED, lifecycle::agent_answered(c)) {
        (false, false) => "RINGING",
        (false, true) => "TALKING",
        (true, true) => "WORKING",
        (true, false) => "READY",
    }
}

/// The union `Data` of call `c` (module docs): `device_id` is the request's DeviceId,
/// `now_ms` the request's time (UserContext.Heartbeat).
pub fn data(c: &cdr::Model, device_id: &str, now_ms: i64) -> Value {
    let ct = call_type(c);
    let user = if c.agent_user_id.is_some() {
        json!({
            "BreakCode": "",
            "DeviceId": device_id,
            "Extension": c.agent_extension.clone().unwrap_or_default(),
            "Heartbeat": now_ms,
            "InstanceId": c.instance_id,
            "JobId": c.contact_id,
            "Mobile": "",
            "OutboundScenario": false,
            "Reserved": c.start_ms,
            "SignedSkillGroupIdList": [],
            "UserId": agent_v2020(c),
            "UserState": user_state(c),
            "WorkMode": "ON_SITE",
        })
    } else {
        json!({
            "BreakCode": "", "DeviceId": "", "Extension": "", "Heartbeat": 0, "InstanceId": "",
            "JobId": "", "Mobile": "", "OutboundScenario": false, "Reserved": 0,
            "SignedSkillGroupIdList": [], "UserId": "", "UserState": "", "WorkMode": "",
        })
    };
    json!({
        "CallContext": {
            "CallType": ct,
            "CallVariables": "",
            "ChannelContexts": [
                channel(c, LegId::First, 0, &ct),
                channel(c, LegId::Second, 1, &ct),
            ],
            "InstanceId": c.instance_id,
            "JobId": c.contact_id,
        },
        "ContextId": c.last_seq,
        "UserContext": user,
    })
}

/// `v` as the action's generated type (unknown fields dropped).
///
/// Errors: 500 when `v` does not fit (a bug).
pub fn typed<T: DeserializeOwned>(v: Value) -> ApiResult<T> {
    ccgate_plugin_sdk::serde_json::from_value(v).map_err(|e| {
        tracing::error!(error = %e, "call context does not fit the reply");
        ApiError::internal()
    })
}
