//! Entity `calls_secret`: secrets the plugin generated for itself.

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One secret. Today only [`NUMBER_KEY`].
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calls_secret")]
pub struct Model {
    /// What it is ([`NUMBER_KEY`]).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(32))"
    )]
    pub name: String,
    /// The secret, standard base64.
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub value: String,
    /// When it was generated, UTC epoch ms.
    pub created_ms: i64,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("name", &self.name)
            .field("value", &"<redacted>")
            .field("created_ms", &self.created_ms)
            .finish()
    }
}

/// `name` of the master key of Encrypt tokens, generated on first use when
/// `[plugins.calls] number_key` is empty (32 random bytes).
pub const NUMBER_KEY: &str = "number_key";

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
