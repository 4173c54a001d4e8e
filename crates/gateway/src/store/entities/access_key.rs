//! `core_access_keys`: AccessKey pairs. The secret is stored sealed (see `crate::crypto`).

use sea_orm::entity::prelude::*;

/// `Status` of an active key.
pub const ACTIVE: &str = "Active";
/// `Status` of a disabled key.
pub const DISABLED: &str = "Disabled";

/// One AccessKey pair.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "core_access_keys")]
pub struct Model {
    /// The AccessKeyId (`LTAI` + 20 characters).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// The AccessKeySecret, sealed with the master key.
    pub secret_sealed: String,
    /// `Active` or `Disabled`.
    pub status: String,
    /// Free text.
    pub description: String,
    /// Creation time, UTC epoch milliseconds.
    pub created_at: i64,
    /// Bearer tokens issued under this key before this time (UTC epoch seconds) are refused:
    /// set when the key is disabled or `ccgate token revoke --access-key-id` runs.
    pub tokens_not_before: i64,
}

/// No navigable relations; joins are explicit.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
