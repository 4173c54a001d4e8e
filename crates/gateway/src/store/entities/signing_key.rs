//! `core_signing_keys`: HMAC keys that sign the Bearer tokens (JWT, HS256) ccgate issues.

use sea_orm::entity::prelude::*;

/// One signing key; the newest signs, all verify.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "core_signing_keys")]
pub struct Model {
    /// Key id (`kid` header of issued tokens).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The key (base64), sealed with the master key.
    pub secret_sealed: String,
    /// Creation time, UTC epoch milliseconds.
    pub created_at: i64,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
