//! `core_instances`: a call center instance (`InstanceId`), owned by one account.

use sea_orm::entity::prelude::*;

/// One instance. The id is what callers pass as `InstanceId` (e.g. `ccc-test`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "core_instances")]
pub struct Model {
    /// The `InstanceId`, globally unique.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Display name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Creation time, UTC epoch milliseconds.
    pub created_at: i64,
    /// The Huawei VDN id (1-9999) CC-iSales callers name this instance by (`vdnId`), unique
    /// within the account; `None` when Huawei C2 callers cannot reach it.
    pub vdn_id: Option<i32>,
}

/// No navigable relations; joins are explicit.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
