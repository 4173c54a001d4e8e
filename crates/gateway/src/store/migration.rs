//! Migrations of the core tables. Plugins keep their own migration tables; the core's is
//! `ccgate_migrations_core`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_pk_auto, integer, integer_null, string_len, text,
};

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001CoreTables),
            Box::new(M0002TokenRevocation),
            Box::new(M0003InstanceVdn),
            Box::new(M0004EventLog),
            Box::new(M0005UserDirectory),
            Box::new(M0006SipDevices),
        ]
    }

    fn migration_table_name() -> DynIden {
        "ccgate_migrations_core".into_iden()
    }
}

#[derive(DeriveIden)]
enum CoreAccounts {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CoreInstances {
    Table,
    Id,
    AccountId,
    Name,
    Description,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CoreAccessKeys {
    Table,
    Id,
    AccountId,
    SecretSealed,
    Status,
    Description,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CoreSigningKeys {
    Table,
    Id,
    SecretSealed,
    CreatedAt,
}

struct M0001CoreTables;

impl MigrationName for M0001CoreTables {
    fn name(&self) -> &str {
        "m0001_core_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001CoreTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CoreAccounts::Table)
                .if_not_exists()
                .col(string_len(CoreAccounts::Id, 64).primary_key())
                .col(string_len(CoreAccounts::Name, 128))
                .col(big_integer(CoreAccounts::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CoreInstances::Table)
                .if_not_exists()
                .col(string_len(CoreInstances::Id, 64).primary_key())
                .col(string_len(CoreInstances::AccountId, 64))
                .col(string_len(CoreInstances::Name, 128))
                .col(string_len(CoreInstances::Description, 512))
                .col(big_integer(CoreInstances::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(CoreInstances::Table, CoreInstances::AccountId)
                        .to(CoreAccounts::Table, CoreAccounts::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("idx_core_instances_account")
                .table(CoreInstances::Table)
                .col(CoreInstances::AccountId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CoreAccessKeys::Table)
                .if_not_exists()
                .col(string_len(CoreAccessKeys::Id, 64).primary_key())
                .col(string_len(CoreAccessKeys::AccountId, 64))
                .col(string_len(CoreAccessKeys::SecretSealed, 256))
                .col(string_len(CoreAccessKeys::Status, 16))
                .col(string_len(CoreAccessKeys::Description, 256))
                .col(big_integer(CoreAccessKeys::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(CoreAccessKeys::Table, CoreAccessKeys::AccountId)
                        .to(CoreAccounts::Table, CoreAccounts::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CoreSigningKeys::Table)
                .if_not_exists()
                .col(string_len(CoreSigningKeys::Id, 64).primary_key())
                .col(string_len(CoreSigningKeys::SecretSealed, 256))
                .col(big_integer(CoreSigningKeys::CreatedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "core_signing_keys",
            "core_access_keys",
            "core_instances",
            "core_accounts",
        ] {
            m.drop_table(Table::drop().table(t.into_iden()).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum CoreRevokedTokens {
    Table,
    Jti,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum TokensNotBefore {
    TokensNotBefore,
}

/// Bearer-token revocation (issue 9): `core_access_keys.tokens_not_before` (UTC epoch seconds;
/// tokens issued under the key earlier are refused: set when the key is disabled or its tokens
/// are revoked) and `core_revoked_tokens` (single tokens revoked by id until they expire).
struct M0002TokenRevocation;

impl MigrationName for M0002TokenRevocation {
    fn name(&self) -> &str {
        "m0002_token_revocation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002TokenRevocation {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(CoreAccessKeys::Table)
                .add_column(big_integer(TokensNotBefore::TokensNotBefore).default(0))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CoreRevokedTokens::Table)
                .if_not_exists()
                .col(string_len(CoreRevokedTokens::Jti, 64).primary_key())
                .col(big_integer(CoreRevokedTokens::ExpiresAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(CoreRevokedTokens::Table)
                .if_exists()
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(CoreAccessKeys::Table)
                .drop_column(TokensNotBefore::TokensNotBefore)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum VdnId {
    VdnId,
}

/// Huawei CC-iSales instance mapping: `core_instances.vdn_id` (nullable integer, the VDN id
/// 1-9999 that C2 callers pass as `vdnId`), unique per account (several NULLs allowed on every
/// backend).
struct M0003InstanceVdn;

impl MigrationName for M0003InstanceVdn {
    fn name(&self) -> &str {
        "m0003_instance_vdn"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003InstanceVdn {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(CoreInstances::Table)
                .add_column(integer_null(VdnId::VdnId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("idx_core_instances_account_vdn")
                .table(CoreInstances::Table)
                .col(CoreInstances::AccountId)
                .col(VdnId::VdnId)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_core_instances_account_vdn")
                .table(CoreInstances::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(CoreInstances::Table)
                .drop_column(VdnId::VdnId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum CoreEvents {
    Table,
    Id,
    Topic,
    Stream,
    Payload,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CoreEventHead {
    Table,
    Id,
    Published,
}

#[derive(DeriveIden)]
enum CoreEventSubscribers {
    Table,
    Name,
    Position,
    LeaseOwner,
    LeaseUntil,
    UpdatedAt,
}

/// Events between plugins (issue 10, `docs/events.md`): the event log `core_events` (the
/// outbox: `id` assigned in commit order, `topic`, `stream`, `payload` JSON text, `created_at`
/// UTC epoch milliseconds; indexed by topic then id for the subscribers' reads), the one-row
/// `core_event_head` whose row lock serializes publishers, and `core_event_subscribers` (per
/// durable subscriber: the id of the last event delivered and the delivery lease).
struct M0004EventLog;

impl MigrationName for M0004EventLog {
    fn name(&self) -> &str {
        "m0004_event_log"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0004EventLog {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mysql = m.get_database_backend() == sea_orm::DbBackend::MySql;
        // Topics and subscriber names compare by code point on every backend.
        let exact = |mut col: ColumnDef| {
            if mysql {
                col.extra(ccgate_plugin_sdk::storage::MYSQL_BINARY_COLLATION);
            }
            col
        };
        m.create_table(
            Table::create()
                .table(CoreEvents::Table)
                .if_not_exists()
                .col(big_pk_auto(CoreEvents::Id))
                .col(exact(string_len(CoreEvents::Topic, 128)))
                .col(string_len(CoreEvents::Stream, 255))
                .col(text(CoreEvents::Payload))
                .col(big_integer(CoreEvents::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("idx_core_events_topic_id")
                .table(CoreEvents::Table)
                .col(CoreEvents::Topic)
                .col(CoreEvents::Id)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CoreEventHead::Table)
                .if_not_exists()
                .col(integer(CoreEventHead::Id).primary_key())
                .col(big_integer(CoreEventHead::Published).default(0))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(CoreEventHead::Table)
                .columns([CoreEventHead::Id, CoreEventHead::Published])
                .values_panic([1.into(), 0.into()])
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CoreEventSubscribers::Table)
                .if_not_exists()
                .col(exact(string_len(CoreEventSubscribers::Name, 128)).primary_key())
                .col(big_integer(CoreEventSubscribers::Position).default(0))
                .col(string_len(CoreEventSubscribers::LeaseOwner, 128).default(""))
                .col(big_integer(CoreEventSubscribers::LeaseUntil).default(0))
                .col(big_integer(CoreEventSubscribers::UpdatedAt).default(0))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["core_event_subscribers", "core_event_head", "core_events"] {
            m.drop_table(Table::drop().table(t.into_iden()).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum CoreDirectoryUsers {
    Table,
    RamId,
    AccountId,
    LoginName,
    DisplayName,
    Email,
    Phone,
    CreatedAt,
}

/// The user directory (`ccgate user add`, the stand-in for RAM sub-users that `AssignUsers`
/// imports): `core_directory_users` keyed by `ram_id` (16 digits, unique over all accounts),
/// `login_name` unique per account, display name, e-mail and phone (empty when not given),
/// `created_at` UTC epoch milliseconds.
struct M0005UserDirectory;

impl MigrationName for M0005UserDirectory {
    fn name(&self) -> &str {
        "m0005_user_directory"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0005UserDirectory {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mysql = m.get_database_backend() == sea_orm::DbBackend::MySql;
        // Login names compare by code point on every backend (`Bob` and `bob` are two).
        let exact = |mut col: ColumnDef| {
            if mysql {
                col.extra(ccgate_plugin_sdk::storage::MYSQL_BINARY_COLLATION);
            }
            col
        };
        m.create_table(
            Table::create()
                .table(CoreDirectoryUsers::Table)
                .if_not_exists()
                .col(string_len(CoreDirectoryUsers::RamId, 16).primary_key())
                .col(string_len(CoreDirectoryUsers::AccountId, 64))
                .col(exact(string_len(CoreDirectoryUsers::LoginName, 128)))
                .col(string_len(CoreDirectoryUsers::DisplayName, 128))
                .col(string_len(CoreDirectoryUsers::Email, 256).default(""))
                .col(string_len(CoreDirectoryUsers::Phone, 64).default(""))
                .col(big_integer(CoreDirectoryUsers::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("idx_core_directory_users_account_login")
                .table(CoreDirectoryUsers::Table)
                .col(CoreDirectoryUsers::AccountId)
                .col(CoreDirectoryUsers::LoginName)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(CoreDirectoryUsers::Table)
                .if_exists()
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum CoreSipDevices {
    Table,
    InstanceId,
    DeviceId,
    UserId,
    PasswordSealed,
    UpdatedAt,
}

/// Agent device credentials for the SIP registrar (2020 `RegisterDevice`, `ccgate device
/// set`): `core_sip_devices` keyed by (`instance_id`, `device_id`), the owning `user_id`, the
/// password sealed with the master key, `updated_at` UTC epoch milliseconds.
struct M0006SipDevices;

impl MigrationName for M0006SipDevices {
    fn name(&self) -> &str {
        "m0006_sip_devices"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0006SipDevices {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CoreSipDevices::Table)
                .if_not_exists()
                .col(string_len(CoreSipDevices::InstanceId, 64))
                .col(string_len(CoreSipDevices::DeviceId, 64))
                .col(string_len(CoreSipDevices::UserId, 192))
                .col(string_len(CoreSipDevices::PasswordSealed, 512))
                .col(big_integer(CoreSipDevices::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(CoreSipDevices::InstanceId)
                        .col(CoreSipDevices::DeviceId),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(CoreSipDevices::Table)
                .if_exists()
                .to_owned(),
        )
        .await
    }
}
