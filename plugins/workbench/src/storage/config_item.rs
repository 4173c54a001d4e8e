//! Entity `workbench_config_items`: a configuration item's value set at one scope (seed 004
//! §3.1-3.2; set by 2020-07-01 UpdateConfigItems).

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One value.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workbench_config_items")]
pub struct Model {
    /// The instance.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub instance_id: String,
    /// `instance`, `skillGroup` or `user` ([`crate::items::Scope::as_str`]).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(16))"
    )]
    pub object_type: String,
    /// The InstanceId, SkillGroupId or UserId.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub object_id: String,
    /// The item ([`crate::items::ITEMS`]).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub name: String,
    /// The value, checked ([`crate::items::Item::check`]).
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub value: String,
    /// Who set it (AccessKeyId or login name).
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub updated_by: String,
    /// When it was set, UTC epoch milliseconds.
    pub updated_at: i64,
}

/// No relations are declared: rows are read by key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
