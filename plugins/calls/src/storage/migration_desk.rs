//! Migration `m0003_calls_desk`: what the 2020 agent-desk call actions (MakeCall, BlindTransfer)
//! and ClientToken idempotency need.
//!
//! - `calls_cdr` gains `agent_first` (the agent is the first leg: MakeCall) and the pending
//!   blind transfer: `transfer_target` (empty when none) and the agent reserved for it
//!   (`transfer_user_id`, `transfer_login_name`, `transfer_extension`,
//!   `transfer_skill_group_id`). One `ALTER TABLE` per column (SQLite takes one at a time).
//! - `calls_client_tokens` (`instance_id, caller, token` PK) with
//!   `idx_calls_client_tokens_created` (`created_ms`): expired tokens are deleted by range.

use ccgate_plugin_sdk::sea_orm_migration::prelude::*;
use ccgate_plugin_sdk::sea_orm_migration::schema::{
    big_integer, boolean, string_len, string_len_null,
};

#[derive(DeriveIden)]
enum CallsCdr {
    Table,
    AgentFirst,
    TransferTarget,
    TransferUserId,
    TransferLoginName,
    TransferExtension,
    TransferSkillGroupId,
}

#[derive(DeriveIden)]
enum CallsClientTokens {
    Table,
    InstanceId,
    Caller,
    Token,
    Action,
    ContactId,
    CreatedMs,
}

/// Adds the desk columns to `calls_cdr` and creates `calls_client_tokens`.
pub struct M0003CallsDesk;

impl MigrationName for M0003CallsDesk {
    fn name(&self) -> &str {
        "m0003_calls_desk"
    }
}

#[ccgate_plugin_sdk::async_trait]
impl MigrationTrait for M0003CallsDesk {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use CallsCdr as C;
        use CallsClientTokens as T;
        let columns = [
            boolean(C::AgentFirst).default(false).to_owned(),
            string_len(C::TransferTarget, 256).default("").to_owned(),
            string_len_null(C::TransferUserId, 64),
            string_len_null(C::TransferLoginName, 128),
            string_len_null(C::TransferExtension, 16),
            string_len_null(C::TransferSkillGroupId, 64),
        ];
        for mut col in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(C::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .if_not_exists()
                    .col(string_len(T::InstanceId, 64))
                    .col(string_len(T::Caller, 160))
                    .col(string_len(T::Token, 64))
                    .col(string_len(T::Action, 64))
                    .col(string_len(T::ContactId, 32))
                    .col(big_integer(T::CreatedMs))
                    .primary_key(
                        Index::create()
                            .col(T::InstanceId)
                            .col(T::Caller)
                            .col(T::Token),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_calls_client_tokens_created")
                    .table(T::Table)
                    .col(T::CreatedMs)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(CallsClientTokens::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        for c in [
            CallsCdr::AgentFirst.into_iden(),
            CallsCdr::TransferTarget.into_iden(),
            CallsCdr::TransferUserId.into_iden(),
            CallsCdr::TransferLoginName.into_iden(),
            CallsCdr::TransferExtension.into_iden(),
            CallsCdr::TransferSkillGroupId.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CallsCdr::Table)
                        .drop_column(c)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
