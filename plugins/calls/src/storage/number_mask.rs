//! Entity `calls_number_mask`: the Encrypt tokens a call was dialled with, so the call's
//! record is shown with them instead of the numbers (ListCallEventDetailByContactId).

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// The tokens of one call; written with its record, in the same transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calls_number_mask")]
pub struct Model {
    /// The call (`calls_cdr.contact_id`).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(32))"
    )]
    pub contact_id: String,
    /// The token given for `calls_cdr.caller` (StartBack2BackCall Caller, CallOnlinePrivacyNumber
    /// TelA); empty when the number was given in clear.
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub caller: String,
    /// The token given for `calls_cdr.callee` (StartBack2BackCall Callee, DialEx Callee,
    /// CallOnlinePrivacyNumber TelB); empty when given in clear.
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub callee: String,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
