//! Entity `reports_call`: the reports' copy of every ended call (from `calls.call_ended`),
//! with what the reports derive: the customer's number, the after-call work and the local day.

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One ended call. Times are UTC epoch ms, 0 when the step did not happen.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports_call")]
pub struct Model {
    /// The contact id.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(32))"
    )]
    pub contact_id: String,
    /// The instance.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub instance_id: String,
    /// `Back2Back`, `Outbound`, `PrivacyDial` or `Inbound`.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub call_type: String,
    /// The calling number.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub caller: String,
    /// The called number.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub callee: String,
    /// The instance number shown or called.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub call_center_number: String,
    /// The customer's number: the caller of inbound calls, else the callee.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub customer_number: String,
    /// Where the call was routed.
    #[sea_orm(column_type = "String(StringLen::N(256))")]
    pub route_point: String,
    /// `SkillGroup`, `ContactFlow` or empty.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub route_kind: String,
    /// The agent's UserId (empty: none).
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub agent_user_id: String,
    /// The agent's login name.
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub agent_login_name: String,
    /// The agent's display name.
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub agent_display_name: String,
    /// The skill group the agent came through (empty: none).
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub skill_group_id: String,
    /// The agent a blind transfer moved the call away from.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub transferred_by_user_id: String,
    /// When the call began.
    pub start_ms: i64,
    /// The first leg's first ring.
    pub first_ring_ms: i64,
    /// The first leg's answer.
    pub first_answer_ms: i64,
    /// The second leg's INVITE.
    pub second_invite_ms: i64,
    /// The second leg's first ring.
    pub second_ring_ms: i64,
    /// The second leg's answer.
    pub second_answer_ms: i64,
    /// Talk began.
    pub bridged_ms: i64,
    /// The release.
    pub release_ms: i64,
    /// Who released.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub release_initiator: String,
    /// `<SIP code>-<reason>`.
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub release_reason: String,
    /// The ContactDisposition.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub disposition: String,
    /// The agent was the first leg.
    pub agent_first: bool,
    /// After-call work of this call so far (closed WORKING periods with this job), ms.
    pub work_ms: i64,
    /// The local day of `start_ms` in the instance's zone (days since 1970-01-01).
    pub local_day: i32,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
