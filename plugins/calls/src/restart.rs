//! Ending the calls a previous process left `LIVE`.
//!
//! The SIP engine runs in the gateway process, so when that process dies mid-call its calls die
//! with it and their `Ended` event never comes. The start-up task `calls.close-interrupted` ends
//! every `LIVE` record: status `ENDED`, released by `system` at start-up time with reason
//! `500-Interrupted by a restart`, disposition `Success` when the legs had been bridged,
//! `NoAnswer` otherwise (seed 004 §11 names); an agent leg gets `released` (after-call work) or
//! `missed` (never answered), so the agent does not stay RINGING or TALKING. Each record in its
//! own transaction with its event-log entry, its events (the agent legs, then
//! `calls.call_ended`, [`crate::events::CallEnded`]) and, for an instance with a webhook,
//! its final webhook (event `interrupted`, seq = the record's last seq + 1; [`webhooks`]).
//!
//! Limit: with several gateway replicas sharing one database, a starting replica would end the
//! live calls of the others; ccgate runs one process per database while telephony is on.

use std::collections::BTreeMap;

use ccgate_plugin_sdk::events::publish;
use ccgate_plugin_sdk::sea_orm::{DatabaseConnection, DbErr};
use ccgate_plugin_sdk::storage::begin_write;

use crate::events::AgentLeg;
use crate::lifecycle::{Entry, NO_ANSWER, SUCCESS};
use crate::storage::{ENDED, LIVE, records};
use crate::{WebhookSetting, webhooks};

/// `ReleaseReason` of an interrupted call.
pub const INTERRUPTED: &str = "500-Interrupted by a restart";

/// Ends every `LIVE` record at `now_ms` (see the module docs), enqueueing the final webhook of
/// those whose instance has one in `hooks`, and answers how many.
///
/// Errors: storage (the records ended so far stay ended).
pub async fn close_interrupted(
    db: &DatabaseConnection,
    hooks: &BTreeMap<String, WebhookSetting>,
    now_ms: i64,
) -> Result<usize, DbErr> {
    let mut closed = 0;
    loop {
        let batch = records::live(db, 100).await?;
        if batch.is_empty() {
            return Ok(closed);
        }
        for stale in batch {
            let txn = begin_write(db).await?;
            let Some(mut c) = records::lock(&txn, &stale.contact_id).await? else {
                txn.rollback().await?;
                continue;
            };
            if c.status != LIVE {
                txn.rollback().await?;
                continue;
            }
            c.status = ENDED.into();
            if c.release_ms == 0 {
                c.release_ms = now_ms;
            }
            c.release_initiator = "system".into();
            c.release_reason = INTERRUPTED.into();
            c.disposition = if c.bridged_ms > 0 { SUCCESS } else { NO_ANSWER }.into();
            let entry = Entry {
                event: "End",
                status: "Handling",
                event_type: "agent",
                hang_uper: "byeSystem".into(),
            };
            records::append(
                &txn,
                &c.contact_id,
                now_ms,
                c.agent_login_name.as_deref().unwrap_or(""),
                c.skill_group_id.as_deref().unwrap_or(""),
                std::slice::from_ref(&entry),
            )
            .await?;
            let leg = c.agent_user_id.clone().map(|user| AgentLeg {
                instance_id: c.instance_id.clone(),
                user_id: user,
                call_id: c.contact_id.clone(),
                what: if crate::lifecycle::agent_answered(&c) {
                    "released"
                } else {
                    "missed"
                }
                .into(),
            });
            // An agent reserved for a pending blind transfer never got the call.
            let pending = c.transfer_user_id.take().map(|user| AgentLeg {
                instance_id: c.instance_id.clone(),
                user_id: user,
                call_id: c.contact_id.clone(),
                what: "missed".into(),
            });
            c.transfer_target.clear();
            let seq = c.last_seq.saturating_add(1);
            let body = webhooks::interrupted_body(&c, seq, now_ms);
            webhooks::enqueue(&txn, hooks, &c, seq, body, now_ms).await?;
            let ended = c.clone();
            records::update(&txn, c).await?;
            for leg in leg.iter().chain(pending.iter()) {
                publish(&txn, leg).await?;
            }
            crate::events::publish_ended(&txn, &ended).await?;
            txn.commit().await?;
            closed += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::telephony::{CallEventKind, LegId};

    use super::{INTERRUPTED, close_interrupted};
    use crate::api::{dial_ex, start_back2_back_call};
    use crate::storage::ENDED;
    use crate::testutil::Harness;

    #[tokio::test]
    async fn live_calls_of_a_dead_process_are_ended_and_their_agents_freed() {
        let h = Harness::new().await;
        let b2b = h
            .call(
                start_back2_back_call::SPEC,
                &[("Caller", "17600668806"), ("Callee", "18801341452")],
            )
            .await
            .unwrap()["TaskId"]
            .as_str()
            .unwrap()
            .to_string();
        let dial = h
            .call(
                dial_ex::SPEC,
                &[
                    ("AnswerMode", "1"),
                    ("Callee", "15732036617"),
                    ("Caller", "02566040852"),
                    ("RoutPoint", "agent1"),
                ],
            )
            .await
            .unwrap()["TaskId"]
            .as_str()
            .unwrap()
            .to_string();
        // The agent call was talking when the process died.
        for (seq, k) in [
            CallEventKind::Answered { leg: LegId::First },
            CallEventKind::Answered { leg: LegId::Second },
            CallEventKind::Bridged,
        ]
        .into_iter()
        .enumerate()
        {
            h.feed(&dial, seq as u32 + 1, k).await;
        }
        assert_eq!(
            close_interrupted(&h.env.db, &Default::default(), 99_000)
                .await
                .unwrap(),
            2
        );
        let c = h.cdr(&b2b).await;
        assert_eq!(
            (c.status.as_str(), c.disposition.as_str()),
            (ENDED, "NoAnswer")
        );
        assert_eq!(
            (c.release_reason.as_str(), c.release_ms),
            (INTERRUPTED, 99_000)
        );
        let c = h.cdr(&dial).await;
        assert_eq!(
            (c.status.as_str(), c.disposition.as_str()),
            (ENDED, "Success")
        );
        assert_eq!(h.log(&dial).await.last().unwrap().hang_uper, "byeSystem");
        assert_eq!(
            h.agent_legs().await.last().unwrap(),
            &("u-1".to_string(), "released".to_string())
        );
        // One calls.call_ended per closed call, with the closed record.
        let ended = h.calls_ended().await;
        assert_eq!(ended.len(), 2);
        let b = ended.iter().find(|e| e.contact_id == b2b).unwrap();
        assert_eq!(
            (
                b.release_ms,
                b.release_reason.as_str(),
                b.disposition.as_str()
            ),
            (99_000, INTERRUPTED, "NoAnswer")
        );
        let d = ended.iter().find(|e| e.contact_id == dial).unwrap();
        assert_eq!(
            (
                d.call_type.as_str(),
                d.agent_user_id.as_str(),
                d.route_point.as_str(),
                d.route_kind.as_str()
            ),
            ("Outbound", "u-1", "agent1", "")
        );
        assert_eq!(
            (
                d.bridged_ms,
                d.release_initiator.as_str(),
                d.disposition.as_str()
            ),
            (3_000, "system", "Success")
        );
        // Nothing is left to close.
        assert_eq!(
            close_interrupted(&h.env.db, &Default::default(), 100_000)
                .await
                .unwrap(),
            0
        );
        // The engine's late Ended of a closed call publishes no second event.
        h.feed(&dial, 4, CallEventKind::Ended).await;
        assert_eq!(h.calls_ended().await.len(), 2);
    }
}
