//! Migrations of the numbers tables (seed 004 §6.1-§6.8, seed 002), tracked in their own table
//! `ccgate_migrations_numbers` so plugins migrate independently.
//!
//! Indexes and why:
//! - `uq_numbers_phone_numbers_number` (unique `number`): one instance per number, also the
//!   lookup of AddPhoneNumber / AddBulkPhoneNumbers / CheckNumberAvaliable and of the
//!   `numbers.inbound` query (the called number of an inbound call, any instance).
//! - `idx_numbers_phone_numbers_instance_number` (`instance_id, number`): every list is filtered
//!   by instance and ordered by number (2017 and 2020 ListPhoneNumbers, paging in SQL).
//! - `idx_numbers_phone_numbers_instance_usage` (`instance_id, usage, number`): the 2020 `Usage`
//!   filter and the 2017 `OutboundOnly` filter.
//! - `idx_numbers_phone_numbers_instance_flow` (`instance_id, contact_flow_id, number`; M0002):
//!   the `by_contact_flow` query, `instance_id = ? AND contact_flow_id IN (...)` ordered by
//!   `contact_flow_id, number`, reads only the numbers of the flows asked about, in index order.
//!   It replaces M0001's `idx_numbers_phone_numbers_flow` (`contact_flow_id` alone), which
//!   nothing else used.
//! - `numbers_instance_counts` (M0003) is keyed by `instance_id` alone: the unfiltered 2020
//!   ListPhoneNumbers reads its `TotalCount` there with one primary-key read
//!   ([`super::instance_counts`]) instead of counting the instance's index entries.
//! - `idx_numbers_skill_groups_group` (`instance_id, skill_group_id`): PickGlobalOutboundNumbers
//!   finds the numbers of given skill groups; the primary key (`phone_number_id, ...`) serves
//!   fetching the groups of a page of numbers.

use ccgate_plugin_sdk::sea_orm_migration;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, boolean, integer, string_len, string_len_null};

use super::{ID_MAX, NUMBER_MAX, SKILL_GROUP_ID_MAX};

/// The migrator of the numbers plugin.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001CreateTables),
            Box::new(M0002InstanceFlowIndex),
            Box::new(M0003InstanceCounts),
        ]
    }

    fn migration_table_name() -> DynIden {
        "ccgate_migrations_numbers".into_iden()
    }
}

#[derive(DeriveIden)]
enum NumbersPhoneNumbers {
    Table,
    Id,
    InstanceId,
    Number,
    Usage,
    ContactFlowId,
    Description,
    Province,
    City,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum NumbersInstanceCounts {
    Table,
    InstanceId,
    Total,
}

#[derive(DeriveIden)]
enum NumbersSkillGroups {
    Table,
    PhoneNumberId,
    SkillGroupId,
    InstanceId,
    Position,
}

/// Creates `numbers_phone_numbers` and `numbers_skill_groups` with their indexes.
struct M0001CreateTables;

impl MigrationName for M0001CreateTables {
    fn name(&self) -> &str {
        "m0001_create_numbers_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use NumbersPhoneNumbers as N;
        use NumbersSkillGroups as S;
        // Identifiers compare exactly on every backend (MySQL's default collation would match
        // skill group `SALES` to `sales`).
        let exact = |mut col: ColumnDef| {
            if manager.get_database_backend() == sea_orm::DbBackend::MySql {
                col.extra(ccgate_plugin_sdk::storage::MYSQL_BINARY_COLLATION);
            }
            col
        };
        manager
            .create_table(
                Table::create()
                    .table(N::Table)
                    .if_not_exists()
                    .col(string_len(N::Id, ID_MAX).primary_key())
                    .col(string_len(N::InstanceId, ID_MAX))
                    .col(exact(string_len(N::Number, NUMBER_MAX)))
                    .col(string_len(N::Usage, 16))
                    .col(string_len_null(N::ContactFlowId, ID_MAX))
                    .col(string_len(N::Description, 255))
                    .col(string_len(N::Province, 32))
                    .col(string_len(N::City, 32))
                    .col(boolean(N::Active))
                    .col(big_integer(N::CreatedAt))
                    .col(big_integer(N::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_numbers_phone_numbers_number")
                    .table(N::Table)
                    .col(N::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_numbers_phone_numbers_instance_number")
                    .table(N::Table)
                    .col(N::InstanceId)
                    .col(N::Number)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_numbers_phone_numbers_instance_usage")
                    .table(N::Table)
                    .col(N::InstanceId)
                    .col(N::Usage)
                    .col(N::Number)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_numbers_phone_numbers_flow")
                    .table(N::Table)
                    .col(N::ContactFlowId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .if_not_exists()
                    .col(string_len(S::PhoneNumberId, ID_MAX))
                    .col(exact(string_len(S::SkillGroupId, SKILL_GROUP_ID_MAX)))
                    .col(string_len(S::InstanceId, ID_MAX))
                    .col(integer(S::Position))
                    .primary_key(
                        Index::create()
                            .name("pk_numbers_skill_groups")
                            .col(S::PhoneNumberId)
                            .col(S::SkillGroupId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_numbers_skill_groups_group")
                    .table(S::Table)
                    .col(S::InstanceId)
                    .col(S::SkillGroupId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(NumbersSkillGroups::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(NumbersPhoneNumbers::Table).to_owned())
            .await
    }
}

/// M0002: `idx_numbers_phone_numbers_instance_flow` (`instance_id, contact_flow_id, number`) for
/// the `by_contact_flow` query, in place of M0001's `idx_numbers_phone_numbers_flow`
/// (`contact_flow_id`), whose queries all filter by instance too (see the module docs).
struct M0002InstanceFlowIndex;

impl MigrationName for M0002InstanceFlowIndex {
    fn name(&self) -> &str {
        "m0002_numbers_instance_flow_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002InstanceFlowIndex {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use NumbersPhoneNumbers as N;
        manager
            .create_index(
                Index::create()
                    .name("idx_numbers_phone_numbers_instance_flow")
                    .table(N::Table)
                    .col(N::InstanceId)
                    .col(N::ContactFlowId)
                    .col(N::Number)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_numbers_phone_numbers_flow")
                    .table(N::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use NumbersPhoneNumbers as N;
        manager
            .create_index(
                Index::create()
                    .name("idx_numbers_phone_numbers_flow")
                    .table(N::Table)
                    .col(N::ContactFlowId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_numbers_phone_numbers_instance_flow")
                    .table(N::Table)
                    .to_owned(),
            )
            .await
    }
}

/// M0003: `numbers_instance_counts` (`instance_id` primary key, `total`), the number count of
/// each instance, maintained by the transactions that insert or delete numbers
/// ([`super::instance_counts`]), and filled here from the rows that exist:
/// `INSERT INTO numbers_instance_counts (instance_id, total) SELECT instance_id, COUNT(*) FROM
/// numbers_phone_numbers GROUP BY instance_id` (after emptying it, so that a re-run after a
/// failure half-way on a backend without transactional DDL fills it once). The column types
/// and collation of `instance_id` are those of `numbers_phone_numbers.instance_id`, so an
/// instance is the same key in both tables on every backend.
struct M0003InstanceCounts;

impl MigrationName for M0003InstanceCounts {
    fn name(&self) -> &str {
        "m0003_numbers_instance_counts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003InstanceCounts {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use NumbersInstanceCounts as C;
        use NumbersPhoneNumbers as N;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .if_not_exists()
                    .col(string_len(C::InstanceId, ID_MAX).primary_key())
                    .col(big_integer(C::Total))
                    .to_owned(),
            )
            .await?;
        manager
            .execute(Query::delete().from_table(C::Table).to_owned())
            .await?;
        let fill = Query::insert()
            .into_table(C::Table)
            .columns([C::InstanceId, C::Total])
            .select_from(
                Query::select()
                    .column(N::InstanceId)
                    .expr(Expr::cust("COUNT(*)"))
                    .from(N::Table)
                    .group_by_col(N::InstanceId)
                    .to_owned(),
            )
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        manager.execute(fill).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(NumbersInstanceCounts::Table).to_owned())
            .await
    }
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::sea_orm::{ConnectOptions, Database, DatabaseConnection, EntityTrait};

    use super::*;
    use crate::storage::{instance_count, instance_counts, phone_number, phone_numbers};

    async fn sqlite() -> DatabaseConnection {
        let mut opts = ConnectOptions::new("sqlite::memory:");
        opts.max_connections(1)
            .min_connections(1)
            .sqlx_logging(false);
        Database::connect(opts).await.unwrap()
    }

    /// Rows written as a binary without M0003 wrote them: no count maintained.
    async fn rows_before_m0003(db: &DatabaseConnection, instance: &str, n: usize) {
        let rows: Vec<_> = (0..n)
            .map(|i| {
                let number = format!("0531{:02}{i:06}", instance.len());
                phone_numbers::active_model(&crate::actions::new_number(
                    instance, &number, "Inbound", None, 0,
                ))
            })
            .collect();
        phone_number::Entity::insert_many(rows)
            .exec(db)
            .await
            .unwrap();
    }

    async fn stored_counts(db: &DatabaseConnection) -> Vec<(String, i64)> {
        let mut rows: Vec<(String, i64)> = instance_count::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.instance_id, r.total))
            .collect();
        rows.sort();
        rows
    }

    #[tokio::test]
    async fn m0003_fills_the_counts_of_existing_rows() {
        let db = sqlite().await;
        Migrator::up(&db, Some(2)).await.unwrap();
        rows_before_m0003(&db, "ccc-a", 3).await;
        rows_before_m0003(&db, "ccc-bb", 5).await;
        Migrator::up(&db, None).await.unwrap();
        let filled = vec![("ccc-a".to_string(), 3), ("ccc-bb".to_string(), 5)];
        assert_eq!(stored_counts(&db).await, filled);
        // Maintained from there on.
        instance_counts::add(&db, "ccc-a", 1).await.unwrap();
        assert_eq!(instance_counts::get(&db, "ccc-a").await.unwrap(), 4);
        // Down and up again: dropped, then filled from the rows once more (the +1 above had no
        // row behind it, so the refill drops it).
        Migrator::down(&db, Some(1)).await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        assert_eq!(stored_counts(&db).await, filled);
    }

    #[tokio::test]
    async fn m0003_on_an_empty_table_and_a_rerun_of_its_fill() {
        let db = sqlite().await;
        Migrator::up(&db, None).await.unwrap();
        assert!(stored_counts(&db).await.is_empty());
        // A re-run of `up` (as after a failure half-way on a backend without transactional
        // DDL) empties the table first: each instance is counted once.
        rows_before_m0003(&db, "ccc-a", 2).await;
        let manager = SchemaManager::new(&db);
        M0003InstanceCounts.up(&manager).await.unwrap();
        M0003InstanceCounts.up(&manager).await.unwrap();
        assert_eq!(stored_counts(&db).await, vec![("ccc-a".to_string(), 2)]);
    }
}
