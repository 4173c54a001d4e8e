//! Entity `agents_service_extensions`: extensions of service route points (the satisfaction
//! survey, seed 004 §3.3 GetServiceExtensions), handed out by the same per-instance counter as
//! users' extensions ([`super::counter`]), so a route point never collides with an agent.

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One service's extension in one instance.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agents_service_extensions")]
pub struct Model {
    /// The instance.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub instance_id: String,
    /// The service (`SatisfactionSurvey`).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub service_type: String,
    /// The extension (8001, 8002, ...), unique among the instance's users and services.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub extension: String,
    /// When it was allocated, UTC epoch milliseconds.
    pub created_at: i64,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
