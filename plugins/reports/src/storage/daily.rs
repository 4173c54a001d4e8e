//! Entity `reports_daily`: the daily rollups, one [`crate::tally::Tally`] per scope and local
//! day, kept by the events (`crate::ingest`) and rebuilt by `ccgate reports rebuild`.

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// The instance scope ([`Model::dim`]).
pub const INSTANCE: &str = "I";
/// An agent (dim_id: UserId).
pub const AGENT: &str = "A";
/// A skill group (dim_id: SkillGroupId).
pub const SKILL_GROUP: &str = "G";
/// A call center number (dim_id: the number; metering).
pub const NUMBER: &str = "N";

/// One scope's figures for one local day.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports_daily")]
pub struct Model {
    /// The instance.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub instance_id: String,
    /// The scope: [`INSTANCE`], [`AGENT`], [`SKILL_GROUP`] or [`NUMBER`].
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(1))"
    )]
    pub dim: String,
    /// The agent, skill group or number; empty for the instance.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub dim_id: String,
    /// The local day (days since 1970-01-01 in the instance's zone).
    #[sea_orm(primary_key, auto_increment = false)]
    pub local_day: i32,
    /// The JSON of the day's [`crate::tally::Tally`].
    #[sea_orm(column_type = "Text")]
    pub tally: String,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
