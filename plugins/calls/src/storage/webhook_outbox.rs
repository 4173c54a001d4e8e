//! Entity `calls_webhook_outbox`: call-event webhooks waiting for (or past) delivery
//! ([`crate::webhooks`]).

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One webhook: one applied call event of an instance that has a webhook.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calls_webhook_outbox")]
pub struct Model {
    /// Auto-increment: the order rows were written (per call, the order of `seq`).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The call's instance (whose webhook setting receives it).
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub instance_id: String,
    /// The call.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub contact_id: String,
    /// The engine event's `seq` (the interrupted-call event: the call's last seq + 1).
    pub seq: i32,
    /// The JSON body sent (`docs/telephony.md` "Webhooks").
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// When it was written, UTC epoch ms.
    pub created_ms: i64,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// Not to be sent before, UTC epoch ms.
    pub next_attempt_ms: i64,
    /// When a receiver answered 2xx; `None` while undelivered.
    pub delivered_ms: Option<i64>,
    /// The last HTTP status answered (0: none yet, or no response).
    pub last_status: i32,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
