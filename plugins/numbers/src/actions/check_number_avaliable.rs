//! 2017-07-05 CheckNumberAvaliable (seed 004 §6.5 外呼号码校验; the API's misspelling is kept):
//! whether a caller/callee pair may be used for an outbound call.
//!
//! Request ([`crate::api::check_number_avaliable::Request`]): `InstanceId`, `Callee` (required),
//! `Caller` (optional).
//! Response ([`crate::api::check_number_avaliable::Response`]): `CalleeAvaliable {Avaliable,
//! [Reason]}`, `CallerAvaliable {Avaliable, [Reason]}`;
//! `Reason` is present only when `Avaliable` is false ("如果可用不返回"; an `optional` field of
//! the spec), worded like the seed's reasons (`<Check> : Number <n> ...`).
//!
//! The seed's checks are blacklists (instance and system) and outbound frequency limits; ccgate
//! has no blacklist or call-frequency data, so it checks what it knows:
//! - Callee: a valid phone number (5-20 digits, optional `+`), else
//!   `Invalid Number : Number <n> is not a valid phone number`.
//! - Caller, when given: a valid phone number (same reason), bound to this instance
//!   (`Instance Number : Number <n> does not belong to current instance`), active
//!   (`Outbound Control : Number <n> is not active`) and outbound-capable, i.e. Usage Outbound or
//!   Bidirection (`Outbound Control : Number <n> can not be used for outbound calls, its usage is
//!   Inbound`). Without `Caller`, `CallerAvaliable` is `{Avaliable: true}` as in the seed example.
//!
//! Errors: `MissingParameter` / `Parameter.Empty` (Callee).

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::check_number_avaliable::{CalleeAvaliable, CallerAvaliable, Request, Response};
use crate::rules;
use crate::storage::phone_numbers;

fn invalid(n: &str) -> String {
    format!("Invalid Number : Number {n} is not a valid phone number")
}

/// Serves CheckNumberAvaliable.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let callee = req.callee.trim();
    let caller = req.caller.as_deref().map(str::trim);

    let callee_reason = rules::number_problem(callee).map(|_| invalid(callee));
    let caller_reason = match caller {
        None => None,
        Some(c) if rules::number_problem(c).is_some() => Some(invalid(c)),
        Some(c) => {
            let row = phone_numbers::find_by_number_in_instance(&ctx.db, ctx.instance(), c).await?;
            match row {
                None => Some(format!(
                    "Instance Number : Number {c} does not belong to current instance"
                )),
                Some(n) if !n.active => {
                    Some(format!("Outbound Control : Number {c} is not active"))
                }
                Some(n) if !rules::allow_outbound(&n.usage) => Some(format!(
                    "Outbound Control : Number {c} can not be used for outbound calls, its usage is {}",
                    n.usage
                )),
                Some(_) => None,
            }
        }
    };
    Ok(Response {
        callee_avaliable: CalleeAvaliable {
            avaliable: callee_reason.is_none(),
            reason: callee_reason,
        },
        caller_avaliable: CallerAvaliable {
            avaliable: caller_reason.is_none(),
            reason: caller_reason,
        },
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::json;

    use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, EntityTrait, Set};

    use crate::api::check_number_avaliable::SPEC;
    use crate::storage::phone_number;
    use crate::testutil::{Harness, OTHER_INSTANCE};

    #[tokio::test]
    async fn available_pair_has_no_reasons() {
        let h = Harness::new().await;
        h.add("02160664656", "Bidirection", None).await;
        let v = h
            .call(
                SPEC,
                &[("Callee", "18801341234"), ("Caller", "02160664656")],
            )
            .await
            .unwrap();
        assert_eq!(
            v,
            json!({"CallerAvaliable": {"Avaliable": true}, "CalleeAvaliable": {"Avaliable": true}})
        );
        // Seed example: no Caller at all.
        let v = h.call(SPEC, &[("Callee", "18801341234")]).await.unwrap();
        assert_eq!(
            v,
            json!({"CallerAvaliable": {"Avaliable": true}, "CalleeAvaliable": {"Avaliable": true}})
        );
    }

    #[tokio::test]
    async fn unavailable_numbers_say_why() {
        let h = Harness::new().await;
        h.add("02160664656", "Inbound", None).await;
        h.add_in(OTHER_INSTANCE, "01086394552", "Outbound", None)
            .await;
        let v = h
            .call(SPEC, &[("Callee", "1880-1341"), ("Caller", "02160664656")])
            .await
            .unwrap();
        assert_eq!(
            v,
            json!({
                "CallerAvaliable": {"Avaliable": false, "Reason": "Outbound Control : Number 02160664656 can not be used for outbound calls, its usage is Inbound"},
                "CalleeAvaliable": {"Avaliable": false, "Reason": "Invalid Number : Number 1880-1341 is not a valid phone number"},
            })
        );
        let v = h
            .call(
                SPEC,
                &[("Callee", "18801341234"), ("Caller", "01086394552")],
            )
            .await
            .unwrap();
        assert_eq!(
            v["CallerAvaliable"],
            json!({"Avaliable": false, "Reason": "Instance Number : Number 01086394552 does not belong to current instance"})
        );
        let v = h
            .call(SPEC, &[("Callee", "18801341234"), ("Caller", "abc")])
            .await
            .unwrap();
        assert_eq!(v["CallerAvaliable"]["Avaliable"], false);
        assert_eq!(v["CalleeAvaliable"], json!({"Avaliable": true}));
    }

    #[tokio::test]
    async fn inactive_caller_is_unavailable() {
        let h = Harness::new().await;
        h.add("02160664656", "Outbound", None).await;
        // No action deactivates a number yet: set the column directly.
        let row = phone_number::Entity::find()
            .one(&h.env.db)
            .await
            .unwrap()
            .unwrap();
        let mut am: phone_number::ActiveModel = row.into();
        am.active = Set(false);
        am.update(&h.env.db).await.unwrap();
        let v = h
            .call(
                SPEC,
                &[("Callee", "18801341234"), ("Caller", "02160664656")],
            )
            .await
            .unwrap();
        assert_eq!(
            v["CallerAvaliable"],
            json!({"Avaliable": false, "Reason": "Outbound Control : Number 02160664656 is not active"})
        );
    }

    #[tokio::test]
    async fn callee_is_required() {
        let h = Harness::new().await;
        let e = h
            .call(SPEC, &[("Caller", "02160664656")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "MissingParameter"));
        assert!(e.message.contains("Callee"));
        let e = h.call(SPEC, &[("Callee", "")]).await.unwrap_err();
        assert_eq!(e.code, "Parameter.Empty");
    }
}
