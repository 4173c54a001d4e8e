//! Test helpers: an in-memory environment with the flows plugin (optionally beside a fake
//! numbers plugin), calling actions as the gateway would, and small JSON helpers.

use std::sync::{Arc, Mutex};

use ccgate_plugin_sdk::sea_orm::{DatabaseConnection, DbErr};
use ccgate_plugin_sdk::testing::TestEnv;
use ccgate_plugin_sdk::{
    ActionSpec, ApiError, ApiResult, Context, Params, Plugin, Principal, Reply, async_trait,
};
use serde_json::Value;

use crate::FlowsPlugin;
use crate::definition::DEFAULT_DEFINITION;

/// The instance most tests work in.
pub const INSTANCE: &str = "ccc-test";
/// A second instance of the same account.
pub const OTHER_INSTANCE: &str = "ccc-other";

/// A migrated environment with only the flows plugin (numbers "disabled").
pub async fn env() -> TestEnv {
    TestEnv::new(vec![Arc::new(FlowsPlugin::default())]).await
}

/// A stand-in for the numbers plugin: answers `by_contact_flow` with [`FakeNumbers::answer`]
/// (JSON, so tests can also send answers of the wrong shape) and records the arguments it was
/// asked with. Like the real query it answers only the flows asked about: an answer of the
/// right shape, `{"ContactFlows": [...]}`, is cut down to the entries whose `ContactFlowId` is
/// in the call's `ContactFlowIds`; anything else is sent as it is.
#[derive(Default)]
pub struct FakeNumbers {
    /// What `by_contact_flow` answers (before the cut described above).
    pub answer: Mutex<Value>,
    /// The `args` of every `by_contact_flow` call.
    pub asked: Mutex<Vec<Value>>,
}

#[async_trait]
impl Plugin for FakeNumbers {
    fn name(&self) -> &'static str {
        "numbers"
    }
    fn version(&self) -> &'static str {
        "0"
    }
    fn actions(&self) -> Vec<ActionSpec> {
        Vec::new()
    }
    async fn migrate(&self, _db: &DatabaseConnection) -> Result<(), DbErr> {
        Ok(())
    }
    async fn handle(&self, ctx: &Context, _action: usize, _params: &Params) -> ApiResult<Reply> {
        Err(ApiError::not_implemented(ctx.spec.action))
    }
    async fn query(&self, _ctx: &Context, name: &str, args: Value) -> ApiResult<Value> {
        // Flows' writes drop the numbers plugin's cached lists (they show flow names).
        if name == ccgate_plugin_sdk::cache::INVALIDATE_QUERY {
            return Ok(Value::Null);
        }
        assert_eq!(name, "by_contact_flow");
        let mut answer = self.answer.lock().unwrap().clone();
        if let (Some(flows), Some(asked)) = (
            answer.get_mut("ContactFlows").and_then(Value::as_array_mut),
            args["ContactFlowIds"].as_array(),
        ) {
            flows.retain(|f| asked.contains(&f["ContactFlowId"]));
        }
        self.asked.lock().unwrap().push(args);
        Ok(answer)
    }
}

/// An environment with the flows plugin and a [`FakeNumbers`] answering "no numbers"
/// (`{"ContactFlows": []}`) until told otherwise. The flow lists are not cached here: the fake
/// changes its answer without a numbers write, which would drop the cached lists.
pub async fn env_with_numbers() -> (TestEnv, Arc<FakeNumbers>) {
    let numbers = Arc::new(FakeNumbers {
        answer: Mutex::new(serde_json::json!({"ContactFlows": []})),
        asked: Mutex::default(),
    });
    let flows = FlowsPlugin::with_list_cache_ttl(std::time::Duration::ZERO);
    let env = TestEnv::new(vec![Arc::new(flows), numbers.clone()]).await;
    (env, numbers)
}

/// A `by_contact_flow` answer item for `number` of [`INSTANCE`], as the numbers plugin sends it.
pub fn bound_number(number: &str) -> Value {
    serde_json::json!({
        "PhoneNumberId": format!("pn-{number}"), "InstanceId": INSTANCE, "Number": number,
        "PhoneNumberDescription": "", "TestOnly": false, "RemainingTime": 0,
        "AllowOutbound": true, "Usage": "Bidirection", "Trunks": 1
    })
}

/// Serves `spec` on `instance` as AccessKey `test-ak`; the reply as a JSON object.
pub async fn call(
    env: &TestEnv,
    spec: ActionSpec,
    instance: &str,
    pairs: &[(&str, &str)],
) -> ApiResult<Value> {
    call_with(env, env.ctx(spec, instance), pairs).await
}

/// Serves `spec` on `instance` as Bearer subject `who`.
pub async fn call_as(
    env: &TestEnv,
    spec: ActionSpec,
    instance: &str,
    who: &str,
    pairs: &[(&str, &str)],
) -> ApiResult<Value> {
    let mut ctx = env.ctx(spec, instance);
    ctx.principal = Principal::Bearer {
        subject: who.to_string(),
    };
    call_with(env, ctx, pairs).await
}

/// Serves `ctx.spec` with a prepared context, through the environment's flows plugin and its
/// real dispatch ([`ccgate_plugin_sdk::testing::call`]); the typed reply as a JSON object.
pub async fn call_with(env: &TestEnv, ctx: Context, pairs: &[(&str, &str)]) -> ApiResult<Value> {
    let flows = env
        .plugins
        .iter()
        .find(|p| p.name() == "flows")
        .expect("the environment has the flows plugin");
    ccgate_plugin_sdk::testing::call(flows.as_ref(), &ctx, pairs)
        .await
        .map(Value::Object)
}

/// The keys of a JSON object, in order.
pub fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

/// A valid definition for `flow_type` (2020 spelling): the seed 000 example, its start
/// activity retyped to `START` for sub and survey flows.
pub fn definition_for(flow_type: &str) -> String {
    if flow_type == "MAIN_FLOW" || flow_type == "Mainflow" {
        DEFAULT_DEFINITION.to_string()
    } else {
        DEFAULT_DEFINITION.replacen("\"INCOMING_CALL\"", "\"START\"", 1)
    }
}

/// Creates a flow through 2017 CreateContactFlow; returns the whole reply.
pub async fn create(
    env: &TestEnv,
    instance: &str,
    name: &str,
    flow_type: &str,
    description: &str,
) -> Value {
    let content = definition_for(flow_type);
    call(
        env,
        crate::api::create_contact_flow::SPEC,
        instance,
        &[
            ("Name", name),
            ("Type", flow_type),
            ("Description", description),
            ("Content", &content),
            ("Canvas", "{\"zoom\":1}"),
        ],
    )
    .await
    .unwrap_or_else(|e| panic!("create {name}: {e}"))
}

/// Creates a main flow named `name`; returns its `ContactFlowId`.
pub async fn create_main(env: &TestEnv, instance: &str, name: &str) -> String {
    let reply = create(env, instance, name, "Mainflow", "").await;
    reply["ContactFlow"]["ContactFlowId"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The `ContactFlowVersionId` of the first version in a CreateContactFlow reply.
pub fn first_version_id(create_reply: &Value) -> String {
    create_reply["ContactFlow"]["Versions"]["ContactFlowVersion"][0]["ContactFlowVersionId"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The 2017 ListContactFlows item of flow `id`.
pub async fn listed_2017(env: &TestEnv, instance: &str, id: &str) -> Value {
    let list = call(env, crate::api::list_contact_flows::SPEC, instance, &[])
        .await
        .unwrap();
    list["ContactFlows"]["ContactFlow"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ContactFlowId"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("flow {id} not listed"))
}
