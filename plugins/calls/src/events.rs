//! The domain event the calls plugin publishes.

use ccgate_plugin_sdk::DomainEvent;
use serde::{Deserialize, Serialize};

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
