//! Entity `calls_cdr`: one call detail record per call.

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One call. Times are UTC epoch ms, 0 when it did not happen (yet).
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calls_cdr")]
pub struct Model {
    /// The contact id (TaskId of StartBack2BackCall / DialEx, ContactId of §11.14): 18 digits,
    /// see `crate::dial::new_contact_id`.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(32))"
    )]
    pub contact_id: String,
    /// The instance.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub instance_id: String,
    /// `Back2Back`, `Outbound`, `PrivacyDial` or `Inbound` (seed 004 §11 ContactType names).
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub call_type: String,
    /// The calling number as the request gave it.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub caller: String,
    /// The called number.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub callee: String,
    /// The instance number shown as caller id (`PrivacyDial`: the virtual number TelX).
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub call_center_number: String,
    /// DialEx: the contact flow (AnswerMode 0) or the agent / skill group named (RoutPoint);
    /// inbound: the skill group the agent came through (the first bound when none was READY)
    /// or the contact flow.
    #[sea_orm(column_type = "String(StringLen::N(256))")]
    pub route_point: String,
    /// The agent's UserId, when an agent takes part.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub agent_user_id: Option<String>,
    /// The agent's login name.
    #[sea_orm(column_type = "String(StringLen::N(128))", nullable)]
    pub agent_login_name: Option<String>,
    /// The agent's display name.
    #[sea_orm(column_type = "String(StringLen::N(128))", nullable)]
    pub agent_display_name: Option<String>,
    /// The agent's extension (the second leg's target).
    #[sea_orm(column_type = "String(StringLen::N(16))", nullable)]
    pub agent_extension: Option<String>,
    /// The skill group the agent was reserved through.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub skill_group_id: Option<String>,
    /// `LIVE` or `ENDED`.
    #[sea_orm(column_type = "String(StringLen::N(8))")]
    pub status: String,
    /// When the API accepted the call (inbound: when the INVITE arrived).
    pub start_ms: i64,
    /// The first leg's first 180/183.
    pub first_ring_ms: i64,
    /// The first leg's 200 OK.
    pub first_answer_ms: i64,
    /// The second leg's INVITE.
    pub second_invite_ms: i64,
    /// The second leg's first 180/183.
    pub second_ring_ms: i64,
    /// The second leg's 200 OK.
    pub second_answer_ms: i64,
    /// Media between the legs (talk started).
    pub bridged_ms: i64,
    /// The release.
    pub release_ms: i64,
    /// Who released: `caller`/`callee` (Back2Back), `customer`/`agent`/`ivr` (Outbound),
    /// `system`; empty while LIVE.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub release_initiator: String,
    /// `<SIP code>-<reason>` (seed 004 §11.14 `487-Request Terminated`).
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub release_reason: String,
    /// `Success` or `NoAnswer`; inbound calls also `AbandonedRing`, `AbandonedInQueue`,
    /// `QueueOverflow` (seed 004 §11 ContactDisposition; `crate::queue`); empty while LIVE.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub disposition: String,
    /// The last engine event applied (`CallEvent::seq`); 0 before the first.
    pub last_seq: i32,
    /// The agent is the first leg (MakeCall), not the second (DialEx).
    pub agent_first: bool,
    /// The transferee of a blind transfer in progress (BlindTransfer's Transferee); empty when
    /// none.
    #[sea_orm(column_type = "String(StringLen::N(256))")]
    pub transfer_target: String,
    /// The agent reserved for the transfer in progress (it replaces the agent once it answers).
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub transfer_user_id: Option<String>,
    /// Its login name.
    #[sea_orm(column_type = "String(StringLen::N(128))", nullable)]
    pub transfer_login_name: Option<String>,
    /// Its extension.
    #[sea_orm(column_type = "String(StringLen::N(16))", nullable)]
    pub transfer_extension: Option<String>,
    /// The skill group it was reserved through.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub transfer_skill_group_id: Option<String>,
    /// How the call was routed (`SkillGroup`, `ContactFlow` or empty; `crate::events::route_kind`),
    /// written when the record is created: inbound calls to skill groups / contact flows,
    /// DialEx AnswerMode 2 / 0.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub route_kind: String,
    /// The agent (`UserId`) the last completed blind transfer moved the call away from; empty
    /// when none did.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub transferred_by_user_id: String,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
