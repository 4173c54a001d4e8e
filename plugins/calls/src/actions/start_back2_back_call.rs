//! StartBack2BackCall (2017-07-05, seed 004 §7.2): the engine calls `Caller` first and, once
//! answered, `Callee`, both through the SIP trunks, showing `CallCenterNumber` (or the
//! instance's first outbound number) as the caller id; then bridges them.
//!
//! `WorkflowId` is reserved by the seed ("该字段是扩展用，请留空") and ignored. The ring timeout
//! of each leg is `[plugins.calls] ring_timeout_seconds` (the action has no parameter for it).
//! Answers when the first INVITE is on the wire; what happens next is in the call's record
//! (ListCallEventDetailByContactId with `TaskId`).

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::telephony::{Leg, StartCall, Target};

use crate::api::Ctx;
use crate::api::start_back2_back_call::{Request, Response};
use crate::lifecycle::BACK2BACK;
use crate::storage::{LIVE, cdr};
use crate::{dial, tokens};

/// Starts the call (see the module docs).
///
/// `Caller` and `Callee` may be Encrypt tokens of the instance ([`crate::tokens`]).
///
/// Errors: 400 `InvalidParameter` (a number that is not a telephone number or a token of the
/// instance, or a
/// CallCenterNumber that is not an outbound number of the instance); 404
/// `NotExists.OutboundNumber` (no CallCenterNumber and the instance has no outbound number);
/// the engine's (`crate::dial::start`).
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let token = crate::idempotency::token(ctx, req.client_token.as_deref());
    if let Some(first) = crate::idempotency::replay(ctx, token.as_ref()).await? {
        return Ok(replayed(&first));
    }
    let mut key = None;
    let caller_given = tokens::reveal(ctx, &mut key, "Caller", &req.caller).await?;
    let callee_given = tokens::reveal(ctx, &mut key, "Callee", &req.callee).await?;
    let (caller, callee) = (caller_given.number.clone(), callee_given.number.clone());
    let wanted = req.call_center_number.as_deref().filter(|n| !n.is_empty());
    let shown = dial::caller_id(ctx, "CallCenterNumber", wanted).await?;
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
            caller_id: shown.clone(),
        },
        second: Leg {
            target: Target::Number {
                number: callee.clone(),
            },
            caller_id: shown.clone(),
        },
        ring_timeout_seconds: settings.ring_timeout_seconds,
        max_duration_seconds: settings.max_duration_seconds,
    };
    let record = cdr::Model {
        contact_id: contact_id.clone(),
        instance_id: ctx.instance().to_string(),
        call_type: BACK2BACK.into(),
        caller,
        callee,
        call_center_number: shown,
        status: LIVE.into(),
        start_ms: now,
        ..Default::default()
    };
    let mask = tokens::mask(&contact_id, &caller_given, &callee_given);
    let started = crate::idempotency::start(ctx, record, mask, &call, token.as_ref()).await?;
    if let Some(first) = started {
        return Ok(replayed(&first));
    }
    Ok(Response {
        status_code: "200".into(),
        status_desc: "Okay".into(),
        task_id: contact_id,
        time_stamp: ccgate_plugin_sdk::time::datetime(now),
    })
}

/// The reply of a retry with a used ClientToken: the first call's TaskId and TimeStamp.
fn replayed(first: &crate::storage::cdr::Model) -> Response {
    Response {
        status_code: "200".into(),
        status_desc: "Okay".into(),
        task_id: first.contact_id.clone(),
        time_stamp: ccgate_plugin_sdk::time::datetime(first.start_ms),
    }
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::ApiError;
    use ccgate_plugin_sdk::telephony::Target;

    use crate::api::start_back2_back_call::SPEC;
    use crate::storage::{ENDED, LIVE};
    use crate::testutil::{Harness, INSTANCE};

    #[tokio::test]
    async fn starts_a_call_between_two_numbers_with_a_live_record() {
        let h = Harness::new().await;
        let v = h
            .call(
                SPEC,
                &[("Caller", "17600668806"), ("Callee", "18801341452")],
            )
            .await
            .unwrap();
        assert_eq!(
            (v["StatusCode"].as_str(), v["StatusDesc"].as_str()),
            (Some("200"), Some("Okay"))
        );
        let id = v["TaskId"].as_str().unwrap().to_string();
        assert_eq!(id.len(), 18, "{id}");
        assert_eq!(v["TimeStamp"].as_str().unwrap().len(), 19);
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
        assert_eq!(
            call.second.target,
            Target::Number {
                number: "18801341452".into()
            }
        );
        // The instance's first outbound number is shown.
        assert_eq!(call.first.caller_id, "02566040852");
        assert_eq!(call.ring_timeout_seconds, 30);
        let cdr = h.cdr(&id).await;
        assert_eq!(
            (cdr.status.as_str(), cdr.call_type.as_str()),
            (LIVE, "Back2Back")
        );
    }

    #[tokio::test]
    async fn the_call_center_number_must_be_an_outbound_number_of_the_instance() {
        let h = Harness::new().await;
        h.call(
            SPEC,
            &[
                ("Caller", "17600668806"),
                ("Callee", "18801341452"),
                ("CallCenterNumber", "02566040853"),
            ],
        )
        .await
        .unwrap();
        assert_eq!(h.env.telephony.started()[0].first.caller_id, "02566040853");
        let e = h
            .call(
                SPEC,
                &[
                    ("Caller", "17600668806"),
                    ("Callee", "18801341452"),
                    ("CallCenterNumber", "999"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(e.message.contains("CallCenterNumber"), "{e:?}");
        let e = h
            .call(SPEC, &[("Caller", "abc"), ("Callee", "18801341452")])
            .await
            .unwrap_err();
        assert!(e.message.contains("Caller"), "{e:?}");
        assert_eq!(h.env.telephony.started().len(), 1);
    }

    #[tokio::test]
    async fn an_instance_without_outbound_numbers_is_refused() {
        let h = Harness::without_numbers().await;
        let e = h
            .call(
                SPEC,
                &[("Caller", "17600668806"), ("Callee", "18801341452")],
            )
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (404, "NotExists.OutboundNumber")
        );
    }

    #[tokio::test]
    async fn a_refused_start_ends_the_record_and_returns_the_engines_error() {
        let h = Harness::new().await;
        h.env.telephony.fail_with(Some(ApiError::new(
            400,
            "Telephony.NoRoute",
            "No route for 1: x",
        )));
        let e = h
            .call(
                SPEC,
                &[("Caller", "17600668806"), ("Callee", "18801341452")],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code.as_ref(), "Telephony.NoRoute");
        let all = h.all_cdrs().await;
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].status, ENDED);
        assert_eq!(all[0].disposition, "NoAnswer");
        assert_eq!(all[0].release_reason, "400-Telephony.NoRoute");
    }
    #[tokio::test]
    async fn encrypted_numbers_are_decrypted_before_dialling() {
        use crate::api::{encrypt, list_call_event_detail_by_contact_id as list};
        let h = Harness::new().await;
        let v = h
            .call(
                encrypt::SPEC,
                &[("PhoneNumbers", "17600668806,18801341452")],
            )
            .await
            .unwrap();
        let caller = v["EncryptedNumbers"][0].as_str().unwrap().to_string();
        let callee = v["EncryptedNumbers"][1].as_str().unwrap().to_string();
        // A token and a plain number mix.
        let v = h
            .call(SPEC, &[("Caller", &caller), ("Callee", "18801341452")])
            .await
            .unwrap();
        let id = v["TaskId"].as_str().unwrap().to_string();
        let call = &h.env.telephony.started()[0];
        assert_eq!(
            call.first.target,
            Target::Number {
                number: "17600668806".into()
            }
        );
        // The record keeps the number; the event detail shows the token given.
        assert_eq!(h.cdr(&id).await.caller, "17600668806");
        let v = h.call(list::SPEC, &[("ContactId", &id)]).await.unwrap();
        assert_eq!(v["Data"]["Caller"], caller.as_str());
        assert_eq!(v["Data"]["Callee"], "18801341452");

        // Another instance's token, or a damaged one, is refused without naming the number.
        let theirs = h
            .env
            .call(
                encrypt::SPEC,
                "ccc-other",
                &[("PhoneNumbers", "17600668806")],
            )
            .await
            .unwrap();
        let theirs = theirs["EncryptedNumbers"][0].as_str().unwrap().to_string();
        let damaged = format!("{}A", &callee[..callee.len() - 1]);
        for bad in [theirs.as_str(), damaged.as_str(), "enc:x"] {
            let e = h
                .call(SPEC, &[("Caller", "17600668806"), ("Callee", bad)])
                .await
                .unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
            assert!(e.message.contains("Callee"), "{e:?}");
            assert!(!e.message.contains("18801341452"), "{e:?}");
        }
        assert_eq!(h.env.telephony.started().len(), 1);
    }
}
