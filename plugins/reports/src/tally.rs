//! [`Tally`]: the additive figures every report is rendered from, for one scope (an instance,
//! an agent, a skill group or a call center number) over one stretch of time.
//!
//! Counts and durations add; `*_max_ms` combine by maximum. Durations are milliseconds here and
//! become whole seconds only when rendered (`crate::render`), so that a sum of days equals the
//! day of sums. Stored as the JSON of `reports_daily.tally` with zero fields left out.

use serde::{Deserialize, Serialize};

use crate::facts::{CallFigures, state};

fn zero(v: &i64) -> bool {
    *v == 0
}

macro_rules! tally {
    (sum: [$($s:ident: $sd:literal),* $(,)?], max: [$($m:ident: $md:literal),* $(,)?]) => {
        /// The additive figures of one scope and stretch of time (see the module docs).
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct Tally {
            $(#[doc = $sd] #[serde(skip_serializing_if = "zero")] pub $s: i64,)*
            $(#[doc = $md] #[serde(skip_serializing_if = "zero")] pub $m: i64,)*
        }

        impl Tally {
            /// Adds `other` to `self` (sums add, maxima take the larger).
            pub fn merge(&mut self, other: &Tally) {
                $(self.$s += other.$s;)*
                $(self.$m = self.$m.max(other.$m);)*
            }
        }
    };
}

tally!(
    sum: [
        calls: "Calls of the scope, of any type (its CDRs: ListCallDetailRecords' Criteria count by skill group).",
        in_line: "Inbound calls (CallsIncomingLine).",
        in_ivr: "Inbound calls that entered an IVR (CallsIncomingIVR).",
        in_ivr_abandoned: "Inbound calls abandoned in the IVR (CallsAbandonedInIVR).",
        in_queue: "Inbound calls queued in a skill group (CallsIncomingQueue, group/instance CallsOffered).",
        in_queue_abandoned: "Queued calls abandoned in the queue.",
        in_overflow: "Queued calls that overflowed (no agent).",
        in_rang: "Inbound calls that rang an agent (agent CallsOffered).",
        in_ring_ms: "Their ring time, ms.",
        in_handled: "Inbound calls answered by an agent (CallsHandled).",
        in_queue_handled: "Queued calls answered by an agent (HandleRate's numerator).",
        in_sl20: "Of those queued, answered within 20 s of entering.",
        in_wait_ms: "Wait of handled inbound calls, entering to agent answer, ms.",
        in_queue_wait_ms: "Time in queue of queued calls, ms.",
        in_agent_gave_up: "Queued calls an agent rang and did not answer.",
        in_talk_ms: "Talk time of inbound calls, ms.",
        in_work_ms: "After-call work of inbound calls, ms.",
        out_dialed: "Outbound calls (CallsDialed).",
        out_answered: "Outbound calls connected (CallsAnswered).",
        out_dial_ms: "Dialing time of outbound calls, ms.",
        out_talk_ms: "Talk time of outbound calls, ms.",
        out_work_ms: "After-call work of outbound calls, ms.",
        transfers: "Calls this agent blind-transferred away (OneTransferCalls).",
        ready_ms: "Time READY, ms.",
        ready_periods: "READY periods begun.",
        ready_period_ms: "Whole length of the READY periods begun, ms (AverageReadyTime).",
        break_ms: "Time on a break (BREAK, not Warm-up), ms.",
        logged_in_ms: "Time signed in (any state but OFFLINE), ms.",
        bill_in_calls: "Connected inbound calls (metering).",
        bill_in_minutes: "Their minutes, each call rounded up.",
        bill_out_calls: "Connected outbound calls (metering).",
        bill_out_minutes: "Their minutes, each call rounded up.",
    ],
    max: [
        in_ring_max_ms: "Longest ring, ms.",
        in_wait_max_ms: "Longest wait of a handled call, ms.",
        in_queue_wait_max_ms: "Longest time in queue, ms.",
        in_talk_max_ms: "Longest inbound talk, ms.",
        in_work_max_ms: "Longest inbound after-call work, ms.",
        out_dial_max_ms: "Longest dialing, ms.",
        out_talk_max_ms: "Longest outbound talk, ms.",
        out_work_max_ms: "Longest outbound after-call work, ms.",
        ready_max_ms: "Longest READY period begun, ms.",
    ]
);

/// Service level threshold of `ServiceLevel20`, ms.
pub const SERVICE_LEVEL_MS: i64 = 20_000;

impl Tally {
    /// Adds one call with figures `f` and after-call work `work_ms` so far.
    pub fn add_call(&mut self, f: &CallFigures, work_ms: i64) {
        self.calls += 1;
        if f.inbound {
            self.in_line += 1;
            self.in_ivr += i64::from(f.ivr);
            self.in_ivr_abandoned += i64::from(f.ivr_abandoned);
            if f.queued {
                self.in_queue += 1;
                self.in_queue_abandoned += i64::from(f.queue_abandoned);
                self.in_overflow += i64::from(f.overflow);
                self.in_queue_wait_ms += f.queue_wait_ms;
                self.in_queue_wait_max_ms = self.in_queue_wait_max_ms.max(f.queue_wait_ms);
                self.in_agent_gave_up += i64::from(f.agent_gave_up);
                if f.handled {
                    self.in_queue_handled += 1;
                    if f.wait_ms <= SERVICE_LEVEL_MS {
                        self.in_sl20 += 1;
                    }
                }
            }
            if f.rang {
                self.in_rang += 1;
                self.in_ring_ms += f.ring_ms;
                self.in_ring_max_ms = self.in_ring_max_ms.max(f.ring_ms);
            }
            if f.handled {
                self.in_handled += 1;
                self.in_wait_ms += f.wait_ms;
                self.in_wait_max_ms = self.in_wait_max_ms.max(f.wait_ms);
            }
            self.in_talk_ms += f.talk_ms;
            self.in_talk_max_ms = self.in_talk_max_ms.max(f.talk_ms);
            if f.connected {
                self.bill_in_calls += 1;
                self.bill_in_minutes += f.billed_minutes;
            }
        } else {
            self.out_dialed += 1;
            self.out_answered += i64::from(f.connected);
            self.out_dial_ms += f.dial_ms;
            self.out_dial_max_ms = self.out_dial_max_ms.max(f.dial_ms);
            self.out_talk_ms += f.talk_ms;
            self.out_talk_max_ms = self.out_talk_max_ms.max(f.talk_ms);
            if f.connected {
                self.bill_out_calls += 1;
                self.bill_out_minutes += f.billed_minutes;
            }
        }
        self.add_work(f.inbound, work_ms, work_ms);
    }

    /// Adds `delta_ms` of after-call work to a call whose work is now `call_work_ms` in all.
    pub fn add_work(&mut self, inbound: bool, delta_ms: i64, call_work_ms: i64) {
        if inbound {
            self.in_work_ms += delta_ms;
            self.in_work_max_ms = self.in_work_max_ms.max(call_work_ms);
        } else {
            self.out_work_ms += delta_ms;
            self.out_work_max_ms = self.out_work_max_ms.max(call_work_ms);
        }
    }

    /// Adds `ms` spent in `state_name` (with `break_code`) within this stretch.
    pub fn add_state_time(&mut self, state_name: &str, break_code: &str, ms: i64) {
        if ms <= 0 || state_name == state::OFFLINE || state_name.is_empty() {
            return;
        }
        self.logged_in_ms += ms;
        if state_name == state::READY {
            self.ready_ms += ms;
        } else if state_name == state::BREAK && break_code != state::WARM_UP {
            self.break_ms += ms;
        }
    }

    /// Counts a period of `state_name` that began in this stretch and lasted `len_ms` (so far).
    pub fn add_period_begun(&mut self, state_name: &str, len_ms: i64) {
        if state_name == state::READY {
            self.ready_periods += 1;
            self.ready_period_ms += len_ms;
            self.ready_max_ms = self.ready_max_ms.max(len_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_sums_and_keeps_the_larger_maximum_and_zeros_are_not_stored() {
        let mut a = Tally {
            in_line: 2,
            in_talk_max_ms: 5,
            ..Tally::default()
        };
        a.merge(&Tally {
            in_line: 3,
            in_talk_max_ms: 4,
            ..Tally::default()
        });
        assert_eq!((a.in_line, a.in_talk_max_ms), (5, 5));
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"in_line":5,"in_talk_max_ms":5}"#
        );
        let back: Tally = serde_json::from_str(r#"{"in_line":5}"#).unwrap();
        assert_eq!(back.in_line, 5);
    }
}
