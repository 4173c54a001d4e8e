//! Reads and writes of `calls_client_tokens` ([`super::client_token`]).

use ccgate_plugin_sdk::sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
};

use super::client_token::{self, TTL_MS};

/// The token `(instance, caller, token)` if it was used less than [`TTL_MS`] before `now_ms`.
///
/// Errors: storage.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    caller: &str,
    token: &str,
    now_ms: i64,
) -> Result<Option<client_token::Model>, DbErr> {
    let row = client_token::Entity::find_by_id((
        instance.to_string(),
        caller.to_string(),
        token.to_string(),
    ))
    .one(db)
    .await?;
    Ok(row.filter(|r| r.created_ms > now_ms - TTL_MS))
}

/// Claims `row.token` for `row.contact_id` inside the caller's transaction `db`: expired tokens
/// (all of them, by the `created_ms` index) are deleted, then the token is inserted unless a
/// live one exists, which is answered instead (nothing written then).
///
/// Errors: storage (a concurrent claim of the same token is a unique violation).
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    row: client_token::Model,
) -> Result<Option<client_token::Model>, DbErr> {
    client_token::Entity::delete_many()
        .filter(client_token::Column::CreatedMs.lte(row.created_ms - TTL_MS))
        .exec(db)
        .await?;
    if let Some(first) = find(
        db,
        &row.instance_id,
        &row.caller,
        &row.token,
        row.created_ms,
    )
    .await?
    {
        return Ok(Some(first));
    }
    client_token::Entity::insert(row.into_active_model())
        .exec_without_returning(db)
        .await?;
    Ok(None)
}

/// Frees the tokens of call `contact_id` (the engine refused to start it, so a retry may dial).
///
/// Errors: storage.
pub async fn release<C: ConnectionTrait>(db: &C, contact_id: &str) -> Result<(), DbErr> {
    client_token::Entity::delete_many()
        .filter(client_token::Column::ContactId.eq(contact_id))
        .exec(db)
        .await?;
    Ok(())
}
