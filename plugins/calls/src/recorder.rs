//! The subscription `calls.call-records`: applies the engine's [`CallEvent`]s to the records.
//!
//! Per event, in ONE write transaction: lock the record, skip the event when its `seq` is not
//! past the record's `last_seq` (a redelivery: at-least-once delivery, `docs/events.md`), let
//! [`lifecycle::apply`] decide, append the event-log entries, store the record and publish
//! [`AgentLeg`] and, when the event turned the record from `LIVE` to `ENDED`,
//! [`events::CallEnded`] (last, as `events::publish` asks; a redelivered or later event of an
//! ended record publishes no second `CallEnded`); for an instance with a webhook, the same
//! transaction enqueues the event's webhook ([`webhooks`]). Events of calls without a record
//! (placed by another plugin) are ignored; events of a call the start-up task closed
//! (its final `interrupted` webhook already enqueued) enqueue nothing.

use std::collections::BTreeMap;

use ccgate_plugin_sdk::events::publish;
use ccgate_plugin_sdk::sea_orm::{DatabaseConnection, DbErr};
use ccgate_plugin_sdk::storage::begin_write;
use ccgate_plugin_sdk::telephony::CallEvent;

use crate::events::{self, AgentLeg};
use crate::lifecycle;
use crate::storage::{ENDED, LIVE, records};
use crate::{WebhookSetting, restart, webhooks};

/// What [`record`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Applied.
    Applied,
    /// Already applied before (a redelivery).
    Duplicate,
    /// No record of this call.
    Unknown,
}

/// Applies `ev` to its record, enqueueing its webhook when its instance has one in `hooks`
/// (see the module docs).
///
/// Errors: storage; nothing is stored then.
pub async fn record(
    db: &DatabaseConnection,
    hooks: &BTreeMap<String, WebhookSetting>,
    ev: &CallEvent,
) -> Result<Outcome, DbErr> {
    let txn = begin_write(db).await?;
    let Some(current) = records::lock(&txn, &ev.call_id).await? else {
        txn.rollback().await?;
        tracing::debug!(call = %ev.call_id, "event of a call with no record, ignored");
        return Ok(Outcome::Unknown);
    };
    if i64::from(ev.seq) <= i64::from(current.last_seq) {
        txn.rollback().await?;
        return Ok(Outcome::Duplicate);
    }
    if i64::from(ev.seq) != i64::from(current.last_seq) + 1 {
        tracing::warn!(call = %ev.call_id, seq = ev.seq, last = current.last_seq, "call events skipped a seq");
    }
    let step = lifecycle::apply(&current, ev);
    records::append(
        &txn,
        &ev.call_id,
        ev.at_ms,
        step.cdr.agent_login_name.as_deref().unwrap_or(""),
        step.cdr.skill_group_id.as_deref().unwrap_or(""),
        &step.entries,
    )
    .await?;
    let legs: Vec<AgentLeg> = step
        .agent_legs
        .iter()
        .map(|(user, what)| AgentLeg {
            instance_id: step.cdr.instance_id.clone(),
            user_id: user.clone(),
            call_id: ev.call_id.clone(),
            what: what.to_string(),
        })
        .collect();
    let interrupted = current.status == ENDED && current.release_reason == restart::INTERRUPTED;
    if !interrupted {
        let body = webhooks::event_body(ev, &step.cdr);
        let seq = i32::try_from(ev.seq).unwrap_or(i32::MAX);
        let now = ccgate_plugin_sdk::time::now_ms();
        webhooks::enqueue(&txn, hooks, &step.cdr, seq, body, now).await?;
    }
    let ended = current.status == LIVE && step.cdr.status == ENDED;
    let ended = ended.then(|| step.cdr.clone());
    records::update(&txn, step.cdr).await?;
    for leg in &legs {
        publish(&txn, leg).await?;
    }
    if let Some(c) = &ended {
        events::publish_ended(&txn, c).await?;
    }
    txn.commit().await?;
    Ok(Outcome::Applied)
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::telephony::{CallEvent, CallEventKind, LegId, Party};

    use super::{Outcome, record};
    use crate::api::start_back2_back_call;
    use crate::events::CallEnded;
    use crate::testutil::{Harness, INSTANCE};

    fn ev(id: &str, seq: u32, kind: CallEventKind) -> CallEvent {
        CallEvent {
            call_id: id.into(),
            instance_id: INSTANCE.into(),
            seq,
            at_ms: 1_000 * i64::from(seq),
            kind,
        }
    }

    #[tokio::test]
    async fn redelivered_events_are_applied_once_and_unknown_calls_ignored() {
        let h = Harness::new().await;
        let v = h
            .call(
                start_back2_back_call::SPEC,
                &[("Caller", "17600668806"), ("Callee", "18801341452")],
            )
            .await
            .unwrap();
        let id = v["TaskId"].as_str().unwrap().to_string();
        let first = ev(
            &id,
            1,
            CallEventKind::Inviting {
                leg: LegId::First,
                uri: "u".into(),
            },
        );
        let second = ev(&id, 2, CallEventKind::Ringing { leg: LegId::First });
        assert_eq!(
            record(&h.env.db, &Default::default(), &first)
                .await
                .unwrap(),
            Outcome::Applied
        );
        assert_eq!(
            record(&h.env.db, &Default::default(), &second)
                .await
                .unwrap(),
            Outcome::Applied
        );
        // At-least-once delivery: both again, in any order.
        assert_eq!(
            record(&h.env.db, &Default::default(), &second)
                .await
                .unwrap(),
            Outcome::Duplicate
        );
        assert_eq!(
            record(&h.env.db, &Default::default(), &first)
                .await
                .unwrap(),
            Outcome::Duplicate
        );
        let log = h.log(&id).await;
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].duration_ms, 1_000);
        assert_eq!(h.cdr(&id).await.last_seq, 2);
        assert_eq!(h.cdr(&id).await.first_ring_ms, 2_000);
        let other = ev("not-ours", 1, CallEventKind::Ended);
        assert_eq!(
            record(&h.env.db, &Default::default(), &other)
                .await
                .unwrap(),
            Outcome::Unknown
        );
    }

    #[tokio::test]
    async fn an_ended_call_publishes_one_call_ended_with_its_record() {
        let h = Harness::new().await;
        let v = h
            .call(
                start_back2_back_call::SPEC,
                &[("Caller", "17600668806"), ("Callee", "18801341452")],
            )
            .await
            .unwrap();
        let id = v["TaskId"].as_str().unwrap().to_string();
        let start_ms = h.cdr(&id).await.start_ms;
        let events = [
            CallEventKind::Inviting {
                leg: LegId::First,
                uri: "sip:17600668806@t".into(),
            },
            CallEventKind::Ringing { leg: LegId::First },
            CallEventKind::Answered { leg: LegId::First },
            CallEventKind::Inviting {
                leg: LegId::Second,
                uri: "sip:18801341452@t".into(),
            },
            CallEventKind::Ringing { leg: LegId::Second },
            CallEventKind::Answered { leg: LegId::Second },
            CallEventKind::Bridged,
            CallEventKind::Released {
                by: Party::Second,
                sip_code: 200,
                reason: "Normal call clearing".into(),
            },
        ];
        for (i, k) in events.into_iter().enumerate() {
            h.feed(&id, i as u32 + 1, k).await;
        }
        // Not ended yet: nothing published.
        assert!(h.calls_ended().await.is_empty());
        let end = ev(&id, 9, CallEventKind::Ended);
        assert_eq!(
            record(&h.env.db, &Default::default(), &end).await.unwrap(),
            Outcome::Applied
        );
        let c = h.cdr(&id).await;
        let expected = CallEnded {
            contact_id: id.clone(),
            instance_id: INSTANCE.into(),
            call_type: "Back2Back".into(),
            caller: "17600668806".into(),
            callee: "18801341452".into(),
            call_center_number: c.call_center_number.clone(),
            route_point: String::new(),
            route_kind: String::new(),
            agent_user_id: String::new(),
            agent_login_name: String::new(),
            agent_display_name: String::new(),
            skill_group_id: String::new(),
            start_ms,
            first_ring_ms: 2_000,
            first_answer_ms: 3_000,
            second_invite_ms: 4_000,
            second_ring_ms: 5_000,
            second_answer_ms: 6_000,
            bridged_ms: 7_000,
            release_ms: 8_000,
            release_initiator: "callee".into(),
            release_reason: "200-Normal call clearing".into(),
            disposition: "Success".into(),
            agent_first: false,
            transferred_by_user_id: String::new(),
        };
        assert!(!expected.call_center_number.is_empty());
        assert_eq!(h.calls_ended().await, [expected]);
        // The final event again (at-least-once delivery), and a later one: nothing more.
        assert_eq!(
            record(&h.env.db, &Default::default(), &end).await.unwrap(),
            Outcome::Duplicate
        );
        let late = ev(&id, 10, CallEventKind::Ended);
        assert_eq!(
            record(&h.env.db, &Default::default(), &late).await.unwrap(),
            Outcome::Applied
        );
        assert_eq!(h.calls_ended().await.len(), 1);
        // The JSON field names are the contract with the reports plugin.
        let published = h.env.published().await;
        let e = published
            .iter()
            .find(|e| e.topic == "calls.call_ended")
            .unwrap();
        let v = e.json().unwrap();
        assert_eq!(e.stream, id);
        assert_eq!(v["release_ms"], 8_000);
        assert_eq!(v["route_kind"], "");
        assert_eq!(v["transferred_by_user_id"], "");
        assert_eq!(v.as_object().unwrap().len(), 25);
    }
}
