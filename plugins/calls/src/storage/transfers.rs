//! The pending blind transfer of a call record (`calls_cdr.transfer_*`, BlindTransfer).

use ccgate_plugin_sdk::sea_orm::sea_query::Expr;
use ccgate_plugin_sdk::sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::cdr;

/// Stores `c`'s transfer columns (`transfer_target` empty: none pending), leaving the rest of
/// the record to the recorder.
///
/// Errors: storage.
pub async fn set<C: ConnectionTrait>(db: &C, c: &cdr::Model) -> Result<(), DbErr> {
    cdr::Entity::update_many()
        .col_expr(
            cdr::Column::TransferTarget,
            Expr::value(c.transfer_target.clone()),
        )
        .col_expr(
            cdr::Column::TransferUserId,
            Expr::value(c.transfer_user_id.clone()),
        )
        .col_expr(
            cdr::Column::TransferLoginName,
            Expr::value(c.transfer_login_name.clone()),
        )
        .col_expr(
            cdr::Column::TransferExtension,
            Expr::value(c.transfer_extension.clone()),
        )
        .col_expr(
            cdr::Column::TransferSkillGroupId,
            Expr::value(c.transfer_skill_group_id.clone()),
        )
        .filter(cdr::Column::ContactId.eq(c.contact_id.clone()))
        .exec(db)
        .await?;
    Ok(())
}
