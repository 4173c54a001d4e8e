//! Entity `agents_user_roles`: The roles of a user (seed 004 §9.1 `RoleId.N`; the three roles of §5.1).

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One (user, role) pair.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agents_user_roles")]
pub struct Model {
    /// The user.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub user_id: String,
    /// `admin`, `skill-group-leader` or `agent` (`ccgate_plugin_sdk::Role::as_str`).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(32))"
    )]
    pub role: String,
    /// The instance (denormalised for per-instance queries).
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub instance_id: String,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
