//! 2017-07-05 AddPhoneNumber (seed 004 §6.1 新增号码): binds a number to the instance,
//! optionally to a contact flow.
//!
//! Request ([`crate::api::add_phone_number::Request`]): `InstanceId`, `PhoneNumber` (required),
//! `Usage` (required: Inbound | Outbound | Bidirection), `ContactFlowId` (optional, must exist in
//! the instance).
//! Response ([`crate::api::add_phone_number::Response`]): `PhoneNumber {AllowOutbound,
//! [ContactFlow], InstanceId, Number, PhoneNumberDescription, PhoneNumberId, RemainingTime,
//! TestOnly, Trunks, Usage}` (see [`crate::render`]).
//!
//! Errors: `MissingParameter` / `Parameter.Empty`; `Parameter.Enumeration` (Usage);
//! `InvalidParameter` (PhoneNumber not 5-20 digits with an optional `+`; a 400 number with a
//! Usage other than Inbound; ContactFlowId while the flows plugin is disabled);
//! 404 `NotExists.ContactFlowId`; 409 `Conflict.PhoneNumber` when the number is already bound
//! to any instance (a number belongs to one instance at a time).

use ccgate_plugin_sdk::ApiResult;

use super::{new_number, number_conflict};
use crate::api::Ctx;
use crate::api::add_phone_number::{Request, Response};
use crate::storage::{self, phone_numbers};
use crate::{flows, related, rules};

/// Serves AddPhoneNumber.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let usage = req.usage.as_str();
    let number = rules::validate_number("PhoneNumber", &req.phone_number)?;
    rules::check_usage(&number, usage)?;
    let flow_id = req.contact_flow_id.as_deref();
    if let Some(id) = flow_id {
        flows::require_flow(ctx, id).await?;
    }
    if let Some(existing) = phone_numbers::find_by_number(&ctx.db, &number).await? {
        return Err(number_conflict(
            &number,
            existing.instance_id == ctx.instance(),
        ));
    }
    let model = new_number(ctx.instance(), &number, usage, flow_id, ctx.now_ms());
    match phone_numbers::insert(&ctx.db, &model).await {
        Ok(_) => {}
        Err(e) if storage::is_unique_violation(&e) => {
            return Err(number_conflict(&number, false));
        }
        Err(e) => return Err(e.into()),
    }
    let renderer = related::load(ctx, std::slice::from_ref(&model)).await?;
    Ok(Response {
        phone_number: renderer.add_phone_number(&model),
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::json;

    use crate::api::add_phone_number::SPEC;
    use crate::testutil::{FLOW_A, FLOW_B, Harness, INSTANCE, OTHER_INSTANCE, keys, names};

    #[tokio::test]
    async fn adds_a_number_with_its_flow() {
        let h = Harness::new().await;
        let v = h
            .call(
                SPEC,
                &[
                    ("PhoneNumber", "053168962496"),
                    ("Usage", "Bidirection"),
                    ("ContactFlowId", FLOW_A),
                ],
            )
            .await
            .unwrap();
        assert_eq!(keys(&v), names(&["PhoneNumber"]));
        let n = &v["PhoneNumber"];
        assert_eq!(
            keys(n),
            names(&[
                "PhoneNumberId",
                "InstanceId",
                "Number",
                "PhoneNumberDescription",
                "TestOnly",
                "RemainingTime",
                "AllowOutbound",
                "Usage",
                "Trunks",
                "ContactFlow",
            ])
        );
        assert_eq!(n["Number"], "053168962496");
        assert_eq!(n["InstanceId"], INSTANCE);
        assert_eq!(n["Usage"], "Bidirection");
        assert_eq!(n["AllowOutbound"], true);
        assert_eq!(n["TestOnly"], false);
        assert_eq!(n["Trunks"], 1);
        assert_eq!(n["RemainingTime"], 0);
        assert_eq!(n["PhoneNumberId"].as_str().unwrap().len(), 36);
        assert_eq!(
            n["ContactFlow"],
            json!({
                "ContactFlowName": "Welcome",
                "ContactFlowDescription": "Welcome flow",
                "ContactFlowId": FLOW_A,
                "Type": "0",
                "InstanceId": INSTANCE,
            })
        );
    }

    #[tokio::test]
    async fn flow_type_and_description_are_normalised_to_strings() {
        let h = Harness::new().await;
        let v = h
            .call(
                SPEC,
                &[
                    ("PhoneNumber", "02160664656"),
                    ("Usage", "Inbound"),
                    ("ContactFlowId", FLOW_B),
                ],
            )
            .await
            .unwrap();
        assert_eq!(v["PhoneNumber"]["AllowOutbound"], false);
        assert_eq!(v["PhoneNumber"]["ContactFlow"]["Type"], "1");
        assert_eq!(
            v["PhoneNumber"]["ContactFlow"]["ContactFlowDescription"],
            ""
        );
    }

    #[tokio::test]
    async fn without_a_flow_there_is_no_contact_flow_object() {
        let h = Harness::new().await;
        let v = h
            .call(
                SPEC,
                &[("PhoneNumber", "+8613912345678"), ("Usage", "Outbound")],
            )
            .await
            .unwrap();
        assert!(
            v["PhoneNumber"].get("ContactFlow").is_none(),
            "{}",
            v["PhoneNumber"]
        );
        assert_eq!(v["PhoneNumber"]["Number"], "+8613912345678");
        assert_eq!(h.flow_calls(), 0, "no flow bound, no cross-plugin call");
    }

    #[tokio::test]
    async fn missing_and_bad_parameters() {
        let h = Harness::new().await;
        let e = h.call(SPEC, &[("Usage", "Inbound")]).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "MissingParameter"));
        assert!(e.message.contains("PhoneNumber"));
        let e = h
            .call(SPEC, &[("PhoneNumber", "053168962496")])
            .await
            .unwrap_err();
        assert_eq!(e.code, "MissingParameter");
        assert!(e.message.contains("Usage"));
        let e = h
            .call(SPEC, &[("PhoneNumber", " "), ("Usage", "Inbound")])
            .await
            .unwrap_err();
        assert_eq!(e.code, "Parameter.Empty");
        let e = h
            .call(SPEC, &[("PhoneNumber", "053168962496"), ("Usage", "Both")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Enumeration"));
        assert!(e.message.contains("[Inbound, Outbound, Bidirection]"));
        let e = h
            .call(SPEC, &[("PhoneNumber", "0531-689"), ("Usage", "Inbound")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(e.message.contains("0531-689"), "{}", e.message);
    }

    #[tokio::test]
    async fn four_hundred_numbers_must_be_inbound() {
        let h = Harness::new().await;
        let e = h
            .call(
                SPEC,
                &[("PhoneNumber", "4008001234"), ("Usage", "Bidirection")],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(
            e.message
                .contains("400 numbers can only be used for Inbound")
        );
        let v = h
            .call(SPEC, &[("PhoneNumber", "4008001234"), ("Usage", "Inbound")])
            .await
            .unwrap();
        assert_eq!(v["PhoneNumber"]["AllowOutbound"], false);
    }

    #[tokio::test]
    async fn a_number_belongs_to_one_instance() {
        let h = Harness::new().await;
        h.add("053168962496", "Inbound", None).await;
        let e = h
            .call(
                SPEC,
                &[("PhoneNumber", "053168962496"), ("Usage", "Inbound")],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (409, "Conflict.PhoneNumber"));
        assert!(e.message.contains("this instance"));
        let e = h
            .call_in(
                SPEC,
                OTHER_INSTANCE,
                &[("PhoneNumber", "053168962496"), ("Usage", "Inbound")],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (409, "Conflict.PhoneNumber"));
        assert!(e.message.contains("another instance"));
        assert!(
            !e.message.contains(INSTANCE),
            "does not leak the other instance"
        );
    }

    #[tokio::test]
    async fn unknown_flow_is_404_and_disabled_flows_is_400() {
        let h = Harness::new().await;
        let e = h
            .call(
                SPEC,
                &[
                    ("PhoneNumber", "053168962496"),
                    ("Usage", "Inbound"),
                    ("ContactFlowId", "nope"),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (404, "NotExists.ContactFlowId")
        );
        // flow-b exists only in INSTANCE.
        let e = h
            .call_in(
                SPEC,
                OTHER_INSTANCE,
                &[
                    ("PhoneNumber", "053168962496"),
                    ("Usage", "Inbound"),
                    ("ContactFlowId", FLOW_B),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "NotExists.ContactFlowId");

        let h = Harness::without_flows().await;
        let e = h
            .call(
                SPEC,
                &[
                    ("PhoneNumber", "053168962496"),
                    ("Usage", "Inbound"),
                    ("ContactFlowId", FLOW_A),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(e.message.contains("flows is disabled"), "{}", e.message);
        // Without ContactFlowId the number is added.
        let v = h
            .call(
                SPEC,
                &[("PhoneNumber", "053168962496"), ("Usage", "Inbound")],
            )
            .await
            .unwrap();
        assert!(
            v["PhoneNumber"].get("ContactFlow").is_none(),
            "{}",
            v["PhoneNumber"]
        );
    }
}
