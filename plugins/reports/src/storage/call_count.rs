//! Entity `reports_call_count`: how many calls of the instance began on each local day, per
//! `ContactType`, `ContactDisposition` and call center number. ListCallDetailRecords sums it
//! for the whole days of a range instead of counting every matching call ([`crate::counts`]).
//! Kept by `crate::ingest::call_ended` in the call's transaction, recomputed by
//! `crate::rebuild`.

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// The number of calls of one (local day, type, disposition, number).
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports_call_count")]
pub struct Model {
    /// The instance.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub instance_id: String,
    /// The local day the calls began on (days since 1970-01-01 in the instance's zone), as
    /// `reports_call.local_day`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub local_day: i32,
    /// The calls' `ContactType`.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(16))"
    )]
    pub call_type: String,
    /// The calls' `ContactDisposition`.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(32))"
    )]
    pub disposition: String,
    /// The calls' call center number (may be empty).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(32))"
    )]
    pub call_center_number: String,
    /// How many calls.
    pub n: i64,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
