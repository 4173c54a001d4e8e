//! `core_directory_users`: the account's user directory (`ccgate user add`), the stand-in for
//! RAM sub-users that `AssignUsers` imports from (through `Services::directory_lookup`).

use sea_orm::entity::prelude::*;

/// One principal of an account's directory.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "core_directory_users")]
pub struct Model {
    /// The RamId: 16 decimal digits, unique over all accounts.
    #[sea_orm(primary_key, auto_increment = false)]
    pub ram_id: String,
    /// Owning account.
    pub account_id: String,
    /// Login name, unique within the account.
    pub login_name: String,
    /// Display name.
    pub display_name: String,
    /// E-mail address; empty when not given.
    pub email: String,
    /// Phone number; empty when not given.
    pub phone: String,
    /// Creation time, UTC epoch milliseconds.
    pub created_at: i64,
}

/// No navigable relations; joins are explicit.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The principal as plugins see it.
    pub fn to_sdk(&self) -> ccgate_plugin_sdk::DirectoryUser {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        ccgate_plugin_sdk::DirectoryUser {
            ram_id: self.ram_id.clone(),
            login_name: self.login_name.clone(),
            display_name: self.display_name.clone(),
            email: some(&self.email),
            phone: some(&self.phone),
            created_at_ms: self.created_at,
        }
    }
}
