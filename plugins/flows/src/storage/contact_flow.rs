//! Entity `flows_contact_flow`: one row per contact flow (IVR flow) of an instance.
//!
//! Fields follow 2017-07-05 ListContactFlows (seed 004 §4.2, lines 1132-1287), 2020-07-01
//! ListContactFlows (seed 000) and Huawei queryIVRFlowList (seed 001): the integer primary key
//! is the Huawei `id`, `contact_flow_id` the Alibaba `ContactFlowId`, `route_point` the
//! 2017 GetRoutePoint extension (seed 004 §4.1) and the Huawei `accessCode`.

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// A contact flow. Times are UTC epoch milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "flows_contact_flow")]
pub struct Model {
    /// Auto-increment key; the stable numeric flow `id` of Huawei queryIVRFlowList.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `ContactFlowId`: a UUID, unique across instances.
    #[sea_orm(unique)]
    pub contact_flow_id: String,
    /// The owning instance (`InstanceId`).
    pub instance_id: String,
    /// `ContactFlowName` / `Name`: unique within the instance, at most 64 characters.
    pub name: String,
    /// `ContactFlowDescription` / `Description`, at most 256 characters.
    pub description: String,
    /// The 2020-07-01 type code (`MAIN_FLOW`, `SUB_FLOW`, `SURVEY_FLOW`); see
    /// [`crate::flow_type::FlowType`].
    pub flow_type: String,
    /// The 8-digit route point (extension) allocated at creation, unique within the instance.
    pub route_point: String,
    /// `ContactFlowVersionId` of the published (applied) version; `None` until first published.
    pub applied_version_id: Option<String>,
    /// Display name of the principal that last created, changed or published the flow
    /// (2020 `Editor`).
    pub editor: String,
    /// Creation time, epoch ms.
    pub created_at: i64,
    /// Last change (commit or publish), epoch ms.
    pub updated_at: i64,
}

/// No declared relations: versions are joined by `contact_flow_id` in queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
