//! Migration `m0002_create_calls_privacy_tables`: the tables of CallOnlinePrivacyNumber,
//! ModifyPrivacyNumberCallDetail and Encrypt.
//!
//! - `calls_secret` (`name` PK): the generated master key of Encrypt tokens.
//! - `calls_privacy_link` (`call_id` PK) with `idx_calls_privacy_link_contact` (`contact_id`,
//!   `linked_ms`): ListCallEventDetailByContactId finds a contact's virtual number in one
//!   indexed read.
//! - `calls_number_mask` (`contact_id` PK): the tokens a call was dialled with.

use ccgate_plugin_sdk::sea_orm_migration::prelude::*;
use ccgate_plugin_sdk::sea_orm_migration::schema::{big_integer, string_len};

#[derive(DeriveIden)]
enum CallsSecret {
    Table,
    Name,
    Value,
    CreatedMs,
}

#[derive(DeriveIden)]
enum CallsPrivacyLink {
    Table,
    CallId,
    InstanceId,
    ContactId,
    TelX,
    LinkedMs,
}

#[derive(DeriveIden)]
enum CallsNumberMask {
    Table,
    ContactId,
    Caller,
    Callee,
}

/// Creates `calls_secret`, `calls_privacy_link` and `calls_number_mask`.
pub struct M0002CreatePrivacyTables;

impl MigrationName for M0002CreatePrivacyTables {
    fn name(&self) -> &str {
        "m0002_create_calls_privacy_tables"
    }
}

#[ccgate_plugin_sdk::async_trait]
impl MigrationTrait for M0002CreatePrivacyTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use CallsNumberMask as M;
        use CallsPrivacyLink as L;
        use CallsSecret as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .if_not_exists()
                    .col(string_len(S::Name, 32).primary_key())
                    .col(string_len(S::Value, 128))
                    .col(big_integer(S::CreatedMs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .if_not_exists()
                    .col(string_len(L::CallId, 32).primary_key())
                    .col(string_len(L::InstanceId, 64))
                    .col(string_len(L::ContactId, 32))
                    .col(string_len(L::TelX, 32))
                    .col(big_integer(L::LinkedMs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_calls_privacy_link_contact")
                    .table(L::Table)
                    .if_not_exists()
                    .col(L::ContactId)
                    .col(L::LinkedMs)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .if_not_exists()
                    .col(string_len(M::ContactId, 32).primary_key())
                    .col(string_len(M::Caller, 128))
                    .col(string_len(M::Callee, 128))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            CallsNumberMask::Table.into_iden(),
            CallsPrivacyLink::Table.into_iden(),
            CallsSecret::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
