//! Response rendering shared by several actions: the 2017-07-05 `ContactFlow` and
//! `ContactFlowVersion` objects, and the phone numbers read from the numbers plugin.
//!
//! Shapes: seed 004 §4.2 (ListContactFlows, lines 1132-1287) for `ContactFlow` and
//! `ContactFlowVersion`; the `Canvas`/`Content` members of a version come from the official
//! 2017-07-05 SDK models of CreateContactFlow and CommitContactFlowVersionModification
//! (aliyun/alibabacloud-csharp-sdk `ccc-20170705/core/Models/CreateContactFlowResponseBody.cs`,
//! aliyun/aliyun-openapi-java-sdk `aliyun-java-sdk-ccc` `CreateContactFlowResponseUnmarshaller`
//! and `CommitContactFlowVersionModificationResponseUnmarshaller`).
//! Numbers come from the numbers plugin's `by_contact_flow` query (docs/plugin-contracts.md).

use std::collections::HashMap;

use ccgate_plugin_sdk::{ApiError, ApiResult, Context, time};
use serde_json::{Map, Value, json};

use crate::flow_type::FlowType;
use crate::storage::contact_flow_version::{STATUS_DRAFT, STATUS_PUBLISHED};
use crate::storage::{contact_flow, contact_flow_version};

/// The documented members of a 2017 `PhoneNumbers.PhoneNumber[]` item, in documented order.
pub const PHONE_NUMBER_FIELDS: [&str; 9] = [
    "PhoneNumberId",
    "InstanceId",
    "Number",
    "PhoneNumberDescription",
    "TestOnly",
    "RemainingTime",
    "AllowOutbound",
    "Usage",
    "Trunks",
];

/// Phone numbers bound to contact flows, by `ContactFlowId`, each item as the numbers plugin
/// returned it (see [`numbers_by_flow`]).
pub type NumbersByFlow = HashMap<String, Vec<Value>>;

/// What listing `flows` needs besides the rows: their versions and bound numbers, loaded with
/// one versions query and at most one `numbers`/`by_contact_flow` call.
pub struct Related {
    versions: HashMap<String, Vec<contact_flow_version::Model>>,
    numbers: NumbersByFlow,
}

impl Related {
    /// Loads the versions and numbers of `flows` (all of one instance, `ctx.instance()`).
    ///
    /// Errors: 500 on storage failures or a malformed numbers answer.
    pub async fn load(ctx: &Context, flows: &[contact_flow::Model]) -> ApiResult<Self> {
        if flows.is_empty() {
            return Ok(Self {
                versions: HashMap::new(),
                numbers: NumbersByFlow::new(),
            });
        }
        let ids = flows.iter().map(|f| f.contact_flow_id.clone()).collect();
        let mut versions: HashMap<String, Vec<contact_flow_version::Model>> = HashMap::new();
        for v in crate::storage::versions_of(&ctx.db, ids).await? {
            versions
                .entry(v.contact_flow_id.clone())
                .or_default()
                .push(v);
        }
        let numbers = numbers_by_flow(ctx, &[ctx.instance().to_string()]).await?;
        Ok(Self { versions, numbers })
    }

    /// The versions of `flow`, in storage order.
    pub fn versions(&self, flow: &contact_flow::Model) -> Vec<&contact_flow_version::Model> {
        self.versions
            .get(&flow.contact_flow_id)
            .map(|v| v.iter().collect())
            .unwrap_or_default()
    }

    /// The numbers bound to `flow`, if any.
    pub fn numbers(&self, flow: &contact_flow::Model) -> Option<&Vec<Value>> {
        self.numbers.get(&flow.contact_flow_id)
    }
}

/// Asks the numbers plugin which numbers are bound to the flows of `instance_ids`.
///
/// Returns an empty map when the numbers plugin is not enabled (`Ok(None)`). Errors of the
/// numbers plugin are passed on; an answer that is not an object of arrays is a 500.
pub async fn numbers_by_flow(ctx: &Context, instance_ids: &[String]) -> ApiResult<NumbersByFlow> {
    let answer = ctx
        .services
        .query(
            ctx,
            "numbers",
            "by_contact_flow",
            json!({ "InstanceIds": instance_ids }),
        )
        .await?;
    let Some(answer) = answer else {
        return Ok(NumbersByFlow::new());
    };
    let Value::Object(map) = answer else {
        tracing::error!(answer = %answer, "numbers/by_contact_flow answered a non-object");
        return Err(ApiError::internal());
    };
    let mut out = NumbersByFlow::with_capacity(map.len());
    for (flow_id, numbers) in map {
        match numbers {
            Value::Array(items) => {
                out.insert(flow_id, items);
            }
            other => {
                tracing::error!(answer = %other, "numbers/by_contact_flow item is not an array");
                return Err(ApiError::internal());
            }
        }
    }
    Ok(out)
}

/// A 2017 `PhoneNumber` object: the [`PHONE_NUMBER_FIELDS`] the numbers plugin supplied, in
/// documented order; other members are dropped.
pub fn phone_number_2017(number: &Value) -> Value {
    let mut m = Map::new();
    for key in PHONE_NUMBER_FIELDS {
        if let Some(v) = number.get(key) {
            m.insert(key.to_string(), v.clone());
        }
    }
    Value::Object(m)
}

/// The `Number` strings of a flow's numbers (2020 `NumberList`).
pub fn number_list(numbers: Option<&Vec<Value>>) -> Vec<Value> {
    numbers
        .into_iter()
        .flatten()
        .filter_map(|n| n.get("Number").and_then(Value::as_str))
        .map(|n| Value::String(n.to_string()))
        .collect()
}

/// A 2017 `ContactFlowVersion` object. With `with_body` it also carries `Canvas` and
/// `Content` (CreateContactFlow, CommitContactFlowVersionModification); ListContactFlows
/// leaves them out as seed 004 §4.2 does. `LastModified` is `yyyy-MM-dd HH:mm:ss` UTC;
/// `LockedBy` is `""` when nobody holds the lock (the seed's JSON example).
pub fn version_2017(v: &contact_flow_version::Model, with_body: bool) -> Value {
    let mut m = Map::new();
    m.insert(
        "ContactFlowVersionId".into(),
        json!(v.contact_flow_version_id),
    );
    m.insert("Version".into(), json!(v.version));
    m.insert("ContactFlowVersionDescription".into(), json!(v.description));
    if with_body {
        m.insert("Canvas".into(), json!(v.canvas));
        m.insert("Content".into(), json!(v.content));
    }
    m.insert(
        "LastModified".into(),
        json!(time::datetime(v.last_modified)),
    );
    m.insert("LastModifiedBy".into(), json!(v.last_modified_by));
    m.insert(
        "LockedBy".into(),
        json!(v.locked_by.clone().unwrap_or_default()),
    );
    m.insert("Status".into(), json!(v.status));
    Value::Object(m)
}

/// The `Version` label of the flow's applied (published) version, or `""` if none.
pub fn applied_version(
    flow: &contact_flow::Model,
    versions: &[&contact_flow_version::Model],
) -> String {
    flow.applied_version_id
        .as_deref()
        .and_then(|id| versions.iter().find(|v| v.contact_flow_version_id == id))
        .map(|v| v.version.clone())
        .unwrap_or_default()
}

/// A 2017 `ContactFlow` object: `ContactFlowId, InstanceId, ContactFlowName,
/// ContactFlowDescription, Type, AppliedVersion, Versions.ContactFlowVersion[],
/// PhoneNumbers.PhoneNumber[]`. `versions` are this flow's, oldest first; `numbers` as from
/// [`numbers_by_flow`]; `with_body` as in [`version_2017`].
pub fn flow_2017(
    flow: &contact_flow::Model,
    versions: &[&contact_flow_version::Model],
    numbers: Option<&Vec<Value>>,
    with_body: bool,
) -> Value {
    let versions_json: Vec<Value> = versions
        .iter()
        .map(|v| version_2017(v, with_body))
        .collect();
    let numbers_json: Vec<Value> = numbers
        .into_iter()
        .flatten()
        .map(phone_number_2017)
        .collect();
    json!({
        "ContactFlowId": flow.contact_flow_id,
        "InstanceId": flow.instance_id,
        "ContactFlowName": flow.name,
        "ContactFlowDescription": flow.description,
        "Type": FlowType::from_stored(&flow.flow_type).as_2017(),
        "AppliedVersion": applied_version(flow, versions),
        "Versions": { "ContactFlowVersion": versions_json },
        "PhoneNumbers": { "PhoneNumber": numbers_json },
    })
}

/// The version a 2020 item shows: the flow's draft when it has one (what the editor works
/// on), else its published version, else its newest.
pub fn current_version<'a>(
    flow: &contact_flow::Model,
    versions: &[&'a contact_flow_version::Model],
) -> Option<&'a contact_flow_version::Model> {
    versions
        .iter()
        .rev()
        .find(|v| v.status == STATUS_DRAFT)
        .or_else(|| {
            versions.iter().find(|v| {
                v.status == STATUS_PUBLISHED
                    && flow.applied_version_id.as_deref()
                        == Some(v.contact_flow_version_id.as_str())
            })
        })
        .or_else(|| versions.last())
        .copied()
}
