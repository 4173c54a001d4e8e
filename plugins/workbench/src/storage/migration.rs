//! Schema migrations of the workbench plugin, recorded in their own bookkeeping table
//! [`MIGRATION_TABLE`].
//!
//! Keys and why: `workbench_config_items` is keyed by (`instance_id`, `object_type`,
//! `object_id`, `name`): a scope's values are one prefix read; `workbench_login_keys` by
//! `instance_id`.

use ccgate_plugin_sdk::sea_orm::DynIden;
use ccgate_plugin_sdk::sea_orm_migration::prelude::*;
use ccgate_plugin_sdk::sea_orm_migration::schema::{big_integer, string_len, text};

/// Name of this plugin's migration bookkeeping table.
pub const MIGRATION_TABLE: &str = "ccgate_migrations_workbench";

/// The workbench plugin's migrator; run with `Migrator::up(db, None)`.
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
enum WorkbenchConfigItems {
    Table,
    InstanceId,
    ObjectType,
    ObjectId,
    Name,
    Value,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WorkbenchLoginKeys {
    Table,
    InstanceId,
    KeyId,
    PublicKey,
    PrivateKeySealed,
    CreatedAt,
}

struct M0001CreateTables;

impl MigrationName for M0001CreateTables {
    fn name(&self) -> &str {
        "m0001_create_workbench_tables"
    }
}

#[ccgate_plugin_sdk::async_trait]
impl MigrationTrait for M0001CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WorkbenchConfigItems as C;
        use WorkbenchLoginKeys as K;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .if_not_exists()
                    .col(string_len(C::InstanceId, 64))
                    .col(string_len(C::ObjectType, 16))
                    .col(string_len(C::ObjectId, 64))
                    .col(string_len(C::Name, 64))
                    .col(string_len(C::Value, 32))
                    .col(string_len(C::UpdatedBy, 128))
                    .col(big_integer(C::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(C::InstanceId)
                            .col(C::ObjectType)
                            .col(C::ObjectId)
                            .col(C::Name),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(K::Table)
                    .if_not_exists()
                    .col(string_len(K::InstanceId, 64).primary_key())
                    .col(string_len(K::KeyId, 32))
                    .col(string_len(K::PublicKey, 64))
                    .col(text(K::PrivateKeySealed))
                    .col(big_integer(K::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WorkbenchLoginKeys::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WorkbenchConfigItems::Table).to_owned())
            .await
    }
}
