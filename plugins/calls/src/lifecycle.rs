//! What one engine event changes in a call's record and event log: pure, no I/O
//! ([`crate::recorder`] stores the result in one transaction).
//!
//! Event-log names are seed 004 §11.14's (`Event`: Dial, Ring, Talk, GiveUp, End, Handle,
//! SetUpMeeting, EnterIVR; `Status` as its examples: Dialing, Handling; `DetailData.EventType`:
//! ivr, queue, agent), dispositions seed 004 §11 ListCallDetailRecords' ContactDisposition
//! (Success, NoAnswer), release reasons §11.14's `<code>-<reason>` (`487-Request Terminated`).
//!
//! | engine event | record | event log |
//! |---|---|---|
//! | Inviting(first) | – | Dial / Dialing |
//! | Inviting(second) | `second_invite_ms` | Dial / Dialing (EnterIVR for a contact flow) |
//! | Ringing(leg) | `first_ring_ms` / `second_ring_ms` | Ring / Ringing |
//! | Answered(leg) | `first_answer_ms` / `second_answer_ms` | Talk / Talking; agent leg `answered` |
//! | Failed(leg) | – | GiveUp / Released |
//! | Bridged | `bridged_ms` | SetUpMeeting / Talking (the B2BUA's "meeting", seed §7.2) |
//! | Released(by) | `release_ms`, initiator, reason | End / Handling, `HangUper` = bye<party> |
//! | Ended | ENDED, disposition | Handle (agent calls); agent leg `released` or `missed` |

use ccgate_plugin_sdk::telephony::{CallEvent, CallEventKind, LegId, Party};

use crate::storage::{ENDED, cdr};

/// Seed 004 §11 ContactDisposition of a call whose legs were bridged.
pub const SUCCESS: &str = "Success";
/// Seed 004 §11 ContactDisposition of a call whose legs never were.
pub const NO_ANSWER: &str = "NoAnswer";
/// `call_type` of StartBack2BackCall (seed 004 §11 ContactType `Back2Back`).
pub const BACK2BACK: &str = "Back2Back";
/// `call_type` of DialEx (seed 004 §11 ContactType `Outbound`).
pub const OUTBOUND: &str = "Outbound";

/// An event-log entry to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// §11.14 `Event`.
    pub event: &'static str,
    /// §11.14 `Status`.
    pub status: &'static str,
    /// §11.14 `DetailData.EventType`.
    pub event_type: &'static str,
    /// §11.14 `DetailData.HangUper` (End only).
    pub hang_uper: String,
}

/// What [`apply`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The record after the event.
    pub cdr: cdr::Model,
    /// Entries to append, in order.
    pub entries: Vec<Entry>,
    /// The agent-leg event to publish (`answered`, `missed`, `released`), if any.
    pub agent_leg: Option<&'static str>,
}

/// Who the second leg calls.
fn second_party(c: &cdr::Model) -> &'static str {
    match (c.call_type.as_str(), c.agent_user_id.is_some()) {
        (BACK2BACK, _) => "callee",
        (_, true) => "agent",
        _ => "ivr",
    }
}

/// The name of the party `by` (`ReleaseAgent` of §11.14 and `calls.cdrs`' ReleaseInitiator).
pub fn party_name(c: &cdr::Model, by: Party) -> &'static str {
    match by {
        Party::System => "system",
        Party::First if c.call_type == BACK2BACK => "caller",
        Party::First => "customer",
        Party::Second => second_party(c),
    }
}

/// `<code>-<reason>` (§11.14 ReleaseReason).
pub fn release_reason(sip_code: u16, reason: &str) -> String {
    let mut s = format!("{sip_code}-{reason}");
    s.truncate(128);
    s
}

fn entry(event: &'static str, status: &'static str, event_type: &'static str) -> Entry {
    Entry {
        event,
        status,
        event_type,
        hang_uper: String::new(),
    }
}

/// Applies `ev` to `current` (the caller has checked `ev.seq > current.last_seq`).
pub fn apply(current: &cdr::Model, ev: &CallEvent) -> Step {
    let mut c = current.clone();
    c.last_seq = i32::try_from(ev.seq).unwrap_or(i32::MAX);
    let has_agent = c.agent_user_id.is_some();
    let second_type = if second_party(&c) == "ivr" {
        "ivr"
    } else {
        "agent"
    };
    let leg_type = |leg: LegId| match leg {
        LegId::First => "agent",
        LegId::Second => second_type,
    };
    let mut entries = Vec::new();
    let mut agent_leg = None;
    let set = |slot: &mut i64| {
        if *slot == 0 {
            *slot = ev.at_ms;
        }
    };
    match &ev.kind {
        CallEventKind::Inviting { leg, .. } => {
            if *leg == LegId::Second {
                set(&mut c.second_invite_ms);
            }
            entries.push(if leg_type(*leg) == "ivr" {
                entry("EnterIVR", "", "ivr")
            } else {
                entry("Dial", "Dialing", "agent")
            });
        }
        CallEventKind::Ringing { leg } => {
            match leg {
                LegId::First => set(&mut c.first_ring_ms),
                LegId::Second => set(&mut c.second_ring_ms),
            }
            entries.push(entry("Ring", "Ringing", leg_type(*leg)));
        }
        CallEventKind::Answered { leg } => {
            match leg {
                LegId::First => set(&mut c.first_answer_ms),
                LegId::Second => {
                    set(&mut c.second_answer_ms);
                    if has_agent {
                        agent_leg = Some("answered");
                    }
                }
            }
            entries.push(entry("Talk", "Talking", leg_type(*leg)));
        }
        CallEventKind::Failed { leg, .. } => {
            entries.push(entry("GiveUp", "Released", leg_type(*leg)));
        }
        CallEventKind::Bridged => {
            set(&mut c.bridged_ms);
            entries.push(entry("SetUpMeeting", "Talking", "agent"));
        }
        CallEventKind::Released {
            by,
            sip_code,
            reason,
        } => {
            set(&mut c.release_ms);
            let who = party_name(&c, *by);
            c.release_initiator = who.to_string();
            c.release_reason = release_reason(*sip_code, reason);
            let mut e = entry("End", "Handling", "agent");
            let mut cap = who.chars();
            e.hang_uper = format!(
                "bye{}{}",
                cap.next()
                    .map(|f| f.to_ascii_uppercase())
                    .unwrap_or_default(),
                cap.as_str()
            );
            entries.push(e);
        }
        CallEventKind::Ended => {
            set(&mut c.release_ms);
            if c.release_initiator.is_empty() {
                c.release_initiator = "system".into();
            }
            if c.status != ENDED {
                c.status = ENDED.into();
                c.disposition = if c.bridged_ms > 0 { SUCCESS } else { NO_ANSWER }.into();
                if has_agent {
                    entries.push(entry("Handle", "", "agent"));
                    agent_leg = Some(if c.second_answer_ms > 0 {
                        "released"
                    } else {
                        "missed"
                    });
                }
            }
        }
    }
    Step {
        cdr: c,
        entries,
        agent_leg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::LIVE;

    fn ev(seq: u32, kind: CallEventKind) -> CallEvent {
        CallEvent {
            call_id: "c".into(),
            instance_id: "i".into(),
            seq,
            at_ms: 1000 * i64::from(seq),
            kind,
        }
    }

    fn run(
        mut c: cdr::Model,
        events: Vec<CallEventKind>,
    ) -> (cdr::Model, Vec<Entry>, Vec<&'static str>) {
        let mut entries = Vec::new();
        let mut legs = Vec::new();
        for (i, k) in events.into_iter().enumerate() {
            let step = apply(&c, &ev(i as u32 + 1, k));
            c = step.cdr;
            entries.extend(step.entries);
            legs.extend(step.agent_leg);
        }
        (c, entries, legs)
    }

    fn live(call_type: &str, agent: bool) -> cdr::Model {
        cdr::Model {
            contact_id: "c".into(),
            call_type: call_type.into(),
            status: LIVE.into(),
            agent_user_id: agent.then(|| "u1".to_string()),
            ..Default::default()
        }
    }

    #[test]
    fn a_bridged_agent_call_is_a_success_released_by_the_customer() {
        use CallEventKind::*;
        let (c, entries, legs) = run(
            live(OUTBOUND, true),
            vec![
                Inviting {
                    leg: LegId::First,
                    uri: "sip:1@t".into(),
                },
                Ringing { leg: LegId::First },
                Answered { leg: LegId::First },
                Inviting {
                    leg: LegId::Second,
                    uri: "sip:8001@pbx".into(),
                },
                Ringing { leg: LegId::Second },
                Answered { leg: LegId::Second },
                Bridged,
                Released {
                    by: Party::First,
                    sip_code: 200,
                    reason: "Normal call clearing".into(),
                },
                Ended,
            ],
        );
        assert_eq!(c.status, ENDED);
        assert_eq!(c.disposition, SUCCESS);
        assert_eq!(
            (c.first_ring_ms, c.first_answer_ms, c.second_invite_ms),
            (2000, 3000, 4000)
        );
        assert_eq!(
            (c.second_answer_ms, c.bridged_ms, c.release_ms),
            (6000, 7000, 8000)
        );
        assert_eq!(c.release_initiator, "customer");
        assert_eq!(c.release_reason, "200-Normal call clearing");
        assert_eq!(c.last_seq, 9);
        let names: Vec<&str> = entries.iter().map(|e| e.event).collect();
        assert_eq!(
            names,
            [
                "Dial",
                "Ring",
                "Talk",
                "Dial",
                "Ring",
                "Talk",
                "SetUpMeeting",
                "End",
                "Handle"
            ]
        );
        assert_eq!(entries[7].hang_uper, "byeCustomer");
        assert_eq!(legs, ["answered", "released"]);
    }

    #[test]
    fn a_busy_callee_is_no_answer_and_an_unanswered_agent_is_missed() {
        use CallEventKind::*;
        let (c, entries, legs) = run(
            live(BACK2BACK, false),
            vec![
                Inviting {
                    leg: LegId::First,
                    uri: "u".into(),
                },
                Answered { leg: LegId::First },
                Inviting {
                    leg: LegId::Second,
                    uri: "u".into(),
                },
                Failed {
                    leg: LegId::Second,
                    sip_code: 486,
                    reason: "Busy Here".into(),
                },
                Released {
                    by: Party::Second,
                    sip_code: 486,
                    reason: "Busy Here".into(),
                },
                Ended,
            ],
        );
        assert_eq!(
            (c.disposition.as_str(), c.release_initiator.as_str()),
            (NO_ANSWER, "callee")
        );
        assert_eq!(c.release_reason, "486-Busy Here");
        assert_eq!(entries.last().unwrap().hang_uper, "byeCallee");
        assert!(legs.is_empty());

        let (c, _, legs) = run(
            live(OUTBOUND, true),
            vec![
                Inviting {
                    leg: LegId::First,
                    uri: "u".into(),
                },
                Ringing { leg: LegId::First },
                Failed {
                    leg: LegId::First,
                    sip_code: 487,
                    reason: "No answer".into(),
                },
                Released {
                    by: Party::System,
                    sip_code: 480,
                    reason: "No answer".into(),
                },
                Ended,
            ],
        );
        assert_eq!(
            (c.disposition.as_str(), c.release_initiator.as_str()),
            (NO_ANSWER, "system")
        );
        assert_eq!(legs, ["missed"]);
    }

    #[test]
    fn a_contact_flow_leg_enters_the_ivr() {
        let mut c = live(OUTBOUND, false);
        c.route_point = "flow-1".into();
        let step = apply(
            &c,
            &ev(
                4,
                CallEventKind::Inviting {
                    leg: LegId::Second,
                    uri: "sip:ivr@ms".into(),
                },
            ),
        );
        assert_eq!(step.entries[0].event, "EnterIVR");
        assert_eq!(step.entries[0].event_type, "ivr");
        let step = apply(
            &c,
            &ev(
                9,
                CallEventKind::Released {
                    by: Party::Second,
                    sip_code: 200,
                    reason: "x".into(),
                },
            ),
        );
        assert_eq!(step.entries[0].hang_uper, "byeIvr");
    }
}
