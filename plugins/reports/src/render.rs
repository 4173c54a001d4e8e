//! Tallies as the seed's report sections (no I/O). docs/metrics.md defines every field; the
//! rules common to all: durations are whole seconds (ms sums rounded down), averages are
//! rounded down, ratios are 32-bit floats in 0..1 (0 when the denominator is 0), and Overall
//! totals are the sums of the Inbound and Outbound seconds so that they add up as shown.

use crate::api::shapes::{
    AgentInbound, AgentOverall, InstanceInbound, Outbound, Overall, SkillGroupInbound,
};
use crate::tally::Tally;

/// Whole seconds of `ms`, rounded down.
pub fn secs(ms: i64) -> i64 {
    ms.max(0) / 1000
}

/// `total / n` rounded down; 0 when `n` is 0.
pub fn avg(total: i64, n: i64) -> i64 {
    if n <= 0 { 0 } else { total / n }
}

/// `a / b` as the seed's 32-bit float ratio (0.800000011920929 for 8/10); 0 when `b` is 0.
pub fn ratio(a: i64, b: i64) -> f64 {
    if b <= 0 {
        0.0
    } else {
        f64::from(a as f32 / b as f32)
    }
}

/// Inbound figures of an instance (CallsOffered = calls queued).
pub fn instance_inbound(t: &Tally) -> InstanceInbound {
    InstanceInbound {
        average_ring_time: avg(secs(t.in_ring_ms), t.in_rang),
        average_talk_time: avg(secs(t.in_talk_ms), t.in_handled),
        average_wait_time: avg(secs(t.in_wait_ms), t.in_handled),
        average_work_time: avg(secs(t.in_work_ms), t.in_handled),
        calls_abandoned_in_ivr: t.in_ivr_abandoned,
        calls_abandoned_in_queue: t.in_queue_abandoned,
        calls_handled: t.in_handled,
        calls_incoming_ivr: t.in_ivr,
        calls_incoming_line: t.in_line,
        calls_incoming_queue: t.in_queue,
        calls_offered: t.in_queue,
        handle_rate: ratio(t.in_queue_handled, t.in_queue),
        max_ring_time: secs(t.in_ring_max_ms),
        max_talk_time: secs(t.in_talk_max_ms),
        max_wait_time: secs(t.in_wait_max_ms),
        max_work_time: secs(t.in_work_max_ms),
        satisfaction_index: 0.0,
        satisfaction_surveys_offered: 0,
        satisfaction_surveys_responded: 0,
        service_level20: ratio(t.in_sl20, t.in_queue),
        total_ring_time: secs(t.in_ring_ms),
        total_talk_time: secs(t.in_talk_ms),
        total_wait_time: secs(t.in_wait_ms),
        total_work_time: secs(t.in_work_ms),
    }
}

/// Inbound figures of an agent (CallsOffered = inbound calls that rang the agent).
pub fn agent_inbound(t: &Tally) -> AgentInbound {
    AgentInbound {
        average_ring_time: avg(secs(t.in_ring_ms), t.in_rang),
        average_talk_time: avg(secs(t.in_talk_ms), t.in_handled),
        average_work_time: avg(secs(t.in_work_ms), t.in_handled),
        calls_handled: t.in_handled,
        calls_offered: t.in_rang,
        handle_rate: ratio(t.in_handled, t.in_rang),
        max_ring_time: secs(t.in_ring_max_ms),
        max_talk_time: secs(t.in_talk_max_ms),
        max_work_time: secs(t.in_work_max_ms),
        satisfaction_index: 0.0,
        satisfaction_surveys_offered: 0,
        satisfaction_surveys_responded: 0,
        service_level20: ratio(t.in_sl20, t.in_rang),
        total_ring_time: secs(t.in_ring_ms),
        total_talk_time: secs(t.in_talk_ms),
        total_work_time: secs(t.in_work_ms),
    }
}

/// Inbound figures of a skill group, with its queue figures.
pub fn skill_group_inbound(t: &Tally) -> SkillGroupInbound {
    SkillGroupInbound {
        abandoned_in_queue_of_queue_count: t.in_queue_abandoned,
        answered_by_agent_of_queue_count: t.in_queue_handled,
        answered_by_agent_of_queue_max_wait_time_duration: secs(t.in_wait_max_ms),
        answered_by_agent_of_queue_wait_time_duration: secs(t.in_wait_ms),
        average_ring_time: avg(secs(t.in_ring_ms), t.in_rang),
        average_talk_time: avg(secs(t.in_talk_ms), t.in_handled),
        average_work_time: avg(secs(t.in_work_ms), t.in_handled),
        calls_handled: t.in_handled,
        calls_offered: t.in_queue,
        give_up_by_agent_of_queue_count: t.in_agent_gave_up,
        handle_rate: ratio(t.in_queue_handled, t.in_queue),
        in_coming_queue_of_queue_count: t.in_queue,
        max_ring_time: secs(t.in_ring_max_ms),
        max_talk_time: secs(t.in_talk_max_ms),
        max_work_time: secs(t.in_work_max_ms),
        over_flow_in_queue_of_queue_count: t.in_overflow,
        overflow_in_queue_of_queue_count: t.in_overflow,
        queue_max_wait_time_duration: secs(t.in_queue_wait_max_ms),
        queue_wait_time_duration: secs(t.in_queue_wait_ms),
        satisfaction_index: 0.0,
        satisfaction_surveys_offered: 0,
        satisfaction_surveys_responded: 0,
        service_level20: ratio(t.in_sl20, t.in_queue),
        total_ring_time: secs(t.in_ring_ms),
        total_talk_time: secs(t.in_talk_ms),
        total_work_time: secs(t.in_work_ms),
    }
}

/// Outbound figures (any scope).
pub fn outbound(t: &Tally) -> Outbound {
    Outbound {
        answer_rate: ratio(t.out_answered, t.out_dialed),
        average_dialing_time: avg(secs(t.out_dial_ms), t.out_dialed),
        average_talk_time: avg(secs(t.out_talk_ms), t.out_answered),
        average_work_time: avg(secs(t.out_work_ms), t.out_answered),
        calls_answered: t.out_answered,
        calls_dialed: t.out_dialed,
        max_dialing_time: secs(t.out_dial_max_ms),
        max_talk_time: secs(t.out_talk_max_ms),
        max_work_time: secs(t.out_work_max_ms),
        satisfaction_index: 0.0,
        satisfaction_surveys_offered: 0,
        satisfaction_surveys_responded: 0,
        total_dialing_time: secs(t.out_dial_ms),
        total_talk_time: secs(t.out_talk_ms),
        total_work_time: secs(t.out_work_ms),
    }
}

/// Overall figures of an instance or skill group.
pub fn overall(t: &Tally) -> Overall {
    let talk = secs(t.in_talk_ms) + secs(t.out_talk_ms);
    let work = secs(t.in_work_ms) + secs(t.out_work_ms);
    let calls = t.in_handled + t.out_answered;
    let logged_in = secs(t.logged_in_ms);
    Overall {
        average_ready_time: avg(secs(t.ready_period_ms), t.ready_periods),
        average_talk_time: avg(talk, calls),
        average_work_time: avg(work, calls),
        max_ready_time: secs(t.ready_max_ms),
        max_talk_time: secs(t.in_talk_max_ms.max(t.out_talk_max_ms)),
        max_work_time: secs(t.in_work_max_ms.max(t.out_work_max_ms)),
        occupancy_rate: ratio(talk + work, logged_in),
        satisfaction_index: 0.0,
        satisfaction_surveys_offered: 0,
        satisfaction_surveys_responded: 0,
        total_break_time: secs(t.break_ms),
        total_calls: calls,
        total_logged_in_time: logged_in,
        total_ready_time: secs(t.ready_ms),
        total_talk_time: talk,
        total_work_time: work,
    }
}

/// Overall figures of an agent: [`overall`] with OneTransferCalls.
pub fn agent_overall(t: &Tally) -> AgentOverall {
    let o = overall(t);
    AgentOverall {
        average_ready_time: o.average_ready_time,
        average_talk_time: o.average_talk_time,
        average_work_time: o.average_work_time,
        max_ready_time: o.max_ready_time,
        max_talk_time: o.max_talk_time,
        max_work_time: o.max_work_time,
        occupancy_rate: o.occupancy_rate,
        one_transfer_calls: t.transfers,
        satisfaction_index: 0.0,
        satisfaction_surveys_offered: 0,
        satisfaction_surveys_responded: 0,
        total_break_time: o.total_break_time,
        total_calls: o.total_calls,
        total_logged_in_time: o.total_logged_in_time,
        total_ready_time: o.total_ready_time,
        total_talk_time: o.total_talk_time,
        total_work_time: o.total_work_time,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_worked_examples() {
        // Seed 004 §11.3 examples: AnswerRate 8/10, AverageDialingTime 135/10, occupancy
        // (109 + 75) / 46914.
        assert_eq!(ratio(8, 10), 0.800000011920929);
        assert_eq!(ratio(3, 5), 0.6000000238418579);
        assert_eq!(ratio(1, 0), 0.0);
        assert_eq!(avg(135, 10), 13);
        assert_eq!(ratio(109 + 75, 46914), 0.003922070376574993);
        let t = Tally {
            out_dialed: 10,
            out_answered: 8,
            out_dial_ms: 135_999,
            out_talk_ms: 109_500,
            out_work_ms: 75_000,
            logged_in_ms: 46_914_000,
            ..Tally::default()
        };
        let o = outbound(&t);
        assert_eq!((o.average_dialing_time, o.average_talk_time), (13, 13));
        let all = overall(&t);
        assert_eq!((all.total_calls, all.total_talk_time), (8, 109));
        assert_eq!(all.occupancy_rate, 0.003922070376574993);
    }
}
