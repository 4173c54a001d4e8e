//! Response shapes built from loaded rows (no I/O).

use crate::api::list_call_event_detail_by_contact_id::{CallEventDetail, Data, DetailData, Events};
use crate::api::queries::cdrs;
use crate::lifecycle::PRIVACY_DIAL;
use crate::storage::{cdr, event_log, number_mask};

/// Seed 004 §11.14 `Data` of one call: `CallType`/`CallMode` are the record's call type
/// (`Back2Back`, `Outbound`, `PrivacyDial`), times epoch ms as strings, `Duration` whole
/// seconds (rounded down) the entry's state lasted, `ReleaseAgent` who released (caller,
/// callee, customer, agent, ivr, system; empty while live). No privacy number, numbers shown
/// as stored: [`call_detail_shown`] with [`Shown::default`].
pub fn call_detail(c: &cdr::Model, log: &[event_log::Model]) -> Data {
    call_detail_shown(c, log, &Shown::default())
}

/// What a call's record is shown with besides its own columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shown {
    /// The Encrypt tokens the call was dialled with (`calls_number_mask`), if any: a non-empty
    /// token is shown in place of the number.
    pub mask: Option<number_mask::Model>,
    /// The virtual number of a virtual-number call linked to this contact
    /// (ModifyPrivacyNumberCallDetail), if any.
    pub linked_privacy_number: Option<String>,
}

/// As [`call_detail`], with `Caller`/`Callee` the tokens of `shown.mask` where the call was
/// dialled with tokens, and `PrivacyNumber` the virtual number: a `PrivacyDial` call's own
/// (TelX, its `call_center_number`), else the one linked to the contact, else empty.
pub fn call_detail_shown(c: &cdr::Model, log: &[event_log::Model], shown: &Shown) -> Data {
    let pick = |token: Option<&String>, number: &String| {
        token
            .filter(|t| !t.is_empty())
            .unwrap_or(number)
            .to_string()
    };
    let mask = shown.mask.as_ref();
    let privacy_number = if c.call_type == PRIVACY_DIAL {
        c.call_center_number.clone()
    } else {
        shown.linked_privacy_number.clone().unwrap_or_default()
    };
    Data {
        call_type: c.call_type.clone(),
        callee: pick(mask.map(|m| &m.callee), &c.callee),
        caller: pick(mask.map(|m| &m.caller), &c.caller),
        events: Events {
            call_event_detail: log
                .iter()
                .map(|e| CallEventDetail {
                    agent_name: e.agent_name.clone(),
                    call_mode: c.call_type.clone(),
                    detail_data: DetailData {
                        event_type: e.event_type.clone(),
                        hang_uper: e.hang_uper.clone(),
                        helper: String::new(),
                        satisfactional_research: String::new(),
                        skill_group: e.skill_group.clone(),
                    },
                    duration: e.duration_ms / 1000,
                    event: e.event.clone(),
                    status: e.status.clone(),
                    time_stamp: e.at_ms.to_string(),
                })
                .collect(),
        },
        privacy_number,
        release_agent: c.release_initiator.clone(),
        release_reason: c.release_reason.clone(),
        start_time: c.start_ms.to_string(),
    }
}

/// One record of the `calls.cdrs` query (`AnswerMs` is the first leg's answer).
pub fn cdr_record(c: cdr::Model) -> cdrs::Records {
    cdrs::Records {
        contact_id: c.contact_id,
        instance_id: c.instance_id,
        call_type: c.call_type,
        caller: c.caller,
        callee: c.callee,
        call_center_number: c.call_center_number,
        agent_user_id: c.agent_user_id.unwrap_or_default(),
        agent_login_name: c.agent_login_name.unwrap_or_default(),
        skill_group_id: c.skill_group_id.unwrap_or_default(),
        status: c.status,
        start_ms: c.start_ms,
        answer_ms: c.first_answer_ms,
        bridged_ms: c.bridged_ms,
        release_ms: c.release_ms,
        release_initiator: c.release_initiator,
        release_reason: c.release_reason,
        disposition: c.disposition,
    }
}

/// The `calls.cdrs` cursor after record `c`: `<start_ms>/<contact_id>`.
pub fn cursor(c: &cdrs::Records) -> String {
    format!("{}/{}", c.start_ms, c.contact_id)
}

/// Reads a cursor of [`cursor`]; `None` for an empty or malformed one (the first page).
pub fn parse_cursor(s: &str) -> Option<(i64, String)> {
    let (ms, id) = s.split_once('/')?;
    Some((ms.parse().ok()?, id.to_string()))
}
