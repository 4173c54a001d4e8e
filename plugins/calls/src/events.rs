//! The domain events the calls plugin publishes: [`AgentLeg`] (for the agents plugin) and
//! [`CallEnded`] (for the reports plugin).

use ccgate_plugin_sdk::DomainEvent;
use ccgate_plugin_sdk::events::publish;
use ccgate_plugin_sdk::sea_orm::{DatabaseTransaction, DbErr};
use serde::{Deserialize, Serialize};

use crate::storage::cdr;

/// `CallEnded::route_kind` of a call routed through a skill group.
pub const ROUTE_SKILL_GROUP: &str = "SkillGroup";
/// `CallEnded::route_kind` of a call handed to a contact flow on the media server.
pub const ROUTE_CONTACT_FLOW: &str = "ContactFlow";

/// What happened to a call's agent leg (topic `calls.agent_leg`, stream = the call id), for the
/// agents plugin's `agents.follow-calls`, which moves the agent's state: `answered` → TALKING,
/// `missed` → READY (the agent was reserved, RINGING, and never answered), `released` →
/// WORKING (after-call work). Published in the transaction that records the engine event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentLeg {
    /// The instance.
    pub instance_id: String,
    /// The agent (`UserId`).
    pub user_id: String,
    /// The call (contact id).
    pub call_id: String,
    /// `answered`, `missed` or `released`.
    pub what: String,
}

impl DomainEvent for AgentLeg {
    const TOPIC: &'static str = "calls.agent_leg";

    fn stream(&self) -> String {
        self.call_id.clone()
    }
}

/// A call ended (topic `calls.call_ended`, stream = the contact id): its final call detail
/// record, for the reports plugin. Published exactly once per call, in the transaction that
/// turns its `calls_cdr` record `ENDED`: the recorder (engine event `Ended`), the start-up task
/// `calls.close-interrupted`, a refused inbound call (written `ENDED` at once) and a call the
/// engine refused to start (`records::close_unstarted`).
///
/// Strings are empty rather than null; times are UTC epoch milliseconds, 0 when it did not
/// happen. The field names (serde, snake_case) are the contract: the reports plugin keeps its
/// own copy of this struct.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEnded {
    /// The call (18 digits).
    pub contact_id: String,
    /// The instance.
    pub instance_id: String,
    /// `Back2Back`, `Outbound`, `PrivacyDial` or `Inbound`.
    pub call_type: String,
    /// The calling number.
    pub caller: String,
    /// The called number.
    pub callee: String,
    /// The instance number shown as caller id (inbound: the number called).
    pub call_center_number: String,
    /// DialEx's RoutPoint; inbound: the skill group or contact flow that took the call.
    pub route_point: String,
    /// How the call was routed: [`ROUTE_SKILL_GROUP`] (an inbound call to a number bound to
    /// skill groups, DialEx AnswerMode 2, or any call with a skill group), [`ROUTE_CONTACT_FLOW`]
    /// (an inbound call to a number bound to a contact flow, DialEx AnswerMode 0), else empty.
    pub route_kind: String,
    /// The agent (`UserId`) at the end of the call (after a blind transfer: the new one).
    pub agent_user_id: String,
    /// Its login name.
    pub agent_login_name: String,
    /// Its display name.
    pub agent_display_name: String,
    /// The skill group the agent was reserved through.
    pub skill_group_id: String,
    /// When the API accepted the call (inbound: when the INVITE arrived).
    pub start_ms: i64,
    /// The first leg's first 180/183.
    pub first_ring_ms: i64,
    /// The first leg's 200 OK.
    pub first_answer_ms: i64,
    /// The second leg's INVITE.
    pub second_invite_ms: i64,
    /// The second leg's first 180/183.
    pub second_ring_ms: i64,
    /// The second leg's 200 OK.
    pub second_answer_ms: i64,
    /// Media between the legs (talk started).
    pub bridged_ms: i64,
    /// The release.
    pub release_ms: i64,
    /// Who released: `caller`, `callee`, `customer`, `agent`, `ivr` or `system`.
    pub release_initiator: String,
    /// `<SIP code>-<reason>`.
    pub release_reason: String,
    /// `Success`, `NoAnswer`, `AbandonedRing`, `AbandonedInQueue` or `QueueOverflow`.
    pub disposition: String,
    /// The agent is the first leg (MakeCall), not the second.
    pub agent_first: bool,
    /// The agent a completed blind transfer moved the call away from (the last such transfer);
    /// empty when none did.
    pub transferred_by_user_id: String,
}

impl DomainEvent for CallEnded {
    const TOPIC: &'static str = "calls.call_ended";

    fn stream(&self) -> String {
        self.contact_id.clone()
    }
}

impl CallEnded {
    /// The event of the ended record `c`: its columns as they are (`None` → empty), with
    /// `route_kind` from [`route_kind`] and `transferred_by_user_id` from the record (set by the
    /// recorder when a blind transfer completes, `crate::lifecycle`).
    pub fn of(c: &cdr::Model) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            contact_id: c.contact_id.clone(),
            instance_id: c.instance_id.clone(),
            call_type: c.call_type.clone(),
            caller: c.caller.clone(),
            callee: c.callee.clone(),
            call_center_number: c.call_center_number.clone(),
            route_point: c.route_point.clone(),
            route_kind: route_kind(c).to_string(),
            agent_user_id: text(&c.agent_user_id),
            agent_login_name: text(&c.agent_login_name),
            agent_display_name: text(&c.agent_display_name),
            skill_group_id: text(&c.skill_group_id),
            start_ms: c.start_ms,
            first_ring_ms: c.first_ring_ms,
            first_answer_ms: c.first_answer_ms,
            second_invite_ms: c.second_invite_ms,
            second_ring_ms: c.second_ring_ms,
            second_answer_ms: c.second_answer_ms,
            bridged_ms: c.bridged_ms,
            release_ms: c.release_ms,
            release_initiator: c.release_initiator.clone(),
            release_reason: c.release_reason.clone(),
            disposition: c.disposition.clone(),
            agent_first: c.agent_first,
            transferred_by_user_id: c.transferred_by_user_id.clone(),
        }
    }
}

/// How the call of `c` was routed: the `route_kind` column, written when the record is
/// created (`crate::inbound`, DialEx), else [`ROUTE_SKILL_GROUP`] when the record has a skill
/// group (e.g. a blind transfer to a skill group), else empty.
pub fn route_kind(c: &cdr::Model) -> &str {
    if !c.route_kind.is_empty() {
        &c.route_kind
    } else if c.skill_group_id.as_deref().is_some_and(|g| !g.is_empty()) {
        ROUTE_SKILL_GROUP
    } else {
        ""
    }
}

/// Publishes the [`CallEnded`] of `c` (just turned `ENDED`) in `txn`, the transaction that
/// ended it; call it once per call, as the transaction's last write.
///
/// Errors: storage.
pub async fn publish_ended(txn: &DatabaseTransaction, c: &cdr::Model) -> Result<(), DbErr> {
    publish(txn, &CallEnded::of(c)).await?;
    Ok(())
}
