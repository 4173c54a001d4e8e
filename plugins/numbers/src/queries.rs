//! Queries other plugins call (docs/plugin-contracts.md, section "numbers").

use ccgate_plugin_sdk::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use ccgate_plugin_sdk::serde_json::{Map, Value, json};
use ccgate_plugin_sdk::{ApiError, ApiResult, Context};

use crate::rules;
use crate::storage::phone_number;

/// `by_contact_flow`: the numbers bound to contact flows, for the flows domain's 2017
/// `PhoneNumbers.PhoneNumber[]` and 2020 `NumberList`.
///
/// args: `{"InstanceIds": ["ccc-test", ...]}`; returns `{"<ContactFlowId>": [{"PhoneNumberId",
/// "Number", "Usage", "AllowOutbound", "TestOnly", "RemainingTime", "Trunks",
/// "PhoneNumberDescription", "InstanceId"}]}` with each list ordered by `Number`; flows with no
/// number are absent. One SQL query.
///
/// Errors: 400 `InvalidParameter` when `InstanceIds` is not an array of strings.
pub async fn by_contact_flow(ctx: &Context, args: Value) -> ApiResult<Value> {
    let instance_ids: Vec<String> = match args.get("InstanceIds") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| ApiError::invalid("InstanceIds", "expected an array of strings"))?,
        _ => {
            return Err(ApiError::invalid(
                "InstanceIds",
                "expected an array of strings",
            ));
        }
    };
    let mut out = Map::new();
    if instance_ids.is_empty() {
        return Ok(Value::Object(out));
    }
    let rows = phone_number::Entity::find()
        .filter(phone_number::Column::InstanceId.is_in(instance_ids))
        .filter(phone_number::Column::ContactFlowId.is_not_null())
        .order_by_asc(phone_number::Column::Number)
        .all(&ctx.db)
        .await?;
    for n in rows {
        let Some(flow_id) = n.contact_flow_id.clone() else {
            continue;
        };
        let item = json!({
            "PhoneNumberId": n.id,
            "Number": n.number,
            "Usage": n.usage,
            "AllowOutbound": rules::allow_outbound(&n.usage),
            "TestOnly": false,
            "RemainingTime": 0,
            "Trunks": 1,
            "PhoneNumberDescription": n.description,
            "InstanceId": n.instance_id,
        });
        if let Value::Array(list) = out.entry(flow_id).or_insert_with(|| json!([])) {
            list.push(item);
        }
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::json;

    use crate::api::{add_phone_number, modify_phone_number};
    use crate::testutil::{FLOW_A, FLOW_B, Harness, INSTANCE, OTHER_INSTANCE};

    #[tokio::test]
    async fn groups_numbers_by_flow_ordered_by_number() {
        let h = Harness::new().await;
        let b = h.add("02160664656", "Bidirection", Some(FLOW_A)).await;
        let a = h.add("01086394552", "Inbound", Some(FLOW_A)).await;
        let c = h.add("053168962496", "Outbound", Some(FLOW_B)).await;
        h.add("05923293251", "Outbound", None).await;
        h.add_in(OTHER_INSTANCE, "13912345678", "Inbound", Some(FLOW_A))
            .await;

        let ctx = h.ctx(add_phone_number::SPEC, INSTANCE);
        let v = h
            .numbers
            .query(&ctx, "by_contact_flow", json!({"InstanceIds": [INSTANCE]}))
            .await
            .unwrap();
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), 2, "{v}");
        let ids_a: Vec<&str> = obj[FLOW_A]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["PhoneNumberId"].as_str().unwrap())
            .collect();
        assert_eq!(ids_a, vec![a.as_str(), b.as_str()]);
        let item = &obj[FLOW_B][0];
        assert_eq!(
            item,
            &json!({
                "PhoneNumberId": c,
                "Number": "053168962496",
                "Usage": "Outbound",
                "AllowOutbound": true,
                "TestOnly": false,
                "RemainingTime": 0,
                "Trunks": 1,
                "PhoneNumberDescription": "",
                "InstanceId": INSTANCE,
            })
        );
        assert_eq!(obj[FLOW_A][0]["AllowOutbound"], json!(false));

        // Both instances at once; the other instance's number joins flow A's list.
        let v = h
            .numbers
            .query(
                &ctx,
                "by_contact_flow",
                json!({"InstanceIds": [INSTANCE, OTHER_INSTANCE]}),
            )
            .await
            .unwrap();
        assert_eq!(v[FLOW_A].as_array().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn unbinding_removes_a_number_from_the_answer() {
        let h = Harness::new().await;
        let id = h.add("02160664656", "Bidirection", Some(FLOW_A)).await;
        h.call(
            modify_phone_number::SPEC,
            &[
                ("PhoneNumberId", &id),
                ("Usage", "Bidirection"),
                ("ContactFlowId", ""),
            ],
        )
        .await
        .unwrap();
        let ctx = h.ctx(add_phone_number::SPEC, INSTANCE);
        let v = h
            .numbers
            .query(&ctx, "by_contact_flow", json!({"InstanceIds": [INSTANCE]}))
            .await
            .unwrap();
        assert_eq!(v, json!({}));
    }

    #[tokio::test]
    async fn bad_args_and_unknown_queries_are_errors() {
        let h = Harness::new().await;
        let ctx = h.ctx(add_phone_number::SPEC, INSTANCE);
        let e = h
            .numbers
            .query(&ctx, "by_contact_flow", json!({"InstanceIds": "x"}))
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        let e = h
            .numbers
            .query(&ctx, "by_contact_flow", json!({}))
            .await
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
        let v = h
            .numbers
            .query(&ctx, "by_contact_flow", json!({"InstanceIds": []}))
            .await
            .unwrap();
        assert_eq!(v, json!({}));
        let e = h.numbers.query(&ctx, "nope", json!({})).await.unwrap_err();
        assert_eq!(e.status, 500);
    }
}
