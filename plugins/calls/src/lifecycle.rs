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
//! | Ended | ENDED, disposition | Handle (agent calls); agent leg `released` or `missed`; the recorder publishes `calls.call_ended` |
//! | Offered(first) | – (`start_ms` is the INVITE's arrival, set by `route_inbound`) | see below |
//!
//! A blind transfer completes when the new party answers: the new agent (if any) replaces the
//! record's agent and skill group, the old agent is kept as `transferred_by_user_id`.
//!
//! Inbound calls (`call_type` `Inbound`, the customer is the first leg and calls in) add the
//! queue stage and their own dispositions: [`crate::queue`] has their table. Events of a record
//! already `ENDED` (a refused inbound call, a call ended at start-up) change nothing but
//! `last_seq`.

use ccgate_plugin_sdk::telephony::{CallEvent, CallEventKind, LegId, Party};

use crate::queue;
use crate::storage::{ENDED, cdr};

/// Seed 004 §11 ContactDisposition of a call whose legs were bridged.
pub const SUCCESS: &str = "Success";
/// Seed 004 §11 ContactDisposition of a call whose legs never were.
pub const NO_ANSWER: &str = "NoAnswer";
/// `call_type` of StartBack2BackCall (seed 004 §11 ContactType `Back2Back`).
pub const BACK2BACK: &str = "Back2Back";
/// `call_type` of DialEx (seed 004 §11 ContactType `Outbound`).
pub const OUTBOUND: &str = "Outbound";
/// `call_type` of CallOnlinePrivacyNumber (seed 004 §11 ListCallDetailRecords ContactType
/// `PrivacyDial`, 虚拟号码外呼): like `Back2Back`, a caller (TelA) and a callee (TelB).
pub const PRIVACY_DIAL: &str = "PrivacyDial";
/// `call_type` of a call from a trunk to an instance number (`route_inbound`; seed 004 §11
/// ListCallDetailRecords ContactType `Inbound`, 呼入).
pub const INBOUND: &str = "Inbound";

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
    /// The agent-leg events to publish, in order: (agent `UserId`, `answered` | `missed` |
    /// `released`). A completed blind transfer gives two: the old agent `released`, the new one
    /// `answered`.
    pub agent_legs: Vec<(String, &'static str)>,
}

/// The leg the agent is on: the first for MakeCall (`agent_first`), else the second.
pub fn agent_leg(c: &cdr::Model) -> LegId {
    if c.agent_first {
        LegId::First
    } else {
        LegId::Second
    }
}

/// The customer's leg, which a blind transfer keeps: the second for MakeCall,
/// StartBack2BackCall and privacy calls (the first leg is the agent or the agent's phone), the
/// first for DialEx.
pub fn customer_leg(c: &cdr::Model) -> LegId {
    if c.agent_first || matches!(c.call_type.as_str(), BACK2BACK | PRIVACY_DIAL) {
        LegId::Second
    } else {
        LegId::First
    }
}

/// Whether the agent's leg answered.
pub fn agent_answered(c: &cdr::Model) -> bool {
    match agent_leg(c) {
        LegId::First => c.first_answer_ms > 0,
        LegId::Second => c.second_answer_ms > 0,
    }
}

/// Ends a pending blind transfer: the agent reserved for it, if any, is `missed`.
fn drop_transfer(c: &mut cdr::Model, legs: &mut Vec<(String, &'static str)>) {
    if let Some(user) = c.transfer_user_id.take() {
        legs.push((user, "missed"));
    }
    c.transfer_target.clear();
    c.transfer_login_name = None;
    c.transfer_extension = None;
    c.transfer_skill_group_id = None;
}

/// Completes a pending blind transfer: the old agent is `released` (and kept as
/// `transferred_by_user_id`), the new one (if the transferee was an agent) takes the record's
/// agent fields and is `answered`.
fn complete_transfer(c: &mut cdr::Model, legs: &mut Vec<(String, &'static str)>) {
    if let Some(old) = c.agent_user_id.take() {
        c.transferred_by_user_id.clone_from(&old);
        legs.push((old, "released"));
    }
    c.agent_login_name = c.transfer_login_name.take();
    c.agent_display_name = None;
    c.agent_extension = c.transfer_extension.take();
    c.skill_group_id = c.transfer_skill_group_id.take();
    c.agent_user_id = c.transfer_user_id.take();
    if let Some(new) = &c.agent_user_id {
        legs.push((new.clone(), "answered"));
    }
    c.transfer_target.clear();
}

/// Who the second leg calls.
fn second_party(c: &cdr::Model) -> &'static str {
    match (c.call_type.as_str(), c.agent_user_id.is_some()) {
        (BACK2BACK | PRIVACY_DIAL, _) => "callee",
        _ if c.agent_first => "customer",
        (_, true) => "agent",
        _ => "ivr",
    }
}

/// The name of the party `by` (`ReleaseAgent` of §11.14 and `calls.cdrs`' ReleaseInitiator).
pub fn party_name(c: &cdr::Model, by: Party) -> &'static str {
    match by {
        Party::System => "system",
        Party::First if matches!(c.call_type.as_str(), BACK2BACK | PRIVACY_DIAL) => "caller",
        Party::First if c.agent_first => "agent",
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
    if current.status == ENDED {
        return Step {
            cdr: c,
            entries: Vec::new(),
            agent_legs: Vec::new(),
        };
    }
    let has_agent = c.agent_user_id.is_some();
    let inbound = c.call_type == INBOUND;
    // An inbound call to a skill group: its second leg is the agent the queue offers it to.
    let queued = inbound && has_agent;
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
    let mut agent_legs = Vec::new();
    let transferring = !c.transfer_target.is_empty();
    let replaced = match customer_leg(&c) {
        LegId::First => LegId::Second,
        LegId::Second => LegId::First,
    };
    let set = |slot: &mut i64| {
        if *slot == 0 {
            *slot = ev.at_ms;
        }
    };
    match &ev.kind {
        CallEventKind::Offered { .. } => {
            if queued {
                entries.push(queue::enter_queue());
            }
        }
        CallEventKind::Inviting { leg, .. } => {
            if *leg == LegId::Second {
                set(&mut c.second_invite_ms);
            }
            // The queue offers an inbound call to the agent, nobody dials: its Ring follows.
            if !(queued && *leg == LegId::Second && !transferring) {
                entries.push(if leg_type(*leg) == "ivr" {
                    entry("EnterIVR", "", "ivr")
                } else {
                    entry("Dial", "Dialing", "agent")
                });
            }
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
                LegId::Second => set(&mut c.second_answer_ms),
            }
            if transferring && *leg == replaced {
                complete_transfer(&mut c, &mut agent_legs);
            } else if has_agent && *leg == agent_leg(&c) {
                agent_legs.push((c.agent_user_id.clone().unwrap_or_default(), "answered"));
                if queued {
                    entries.push(queue::normal_end());
                }
            }
            // ccgate answering an inbound caller is no party's event: the agent's Talk is.
            if !(inbound && *leg == LegId::First) {
                entries.push(entry("Talk", "Talking", leg_type(*leg)));
            }
        }
        CallEventKind::Failed { leg, .. } => {
            let dropped = transferring && *leg == replaced;
            if dropped {
                drop_transfer(&mut c, &mut agent_legs);
            }
            entries.push(entry("GiveUp", "Released", leg_type(*leg)));
            if queued && !dropped && *leg == LegId::Second && c.second_answer_ms == 0 {
                entries.push(queue::abandoned_ring());
            }
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
        // Hold and blind transfer (2020 HoldCall, RetrieveCall, BlindTransfer).
        CallEventKind::Held { leg, held } => {
            entries.push(if *held {
                entry("Hold", "Holding", leg_type(*leg))
            } else {
                entry("Retrieve", "Talking", leg_type(*leg))
            });
        }
        CallEventKind::Transferring { .. } => {
            entries.push(entry("LaunchTransfer", "Transferring", "agent"));
        }
        CallEventKind::Ended => {
            if !c.transfer_target.is_empty() {
                drop_transfer(&mut c, &mut agent_legs);
            }
            set(&mut c.release_ms);
            if c.release_initiator.is_empty() {
                c.release_initiator = "system".into();
            }
            if c.status != ENDED {
                c.status = ENDED.into();
                c.disposition = if inbound {
                    queue::disposition(&c)
                } else if c.bridged_ms > 0 {
                    SUCCESS
                } else {
                    NO_ANSWER
                }
                .into();
                if let Some(user) = c.agent_user_id.clone() {
                    entries.push(entry("Handle", "", "agent"));
                    let what = if agent_answered(&c) {
                        "released"
                    } else {
                        "missed"
                    };
                    agent_legs.push((user, what));
                }
            }
        }
    }
    Step {
        cdr: c,
        entries,
        agent_legs,
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
            legs.extend(step.agent_legs.into_iter().map(|(_, what)| what));
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
