//! Schema migrations of the calls plugin (sea-orm-migration), recorded in their own
//! bookkeeping table [`MIGRATION_TABLE`].
//!
//! Indexes and why:
//! - `idx_calls_cdr_instance_start` (`instance_id, start_ms`): the `calls.cdrs` query pages an
//!   instance's records by start time (and ListCallDetailRecords after it).
//! - `idx_calls_cdr_status` (`status`): the start-up task finds the records left LIVE.
//! - `calls_event_log`'s primary key (`contact_id, seq`): one call's log, in order.

use ccgate_plugin_sdk::sea_orm_migration::prelude::*;
use ccgate_plugin_sdk::sea_orm_migration::schema::{
    big_integer, integer, string_len, string_len_null,
};

/// Name of this plugin's migration bookkeeping table.
pub const MIGRATION_TABLE: &str = "ccgate_migrations_calls";

/// The calls plugin's migrator; run with `Migrator::up(db, None)`.
pub struct Migrator;

#[ccgate_plugin_sdk::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001CreateTables),
            Box::new(super::migration_privacy::M0002CreatePrivacyTables),
            Box::new(super::migration_desk::M0003CallsDesk),
            Box::new(super::migration_webhooks::M0004CallsWebhooks),
            Box::new(super::migration_call_ended::M0005CallsCallEnded),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new(MIGRATION_TABLE).into_iden()
    }
}

#[derive(DeriveIden)]
enum CallsCdr {
    Table,
    ContactId,
    InstanceId,
    CallType,
    Caller,
    Callee,
    CallCenterNumber,
    RoutePoint,
    AgentUserId,
    AgentLoginName,
    AgentDisplayName,
    AgentExtension,
    SkillGroupId,
    Status,
    StartMs,
    FirstRingMs,
    FirstAnswerMs,
    SecondInviteMs,
    SecondRingMs,
    SecondAnswerMs,
    BridgedMs,
    ReleaseMs,
    ReleaseInitiator,
    ReleaseReason,
    Disposition,
    LastSeq,
}

#[derive(DeriveIden)]
enum CallsEventLog {
    Table,
    ContactId,
    Seq,
    AtMs,
    Event,
    Status,
    AgentName,
    DurationMs,
    EventType,
    HangUper,
    SkillGroup,
}

/// Creates `calls_cdr` and `calls_event_log` with their indexes.
struct M0001CreateTables;

impl MigrationName for M0001CreateTables {
    fn name(&self) -> &str {
        "m0001_create_calls_tables"
    }
}

#[ccgate_plugin_sdk::async_trait]
impl MigrationTrait for M0001CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use CallsCdr as C;
        use CallsEventLog as E;
        let mut cdr = Table::create();
        cdr.table(C::Table)
            .if_not_exists()
            .col(string_len(C::ContactId, 32).primary_key())
            .col(string_len(C::InstanceId, 64))
            .col(string_len(C::CallType, 16))
            .col(string_len(C::Caller, 32))
            .col(string_len(C::Callee, 32))
            .col(string_len(C::CallCenterNumber, 32))
            .col(string_len(C::RoutePoint, 256))
            .col(string_len_null(C::AgentUserId, 64))
            .col(string_len_null(C::AgentLoginName, 128))
            .col(string_len_null(C::AgentDisplayName, 128))
            .col(string_len_null(C::AgentExtension, 16))
            .col(string_len_null(C::SkillGroupId, 64))
            .col(string_len(C::Status, 8));
        for ms in [
            C::StartMs,
            C::FirstRingMs,
            C::FirstAnswerMs,
            C::SecondInviteMs,
            C::SecondRingMs,
            C::SecondAnswerMs,
            C::BridgedMs,
            C::ReleaseMs,
        ] {
            cdr.col(big_integer(ms));
        }
        cdr.col(string_len(C::ReleaseInitiator, 16))
            .col(string_len(C::ReleaseReason, 128))
            .col(string_len(C::Disposition, 32))
            .col(integer(C::LastSeq));
        manager.create_table(cdr.to_owned()).await?;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .if_not_exists()
                    .col(string_len(E::ContactId, 32))
                    .col(integer(E::Seq))
                    .col(big_integer(E::AtMs))
                    .col(string_len(E::Event, 32))
                    .col(string_len(E::Status, 32))
                    .col(string_len(E::AgentName, 128))
                    .col(big_integer(E::DurationMs))
                    .col(string_len(E::EventType, 16))
                    .col(string_len(E::HangUper, 32))
                    .col(string_len(E::SkillGroup, 64))
                    .primary_key(Index::create().col(E::ContactId).col(E::Seq))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_calls_cdr_instance_start",
                vec![C::InstanceId.into_iden(), C::StartMs.into_iden()],
            ),
            ("idx_calls_cdr_status", vec![C::Status.into_iden()]),
        ] {
            let mut i = Index::create();
            i.name(name).table(C::Table).if_not_exists();
            for c in cols {
                i.col(c);
            }
            manager.create_index(i.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            CallsEventLog::Table.into_iden(),
            CallsCdr::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
