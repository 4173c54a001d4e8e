//! Entity `agents_users`: A user (agent) of an instance (seed 004 §9.1 CreateUser, §9.4 GetUser).

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One user.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agents_users")]
pub struct Model {
    /// `UserId`: a UUID generated at insert (2017); 2020 actions name the user `<login_name>@<instance_id>`.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub id: String,
    /// The instance.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub instance_id: String,
    /// `RamId`: the directory principal's id (AssignUsers) or a generated 16-digit id (CreateUser); unique within the instance.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub ram_id: String,
    /// `LoginName`, unique within the instance.
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub login_name: String,
    /// `DisplayName`.
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub display_name: String,
    /// `Email`.
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub email: String,
    /// `Phone` (the agent's mobile), empty when not set.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub phone: String,
    /// `Detail.Department`, empty when not set.
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub department: String,
    /// `PrivateOutboundNumberId`: a number of the numbers plugin.
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub private_outbound_number_id: Option<String>,
    /// `Dn` / 2020 `Extension`: allocated per instance from 8001 upward, unique within the instance.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub extension: String,
    /// Creation time, UTC epoch ms.
    pub created_at: i64,
    /// Last modification, UTC epoch ms.
    pub updated_at: i64,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
