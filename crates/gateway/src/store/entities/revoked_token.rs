//! `core_revoked_tokens`: Bearer tokens revoked one by one (`ccgate token revoke TOKEN`), kept
//! until they would have expired anyway.

use sea_orm::entity::prelude::*;

/// One revoked token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "core_revoked_tokens")]
pub struct Model {
    /// The token's `jti` claim.
    #[sea_orm(primary_key, auto_increment = false)]
    pub jti: String,
    /// The token's `exp` claim, UTC epoch seconds; the row can go after it.
    pub expires_at: i64,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
