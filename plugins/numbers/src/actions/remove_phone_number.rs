//! 2017-07-05 RemovePhoneNumber (seed 004 §6.2 删除电话号码): removes a number from the instance;
//! its contact-flow and skill-group bindings go with it, and the number is free to be added again
//! (to any instance).
//!
//! Request ([`crate::api::remove_phone_number::Request`]): `InstanceId`, `PhoneNumberId` (required). Response: only the common envelope.
//! Errors: `MissingParameter` / `Parameter.Empty`; 404 `NotExists.PhoneNumberId` when the
//! instance has no such number (numbers of other instances are not found either).

use ccgate_plugin_sdk::ApiResult;

use super::number_not_found;
use crate::api::Ctx;
use crate::api::remove_phone_number::{Request, Response};
use crate::storage::phone_numbers;

/// Serves RemovePhoneNumber: deletes the bindings and the number in one transaction
/// ([`phone_numbers::remove`]).
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let id = req.phone_number_id.as_str();
    if !phone_numbers::remove(&ctx.db, ctx.instance(), id).await? {
        return Err(number_not_found(id));
    }
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::json;

    use crate::api::remove_phone_number::SPEC;
    use crate::api::{add_bulk_phone_numbers, list_phone_numbers, list_phone_numbers_v2020};
    use crate::testutil::{Harness, OTHER_INSTANCE};

    #[tokio::test]
    async fn removes_the_number_and_frees_it() {
        let h = Harness::new().await;
        let v = h
            .call(
                add_bulk_phone_numbers::SPEC,
                &[
                    ("PhoneNumber.1", "02160664656"),
                    ("Usage", "Outbound"),
                    ("SkillGroupId.1", "sg-1"),
                ],
            )
            .await
            .unwrap();
        let id = v["PhoneNumbers"]["PhoneNumber"][0]["PhoneNumberId"]
            .as_str()
            .unwrap()
            .to_string();
        let v = h.call(SPEC, &[("PhoneNumberId", &id)]).await.unwrap();
        assert_eq!(v, json!({}));
        let list = h
            .call(list_phone_numbers::SPEC, &[("OutboundOnly", "false")])
            .await
            .unwrap();
        assert_eq!(list["PhoneNumbers"]["PhoneNumber"], json!([]));
        // Removing again: gone.
        let e = h.call(SPEC, &[("PhoneNumberId", &id)]).await.unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (404, "NotExists.PhoneNumberId")
        );
        // The number can be bound again, elsewhere, without the old skill groups.
        h.add_in(OTHER_INSTANCE, "02160664656", "Outbound", None)
            .await;
        let list = h
            .call_in(
                list_phone_numbers_v2020::SPEC,
                OTHER_INSTANCE,
                &[("PageNumber", "1"), ("PageSize", "10")],
            )
            .await
            .unwrap();
        assert_eq!(list["Data"]["List"][0]["SkillGroups"], json!([]));
    }

    #[tokio::test]
    async fn errors() {
        let h = Harness::new().await;
        let e = h.call(SPEC, &[]).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "MissingParameter"));
        let e = h.call(SPEC, &[("PhoneNumberId", "")]).await.unwrap_err();
        assert_eq!(e.code, "Parameter.Empty");
        let e = h
            .call(SPEC, &[("PhoneNumberId", "nope")])
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (404, "NotExists.PhoneNumberId")
        );
        assert!(e.message.contains("nope"));
        // Another instance's number is not found from this instance, and stays.
        let other = h
            .add_in(OTHER_INSTANCE, "053168962496", "Inbound", None)
            .await;
        let e = h
            .call(SPEC, &[("PhoneNumberId", &other)])
            .await
            .unwrap_err();
        assert_eq!(e.code, "NotExists.PhoneNumberId");
        let v = h
            .call_in(SPEC, OTHER_INSTANCE, &[("PhoneNumberId", &other)])
            .await
            .unwrap();
        assert_eq!(v, json!({}));
    }
}
