//! Test support: an in-memory environment with the numbers plugin and a fake `flows` plugin that
//! answers `get` as `plugins/flows/api/queries/get.toml` declares it.

use std::sync::Arc;

use ccgate_plugin_sdk::serde_json::{Value, json};
use ccgate_plugin_sdk::testing::{self, FakePlugin, PluginServices, TestEnv};
use ccgate_plugin_sdk::{ActionSpec, ApiResult, Context, Plugin};

use crate::NumbersPlugin;
use crate::api::add_phone_number;

/// The instance most tests work on.
pub const INSTANCE: &str = "ccc-test";
/// A second instance of the same account.
pub const OTHER_INSTANCE: &str = "ccc-other";
/// A flow that exists in both instances (`Welcome`).
pub const FLOW_A: &str = "flow-a";
/// A flow that exists only in [`INSTANCE`] (`Sales`).
pub const FLOW_B: &str = "flow-b";

fn flow_rows() -> Vec<Value> {
    vec![
        json!({"ContactFlowId": FLOW_A, "ContactFlowName": "Welcome", "ContactFlowDescription": "Welcome flow", "Type": "0", "InstanceId": INSTANCE}),
        json!({"ContactFlowId": FLOW_B, "ContactFlowName": "Sales", "ContactFlowDescription": "", "Type": "1", "InstanceId": INSTANCE}),
        json!({"ContactFlowId": FLOW_A, "ContactFlowName": "Welcome", "ContactFlowDescription": "", "Type": "0", "InstanceId": OTHER_INSTANCE}),
    ]
}

/// A stand-in for the flows plugin: answers `get` from a fixed list (as
/// `plugins/flows/api/queries/get.toml` declares it) and counts the calls.
pub fn fake_flows() -> FakePlugin {
    FakePlugin::new("flows").answer("get", |args| {
        let found: Vec<Value> = flow_rows()
            .into_iter()
            .filter(|f| {
                f["InstanceId"] == args["InstanceId"]
                    && args["ContactFlowIds"]
                        .as_array()
                        .is_some_and(|ids| ids.contains(&f["ContactFlowId"]))
            })
            .collect();
        Ok(json!({ "ContactFlows": found }))
    })
}

/// A stand-in for the agents plugin: answers `skill_groups` (as
/// `plugins/agents/api/queries/skill_groups.toml` declares it) knowing `sg-1` (Sales) and `sg-2`
/// (Support) of [`INSTANCE`] and `sg-other` of [`OTHER_INSTANCE`].
pub fn fake_agents() -> FakePlugin {
    FakePlugin::new("agents").answer("skill_groups", |args| {
        let rows = [
            ("sg-1", "Sales", INSTANCE),
            ("sg-2", "Support", INSTANCE),
            ("sg-other", "Theirs", OTHER_INSTANCE),
        ];
        let found: Vec<Value> = rows
            .iter()
            .filter(|(id, _, instance)| {
                args["InstanceId"] == *instance
                    && args["SkillGroupIds"]
                        .as_array()
                        .is_some_and(|ids| ids.iter().any(|x| x == id))
            })
            .map(|(id, name, instance)| {
                json!({"SkillGroupId": id, "Name": name, "DisplayName": name, "Description": "", "InstanceId": instance})
            })
            .collect();
        Ok(json!({ "SkillGroups": found }))
    })
}

/// The numbers plugin over an in-memory database, with or without the fake flows plugin.
pub struct Harness {
    pub env: TestEnv,
    pub numbers: Arc<dyn Plugin>,
    pub flows: Option<Arc<FakePlugin>>,
}

impl Harness {
    /// Numbers (list cache with its default TTL) plus the fake flows plugin.
    pub async fn new() -> Self {
        Self::with_plugin(NumbersPlugin::new()).await
    }

    /// Numbers with list pages cached for `ttl` (zero: no cache) plus the fake flows plugin.
    pub async fn with_list_cache_ttl(ttl: std::time::Duration) -> Self {
        Self::with_plugin(NumbersPlugin::with_list_cache_ttl(ttl)).await
    }

    async fn with_plugin(plugin: NumbersPlugin) -> Self {
        let flows = Arc::new(fake_flows());
        let numbers: Arc<dyn Plugin> = Arc::new(plugin);
        let env = TestEnv::new(vec![numbers.clone(), flows.clone()]).await;
        Self {
            env,
            numbers,
            flows: Some(flows),
        }
    }

    /// Numbers with the fake flows and the fake agents plugin ([`fake_agents`]).
    pub async fn with_agents() -> Self {
        let flows = Arc::new(fake_flows());
        let numbers: Arc<dyn Plugin> = Arc::new(NumbersPlugin::new());
        let env = TestEnv::new(vec![
            numbers.clone(),
            flows.clone(),
            Arc::new(fake_agents()),
        ])
        .await;
        Self {
            env,
            numbers,
            flows: Some(flows),
        }
    }

    /// Numbers alone: the flows plugin is disabled.
    pub async fn without_flows() -> Self {
        let numbers: Arc<dyn Plugin> = Arc::new(NumbersPlugin::new());
        let env = TestEnv::new(vec![numbers.clone()]).await;
        Self {
            env,
            numbers,
            flows: None,
        }
    }

    /// How many `flows`/`get` calls were made so far.
    pub fn flow_calls(&self) -> usize {
        self.flows.as_ref().map_or(0, |f| f.calls())
    }

    pub fn ctx(&self, spec: ActionSpec, instance: &str) -> Context {
        self.env.ctx(spec, instance)
    }

    /// [`Harness::call`] with owned pairs (generated parameter lists).
    pub async fn call_owned(
        &self,
        spec: ActionSpec,
        pairs: &[(String, String)],
    ) -> ApiResult<Value> {
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.call(spec, &refs).await
    }

    /// Calls `spec` on [`INSTANCE`] with `pairs`; the reply as a JSON object.
    pub async fn call(&self, spec: ActionSpec, pairs: &[(&str, &str)]) -> ApiResult<Value> {
        self.call_in(spec, INSTANCE, pairs).await
    }

    /// Calls `spec` on `instance`, with the parameter error style of the spec's version.
    pub async fn call_in(
        &self,
        spec: ActionSpec,
        instance: &str,
        pairs: &[(&str, &str)],
    ) -> ApiResult<Value> {
        let ctx = self.ctx(spec, instance);
        self.run(&ctx, pairs).await
    }

    /// Calls `spec` on [`INSTANCE`] over the same database as if the flows plugin were
    /// disabled (numbers bound earlier keep their flow ids).
    pub async fn call_flows_disabled(
        &self,
        spec: ActionSpec,
        pairs: &[(&str, &str)],
    ) -> ApiResult<Value> {
        let mut ctx = self.ctx(spec, INSTANCE);
        ctx.services = Arc::new(PluginServices::new(vec![self.numbers.clone()]));
        self.run(&ctx, pairs).await
    }

    async fn run(&self, ctx: &Context, pairs: &[(&str, &str)]) -> ApiResult<Value> {
        let fields = testing::call(self.numbers.as_ref(), ctx, pairs).await?;
        Ok(Value::Object(fields))
    }

    /// Adds `number` to [`INSTANCE`]; its `PhoneNumberId`.
    pub async fn add(&self, number: &str, usage: &str, flow: Option<&str>) -> String {
        self.add_in(INSTANCE, number, usage, flow).await
    }

    /// Adds `number` to `instance`; its `PhoneNumberId`.
    pub async fn add_in(
        &self,
        instance: &str,
        number: &str,
        usage: &str,
        flow: Option<&str>,
    ) -> String {
        let mut pairs = vec![("PhoneNumber", number), ("Usage", usage)];
        if let Some(f) = flow {
            pairs.push(("ContactFlowId", f));
        }
        let v = self
            .call_in(add_phone_number::SPEC, instance, &pairs)
            .await
            .unwrap_or_else(|e| panic!("add {number}: {e}"));
        v["PhoneNumber"]["PhoneNumberId"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// The sorted keys of a JSON object.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

/// Sorted key list from literals.
pub fn names(list: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    k.sort();
    k
}
