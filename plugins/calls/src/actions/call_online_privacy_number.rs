//! CallOnlinePrivacyNumber (2017-07-05, seed 004 §6.10): a call between the call center number
//! `TelA` and the customer `TelB` that shows TelA's bound virtual number TelX to both.
//!
//! The seed's rule: "呼叫中心号码如果与虚拟号码进行绑定，在外呼的时候可以选择外显虚拟号码进行呼叫"
//! (a call center number bound to a virtual number may show it when calling out; §6.9: "首先
//! 呼叫中心号码（telA）与虚拟号码（telX）建立连接，然后telX与被叫号码（telB）建立连接"). So TelA
//! must be an outbound number of the instance (numbers plugin, `numbers.outbound`) bound to a
//! virtual number (§6.4 PrivacyNumber.TelX; here the setting `[plugins.calls.privacy_numbers]`).
//! The engine calls TelA first (through the trunk, so it reaches the number's contact flow),
//! then TelB, both showing TelX, and bridges them; the record is a `PrivacyDial` call
//! (seed §11 ContactType) whose contact id is the answer's `CallId`.
//!
//! `TelA` and `TelB` may be Encrypt tokens ([`crate::tokens`]).

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::telephony::{Leg, StartCall, Target};

use crate::api::Ctx;
use crate::api::call_online_privacy_number::{Data, Request, Response};
use crate::api::clients::numbers;
use crate::api::errors;
use crate::dial;
use crate::lifecycle::PRIVACY_DIAL;
use crate::storage::{LIVE, cdr};
use crate::tokens::{self, Given};

/// `Data.StatusCode` of a call placed (the seed's example).
pub const STATUS_OK: &str = "000000";

/// Starts the call (see the module docs).
///
/// Errors: 400 `InvalidParameter` (a number that is not a telephone number or an Encrypt token
/// of the instance; TelA not an active outbound number of the instance); 404
/// `NotExists.PrivacyNumber` (TelA bound to no virtual number); the engine's
/// ([`crate::dial::start_masked`]).
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let mut key = None;
    let a = tokens::reveal(ctx, &mut key, "TelA", &req.tel_a).await?;
    let b = tokens::reveal(ctx, &mut key, "TelB", &req.tel_b).await?;
    check_outbound(ctx, &a).await?;
    let Some(tel_x) = ctx.state().settings.privacy_numbers.get(&a.number).cloned() else {
        return Err(errors::not_exists_privacy_number(shown(&a, "TelA")));
    };
    let now = ctx.now_ms();
    let contact_id = dial::new_contact_id(now);
    let settings = &ctx.state().settings;
    let leg = |number: &str| Leg {
        target: Target::Number {
            number: number.to_string(),
        },
        caller_id: tel_x.clone(),
    };
    let call = StartCall {
        call_id: contact_id.clone(),
        instance_id: ctx.instance().to_string(),
        first: leg(&a.number),
        second: leg(&b.number),
        ring_timeout_seconds: settings.ring_timeout_seconds,
        max_duration_seconds: settings.max_duration_seconds,
    };
    let record = cdr::Model {
        contact_id: contact_id.clone(),
        instance_id: ctx.instance().to_string(),
        call_type: PRIVACY_DIAL.into(),
        caller: a.number.clone(),
        callee: b.number.clone(),
        call_center_number: tel_x.clone(),
        status: LIVE.into(),
        start_ms: now,
        ..Default::default()
    };
    let mask = tokens::mask(&contact_id, &a, &b);
    dial::start_masked(ctx, record, mask, &call).await?;
    Ok(Response {
        data: Data {
            call_id: contact_id,
            date_created: date_created(now),
            represent: None,
            status_code: STATUS_OK.into(),
            tel_x,
        },
    })
}

/// `yyyy/MM/dd HH:mm:ss`, UTC (the seed's `2018/10/27 15:55:55`).
pub fn date_created(ms: i64) -> String {
    ccgate_plugin_sdk::time::datetime(ms).replace('-', "/")
}

/// The number as an error may name it: the parameter's name when it was given as a token.
fn shown<'a>(given: &'a Given, param: &'a str) -> &'a str {
    if given.token.is_empty() {
        &given.number
    } else {
        param
    }
}

/// Checks that TelA is an active outbound number of the instance; without the numbers plugin
/// it is accepted as given (as StartBack2BackCall's CallCenterNumber).
///
/// Errors: 400 `InvalidParameter`; storage.
async fn check_outbound(ctx: &Ctx<'_>, a: &Given) -> ApiResult<()> {
    let args = numbers::outbound::Args {
        instance_id: ctx.instance().to_string(),
        number: a.number.clone(),
        limit: 1,
    };
    match numbers::outbound(ctx, &args).await? {
        Some(out) if out.phone_numbers.is_empty() => Err(errors::invalid_parameter(
            "TelA",
            format!(
                "{} is not an active outbound number of the instance",
                shown(a, "the number")
            ),
        )),
        _ => Ok(()),
    }
}

/// Settings and numbers the tests of the privacy-number actions share.
#[cfg(test)]
pub(crate) mod tests_support {
    use std::collections::BTreeMap;

    use crate::Settings;
    use crate::testutil::NUMBERS;

    /// The virtual number bound to `NUMBERS[0]`.
    pub const TEL_X: &str = "13020155449";

    /// Default settings with `NUMBERS[0]` bound to [`TEL_X`].
    pub fn bound() -> Settings {
        Settings {
            privacy_numbers: BTreeMap::from([(NUMBERS[0].to_string(), TEL_X.to_string())]),
            ..Settings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::ApiError;
    use ccgate_plugin_sdk::telephony::{CallEventKind, LegId, Party, Target};

    use crate::api::call_online_privacy_number::SPEC;
    use crate::api::{encrypt, list_call_event_detail_by_contact_id as list};
    use crate::testutil::{Harness, NUMBERS};

    use super::tests_support::{TEL_X, bound};

    #[tokio::test]
    async fn calls_tel_a_then_tel_b_showing_the_bound_virtual_number() {
        let h = Harness::build(bound(), &NUMBERS, false).await;
        let v = h
            .call(SPEC, &[("TelA", NUMBERS[0]), ("TelB", "18801341452")])
            .await
            .unwrap();
        let d = &v["Data"];
        let id = d["CallId"].as_str().unwrap().to_string();
        assert_eq!(id.len(), 18);
        assert_eq!(
            (d["TelX"].as_str(), d["StatusCode"].as_str()),
            (Some(TEL_X), Some("000000"))
        );
        assert!(d.get("Represent").is_none(), "{d}");
        let created = d["DateCreated"].as_str().unwrap();
        assert_eq!((created.len(), &created[4..5]), (19, "/"));
        let call = &h.env.telephony.started()[0];
        assert_eq!(call.call_id, id);
        assert_eq!(
            call.first.target,
            Target::Number {
                number: NUMBERS[0].into()
            }
        );
        assert_eq!(
            call.second.target,
            Target::Number {
                number: "18801341452".into()
            }
        );
        assert_eq!(
            (
                call.first.caller_id.as_str(),
                call.second.caller_id.as_str()
            ),
            (TEL_X, TEL_X)
        );
        let c = h.cdr(&id).await;
        assert_eq!(
            (
                c.call_type.as_str(),
                c.caller.as_str(),
                c.callee.as_str(),
                c.call_center_number.as_str()
            ),
            ("PrivacyDial", NUMBERS[0], "18801341452", TEL_X)
        );

        // The record follows the engine like a back-to-back call.
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
        let v = h.call(list::SPEC, &[("ContactId", &id)]).await.unwrap();
        let d = &v["Data"];
        assert_eq!(d["CallType"], "PrivacyDial");
        assert_eq!(d["PrivacyNumber"], TEL_X);
        assert_eq!(d["ReleaseAgent"], "callee");
        assert_eq!(d["Events"]["CallEventDetail"][0]["Event"], "Dial");
        assert_eq!(h.cdr(&id).await.disposition, "Success");
    }

    #[tokio::test]
    async fn tel_a_must_be_a_bound_outbound_number_of_the_instance() {
        let h = Harness::build(bound(), &NUMBERS, false).await;
        // An outbound number of the instance without a binding.
        let e = h
            .call(SPEC, &[("TelA", NUMBERS[1]), ("TelB", "18801341452")])
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (404, "NotExists.PrivacyNumber")
        );
        assert!(e.message.contains(NUMBERS[1]), "{e:?}");
        // Not a number of the instance.
        let e = h
            .call(SPEC, &[("TelA", "01012345678"), ("TelB", "18801341452")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(e.message.contains("TelA"), "{e:?}");
        let e = h
            .call(SPEC, &[("TelA", NUMBERS[0]), ("TelB", "x1")])
            .await
            .unwrap_err();
        assert!(e.message.contains("TelB"), "{e:?}");
        assert!(h.env.telephony.started().is_empty());
        assert!(h.all_cdrs().await.is_empty());
    }

    #[tokio::test]
    async fn a_refused_start_ends_the_record() {
        let h = Harness::build(bound(), &NUMBERS, false).await;
        h.env
            .telephony
            .fail_with(Some(ApiError::new(503, "Telephony.Unavailable", "down")));
        let e = h
            .call(SPEC, &[("TelA", NUMBERS[0]), ("TelB", "18801341452")])
            .await
            .unwrap_err();
        assert_eq!(e.code.as_ref(), "Telephony.Unavailable");
        let c = &h.all_cdrs().await[0];
        assert_eq!(
            (c.status.as_str(), c.call_type.as_str()),
            ("ENDED", "PrivacyDial")
        );
    }

    #[tokio::test]
    async fn encrypted_numbers_are_dialled_and_shown_as_tokens() {
        let h = Harness::build(bound(), &NUMBERS, false).await;
        let v = h
            .call(
                encrypt::SPEC,
                &[("PhoneNumbers", &format!("{},18801341452", NUMBERS[0]))],
            )
            .await
            .unwrap();
        let ta = v["EncryptedNumbers"][0].as_str().unwrap().to_string();
        let tb = v["EncryptedNumbers"][1].as_str().unwrap().to_string();
        let v = h.call(SPEC, &[("TelA", &ta), ("TelB", &tb)]).await.unwrap();
        let id = v["Data"]["CallId"].as_str().unwrap().to_string();
        let call = &h.env.telephony.started()[0];
        assert_eq!(
            call.first.target,
            Target::Number {
                number: NUMBERS[0].into()
            }
        );
        assert_eq!(
            call.second.target,
            Target::Number {
                number: "18801341452".into()
            }
        );
        let c = h.cdr(&id).await;
        assert_eq!(
            (c.caller.as_str(), c.callee.as_str()),
            (NUMBERS[0], "18801341452")
        );
        let v = h.call(list::SPEC, &[("ContactId", &id)]).await.unwrap();
        assert_eq!(
            (v["Data"]["Caller"].as_str(), v["Data"]["Callee"].as_str()),
            (Some(ta.as_str()), Some(tb.as_str()))
        );
        // An unbound number given as a token is not named in the error.
        let v = h
            .call(encrypt::SPEC, &[("PhoneNumbers", NUMBERS[1])])
            .await
            .unwrap();
        let t1 = v["EncryptedNumbers"][0].as_str().unwrap().to_string();
        let e = h
            .call(SPEC, &[("TelA", &t1), ("TelB", &tb)])
            .await
            .unwrap_err();
        assert_eq!(e.code.as_ref(), "NotExists.PrivacyNumber");
        assert!(!e.message.contains(NUMBERS[1]), "{e:?}");
    }
}
