//! What the reports are computed from: the events of the calls and agents plugins (copies of
//! their JSON forms, as a subscriber keeps them) and the figures derived from one call.
//!
//! The definitions here are the ones docs/metrics.md states; [`CallFigures::of`] is the only
//! place a call's durations are derived.

use ccgate_plugin_sdk::events::DomainEvent;
use serde::{Deserialize, Serialize};

/// The calls plugin's `calls.call_ended` (its `events::CallEnded`; same JSON form): one ended
/// call detail record. Times are UTC epoch ms, 0 when the step did not happen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallEnded {
    /// The contact id.
    pub contact_id: String,
    /// The instance.
    pub instance_id: String,
    /// `Back2Back`, `Outbound`, `PrivacyDial` or `Inbound` (seed 004 §11 ContactType names).
    pub call_type: String,
    /// The calling number.
    pub caller: String,
    /// The called number.
    pub callee: String,
    /// The instance number shown or called.
    pub call_center_number: String,
    /// Where the call was routed (skill group, contact flow, agent).
    pub route_point: String,
    /// `SkillGroup`, `ContactFlow` or empty.
    pub route_kind: String,
    /// The agent's UserId, empty when none.
    pub agent_user_id: String,
    /// The agent's login name.
    pub agent_login_name: String,
    /// The agent's display name.
    pub agent_display_name: String,
    /// The skill group the agent came through.
    pub skill_group_id: String,
    /// When the call began.
    pub start_ms: i64,
    /// The first leg's first ring.
    pub first_ring_ms: i64,
    /// The first leg's answer.
    pub first_answer_ms: i64,
    /// The second leg's INVITE.
    pub second_invite_ms: i64,
    /// The second leg's first ring.
    pub second_ring_ms: i64,
    /// The second leg's answer.
    pub second_answer_ms: i64,
    /// Both legs connected (talk began).
    pub bridged_ms: i64,
    /// The release.
    pub release_ms: i64,
    /// Who released.
    pub release_initiator: String,
    /// `<SIP code>-<reason>`.
    pub release_reason: String,
    /// Success, NoAnswer, AbandonedRing, AbandonedInQueue, QueueOverflow...
    pub disposition: String,
    /// The agent is the first leg (MakeCall).
    pub agent_first: bool,
    /// The agent a blind transfer moved the call away from; empty when none.
    pub transferred_by_user_id: String,
}

impl DomainEvent for CallEnded {
    const TOPIC: &'static str = "calls.call_ended";

    fn stream(&self) -> String {
        self.contact_id.clone()
    }
}

/// The agents plugin's `agents.state_changed` (its `state::store::StateChanged`; same JSON
/// form): one agent-state transition, `seq` gap-free per instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StateChanged {
    /// The instance.
    pub instance_id: String,
    /// Per-instance sequence number of the transition.
    pub seq: i64,
    /// The agent (UserId).
    pub user_id: String,
    /// The agent's login name.
    pub login_name: String,
    /// The state entered: OFFLINE, READY, BREAK, RINGING, TALKING, WORKING.
    pub state: String,
    /// The state left.
    pub previous: String,
    /// The break code when BREAK (`Warm-up`: signed in, not yet ready).
    pub break_code: String,
    /// The skill groups signed into after the transition.
    pub skill_group_ids: Vec<String>,
    /// The call involved, if any.
    pub job_id: String,
    /// What caused it.
    pub cause: String,
    /// When, UTC epoch ms.
    pub at_ms: i64,
}

impl DomainEvent for StateChanged {
    const TOPIC: &'static str = "agents.state_changed";

    fn stream(&self) -> String {
        self.instance_id.clone()
    }
}

/// The state names of the agents plugin.
pub mod state {
    /// Signed out.
    pub const OFFLINE: &str = "OFFLINE";
    /// Ready for calls.
    pub const READY: &str = "READY";
    /// On a break (or, with break code [`WARM_UP`], signed in and not yet ready).
    pub const BREAK: &str = "BREAK";
    /// After-call work.
    pub const WORKING: &str = "WORKING";
    /// The break code of "signed in, not yet ready": logged-in time, not break time.
    pub const WARM_UP: &str = "Warm-up";
}

/// The `ContactType` of inbound calls.
pub const INBOUND: &str = "Inbound";
/// A call's `route_kind` when it entered a skill group's queue.
pub const ROUTE_SKILL_GROUP: &str = "SkillGroup";
/// A call's `route_kind` when it went to a contact flow (IVR).
pub const ROUTE_CONTACT_FLOW: &str = "ContactFlow";

/// The durations (ms) and flags one call contributes (docs/metrics.md, "Per call").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallFigures {
    /// `call_type` is Inbound (every other type is outbound).
    pub inbound: bool,
    /// The call entered an IVR (route_kind ContactFlow).
    pub ivr: bool,
    /// Inbound and abandoned in the IVR (disposition AbandonedInContactFlow).
    pub ivr_abandoned: bool,
    /// Inbound and queued in a skill group (route_kind SkillGroup, a skill group recorded, or
    /// disposition QueueOverflow / AbandonedInQueue).
    pub queued: bool,
    /// Disposition AbandonedInQueue.
    pub queue_abandoned: bool,
    /// Disposition QueueOverflow.
    pub overflow: bool,
    /// An agent's phone was rung (the agent leg was invited).
    pub rang: bool,
    /// Ring time of the agent leg: from its INVITE to its answer, or to the release.
    pub ring_ms: i64,
    /// The agent answered (inbound: the call was handled).
    pub handled: bool,
    /// Inbound, handled: from entering (start) to the agent's answer.
    pub wait_ms: i64,
    /// Queued: time in the queue, from start until an agent answered, or the release (the
    /// queue stage of the calls plugin's event log ends at the answer).
    pub queue_wait_ms: i64,
    /// Queued, the agent rang and never answered.
    pub agent_gave_up: bool,
    /// Talk: from bridging to the release; inbound calls only when an agent handled them (a
    /// call bridged to the media server is not agent talk).
    pub talk_ms: i64,
    /// Both parties were connected (outbound: answered).
    pub connected: bool,
    /// Outbound: from start until connected, or the release.
    pub dial_ms: i64,
    /// Metered minutes: connected calls, talk rounded up per call to whole minutes, at least 1.
    pub billed_minutes: i64,
}

fn span(from: i64, to: i64) -> i64 {
    if from > 0 && to > from { to - from } else { 0 }
}

impl CallFigures {
    /// The figures of `c`.
    pub fn of(c: &CallEnded) -> Self {
        let inbound = c.call_type == INBOUND;
        let has_agent = !c.agent_user_id.is_empty();
        let (agent_invite, agent_answer) = if c.agent_first {
            (c.start_ms, c.first_answer_ms)
        } else {
            (c.second_invite_ms, c.second_answer_ms)
        };
        let rang = has_agent && agent_invite > 0;
        let ring_ms = if rang {
            span(
                agent_invite,
                if agent_answer > 0 {
                    agent_answer
                } else {
                    c.release_ms
                },
            )
        } else {
            0
        };
        let connected = c.bridged_ms > 0;
        let handled = has_agent && connected && agent_answer > 0;
        let queued = inbound
            && (c.route_kind == ROUTE_SKILL_GROUP
                || !c.skill_group_id.is_empty()
                || c.disposition == "QueueOverflow"
                || c.disposition == "AbandonedInQueue");
        let talk_ms = if connected && (handled || !inbound) {
            span(c.bridged_ms, c.release_ms)
        } else {
            0
        };
        CallFigures {
            inbound,
            ivr: inbound && c.route_kind == ROUTE_CONTACT_FLOW,
            ivr_abandoned: inbound && c.disposition == "AbandonedInContactFlow",
            queued,
            queue_abandoned: inbound && c.disposition == "AbandonedInQueue",
            overflow: inbound && c.disposition == "QueueOverflow",
            rang,
            ring_ms,
            handled,
            wait_ms: if inbound && handled {
                span(c.start_ms, agent_answer)
            } else {
                0
            },
            queue_wait_ms: if queued {
                span(
                    c.start_ms,
                    if agent_answer > 0 && handled {
                        agent_answer
                    } else {
                        c.release_ms
                    },
                )
            } else {
                0
            },
            agent_gave_up: queued && rang && agent_answer == 0,
            talk_ms,
            connected,
            dial_ms: if inbound {
                0
            } else {
                span(
                    c.start_ms,
                    if connected {
                        c.bridged_ms
                    } else {
                        c.release_ms
                    },
                )
            },
            billed_minutes: if connected {
                ((talk_ms + 59_999) / 60_000).max(1)
            } else {
                0
            },
        }
    }
}
