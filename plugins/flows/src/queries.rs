//! The flows plugin's public read queries for other plugins (docs/plugin-contracts.md,
//! "flows").

use ccgate_plugin_sdk::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use ccgate_plugin_sdk::{ApiError, ApiResult, Context};
use serde_json::{Value, json};

use crate::flow_type::FlowType;
use crate::storage::contact_flow;

/// Query `get`: contact flows by id.
///
/// Args: `{"InstanceId": "ccc-test", "ContactFlowIds": ["<id>", ...]}`.
/// Returns: `[{"ContactFlowId", "ContactFlowName", "ContactFlowDescription", "Type",
/// "InstanceId"}]` for the ids that exist in that instance (others are left out), in creation
/// order. `Type` uses the 2017-07-05 spelling (`Mainflow`, `Subflow`, `Surveyflow`) because
/// these objects are rendered as 2017 `ContactFlow`s.
///
/// Errors: 500 `InternalError` when the args are not of that form (a caller bug).
pub async fn get(ctx: &Context, args: &Value) -> ApiResult<Value> {
    let bad = |why: &str| ApiError::new(500, "InternalError", format!("flows query get: {why}"));
    let instance = args
        .get("InstanceId")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("InstanceId must be a string"))?;
    let ids = args
        .get("ContactFlowIds")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("ContactFlowIds must be an array"))?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect::<Option<Vec<String>>>()
        .ok_or_else(|| bad("ContactFlowIds must hold strings"))?;
    if ids.is_empty() {
        return Ok(json!([]));
    }
    let flows = contact_flow::Entity::find()
        .filter(contact_flow::Column::InstanceId.eq(instance))
        .filter(contact_flow::Column::ContactFlowId.is_in(ids))
        .order_by_asc(contact_flow::Column::Id)
        .all(&ctx.db)
        .await?;
    Ok(Value::Array(
        flows
            .iter()
            .map(|f| {
                json!({
                    "ContactFlowId": f.contact_flow_id,
                    "ContactFlowName": f.name,
                    "ContactFlowDescription": f.description,
                    "Type": FlowType::from_stored(&f.flow_type).as_2017(),
                    "InstanceId": f.instance_id,
                })
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use crate::FlowsPlugin;
    use crate::testutil::*;
    use ccgate_plugin_sdk::Plugin;
    use serde_json::json;

    #[tokio::test]
    async fn get_returns_only_existing_flows_of_the_instance() {
        let env = env().await;
        let a = create_main(&env, INSTANCE, "A").await;
        let b = create(&env, INSTANCE, "B", "Subflow", "bee").await["ContactFlow"]["ContactFlowId"]
            .as_str()
            .unwrap()
            .to_string();
        let foreign = create_main(&env, OTHER_INSTANCE, "C").await;
        let ctx = env.ctx(crate::api::list_contact_flows::SPEC, INSTANCE);
        let got = FlowsPlugin
            .query(
                &ctx,
                "get",
                json!({"InstanceId": INSTANCE, "ContactFlowIds": [b, a, foreign, "nope"]}),
            )
            .await
            .unwrap();
        assert_eq!(
            got,
            json!([
                {"ContactFlowId": a, "ContactFlowName": "A", "ContactFlowDescription": "",
                 "Type": "Mainflow", "InstanceId": INSTANCE},
                {"ContactFlowId": b, "ContactFlowName": "B", "ContactFlowDescription": "bee",
                 "Type": "Subflow", "InstanceId": INSTANCE},
            ])
        );
        let none = FlowsPlugin
            .query(
                &ctx,
                "get",
                json!({"InstanceId": INSTANCE, "ContactFlowIds": []}),
            )
            .await
            .unwrap();
        assert_eq!(none, json!([]));
    }

    #[tokio::test]
    async fn malformed_args_and_unknown_queries_are_internal_errors() {
        let env = env().await;
        let ctx = env.ctx(crate::api::list_contact_flows::SPEC, INSTANCE);
        for args in [
            json!({"ContactFlowIds": []}),
            json!({"InstanceId": INSTANCE}),
            json!({"InstanceId": INSTANCE, "ContactFlowIds": [1]}),
        ] {
            let e = FlowsPlugin.query(&ctx, "get", args).await.unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (500, "InternalError"));
        }
        let e = FlowsPlugin
            .query(&ctx, "list", json!({}))
            .await
            .unwrap_err();
        assert_eq!(e.status, 500);
        assert!(e.message.contains("no query list"), "{}", e.message);
    }
}
