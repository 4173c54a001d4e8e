//! Response rendering shared by several actions: the 2017-07-05 `ContactFlow`,
//! `ContactFlowVersion` and `PhoneNumber` objects (the generated [`crate::api::shapes`] types,
//! declared once in `plugins/flows/api/shapes/`) and the 2020 `NumberList`. Formatting only,
//! no I/O: the rows and the related data come loaded (versions and bound numbers by
//! [`crate::related`]).
//!
//! Shapes: seed 004 §4.2 (ListContactFlows, lines 1132-1287) for `ContactFlow` and
//! `ContactFlowVersion`; the `Canvas`/`Content` members of a version come from the official
//! 2017-07-05 SDK models of CreateContactFlow and CommitContactFlowVersionModification
//! (aliyun/alibabacloud-csharp-sdk `ccc-20170705/core/Models/CreateContactFlowResponseBody.cs`,
//! aliyun/aliyun-openapi-java-sdk `aliyun-java-sdk-ccc` `CreateContactFlowResponseUnmarshaller`
//! and `CommitContactFlowVersionModificationResponseUnmarshaller`).
//! Numbers are the numbers plugin's `by_contact_flow` answer (docs/plugin-contracts.md).

use ccgate_plugin_sdk::time;

use crate::api::clients::numbers::by_contact_flow;
use crate::api::shapes::{self, ContactFlow, ContactFlowVersion, PhoneNumber};
use crate::flow_type::FlowType;
use crate::storage::contact_flow_version::{STATUS_DRAFT, STATUS_PUBLISHED};
use crate::storage::{contact_flow, contact_flow_version};

/// A phone number bound to a contact flow, as the numbers plugin's `by_contact_flow` query
/// returns it.
pub type BoundNumber = by_contact_flow::PhoneNumbers;

/// A 2017 `PhoneNumbers.PhoneNumber[]` item.
pub fn phone_number_2017(n: &BoundNumber) -> PhoneNumber {
    PhoneNumber {
        phone_number_id: n.phone_number_id.clone(),
        instance_id: n.instance_id.clone(),
        number: n.number.clone(),
        phone_number_description: n.phone_number_description.clone(),
        test_only: n.test_only,
        remaining_time: n.remaining_time,
        allow_outbound: n.allow_outbound,
        usage: n.usage.clone(),
        trunks: n.trunks,
    }
}

/// The `Number` strings of a flow's numbers (2020 `NumberList`).
pub fn number_list(numbers: Option<&Vec<BoundNumber>>) -> Vec<String> {
    numbers
        .into_iter()
        .flatten()
        .map(|n| n.number.clone())
        .collect()
}

/// A 2017 `ContactFlowVersion` object. With `with_body` it also carries `Canvas` and
/// `Content` (CreateContactFlow, CommitContactFlowVersionModification); ListContactFlows
/// leaves them out as seed 004 §4.2 does. `LastModified` is `yyyy-MM-dd HH:mm:ss` UTC;
/// `LockedBy` is `""` when nobody holds the lock (the seed's JSON example).
pub fn version_2017(v: &contact_flow_version::Model, with_body: bool) -> ContactFlowVersion {
    ContactFlowVersion {
        contact_flow_version_id: v.contact_flow_version_id.clone(),
        version: v.version.clone(),
        contact_flow_version_description: v.description.clone(),
        canvas: with_body.then(|| v.canvas.clone()),
        content: with_body.then(|| v.content.clone()),
        last_modified: time::datetime(v.last_modified),
        last_modified_by: v.last_modified_by.clone(),
        locked_by: v.locked_by.clone().unwrap_or_default(),
        status: v.status.clone(),
    }
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
/// [`crate::related::numbers_by_flow`]; `with_body` as in [`version_2017`].
pub fn flow_2017(
    flow: &contact_flow::Model,
    versions: &[&contact_flow_version::Model],
    numbers: Option<&Vec<BoundNumber>>,
    with_body: bool,
) -> ContactFlow {
    ContactFlow {
        contact_flow_id: flow.contact_flow_id.clone(),
        instance_id: flow.instance_id.clone(),
        contact_flow_name: flow.name.clone(),
        contact_flow_description: flow.description.clone(),
        type_: FlowType::from_stored(&flow.flow_type).as_2017().to_string(),
        applied_version: applied_version(flow, versions),
        versions: shapes::Versions {
            contact_flow_version: versions
                .iter()
                .map(|v| version_2017(v, with_body))
                .collect(),
        },
        phone_numbers: shapes::PhoneNumbers {
            phone_number: numbers
                .into_iter()
                .flatten()
                .map(phone_number_2017)
                .collect(),
        },
    }
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
