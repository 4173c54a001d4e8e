//! Reads and writes of `workbench_config_items` ([`super::config_item`]).

use std::collections::HashMap;

use ccgate_plugin_sdk::sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter,
};

use super::config_item::{ActiveModel, Column, Entity};

/// The values set at (`object_type`, `object_id`) of `instance`, by item name. One indexed
/// read (the primary key's prefix); at most [`crate::items::ITEMS`]' length rows.
pub async fn at<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    object_type: &str,
    object_id: &str,
) -> Result<HashMap<String, String>, DbErr> {
    Ok(Entity::find()
        .filter(Column::InstanceId.eq(instance))
        .filter(Column::ObjectType.eq(object_type))
        .filter(Column::ObjectId.eq(object_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.name, m.value))
        .collect())
}

/// Sets every `(name, value)` of `values` at (`object_type`, `object_id`) in one transaction:
/// all or none. `by` is who set them, `now_ms` when.
pub async fn set(
    db: &DatabaseConnection,
    instance: &str,
    object_type: &str,
    object_id: &str,
    values: &[(String, String)],
    by: &str,
    now_ms: i64,
) -> Result<(), DbErr> {
    let txn = ccgate_plugin_sdk::storage::begin_write(db).await?;
    // Delete then insert: a portable upsert (MariaDB has no ON CONFLICT), atomic in the
    // transaction.
    Entity::delete_many()
        .filter(Column::InstanceId.eq(instance))
        .filter(Column::ObjectType.eq(object_type))
        .filter(Column::ObjectId.eq(object_id))
        .filter(Column::Name.is_in(values.iter().map(|(n, _)| n.clone())))
        .exec(&txn)
        .await?;
    Entity::insert_many(values.iter().map(|(name, value)| ActiveModel {
        instance_id: Set(instance.to_string()),
        object_type: Set(object_type.to_string()),
        object_id: Set(object_id.to_string()),
        name: Set(name.clone()),
        value: Set(value.clone()),
        updated_by: Set(by.chars().take(128).collect()),
        updated_at: Set(now_ms),
    }))
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await
}
