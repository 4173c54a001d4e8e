//! Entity `device_diagnostics_agent_devices`: one row per device an agent went online with
//! (AddAgentDevice, seed 004 §12.2), its sign-in result (ModifyAgentDevice, §12.1), read by
//! ListAgentDevices (§12.4) and removed by the retention task once older than
//! `retention_days` ([`super::purge_older_than`]).

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One agent device record. Times are UTC epoch milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "device_diagnostics_agent_devices")]
pub struct Model {
    /// The record id, auto-increment: the API's `AgentDeviceId` (Long).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The instance.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub instance_id: String,
    /// The agent's `UserId` (UUID) in the instance: whose record it is.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub user_id: String,
    /// The agent's RamId (16 decimal digits) when the record was made: what ListAgentDevices
    /// filters `RamIds` by and renders as `RamId`.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub ram_id: String,
    /// `BrowserVersion` as sent (at most 256 characters).
    #[sea_orm(column_type = "String(StringLen::N(256))")]
    pub browser_version: String,
    /// `ClientIp` as sent (an IPv4 or IPv6 address, at most 64 characters).
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub client_ip: String,
    /// `ClientPort` as sent (1-65535), empty when not given.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub client_port: String,
    /// `Remark` as sent, empty when not given (at most 256 characters).
    #[sea_orm(column_type = "String(StringLen::N(256))")]
    pub remark: String,
    /// Whether the sign-in succeeded: 0 (failed, or not reported yet) or 1 (ModifyAgentDevice).
    pub is_login: i32,
    /// When AddAgentDevice recorded it (the API's `LoginTime`).
    pub login_time: i64,
    /// When the row last changed (AddAgentDevice, then ModifyAgentDevice).
    pub updated_at: i64,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
