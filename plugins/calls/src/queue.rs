//! The queue stage of inbound calls: pure, no I/O. [`crate::lifecycle`] asks it what an engine
//! event of an `Inbound` record logs and how the call ended; [`crate::inbound`] what a refused
//! call's record holds.
//!
//! Names are seed 004's: queue events of §11.14 (`EnterQueue` 进入队列, `ACDOverflow` 队列溢出,
//! `NormalEnd` 队列中正常结束, `AbandonedRing` 振铃放弃; `DetailData.EventType` `queue`) and
//! ContactDisposition of §11 ListCallDetailRecords (`Success`, `NoAnswer`, `AbandonedInQueue`
//! 排队放弃, `AbandonedRing` 振铃放弃, `QueueOverflow` 排队超时; the skill-group report's
//! `GiveUpByAgentOfQueueCount` counts 振铃放弃 "by agent", so an agent's unanswered ring is
//! `AbandonedRing` too).
//!
//! | engine event (inbound, skill group) | event log |
//! |---|---|
//! | Offered(first) | EnterQueue / Queuing (queue) |
//! | Inviting(second) | – (the agent is not dialled by a person: its Ring follows) |
//! | Ringing(second) | Ring / Ringing (agent) |
//! | Answered(second) | NormalEnd (queue), Talk / Talking (agent); agent leg `answered` |
//! | Answered(first) | – (ccgate answers the caller once the agent did) |
//! | Failed(second) | GiveUp / Released (agent), AbandonedRing (queue) |
//! | Bridged, Released, Ended | as every call: SetUpMeeting, End, Handle; agent leg `released` / `missed` |
//!
//! A contact-flow call logs nothing at Offered; its second leg is the media server
//! (`EnterIVR`, as DialEx AnswerMode 0).

use crate::lifecycle::{Entry, NO_ANSWER, SUCCESS};
use crate::storage::cdr;

/// Seed 004 §11 ContactDisposition: the agent's leg rang and was never answered (the agent did
/// not pick up, refused, or the caller hung up while it rang).
pub const ABANDONED_RING: &str = "AbandonedRing";
/// Seed 004 §11 ContactDisposition: the caller hung up before any agent was rung.
pub const ABANDONED_IN_QUEUE: &str = "AbandonedInQueue";
/// Seed 004 §11 ContactDisposition: nobody could take the call (no READY agent in the number's
/// skill groups, or no agents plugin): refused at once with 480.
pub const QUEUE_OVERFLOW: &str = "QueueOverflow";

/// `Status` of the queue entries while the call waits (§11.14 gives only examples).
pub const QUEUING: &str = "Queuing";

fn queue(event: &'static str, status: &'static str) -> Entry {
    Entry {
        event,
        status,
        event_type: "queue",
        hang_uper: String::new(),
    }
}

/// `EnterQueue`: the call arrived at a number bound to skill groups.
pub fn enter_queue() -> Entry {
    queue("EnterQueue", QUEUING)
}

/// `NormalEnd`: the queue stage ended because an agent answered.
pub fn normal_end() -> Entry {
    queue("NormalEnd", "")
}

/// `AbandonedRing`: the agent's ring ended unanswered.
pub fn abandoned_ring() -> Entry {
    queue("AbandonedRing", "")
}

/// `ACDOverflow`: no agent could be reserved.
pub fn overflow() -> Entry {
    queue("ACDOverflow", "")
}

/// `End` of a call ccgate refused (released by the system, `byeSystem`).
pub fn refused_end(event_type: &'static str) -> Entry {
    Entry {
        event: "End",
        status: "Handling",
        event_type,
        hang_uper: "byeSystem".into(),
    }
}

/// The disposition of an inbound call that ended: `Success` when bridged; a contact-flow call
/// that never was: `NoAnswer`; an agent call whose agent was rung: `AbandonedRing`; one the
/// caller left before: `AbandonedInQueue`; else (the system gave up) `NoAnswer`.
pub fn disposition(c: &cdr::Model) -> &'static str {
    if c.bridged_ms > 0 {
        SUCCESS
    } else if c.agent_user_id.is_none() {
        NO_ANSWER
    } else if c.second_invite_ms > 0 {
        ABANDONED_RING
    } else if c.release_initiator == "customer" {
        ABANDONED_IN_QUEUE
    } else {
        NO_ANSWER
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_follow_how_far_the_call_got() {
        let mut c = cdr::Model {
            agent_user_id: Some("u-1".into()),
            release_initiator: "customer".into(),
            ..Default::default()
        };
        assert_eq!(disposition(&c), ABANDONED_IN_QUEUE);
        c.release_initiator = "system".into();
        assert_eq!(disposition(&c), NO_ANSWER);
        c.second_invite_ms = 5;
        assert_eq!(disposition(&c), ABANDONED_RING);
        c.bridged_ms = 9;
        assert_eq!(disposition(&c), SUCCESS);
        c.agent_user_id = None;
        c.bridged_ms = 0;
        assert_eq!(disposition(&c), NO_ANSWER);
    }
}
