//! Migration `m0004_calls_webhooks`: the durable outbox of call-event webhooks
//! (`calls_webhook_outbox`, [`super::webhook_outbox`]).
//!
//! Indexes and why:
//! - `idx_calls_webhook_outbox_call` (`contact_id, seq`, unique): one row per applied event
//!   (a redelivered engine event cannot enqueue twice), and a call's rows in order.
//! - `idx_calls_webhook_outbox_pending` (`delivered_ms, next_attempt_ms`): the delivery loop
//!   reads the undelivered rows, and deletes the delivered ones by age.

use ccgate_plugin_sdk::sea_orm_migration::prelude::*;
use ccgate_plugin_sdk::sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, integer, string_len, text,
};

#[derive(DeriveIden)]
enum CallsWebhookOutbox {
    Table,
    Id,
    InstanceId,
    ContactId,
    Seq,
    Payload,
    CreatedMs,
    Attempts,
    NextAttemptMs,
    DeliveredMs,
    LastStatus,
}

/// Creates `calls_webhook_outbox`.
pub struct M0004CallsWebhooks;

impl MigrationName for M0004CallsWebhooks {
    fn name(&self) -> &str {
        "m0004_calls_webhooks"
    }
}

#[ccgate_plugin_sdk::async_trait]
impl MigrationTrait for M0004CallsWebhooks {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use CallsWebhookOutbox as W;
        manager
            .create_table(
                Table::create()
                    .table(W::Table)
                    .if_not_exists()
                    .col(big_pk_auto(W::Id))
                    .col(string_len(W::InstanceId, 64))
                    .col(string_len(W::ContactId, 32))
                    .col(integer(W::Seq))
                    .col(text(W::Payload))
                    .col(big_integer(W::CreatedMs))
                    .col(integer(W::Attempts).default(0))
                    .col(big_integer(W::NextAttemptMs))
                    .col(big_integer_null(W::DeliveredMs))
                    .col(integer(W::LastStatus).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_calls_webhook_outbox_call")
                    .table(W::Table)
                    .col(W::ContactId)
                    .col(W::Seq)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_calls_webhook_outbox_pending")
                    .table(W::Table)
                    .col(W::DeliveredMs)
                    .col(W::NextAttemptMs)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(CallsWebhookOutbox::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
