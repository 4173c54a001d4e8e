//! Schema migrations of the device-diagnostics plugin (sea-orm-migration), recorded in their own
//! bookkeeping table [`MIGRATION_TABLE`] so that plugins never share migration state.
//!
//! Indexes of `device_diagnostics_agent_devices` and why:
//! - `idx_device_diagnostics_agent_devices_time` (`instance_id, login_time`): ListAgentDevices
//!   of an administrator without RamIds (every record of the instance in a range, newest
//!   first), and of a caller's own records (the range, filtered by `user_id`);
//! - `idx_device_diagnostics_agent_devices_ram` (`instance_id, ram_id, login_time`):
//!   ListAgentDevices with `RamIds`, one index range per RamId;
//! - `idx_device_diagnostics_agent_devices_purge` (`login_time`): the retention task's
//!   batches of rows older than the cut-off, over every instance
//!   ([`super::purge_older_than`]).
//!
//! Strings are bounded VARCHARs and times BIGINT epoch milliseconds, so the same schema works
//! on SQLite, PostgreSQL and MySQL/MariaDB. Never edit a migration that has shipped; add the
//! next one.

use ccgate_plugin_sdk::sea_orm::DynIden;
use ccgate_plugin_sdk::sea_orm_migration::prelude::*;
use ccgate_plugin_sdk::sea_orm_migration::schema::{big_integer, integer, pk_auto, string_len};

/// Name of this plugin's migration bookkeeping table.
pub const MIGRATION_TABLE: &str = "ccgate_migrations_device_diagnostics";

/// The device-diagnostics plugin's migrator; run with `Migrator::up(db, None)`.
pub struct Migrator;

#[ccgate_plugin_sdk::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(M0001CreateTables)]
    }

    fn migration_table_name() -> DynIden {
        Alias::new(MIGRATION_TABLE).into_iden()
    }
}

#[derive(DeriveIden)]
enum DeviceDiagnosticsAgentDevices {
    Table,
    Id,
    InstanceId,
    UserId,
    RamId,
    BrowserVersion,
    ClientIp,
    ClientPort,
    Remark,
    IsLogin,
    LoginTime,
    UpdatedAt,
}

/// Creates `device_diagnostics_agent_devices` with its indexes.
struct M0001CreateTables;

impl MigrationName for M0001CreateTables {
    fn name(&self) -> &str {
        "m0001_create_device_diagnostics_tables"
    }
}

fn index(name: &str, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name)
        .table(DeviceDiagnosticsAgentDevices::Table)
        .if_not_exists();
    for c in cols {
        i.col(c);
    }
    i.to_owned()
}

#[ccgate_plugin_sdk::async_trait]
impl MigrationTrait for M0001CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use DeviceDiagnosticsAgentDevices as D;
        manager
            .create_table(
                Table::create()
                    .table(D::Table)
                    .if_not_exists()
                    .col(pk_auto(D::Id).big_integer())
                    .col(string_len(D::InstanceId, 64))
                    .col(string_len(D::UserId, 64))
                    .col(string_len(D::RamId, 32))
                    .col(string_len(D::BrowserVersion, 256))
                    .col(string_len(D::ClientIp, 64))
                    .col(string_len(D::ClientPort, 16))
                    .col(string_len(D::Remark, 256))
                    .col(integer(D::IsLogin).default(0))
                    .col(big_integer(D::LoginTime))
                    .col(big_integer(D::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for i in [
            index(
                "idx_device_diagnostics_agent_devices_time",
                vec![D::InstanceId.into_iden(), D::LoginTime.into_iden()],
            ),
            index(
                "idx_device_diagnostics_agent_devices_ram",
                vec![
                    D::InstanceId.into_iden(),
                    D::RamId.into_iden(),
                    D::LoginTime.into_iden(),
                ],
            ),
            index(
                "idx_device_diagnostics_agent_devices_purge",
                vec![D::LoginTime.into_iden()],
            ),
        ] {
            manager.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(DeviceDiagnosticsAgentDevices::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
