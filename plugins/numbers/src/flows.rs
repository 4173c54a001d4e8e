//! Reads from the flows domain through its public query `flows`/`get`
//! (`plugins/flows/api/queries/get.toml`, generated client `api::clients::flows::get`): validating a `ContactFlowId` (seed 004 §6.1, §6.3, §6.8) and
//! rendering the `ContactFlow` object (§6.1-§6.4) and the 2020 `ContactFlowName` (seed 002).
//!
//! When the flows plugin is disabled (`Services::query` answers `Ok(None)`), a `ContactFlowId`
//! parameter is rejected with 400 `InvalidParameter` and numbers are rendered without a
//! `ContactFlow` object and with an empty `ContactFlowName`.

use std::collections::HashMap;

use ccgate_plugin_sdk::{ApiResult, Context};

use crate::api::clients;
use crate::api::clients::flows::get;

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
    let args = get::Args {
        instance_id: ctx.instance().to_string(),
        contact_flow_ids: unique.into_iter().cloned().collect(),
    };
    let Some(answer) = clients::flows::get(ctx, &args).await? else {
        return Ok(None);
    };
    Ok(Some(
        answer
            .contact_flows
            .into_iter()
            .map(|f| {
                let flow = FlowInfo {
                    id: f.contact_flow_id,
                    name: f.contact_flow_name,
                    description: f.contact_flow_description,
                    kind: f.type_,
                    instance_id: f.instance_id,
                };
                (flow.id.clone(), flow)
            })
            .collect(),
    ))
}

/// Checks that contact flow `id` exists in the caller's instance.
///
/// Errors: 400 `InvalidParameter` when the flows plugin is disabled (a flow cannot be bound),
/// 404 `NotExists.ContactFlowId` when the instance has no such flow.
pub async fn require_flow(ctx: &Context, id: &str) -> ApiResult<FlowInfo> {
    let Some(mut flows) = get_flows(ctx, &[id.to_string()]).await? else {
        return Err(crate::api::errors::invalid_parameter(
            "ContactFlowId",
            "contact flows are not enabled on this gateway (plugin flows is disabled), so no contact flow can be bound",
        ));
    };
    flows
        .remove(id)
        .ok_or_else(|| crate::api::errors::not_exists_contact_flow_id(id))
}
