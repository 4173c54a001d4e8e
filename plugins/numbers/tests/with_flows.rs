//! The numbers plugin together with the real flows plugin: the cross-plugin queries of
//! docs/plugin-contracts.md in both directions (numbers calls `flows`/`get` to validate and
//! render contact flows; flows calls `numbers`/`by_contact_flow` to list bound numbers).

use std::sync::Arc;

use ccgate_flows::FlowsPlugin;
use ccgate_numbers::NumbersPlugin;
use ccgate_plugin_sdk::serde_json::{Value, json};
use ccgate_plugin_sdk::testing::{self, TestEnv};
use ccgate_plugin_sdk::{ActionSpec, ApiResult, Plugin};

const INSTANCE: &str = "ccc-test";

fn spec(plugin: &dyn Plugin, version: &str, action: &str) -> ActionSpec {
    plugin
        .actions()
        .into_iter()
        .find(|s| s.version == version && s.action == action)
        .unwrap_or_else(|| panic!("{} has no {version} {action}", plugin.name()))
}

async fn call(
    env: &TestEnv,
    plugin: &Arc<dyn Plugin>,
    version: &str,
    action: &str,
    pairs: &[(&str, &str)],
) -> ApiResult<Value> {
    let spec = spec(plugin.as_ref(), version, action);
    let ctx = env.ctx(spec, INSTANCE);
    let fields = testing::call(plugin.as_ref(), &ctx, pairs).await?;
    Ok(Value::Object(fields))
}

#[tokio::test]
async fn numbers_and_flows_see_each_other() {
    let numbers: Arc<dyn Plugin> = Arc::new(NumbersPlugin::new());
    let flows: Arc<dyn Plugin> = Arc::new(FlowsPlugin::default());
    let env = TestEnv::new(vec![numbers.clone(), flows.clone()]).await;
    flows.on_instance_created(&env.db, INSTANCE).await.unwrap();

    let listed = call(&env, &flows, "2017-07-05", "ListContactFlows", &[])
        .await
        .unwrap();
    let flow = &listed["ContactFlows"]["ContactFlow"][0];
    let flow_id = flow["ContactFlowId"].as_str().unwrap().to_string();
    let flow_name = flow["ContactFlowName"].as_str().unwrap().to_string();

    // numbers -> flows/get: the flow is validated and rendered.
    let added = call(
        &env,
        &numbers,
        "2017-07-05",
        "AddPhoneNumber",
        &[
            ("PhoneNumber", "053168962496"),
            ("Usage", "Bidirection"),
            ("ContactFlowId", &flow_id),
        ],
    )
    .await
    .unwrap();
    let contact_flow = &added["PhoneNumber"]["ContactFlow"];
    assert_eq!(contact_flow["ContactFlowId"], json!(flow_id));
    assert_eq!(contact_flow["ContactFlowName"], json!(flow_name));
    assert_eq!(contact_flow["InstanceId"], INSTANCE);
    assert!(contact_flow["Type"].is_string(), "{contact_flow}");
    let e = call(
        &env,
        &numbers,
        "2017-07-05",
        "AddPhoneNumber",
        &[
            ("PhoneNumber", "02160664656"),
            ("Usage", "Inbound"),
            ("ContactFlowId", "no-such-flow"),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(
        (e.status, e.code.as_ref()),
        (404, "NotExists.ContactFlowId")
    );

    let page = call(
        &env,
        &numbers,
        "2020-07-01",
        "ListPhoneNumbers",
        &[("PageNumber", "1"), ("PageSize", "10")],
    )
    .await
    .unwrap();
    assert_eq!(page["Data"]["List"][0]["ContactFlowName"], json!(flow_name));

    // flows -> numbers/by_contact_flow: the number shows under its flow.
    let listed = call(&env, &flows, "2017-07-05", "ListContactFlows", &[])
        .await
        .unwrap();
    let bound = &listed["ContactFlows"]["ContactFlow"][0]["PhoneNumbers"]["PhoneNumber"];
    assert_eq!(bound[0]["Number"], "053168962496", "{listed}");
    assert_eq!(bound[0]["AllowOutbound"], true);
}
