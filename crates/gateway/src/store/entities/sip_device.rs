//! `core_sip_devices`: the credentials agent devices REGISTER with (2020 `RegisterDevice`,
//! `ccgate device set`), read by the SIP engine's registrar ([`crate::telephony`]).

use sea_orm::entity::prelude::*;

/// One device of an instance.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "core_sip_devices")]
pub struct Model {
    /// The instance (also the device's SIP domain and digest realm).
    #[sea_orm(primary_key, auto_increment = false)]
    pub instance_id: String,
    /// The DeviceId: the SIP user name the device registers with, unique per instance.
    #[sea_orm(primary_key, auto_increment = false)]
    pub device_id: String,
    /// The agent (agents plugin UserId) the device rings for.
    pub user_id: String,
    /// The digest password, sealed with the master key (AES-256-GCM, `crypto::MasterKey`).
    pub password_sealed: String,
    /// Last change, UTC epoch milliseconds.
    pub updated_at: i64,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
