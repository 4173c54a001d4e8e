//! Entity `calls_client_tokens`: the ClientTokens of dialling requests (StartBack2BackCall,
//! DialEx, MakeCall), so that a retry answers the first call instead of dialling again.

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One ClientToken of one caller on one instance, written in the transaction that inserts the
/// call's record; valid for [`TTL_MS`] after `created_ms`.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calls_client_tokens")]
pub struct Model {
    /// The instance.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub instance_id: String,
    /// Who sent it: `ak:<AccessKeyId>` or `bearer:<token subject>`.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(160))"
    )]
    pub caller: String,
    /// The ClientToken, as sent (1-64 characters).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub token: String,
    /// The action it was sent with (`MakeCall`, `DialEx`, `StartBack2BackCall`).
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub action: String,
    /// The call it started (`calls_cdr.contact_id`).
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub contact_id: String,
    /// When it was first used, UTC epoch ms.
    pub created_ms: i64,
}

/// How long a ClientToken stands for its first call: 24 hours, in ms.
pub const TTL_MS: i64 = 24 * 3600 * 1000;

/// No relations are declared.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
