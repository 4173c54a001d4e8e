//! Entity `numbers_phone_numbers`: a phone number bound to an instance (seed 004 §6.1, §6.4;
//! seed 002 for the 2020 fields).

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One bound phone number.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "numbers_phone_numbers")]
pub struct Model {
    /// `PhoneNumberId`: a UUID generated at insert.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub id: String,
    /// The instance the number is bound to.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub instance_id: String,
    /// The number as given (digits, optionally a leading `+`); unique across instances.
    #[sea_orm(column_type = "String(StringLen::N(24))", unique)]
    pub number: String,
    /// `Inbound`, `Outbound` or `Bidirection`.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub usage: String,
    /// The bound contact flow, if any (owned by the flows domain).
    #[sea_orm(column_type = "String(StringLen::N(64))", nullable)]
    pub contact_flow_id: Option<String>,
    /// `PhoneNumberDescription`.
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub description: String,
    /// Home province (short zh name, e.g. `山东`), empty when unknown; fixed at insert.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub province: String,
    /// Home city (short zh name, e.g. `济南`), empty when unknown; fixed at insert.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub city: String,
    /// 2020 `Active`: whether the number is usable.
    pub active: bool,
    /// Creation time (bound to the instance), UTC epoch ms.
    pub created_at: i64,
    /// Last modification, UTC epoch ms.
    pub updated_at: i64,
}

/// No relations are declared: bindings are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
