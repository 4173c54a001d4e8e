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
//! - `idx_numbers_phone_numbers_flow` (`contact_flow_id`): the `by_contact_flow` query.
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
        vec![Box::new(M0001CreateTables)]
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
