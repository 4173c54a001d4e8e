//! Entity `numbers_instance_counts`: how many numbers each instance has, maintained by the
//! transactions that insert or delete numbers ([`super::instance_counts`]), so that the
//! unfiltered 2020 ListPhoneNumbers reads its `TotalCount` with one primary-key read instead of
//! a `COUNT(*)` over the instance (migration `m0003_numbers_instance_counts`).

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// The number count of one instance.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "numbers_instance_counts")]
pub struct Model {
    /// The instance (as `numbers_phone_numbers.instance_id`).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub instance_id: String,
    /// `COUNT(*)` of the instance's rows in `numbers_phone_numbers`, as of the last committed
    /// write.
    pub total: i64,
}

/// No relations are declared.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
