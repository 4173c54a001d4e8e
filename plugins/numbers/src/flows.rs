//! Reads from the flows domain through its public query `flows`/`get`
//! (`docs/plugin-contracts.md`): validating a `ContactFlowId` (seed 004 §6.1, §6.3, §6.8) and
//! rendering the `ContactFlow` object (§6.1-§6.4) and the 2020 `ContactFlowName` (seed 002).
//!
//! When the flows plugin is disabled (`Services::query` answers `Ok(None)`), a `ContactFlowId`
//! parameter is rejected with 400 `InvalidParameter` and numbers are rendered without a
//! `ContactFlow` object and with an empty `ContactFlowName`.

use std::collections::HashMap;

use ccgate_plugin_sdk::serde_json::{Map, Value, json};
use ccgate_plugin_sdk::{ApiError, ApiResult, Context};

/// A contact flow as the flows domain describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowInfo {
    /// `ContactFlowId`.
    pub id: String,
    /// `ContactFlowName`.
    pub name: String,
    /// `ContactFlowDescription` (empty when the flow has none).
    pub description: String,
    /// `Type`, as a string (`"0"` in the seed examples).
    pub kind: String,
    /// `InstanceId` of the flow.
    pub instance_id: String,
}

impl FlowInfo {
    fn from_json(item: &Map<String, Value>, instance: &str) -> Option<Self> {
        let text = |key: &str| match item.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let id = text("ContactFlowId");
        if id.is_empty() {
            return None;
        }
        let instance_id = match text("InstanceId") {
            s if s.is_empty() => instance.to_string(),
            s => s,
        };
        Some(Self {
            id,
            name: text("ContactFlowName"),
            description: text("ContactFlowDescription"),
            kind: text("Type"),
            instance_id,
        })
    }
}

/// The flows with ids `ids` in the caller's instance, by id; ids that do not exist are absent.
///
/// Returns `Ok(None)` when the flows plugin is disabled. Makes one cross-plugin call, none when
/// `ids` is empty.
pub async fn get_flows(
    ctx: &Context,
    ids: &[String],
) -> ApiResult<Option<HashMap<String, FlowInfo>>> {
    if ids.is_empty() {
        return Ok(Some(HashMap::new()));
    }
    let mut unique: Vec<&String> = ids.iter().collect();
    unique.sort();
    unique.dedup();
    let args = json!({"InstanceId": ctx.instance(), "ContactFlowIds": unique});
    let Some(answer) = ctx.services.query(ctx, "flows", "get", args).await? else {
        return Ok(None);
    };
    let Value::Array(items) = answer else {
        tracing::error!(answer = %answer, "flows/get did not answer an array");
        return Err(ApiError::internal());
    };
    Ok(Some(
        items
            .iter()
            .filter_map(Value::as_object)
            .filter_map(|item| FlowInfo::from_json(item, ctx.instance()))
            .map(|flow| (flow.id.clone(), flow))
            .collect(),
    ))
}

/// Checks that contact flow `id` exists in the caller's instance.
///
/// Errors: 400 `InvalidParameter` when the flows plugin is disabled (a flow cannot be bound),
/// 404 `NotExists.ContactFlowId` when the instance has no such flow.
pub async fn require_flow(ctx: &Context, id: &str) -> ApiResult<FlowInfo> {
    let Some(mut flows) = get_flows(ctx, &[id.to_string()]).await? else {
        return Err(ApiError::invalid(
            "ContactFlowId",
            "contact flows are not enabled on this gateway (plugin flows is disabled), so no contact flow can be bound",
        ));
    };
    flows
        .remove(id)
        .ok_or_else(|| ApiError::not_exists("ContactFlowId", id))
}
