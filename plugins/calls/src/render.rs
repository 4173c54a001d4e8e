//! Response shapes built from loaded rows (no I/O).

use crate::api::list_call_event_detail_by_contact_id::{Data, DetailData, Events};
use crate::api::queries::cdrs;
use crate::storage::{cdr, event_log};

/// Seed 004 §11.14 `Data` of one call: `CallType`/`CallMode` are the record's call type
/// (`Back2Back`, `Outbound`), times epoch ms as strings, `Duration` whole seconds (rounded
/// down) the entry's state lasted, `ReleaseAgent` who released (caller, callee, customer,
/// agent, ivr, system; empty while live). `PrivacyNumber` is empty (no privacy numbers yet).
pub fn call_detail(c: &cdr::Model, log: &[event_log::Model]) -> Data {
    Data {
        call_type: c.call_type.clone(),
        callee: c.callee.clone(),
        caller: c.caller.clone(),
        events: log
            .iter()
            .map(|e| Events {
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
        privacy_number: String::new(),
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
