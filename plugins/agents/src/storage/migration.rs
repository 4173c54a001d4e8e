//! Schema migrations of the agents plugin (sea-orm-migration), recorded in their own
//! bookkeeping table [`MIGRATION_TABLE`] so that plugins never share migration state.
//!
//! None yet. The first one: a `struct M0001CreateTables;` with `MigrationName` (a name that never
//! changes, e.g. `m0001_create_agents_tables`) and `MigrationTrait` (`up` creates the tables
//! and indexes, `down` drops them), added to [`Migrator::migrations`]. Migrations run in order
//! at start-up and on `ccgate migrate`; never edit one that has shipped, add the next.

use ccgate_plugin_sdk::sea_orm::DynIden;
use ccgate_plugin_sdk::sea_orm_migration::prelude::*;

/// Name of this plugin's migration bookkeeping table.
pub const MIGRATION_TABLE: &str = "ccgate_migrations_agents";

/// The agents plugin's migrator; run with `Migrator::up(db, None)`.
pub struct Migrator;

#[ccgate_plugin_sdk::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        Vec::new()
    }

    fn migration_table_name() -> DynIden {
        Alias::new(MIGRATION_TABLE).into_iden()
    }
}
