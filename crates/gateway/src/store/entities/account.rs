//! `core_accounts`: a tenant. Instances and AccessKeys belong to exactly one account.

use sea_orm::entity::prelude::*;

/// One account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "core_accounts")]
pub struct Model {
    /// `acc-<uuid>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Display name.
    pub name: String,
    /// Creation time, UTC epoch milliseconds.
    pub created_at: i64,
}

/// No navigable relations; joins are explicit.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
