//! Entity `calls_privacy_link`: ModifyPrivacyNumberCallDetail's links from a virtual-number call
//! to a contact (seed 004 §6.9).

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One link; a later ModifyPrivacyNumberCallDetail for the same call replaces it.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calls_privacy_link")]
pub struct Model {
    /// The CallOnlinePrivacyNumber call (`CallId`: its contact id).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(32))"
    )]
    pub call_id: String,
    /// The instance of both records.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub instance_id: String,
    /// The linked contact (`ContactId`).
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub contact_id: String,
    /// The call's virtual number (TelX), copied so reading a contact's link is one query.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub tel_x: String,
    /// When the link was (last) written, UTC epoch ms.
    pub linked_ms: i64,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
