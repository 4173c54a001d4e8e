//! 2017-07-05 ListPhoneNumbers (seed 004 §6.4 电话列表): all numbers of the instance.
//!
//! Request ([`crate::api::list_phone_numbers::Request`]): `InstanceId`, `OutboundOnly` (boolean,
//! required per the table; `True`/`False` as the Python SDK sends them are accepted): when true
//! only numbers with `AllowOutbound` (Usage Outbound or Bidirection) are listed.
//!
//! Response ([`crate::api::list_phone_numbers::Response`]): `PhoneNumbers {PhoneNumber: [...]}`
//! ordered by number, each with the table's PascalCase fields in its order: `AllowOutbound,
//! Assignee, City, [ContactFlow], InstanceId, Number, NumberCommodityStatus,
//! PhoneNumberDescription, PhoneNumberId, PrivacyNumber {BizId, Extra, PhoneNumber, PoolId,
//! PoolName, RegionNameCity, SubId, TelX, Type}, Province, RemainingTime, SipTelX, SkillGroups
//! {SkillGroup: [{SkillGroupId, SkillGroupName}]}, TestOnly, Trunks, Usage`. The seed's examples
//! use a flat lowerCamel `phoneNumbers` array (and its table types `PhoneNumbers` Array), but its
//! §6.8 table, the official SDK models and every other 2017 action use this wrapper shape.
//! `PrivacyNumber` fields and `SipTelX` are empty strings (no privacy numbers). Not paged, so
//! bounded: at most [`MAX_NUMBERS`] numbers are read and answered.
//!
//! Errors: `MissingParameter` / `Parameter.Empty` (OutboundOnly), `InvalidParameter` (not a
//! boolean), 400 `ResultTooLarge` when more than [`MAX_NUMBERS`] numbers match.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::errors;
use crate::api::list_phone_numbers::{PhoneNumbers, Request, Response};
use crate::related;
use crate::storage::phone_numbers;

/// Most numbers 2017 ListPhoneNumbers answers (about 4.6 MB of JSON): the action has no paging,
/// and one answer must not grow with the instance (2020 ListPhoneNumbers pages).
pub const MAX_NUMBERS: u64 = 10_000;

/// Serves 2017 ListPhoneNumbers: one number query (at most [`MAX_NUMBERS`] + 1 rows), one
/// skill-group query, one flows call.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let rows =
        phone_numbers::list(&ctx.db, ctx.instance(), req.outbound_only, MAX_NUMBERS + 1).await?;
    if rows.len() as u64 > MAX_NUMBERS {
        return Err(errors::result_too_large(MAX_NUMBERS));
    }
    let renderer = related::load(ctx, &rows).await?;
    Ok(Response {
        phone_numbers: PhoneNumbers {
            phone_number: rows
                .iter()
                .map(|n| renderer.list_phone_number_2017(n))
                .collect(),
        },
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::json;

    use crate::api::add_bulk_phone_numbers;
    use crate::api::list_phone_numbers::SPEC;
    use crate::testutil::{FLOW_A, Harness, OTHER_INSTANCE, keys, names};

    #[tokio::test]
    async fn lists_with_table_fields_and_wrapper() {
        let h = Harness::new().await;
        h.call(
            add_bulk_phone_numbers::SPEC,
            &[
                ("PhoneNumber.1", "053168962496"),
                ("Usage", "Bidirection"),
                ("ContactFlowId", FLOW_A),
                ("SkillGroupId.1", "sg-1"),
            ],
        )
        .await
        .unwrap();
        h.add("02160664656", "Inbound", None).await;
        h.add("13912345678", "Outbound", None).await;
        h.add_in(OTHER_INSTANCE, "01086394552", "Outbound", None)
            .await;
        let calls_before = h.flow_calls();

        let v = h.call(SPEC, &[("OutboundOnly", "False")]).await.unwrap();
        assert_eq!(keys(&v), names(&["PhoneNumbers"]));
        assert_eq!(keys(&v["PhoneNumbers"]), names(&["PhoneNumber"]));
        let list = v["PhoneNumbers"]["PhoneNumber"].as_array().unwrap();
        let numbers: Vec<&str> = list.iter().map(|n| n["Number"].as_str().unwrap()).collect();
        assert_eq!(numbers, vec!["02160664656", "053168962496", "13912345678"]);
        let jinan = &list[1];
        assert_eq!(
            keys(jinan),
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
                "Assignee",
                "NumberCommodityStatus",
                "Province",
                "City",
                "ContactFlow",
                "SkillGroups",
                "PrivacyNumber",
                "SipTelX",
            ])
        );
        // No privacy (virtual) numbers: the documented object, every field empty.
        assert_eq!(
            jinan["PrivacyNumber"],
            json!({"BizId": "", "Extra": "", "PhoneNumber": "", "PoolId": "", "PoolName": "",
                   "RegionNameCity": "", "SubId": "", "TelX": "", "Type": ""})
        );
        assert_eq!(jinan["SipTelX"], "");
        assert_eq!(jinan["Province"], "山东");
        assert_eq!(jinan["City"], "济南");
        assert_eq!(jinan["NumberCommodityStatus"], 0);
        assert_eq!(
            jinan["SkillGroups"],
            json!({"SkillGroup": [{"SkillGroupName": "sg-1", "SkillGroupId": "sg-1"}]})
        );
        assert_eq!(list[0]["Province"], "上海");
        assert_eq!(list[2]["City"], "常州");
        assert!(list[0].get("ContactFlow").is_none(), "{}", list[0]);
        assert_eq!(list[0]["SkillGroups"], json!({"SkillGroup": []}));
        assert_eq!(h.flow_calls(), calls_before + 1, "one flows call per list");

        let v = h.call(SPEC, &[("OutboundOnly", "true")]).await.unwrap();
        let numbers: Vec<&str> = v["PhoneNumbers"]["PhoneNumber"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["Number"].as_str().unwrap())
            .collect();
        assert_eq!(numbers, vec!["053168962496", "13912345678"]);
    }

    #[tokio::test]
    async fn outbound_only_is_required_and_boolean() {
        let h = Harness::new().await;
        let e = h.call(SPEC, &[]).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "MissingParameter"));
        assert!(e.message.contains("OutboundOnly"));
        let e = h
            .call(SPEC, &[("OutboundOnly", "maybe")])
            .await
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        let v = h.call(SPEC, &[("OutboundOnly", "false")]).await.unwrap();
        assert_eq!(v, json!({"PhoneNumbers": {"PhoneNumber": []}}));
    }

    #[tokio::test]
    async fn flows_disabled_lists_without_contact_flow() {
        let h = Harness::new().await;
        h.add("02160664656", "Inbound", Some(FLOW_A)).await;
        let v = h
            .call_flows_disabled(SPEC, &[("OutboundOnly", "false")])
            .await
            .unwrap();
        let n = &v["PhoneNumbers"]["PhoneNumber"][0];
        assert!(n.get("ContactFlow").is_none(), "{}", n);
        assert_eq!(n["Number"], "02160664656");
    }

    /// Issue 9: an instance with 848,000 numbers answered one call with 393 MB.
    #[tokio::test]
    async fn more_numbers_than_the_cap_is_a_documented_error() {
        use ccgate_plugin_sdk::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

        use super::MAX_NUMBERS;
        use crate::storage::phone_number;
        use crate::testutil::INSTANCE;

        let h = Harness::new().await;
        let rows: Vec<_> = (0..=MAX_NUMBERS)
            .map(|i| {
                crate::actions::new_number(INSTANCE, &format!("0531{i:08}"), "Bidirection", None, 0)
            })
            .collect();
        for chunk in rows.chunks(500) {
            phone_number::Entity::insert_many(
                chunk
                    .iter()
                    .map(crate::storage::phone_numbers::active_model),
            )
            .exec(&h.env.db)
            .await
            .unwrap();
        }
        let e = h
            .call(SPEC, &[("OutboundOnly", "false")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "ResultTooLarge"));
        assert!(
            e.message.contains("2020-07-01 ListPhoneNumbers"),
            "{}",
            e.message
        );
        // At the cap the whole list is answered.
        phone_number::Entity::delete_many()
            .filter(phone_number::Column::Number.eq("053100000000"))
            .exec(&h.env.db)
            .await
            .unwrap();
        let v = h.call(SPEC, &[("OutboundOnly", "false")]).await.unwrap();
        assert_eq!(
            v["PhoneNumbers"]["PhoneNumber"].as_array().unwrap().len() as u64,
            MAX_NUMBERS
        );
    }
}
