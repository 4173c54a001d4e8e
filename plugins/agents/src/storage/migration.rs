//! Schema migrations of the agents plugin (sea-orm-migration), recorded in their own
//! bookkeeping table [`MIGRATION_TABLE`] so that plugins never share migration state.
//!
//! Indexes and why:
//! - `uq_agents_skill_groups_name` (`instance_id, name`): names are unique per instance
//!   (409 `Conflict.SkillGroupName`), and ListSkillGroups orders by name.
//! - `uq_agents_users_login` / `uq_agents_users_ram` / `uq_agents_users_extension`: one user per
//!   login name, RamId and extension in an instance; every user list is ordered by login name.
//! - `uq_agents_skill_levels_member` (`user_id, skill_group_id`): one membership per pair, and
//!   the groups of a user; `idx_agents_skill_levels_group` (`skill_group_id, level`): the members
//!   of a group, highest level first (ListUsersOfSkillGroup, the ACD).
//! - `idx_agents_agent_states_instance` (`instance_id, state`): state counts per instance
//!   (ListSkillGroupStates) and ListRealtimeAgentStates' `StateList`.
//! - `uq_agents_state_log_seq` (`instance_id, seq`): the stream reads "after seq n";
//!   `idx_agents_state_log_user_time` (`instance_id, user_id, at_ms`): ListAgentEvents and
//!   ListAgentStateLogs read one agent's window.
//! - `agents_service_extensions` (M0002) is keyed by (`instance_id`, `service_type`): one
//!   route-point extension per service, found by its key.

use ccgate_plugin_sdk::sea_orm::{self, DynIden};
use ccgate_plugin_sdk::sea_orm_migration::prelude::*;
use ccgate_plugin_sdk::sea_orm_migration::schema::{
    big_integer, boolean, integer, pk_auto, string_len, string_len_null, text,
};

/// Name of this plugin's migration bookkeeping table.
pub const MIGRATION_TABLE: &str = "ccgate_migrations_agents";

/// The agents plugin's migrator; run with `Migrator::up(db, None)`.
pub struct Migrator;

#[ccgate_plugin_sdk::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001CreateTables),
            Box::new(M0002ServiceExtensions),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new(MIGRATION_TABLE).into_iden()
    }
}

#[derive(DeriveIden)]
enum AgentsSkillGroups {
    Table,
    Id,
    InstanceId,
    Name,
    Description,
    RoutingStrategy,
    AllowPrivateOutboundNumber,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AgentsUsers {
    Table,
    Id,
    InstanceId,
    RamId,
    LoginName,
    DisplayName,
    Email,
    Phone,
    Department,
    PrivateOutboundNumberId,
    Extension,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AgentsUserRoles {
    Table,
    UserId,
    Role,
    InstanceId,
}

#[derive(DeriveIden)]
enum AgentsSkillLevels {
    Table,
    Id,
    InstanceId,
    UserId,
    SkillGroupId,
    Level,
}

#[derive(DeriveIden)]
enum AgentsSkillGroupNumbers {
    Table,
    SkillGroupId,
    PhoneNumberId,
    InstanceId,
    Position,
}

#[derive(DeriveIden)]
enum AgentsAgentStates {
    Table,
    UserId,
    InstanceId,
    State,
    BreakCode,
    DeviceId,
    SignedSkillGroupIds,
    JobId,
    OutboundScenario,
    StateSinceMs,
    HeartbeatMs,
    Seq,
}

#[derive(DeriveIden)]
enum AgentsStateLog {
    Table,
    Id,
    InstanceId,
    Seq,
    UserId,
    LoginName,
    RamId,
    State,
    Previous,
    BreakCode,
    SkillGroupIds,
    JobId,
    Cause,
    AtMs,
}

#[derive(DeriveIden)]
enum AgentsInstanceCounters {
    Table,
    InstanceId,
    StateSeq,
    LastExtension,
}

/// Creates every agents table with its indexes.
struct M0001CreateTables;

impl MigrationName for M0001CreateTables {
    fn name(&self) -> &str {
        "m0001_create_agents_tables"
    }
}

fn index(
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
    unique: bool,
) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c);
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

#[ccgate_plugin_sdk::async_trait]
impl MigrationTrait for M0001CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use AgentsAgentStates as A;
        use AgentsInstanceCounters as C;
        use AgentsSkillGroupNumbers as N;
        use AgentsSkillGroups as G;
        use AgentsSkillLevels as L;
        use AgentsStateLog as S;
        use AgentsUserRoles as R;
        use AgentsUsers as U;
        // Names and ids compare exactly on every backend (MySQL's default collation would make
        // login `Alice` collide with `alice`).
        let mysql = manager.get_database_backend() == sea_orm::DbBackend::MySql;
        let exact = |mut col: ColumnDef| {
            if mysql {
                col.extra(ccgate_plugin_sdk::storage::MYSQL_BINARY_COLLATION);
            }
            col
        };
        let tables = [
            Table::create()
                .table(G::Table)
                .if_not_exists()
                .col(string_len(G::Id, 64).primary_key())
                .col(string_len(G::InstanceId, 64))
                .col(exact(string_len(G::Name, 128)))
                .col(string_len(G::Description, 255))
                .col(string_len(G::RoutingStrategy, 32))
                .col(boolean(G::AllowPrivateOutboundNumber))
                .col(big_integer(G::CreatedAt))
                .col(big_integer(G::UpdatedAt))
                .to_owned(),
            Table::create()
                .table(U::Table)
                .if_not_exists()
                .col(string_len(U::Id, 64).primary_key())
                .col(string_len(U::InstanceId, 64))
                .col(string_len(U::RamId, 32))
                .col(exact(string_len(U::LoginName, 128)))
                .col(string_len(U::DisplayName, 128))
                .col(string_len(U::Email, 255))
                .col(string_len(U::Phone, 32))
                .col(string_len(U::Department, 128))
                .col(string_len_null(U::PrivateOutboundNumberId, 64))
                .col(string_len(U::Extension, 16))
                .col(big_integer(U::CreatedAt))
                .col(big_integer(U::UpdatedAt))
                .to_owned(),
            Table::create()
                .table(R::Table)
                .if_not_exists()
                .col(string_len(R::UserId, 64))
                .col(string_len(R::Role, 32))
                .col(string_len(R::InstanceId, 64))
                .primary_key(Index::create().col(R::UserId).col(R::Role))
                .to_owned(),
            Table::create()
                .table(L::Table)
                .if_not_exists()
                .col(string_len(L::Id, 64).primary_key())
                .col(string_len(L::InstanceId, 64))
                .col(string_len(L::UserId, 64))
                .col(string_len(L::SkillGroupId, 64))
                .col(integer(L::Level))
                .to_owned(),
            Table::create()
                .table(N::Table)
                .if_not_exists()
                .col(string_len(N::SkillGroupId, 64))
                .col(string_len(N::PhoneNumberId, 64))
                .col(string_len(N::InstanceId, 64))
                .col(integer(N::Position))
                .primary_key(Index::create().col(N::SkillGroupId).col(N::PhoneNumberId))
                .to_owned(),
            Table::create()
                .table(A::Table)
                .if_not_exists()
                .col(string_len(A::UserId, 64).primary_key())
                .col(string_len(A::InstanceId, 64))
                .col(string_len(A::State, 16))
                .col(string_len(A::BreakCode, 64))
                .col(string_len(A::DeviceId, 128))
                .col(text(A::SignedSkillGroupIds))
                .col(string_len(A::JobId, 64))
                .col(boolean(A::OutboundScenario))
                .col(big_integer(A::StateSinceMs))
                .col(big_integer(A::HeartbeatMs))
                .col(big_integer(A::Seq))
                .to_owned(),
            Table::create()
                .table(S::Table)
                .if_not_exists()
                .col(pk_auto(S::Id).big_integer())
                .col(string_len(S::InstanceId, 64))
                .col(big_integer(S::Seq))
                .col(string_len(S::UserId, 64))
                .col(string_len(S::LoginName, 128))
                .col(string_len(S::RamId, 32))
                .col(string_len(S::State, 16))
                .col(string_len(S::Previous, 16))
                .col(string_len(S::BreakCode, 64))
                .col(text(S::SkillGroupIds))
                .col(string_len(S::JobId, 64))
                .col(string_len(S::Cause, 64))
                .col(big_integer(S::AtMs))
                .to_owned(),
            Table::create()
                .table(C::Table)
                .if_not_exists()
                .col(string_len(C::InstanceId, 64).primary_key())
                .col(big_integer(C::StateSeq))
                .col(big_integer(C::LastExtension))
                .to_owned(),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }
        let indexes = [
            index(
                "uq_agents_skill_groups_name",
                G::Table,
                vec![G::InstanceId.into_iden(), G::Name.into_iden()],
                true,
            ),
            index(
                "uq_agents_users_login",
                U::Table,
                vec![U::InstanceId.into_iden(), U::LoginName.into_iden()],
                true,
            ),
            index(
                "uq_agents_users_ram",
                U::Table,
                vec![U::InstanceId.into_iden(), U::RamId.into_iden()],
                true,
            ),
            index(
                "uq_agents_users_extension",
                U::Table,
                vec![U::InstanceId.into_iden(), U::Extension.into_iden()],
                true,
            ),
            index(
                "idx_agents_user_roles_instance",
                R::Table,
                vec![R::InstanceId.into_iden(), R::Role.into_iden()],
                false,
            ),
            index(
                "uq_agents_skill_levels_member",
                L::Table,
                vec![L::UserId.into_iden(), L::SkillGroupId.into_iden()],
                true,
            ),
            index(
                "idx_agents_skill_levels_group",
                L::Table,
                vec![L::SkillGroupId.into_iden(), L::Level.into_iden()],
                false,
            ),
            index(
                "idx_agents_skill_group_numbers_number",
                N::Table,
                vec![N::PhoneNumberId.into_iden()],
                false,
            ),
            index(
                "idx_agents_agent_states_instance",
                A::Table,
                vec![A::InstanceId.into_iden(), A::State.into_iden()],
                false,
            ),
            index(
                "uq_agents_state_log_seq",
                S::Table,
                vec![S::InstanceId.into_iden(), S::Seq.into_iden()],
                true,
            ),
            index(
                "idx_agents_state_log_user_time",
                S::Table,
                vec![
                    S::InstanceId.into_iden(),
                    S::UserId.into_iden(),
                    S::AtMs.into_iden(),
                ],
                false,
            ),
            index(
                "idx_agents_state_log_time",
                S::Table,
                vec![S::InstanceId.into_iden(), S::AtMs.into_iden()],
                false,
            ),
        ];
        for i in indexes {
            manager.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AgentsInstanceCounters::Table.into_iden(),
            AgentsStateLog::Table.into_iden(),
            AgentsAgentStates::Table.into_iden(),
            AgentsSkillGroupNumbers::Table.into_iden(),
            AgentsSkillLevels::Table.into_iden(),
            AgentsUserRoles::Table.into_iden(),
            AgentsUsers::Table.into_iden(),
            AgentsSkillGroups::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AgentsServiceExtensions {
    Table,
    InstanceId,
    ServiceType,
    Extension,
    CreatedAt,
}

/// M0002: `agents_service_extensions`, the route-point extensions of services (GetServiceExtensions).
struct M0002ServiceExtensions;

impl MigrationName for M0002ServiceExtensions {
    fn name(&self) -> &str {
        "m0002_agents_service_extensions"
    }
}

#[ccgate_plugin_sdk::async_trait]
impl MigrationTrait for M0002ServiceExtensions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use AgentsServiceExtensions as E;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .if_not_exists()
                    .col(string_len(E::InstanceId, 64))
                    .col(string_len(E::ServiceType, 64))
                    .col(string_len(E::Extension, 32))
                    .col(big_integer(E::CreatedAt))
                    .primary_key(Index::create().col(E::InstanceId).col(E::ServiceType))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(AgentsServiceExtensions::Table)
                    .to_owned(),
            )
            .await
    }
}
