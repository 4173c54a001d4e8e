//! The queries the flows plugin offers other plugins (specs: `plugins/flows/api/queries/`;
//! generated types and dispatch: [`crate::api::queries`]; docs/plugin-contracts.md).

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::queries::get::{Args, ContactFlows, Output};
use crate::flow_type::FlowType;
use crate::storage::contact_flows;

/// Query `get`: the flows of `args.instance_id` whose ids are in `args.contact_flow_ids`
/// (others are left out), in creation order. `Type` uses the 2017-07-05 spelling
/// (`Mainflow`, `Subflow`, `Surveyflow`) because these objects are rendered as 2017
/// `ContactFlow`s. One SQL query; none for an empty id list.
///
/// Errors: 500 on storage failures.
pub async fn get(ctx: &Ctx<'_>, args: Args) -> ApiResult<Output> {
    if args.contact_flow_ids.is_empty() {
        return Ok(Output::default());
    }
    let flows = contact_flows::by_ids(&ctx.db, &args.instance_id, args.contact_flow_ids).await?;
    Ok(Output {
        contact_flows: flows
            .into_iter()
            .map(|f| ContactFlows {
                type_: FlowType::from_stored(&f.flow_type).as_2017().to_string(),
                contact_flow_id: f.contact_flow_id,
                contact_flow_name: f.name,
                contact_flow_description: f.description,
                instance_id: f.instance_id,
            })
            .collect(),
    })
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
        let got = FlowsPlugin::default()
            .query(
                &ctx,
                "get",
                json!({"InstanceId": INSTANCE, "ContactFlowIds": [b, a, foreign, "nope"]}),
            )
            .await
            .unwrap();
        assert_eq!(
            got,
            json!({"ContactFlows": [
                {"ContactFlowId": a, "ContactFlowName": "A", "ContactFlowDescription": "",
                 "Type": "Mainflow", "InstanceId": INSTANCE},
                {"ContactFlowId": b, "ContactFlowName": "B", "ContactFlowDescription": "bee",
                 "Type": "Subflow", "InstanceId": INSTANCE},
            ]})
        );
        let none = FlowsPlugin::default()
            .query(
                &ctx,
                "get",
                json!({"InstanceId": INSTANCE, "ContactFlowIds": []}),
            )
            .await
            .unwrap();
        assert_eq!(none, json!({"ContactFlows": []}));
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
            let e = FlowsPlugin::default()
                .query(&ctx, "get", args)
                .await
                .unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (500, "InternalError"));
        }
        let e = FlowsPlugin::default()
            .query(&ctx, "list", json!({}))
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (500, "InternalError"));
    }
}
