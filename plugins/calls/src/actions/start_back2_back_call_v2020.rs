//! 2020-07-01 StartBack2BackCall (official SDK `alibabacloud-ccc20200701`; no seed documents
//! it): a back-to-back call between two telephone numbers. The engine calls `Caller` first
//! (`Target::Number`, routed through the trunks by prefix) showing `Broker`, and once answered
//! `Callee` showing `AdditionalBroker` (else `Broker`), then bridges them.
//!
//! **Broker is a number, not an agent.** The SDK's request model documents `Broker` as "the
//! intermediate number, which must be an active outbound number under the instance. This number
//! is used to sequentially call the caller and the callee" (required), and `AdditionalBroker` as
//! the number that calls the callee instead. So `Broker` is the 2017 action's
//! `CallCenterNumber`: checked as an outbound number of the instance by [`dial::caller_id`]
//! (as the 2017 action picks it) and kept as the record's call center number. No agent takes
//! part and none is reserved (`agents.reserve` is not asked); `UserContext` is empty.
//!
//! `ClientToken` (ccgate's extension, [`crate::idempotency`]) makes retries safe; it is
//! recorded as `StartBack2BackCall 2020-07-01`, so the 2017 action (same name) with the same
//! token is a mismatch.
//! `TimeoutSeconds` (at least 1; absent: `ring_timeout_seconds`) rings each leg at most 120 s
//! (the port's maximum). `Tags` is accepted and ignored. The record keeps one caller id
//! (`Broker`): `AdditionalBroker` shows in this request's reply only.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::serde_json::{Value, json};
use ccgate_plugin_sdk::telephony::{Leg, StartCall, Target};

use crate::api::Ctx;
use crate::api::start_back2_back_call_v2020::{Request, Response};
use crate::lifecycle::BACK2BACK;
use crate::storage::{LIVE, cdr};
use crate::{call_context, desk, dial, idempotency};

/// Starts the call (see the module docs).
///
/// Errors: 400 `InvalidParameter` (Caller, Callee, Broker or AdditionalBroker not a telephone
/// number; Broker or AdditionalBroker not an outbound number of the instance); 400
/// `IdempotentParameterMismatch`; the engine's (`Telephony.*`).
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    // The token records the version too (idempotency::Token::action): a token of the 2017
    // action is a mismatch here and the other way round.
    let token = idempotency::token(ctx, req.client_token.as_deref());
    if let Some(first) = idempotency::replay(ctx, token.as_ref()).await? {
        return reply(&first, None, ctx.now_ms());
    }
    let caller = dial::check_number("Caller", &req.caller)?;
    let callee = dial::check_number("Callee", &req.callee)?;
    dial::check_number("Broker", &req.broker)?;
    let broker = dial::caller_id(ctx, "Broker", Some(&req.broker)).await?;
    let additional = match req.additional_broker.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => {
            dial::check_number("AdditionalBroker", n)?;
            Some(dial::caller_id(ctx, "AdditionalBroker", Some(n)).await?)
        }
        None => None,
    };
    let now = ctx.now_ms();
    let contact_id = dial::new_contact_id(now);
    let settings = &ctx.state().settings;
    let call = StartCall {
        call_id: contact_id.clone(),
        instance_id: ctx.instance().to_string(),
        first: Leg {
            target: Target::Number {
                number: caller.clone(),
            },
            caller_id: broker.clone(),
        },
        second: Leg {
            target: Target::Number {
                number: callee.clone(),
            },
            caller_id: additional.clone().unwrap_or_else(|| broker.clone()),
        },
        ring_timeout_seconds: desk::ring_seconds(
            req.timeout_seconds,
            settings.ring_timeout_seconds,
        ),
        max_duration_seconds: settings.max_duration_seconds,
    };
    let record = cdr::Model {
        contact_id,
        instance_id: ctx.instance().to_string(),
        call_type: BACK2BACK.into(),
        caller,
        callee,
        call_center_number: broker,
        status: LIVE.into(),
        start_ms: now,
        ..Default::default()
    };
    match idempotency::start(ctx, record.clone(), None, &call, token.as_ref()).await? {
        None => reply(&record, additional.as_deref(), now),
        Some(first) => reply(&first, None, now),
    }
}

/// The reply for call `c`; `second_shown`: the caller id of the second leg when it is not the
/// record's call center number (AdditionalBroker).
fn reply(c: &cdr::Model, second_shown: Option<&str>, now_ms: i64) -> ApiResult<Response> {
    let mut data = call_context::data(c, "", now_ms);
    // The SDK's UserContext of this action has DeviceState, which the shared renderer lacks.
    data["UserContext"]["DeviceState"] = json!("");
    if let Some(shown) = second_shown {
        data["CallContext"]["ChannelContexts"][1]["Originator"] = Value::from(shown);
    }
    Ok(Response {
        data: call_context::typed(data)?,
        params: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::ApiError;
    use ccgate_plugin_sdk::telephony::{CallEventKind, LegId, Party, Target};

    use crate::Settings;
    use crate::api::start_back2_back_call_v2020::SPEC;
    use crate::storage::{ENDED, LIVE};
    use crate::testutil::{Harness, INSTANCE, NUMBERS};

    const B2B: [(&str, &str); 3] = [
        ("Caller", "17600668806"),
        ("Callee", "18801341452"),
        ("Broker", NUMBERS[1]),
    ];

    #[tokio::test]
    async fn calls_the_caller_then_the_callee_showing_the_broker() {
        let h = Harness::new().await;
        let v = h.call(SPEC, &B2B).await.unwrap();
        let d = &v["Data"];
        let id = d["CallContext"]["JobId"].as_str().unwrap().to_string();
        assert_eq!(id.len(), 18, "{id}");
        assert_eq!(d["CallContext"]["CallType"], "BACK2BACK");
        assert_eq!(d["CallContext"]["InstanceId"], INSTANCE);
        let ch = &d["CallContext"]["ChannelContexts"];
        assert_eq!(ch.as_array().unwrap().len(), 2);
        assert_eq!(ch[0]["ChannelId"], format!("{id}-1"));
        assert_eq!(ch[0]["Destination"], "17600668806");
        assert_eq!(ch[0]["Originator"], NUMBERS[1]);
        assert_eq!(ch[0]["ChannelState"], "CREATED");
        assert_eq!(ch[0]["CallType"], "BACK2BACK");
        assert_eq!(ch[0]["UserId"], "");
        assert_eq!(ch[1]["ChannelId"], format!("{id}-2"));
        assert_eq!(ch[1]["Destination"], "18801341452");
        assert_eq!(ch[1]["Originator"], NUMBERS[1]);
        assert_eq!(ch[1]["JobId"], id.as_str());
        // The SDK's model of this action: no MediaType / Index on channels, no ContextId, a
        // UserContext with DeviceState; empty, as no agent takes part.
        assert!(ch[0].get("MediaType").is_none());
        assert!(ch[0].get("Index").is_none());
        assert!(d.get("ContextId").is_none());
        assert!(d["CallContext"].get("CallVariables").is_none());
        let u = &d["UserContext"];
        assert_eq!(u["DeviceState"], "");
        assert_eq!(u["UserId"], "");
        assert_eq!(u["JobId"], "");
        assert_eq!(u["Heartbeat"], 0);
        assert_eq!(v["Params"], ccgate_plugin_sdk::serde_json::json!([]));

        let started = h.env.telephony.started();
        assert_eq!(started.len(), 1);
        let call = &started[0];
        assert_eq!(call.call_id, id);
        assert_eq!(call.instance_id, INSTANCE);
        assert_eq!(
            call.first.target,
            Target::Number {
                number: "17600668806".into()
            }
        );
        assert_eq!(call.first.caller_id, NUMBERS[1]);
        assert_eq!(
            call.second.target,
            Target::Number {
                number: "18801341452".into()
            }
        );
        assert_eq!(call.second.caller_id, NUMBERS[1]);
        assert_eq!(call.ring_timeout_seconds, 30);
        // Nobody was reserved: the broker is a number, not an agent.
        assert!(h.asked.lock().unwrap().is_empty());

        let c = h.cdr(&id).await;
        assert_eq!(
            (c.status.as_str(), c.call_type.as_str()),
            (LIVE, "Back2Back")
        );
        assert_eq!(c.call_center_number, NUMBERS[1]);
        assert_eq!(c.agent_user_id, None);

        // The engine's events go through the recorder as for the 2017 action.
        use CallEventKind::*;
        let events = [
            Inviting {
                leg: LegId::First,
                uri: "u".into(),
            },
            Answered { leg: LegId::First },
            Inviting {
                leg: LegId::Second,
                uri: "u".into(),
            },
            Answered { leg: LegId::Second },
            Bridged,
            Released {
                by: Party::Second,
                sip_code: 200,
                reason: "Normal call clearing".into(),
            },
            Ended,
        ];
        for (i, k) in events.into_iter().enumerate() {
            h.feed(&id, i as u32 + 1, k).await;
        }
        let c = h.cdr(&id).await;
        assert_eq!(c.status, ENDED);
        assert_eq!(c.release_initiator, "callee");
        assert_eq!(c.disposition, "Success");
        assert!(h.agent_legs().await.is_empty());
    }

    #[tokio::test]
    async fn the_additional_broker_calls_the_callee_and_timeouts_are_capped() {
        let h = Harness::new().await;
        let mut p = B2B.to_vec();
        p[2] = ("Broker", NUMBERS[0]);
        p.push(("AdditionalBroker", NUMBERS[1]));
        p.push(("TimeoutSeconds", "600"));
        let v = h.call(SPEC, &p).await.unwrap();
        let ch = &v["Data"]["CallContext"]["ChannelContexts"];
        assert_eq!(ch[0]["Originator"], NUMBERS[0]);
        assert_eq!(ch[1]["Originator"], NUMBERS[1]);
        let call = &h.env.telephony.started()[0];
        assert_eq!(call.first.caller_id, NUMBERS[0]);
        assert_eq!(call.second.caller_id, NUMBERS[1]);
        assert_eq!(call.ring_timeout_seconds, 120);

        let mut p = B2B.to_vec();
        p.push(("TimeoutSeconds", "45"));
        p.push(("AdditionalBroker", ""));
        h.call(SPEC, &p).await.unwrap();
        let call = &h.env.telephony.started()[1];
        assert_eq!(call.ring_timeout_seconds, 45);
        assert_eq!(call.second.caller_id, NUMBERS[1]);

        let mut p = B2B.to_vec();
        p.push(("TimeoutSeconds", "0"));
        let e = h.call(SPEC, &p).await.unwrap_err();
        assert!(e.message.contains("TimeoutSeconds"), "{e:?}");

        // Absent: the plugin's setting.
        let s = Harness::build(
            Settings {
                ring_timeout_seconds: 20,
                ..Settings::default()
            },
            &NUMBERS,
            false,
        )
        .await;
        s.call(SPEC, &B2B).await.unwrap();
        assert_eq!(s.env.telephony.started()[0].ring_timeout_seconds, 20);
    }

    #[tokio::test]
    async fn numbers_are_checked_before_anything_is_dialled() {
        let h = Harness::new().await;
        let with = |name: &'static str, value: &'static str| {
            let mut p: Vec<(&str, &str)> =
                B2B.iter().filter(|(n, _)| *n != name).copied().collect();
            p.push((name, value));
            p
        };
        for (name, value) in [
            ("Caller", "abc"),
            ("Callee", "12"),
            ("Broker", "999"),
            ("Broker", "x1"),
            ("AdditionalBroker", "02566040899"),
        ] {
            let e = h.call(SPEC, &with(name, value)).await.unwrap_err();
            assert_eq!(
                (e.status, e.code.as_ref()),
                (400, "InvalidParameter"),
                "{name}"
            );
            assert!(e.message.contains(name), "{e:?}");
        }
        // Broker is required (the SDK's model says so).
        let e = h
            .call(
                SPEC,
                &[("Caller", "17600668806"), ("Callee", "18801341452")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains("Broker"), "{e:?}");
        assert!(h.env.telephony.started().is_empty());
        assert!(h.all_cdrs().await.is_empty());

        // Without the numbers plugin's outbound numbers the Broker cannot be one.
        let none = Harness::without_numbers().await;
        let e = none.call(SPEC, &B2B).await.unwrap_err();
        assert_eq!(e.code.as_ref(), "InvalidParameter");
    }

    #[tokio::test]
    async fn a_client_token_retry_answers_the_first_call() {
        let h = Harness::new().await;
        let mut p = B2B.to_vec();
        p.push(("ClientToken", "b-1"));
        let a = h.call(SPEC, &p).await.unwrap();
        let b = h.call(SPEC, &p).await.unwrap();
        assert_eq!(
            a["Data"]["CallContext"]["JobId"],
            b["Data"]["CallContext"]["JobId"]
        );
        assert_eq!(h.env.telephony.started().len(), 1);
        assert_eq!(h.all_cdrs().await.len(), 1);
        // The 2017 action with the same token is another action.
        let e = h
            .call(
                crate::api::start_back2_back_call::SPEC,
                &[
                    ("Caller", "17600668806"),
                    ("Callee", "18801341452"),
                    ("ClientToken", "b-1"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (400, "IdempotentParameterMismatch")
        );
        assert!(e.message.contains("2020-07-01"), "{e:?}");
        // And the other way round.
        h.call(
            crate::api::start_back2_back_call::SPEC,
            &[
                ("Caller", "17600668806"),
                ("Callee", "18801341452"),
                ("ClientToken", "b-17"),
            ],
        )
        .await
        .unwrap();
        let mut p = B2B.to_vec();
        p.push(("ClientToken", "b-17"));
        let e = h.call(SPEC, &p).await.unwrap_err();
        assert_eq!(e.code.as_ref(), "IdempotentParameterMismatch");
        assert_eq!(h.env.telephony.started().len(), 2);
    }

    #[tokio::test]
    async fn a_refused_start_ends_the_record_and_frees_the_token() {
        let h = Harness::new().await;
        h.env.telephony.fail_with(Some(ApiError::new(
            400,
            "Telephony.NoRoute",
            "No route for 1: x",
        )));
        let mut p = B2B.to_vec();
        p.push(("ClientToken", "b-2"));
        let e = h.call(SPEC, &p).await.unwrap_err();
        assert_eq!(e.code.as_ref(), "Telephony.NoRoute");
        let all = h.all_cdrs().await;
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].status, ENDED);
        assert_eq!(all[0].release_reason, "400-Telephony.NoRoute");
        h.env.telephony.fail_with(None);
        h.call(SPEC, &p).await.unwrap();
        assert_eq!(h.env.telephony.started().len(), 1);
        assert_eq!(h.all_cdrs().await.len(), 2);
    }
}
