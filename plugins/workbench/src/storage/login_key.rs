//! Entity `workbench_login_keys`: each instance's Ed25519 key pair that signs SignData
//! ([`crate::signing`]); the private half sealed with the master key.

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One instance's login key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workbench_login_keys")]
pub struct Model {
    /// The instance.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub instance_id: String,
    /// `wb-` and 16 hex digits of SHA-256 over the public key.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub key_id: String,
    /// The 32-byte public key, standard base64.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub public_key: String,
    /// The 32-byte secret seed, base64, sealed by the host's master key (`crypto.seal`).
    #[sea_orm(column_type = "Text")]
    pub private_key_sealed: String,
    /// When it was made, UTC epoch milliseconds.
    pub created_at: i64,
}

/// No relations are declared: rows are read by key.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
