//! Schema migrations of the reports plugin, in their own bookkeeping table [`MIGRATION_TABLE`].
//!
//! Tables come from the entities (`Schema::create_table_from_entity`). Indexes and why:
//! - `reports_call` (`instance_id`, `<filter>`, `start_ms`) for each filter of
//!   ListCallDetailRecords (type, disposition, customer number, call center number, agent,
//!   skill group) and the plain time range: every filtered page is one index range; the raw
//!   edges of summary reports read `(instance_id, start_ms)` or the agent / group index.
//! - `reports_state_fragment` (`instance_id, local_day, user_id`): one day's periods, of some
//!   agents or all.
//! - `reports_state_fragment` (`instance_id, job_id`): the after-call work of a call that
//!   arrives after its work (`crate::ingest`).
//! - `reports_daily`'s primary key (`instance_id, dim, dim_id, local_day`): a scope's days.
//! - `reports_export` (`status, created_ms`): the export task claims the oldest pending job
//!   (M0002).
//! - `reports_call_count`'s primary key (`instance_id, local_day, call_type, disposition,
//!   call_center_number`): the days of a range, summed (M0003, filled from `reports_call`).

use ccgate_plugin_sdk::sea_orm::{DynIden, EntityTrait, Schema};
use ccgate_plugin_sdk::sea_orm_migration::prelude::*;

use super::{call, call_count, daily, export, fragment, open};

/// Name of this plugin's migration bookkeeping table.
pub const MIGRATION_TABLE: &str = "ccgate_migrations_reports";

/// The reports plugin's migrator; run with `Migrator::up(db, None)`.
pub struct Migrator;

#[ccgate_plugin_sdk::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001CreateTables),
            Box::new(M0002CreateExports),
            Box::new(M0003CreateCallCounts),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new(MIGRATION_TABLE).into_iden()
    }
}

/// Creates every reports table with its indexes.
struct M0001CreateTables;

impl MigrationName for M0001CreateTables {
    fn name(&self) -> &str {
        "m0001_create_reports_tables"
    }
}

fn index<E: EntityTrait>(name: &str, entity: E, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(entity).if_not_exists();
    for c in cols {
        i.col(Alias::new(*c));
    }
    i.to_owned()
}

#[ccgate_plugin_sdk::async_trait]
impl MigrationTrait for M0001CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let schema = Schema::new(manager.get_database_backend());
        for mut t in [
            schema.create_table_from_entity(call::Entity),
            schema.create_table_from_entity(fragment::Entity),
            schema.create_table_from_entity(open::Entity),
            schema.create_table_from_entity(daily::Entity),
        ] {
            manager.create_table(t.if_not_exists().to_owned()).await?;
        }
        let c = call::Entity;
        for (name, col) in [
            ("idx_reports_call_time", ""),
            ("idx_reports_call_type", "call_type"),
            ("idx_reports_call_disposition", "disposition"),
            ("idx_reports_call_customer", "customer_number"),
            ("idx_reports_call_number", "call_center_number"),
            ("idx_reports_call_agent", "agent_user_id"),
            ("idx_reports_call_login", "agent_login_name"),
            ("idx_reports_call_group", "skill_group_id"),
            ("idx_reports_call_transferred_by", "transferred_by_user_id"),
        ] {
            let cols: Vec<&str> = ["instance_id", col, "start_ms"]
                .into_iter()
                .filter(|c| !c.is_empty())
                .collect();
            manager.create_index(index(name, c, &cols)).await?;
        }
        manager
            .create_index(index(
                "idx_reports_fragment_day",
                fragment::Entity,
                &["instance_id", "local_day", "user_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_reports_fragment_job",
                fragment::Entity,
                &["instance_id", "job_id"],
            ))
            .await?;
        Ok(())
    }
}

/// Creates the CDR export jobs' table `reports_export` (`crate::jobs`).
struct M0002CreateExports;

impl MigrationName for M0002CreateExports {
    fn name(&self) -> &str {
        "m0002_create_reports_export"
    }
}

#[ccgate_plugin_sdk::async_trait]
impl MigrationTrait for M0002CreateExports {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let schema = Schema::new(manager.get_database_backend());
        manager
            .create_table(
                schema
                    .create_table_from_entity(export::Entity)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_reports_export_status",
                export::Entity,
                &["status", "created_ms"],
            ))
            .await
    }
}

/// Creates the per-day call counts `reports_call_count` (`crate::counts`) and fills them from
/// the calls stored so far.
struct M0003CreateCallCounts;

impl MigrationName for M0003CreateCallCounts {
    fn name(&self) -> &str {
        "m0003_create_reports_call_count"
    }
}

#[ccgate_plugin_sdk::async_trait]
impl MigrationTrait for M0003CreateCallCounts {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let schema = Schema::new(manager.get_database_backend());
        manager
            .create_table(
                schema
                    .create_table_from_entity(call_count::Entity)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        crate::counts::recount(manager.get_connection(), None).await
    }
}
