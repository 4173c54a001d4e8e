//! Migration `m0005_calls_call_ended`: what the event `calls.call_ended`
//! ([`crate::events::CallEnded`]) needs that a record did not keep.
//!
//! - `calls_cdr.route_kind` (`SkillGroup`, `ContactFlow` or empty, default empty): how the call
//!   was routed, written when the record is created. A later blind transfer replaces the
//!   record's agent and skill group, so it cannot be derived from them at the end.
//! - `calls_cdr.transferred_by_user_id` (default empty): the agent a completed blind transfer
//!   moved the call away from (the transfer overwrites `agent_user_id`).
//!
//! One `ALTER TABLE` per column (SQLite takes one at a time). Existing records get the
//! `route_kind` their columns suggest: `SkillGroup` with a skill group, `ContactFlow` for an
//! `Inbound` or `Outbound` (DialEx) record without agent whose route point is set.

use ccgate_plugin_sdk::sea_orm_migration::prelude::*;
use ccgate_plugin_sdk::sea_orm_migration::schema::string_len;

#[derive(DeriveIden)]
enum CallsCdr {
    Table,
    RouteKind,
    TransferredByUserId,
    SkillGroupId,
    AgentUserId,
    RoutePoint,
    CallType,
}

/// Adds `route_kind` and `transferred_by_user_id` to `calls_cdr`.
pub struct M0005CallsCallEnded;

impl MigrationName for M0005CallsCallEnded {
    fn name(&self) -> &str {
        "m0005_calls_call_ended"
    }
}

#[ccgate_plugin_sdk::async_trait]
impl MigrationTrait for M0005CallsCallEnded {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use CallsCdr as C;
        let columns = [
            string_len(C::RouteKind, 16).default("").to_owned(),
            string_len(C::TransferredByUserId, 64)
                .default("")
                .to_owned(),
        ];
        for mut col in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(C::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .exec_stmt(
                Query::update()
                    .table(C::Table)
                    .value(C::RouteKind, "SkillGroup")
                    .and_where(Expr::col(C::SkillGroupId).is_not_null())
                    .and_where(Expr::col(C::SkillGroupId).ne(""))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(C::Table)
                    .value(C::RouteKind, "ContactFlow")
                    .and_where(Expr::col(C::RouteKind).eq(""))
                    .and_where(Expr::col(C::CallType).is_in(["Inbound", "Outbound"]))
                    .and_where(Expr::col(C::AgentUserId).is_null())
                    .and_where(Expr::col(C::RoutePoint).ne(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for c in [
            CallsCdr::RouteKind.into_iden(),
            CallsCdr::TransferredByUserId.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CallsCdr::Table)
                        .drop_column(c)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
