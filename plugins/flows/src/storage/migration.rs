//! Schema migrations of the flows plugin (sea-orm-migration), recorded in their own table
//! [`MIGRATION_TABLE`] so that plugins never share migration bookkeeping.
//!
//! Portable across SQLite, PostgreSQL and MySQL/MariaDB: ids and names are bounded `VARCHAR`s
//! (MySQL cannot index `TEXT`), times are `BIGINT` epoch milliseconds, no column has a
//! default, and the two definition columns are `MEDIUMTEXT` on MySQL (plain `TEXT` there is
//! limited to 64 KiB) and `TEXT` elsewhere.

use ccgate_plugin_sdk::sea_orm::{DbBackend, DbErr, DynIden};
use ccgate_plugin_sdk::sea_orm_migration::prelude::*;

use super::{contact_flow as flow, contact_flow_version as version};

/// Name of this plugin's migration bookkeeping table.
pub const MIGRATION_TABLE: &str = "ccgate_migrations_flows";

/// The flows plugin's migrator; run with `Migrator::up(db, None)`.
pub struct Migrator;

#[ccgate_plugin_sdk::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateTables)]
    }

    fn migration_table_name() -> DynIden {
        Alias::new(MIGRATION_TABLE).into_iden()
    }
}

/// Migration 1: `flows_contact_flow` and `flows_contact_flow_version` with their indexes.
struct CreateTables;

impl MigrationName for CreateTables {
    fn name(&self) -> &str {
        "m20250601_000001_create_flows_tables"
    }
}

/// A long text column: `MEDIUMTEXT` (16 MiB) on MySQL, `TEXT` elsewhere.
/// The flow name: unique per instance and sorted by code point on every backend (MySQL's
/// default collation would make `Alpha` and `ALPHA` collide and sort case-insensitively).
fn name_column(backend: DbBackend) -> ColumnDef {
    let mut col = ColumnDef::new(flow::Column::Name);
    col.string_len(64).not_null();
    if backend == DbBackend::MySql {
        col.extra(ccgate_plugin_sdk::storage::MYSQL_BINARY_COLLATION);
    }
    col
}

fn long_text(backend: DbBackend, col: impl IntoIden) -> ColumnDef {
    let mut def = ColumnDef::new(col);
    if backend == DbBackend::MySql {
        def.custom(Alias::new("mediumtext"));
    } else {
        def.text();
    }
    def.not_null().to_owned()
}

#[ccgate_plugin_sdk::async_trait]
impl MigrationTrait for CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();

        manager
            .create_table(
                Table::create()
                    .table(flow::Entity)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(flow::Column::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(flow::Column::ContactFlowId)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(flow::Column::InstanceId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(name_column(backend))
                    .col(
                        ColumnDef::new(flow::Column::Description)
                            .string_len(256)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(flow::Column::FlowType)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(flow::Column::RoutePoint)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(flow::Column::AppliedVersionId)
                            .string_len(64)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(flow::Column::Editor)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(flow::Column::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(flow::Column::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_flows_contact_flow_instance_name")
                    .table(flow::Entity)
                    .col(flow::Column::InstanceId)
                    .col(flow::Column::Name)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_flows_contact_flow_instance_route_point")
                    .table(flow::Entity)
                    .col(flow::Column::InstanceId)
                    .col(flow::Column::RoutePoint)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(version::Entity)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(version::Column::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(version::Column::ContactFlowVersionId)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(version::Column::ContactFlowId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(version::Column::InstanceId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(version::Column::Version)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(version::Column::VersionMs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(version::Column::Description)
                            .string_len(256)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(version::Column::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(long_text(backend, version::Column::Content))
                    .col(long_text(backend, version::Column::Canvas))
                    .col(
                        ColumnDef::new(version::Column::LastModified)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(version::Column::LastModifiedBy)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(version::Column::LockedBy)
                            .string_len(128)
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_flows_contact_flow_version_flow")
                    .table(version::Entity)
                    .col(version::Column::ContactFlowId)
                    .col(version::Column::VersionMs)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(version::Entity).if_exists().to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(flow::Entity).if_exists().to_owned())
            .await
    }
}
