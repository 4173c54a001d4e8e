//! Storage of the numbers domain: sea-orm 2 entities, their migrations, and every read and
//! write of the plugin (the actions, [`crate::queries`] and [`crate::related`] call these
//! functions and build no SQL themselves): the skill-group bindings here, the phone numbers in
//! [`phone_numbers`], where each write transaction begins and ends inside one function. Times
//! are written as the caller passes them (the request's clock, `Context::now_ms`).
//!
//! Tables (all prefixed `numbers_`):
//! - [`phone_number`] (`numbers_phone_numbers`): one row per number bound to an instance
//!   (seed 004 §6.1 AddPhoneNumber, §6.8 AddBulkPhoneNumbers). `number` is unique across all
//!   instances: a number can be bound to one instance at a time.
//! - [`number_skill_group`] (`numbers_skill_groups`): the skill groups a number is bound to
//!   (§6.3 ModifyPhoneNumber `SkillGroupId.N`, §6.8), used by §6.7 PickGlobalOutboundNumbers.
//!   Skill groups belong to the agents domain: they are stored here by id only, checked and
//!   named through its `skill_groups` query (`crate::agents`).
//! - [`instance_count`] (`numbers_instance_counts`): how many numbers each instance has, kept
//!   equal to `COUNT(*)` by the same transactions that insert or delete numbers
//!   ([`instance_counts`]), so the unfiltered 2020 ListPhoneNumbers reads `TotalCount` with one
//!   primary-key read.
//!
//! Times are UTC epoch milliseconds in BIGINT columns; indexed strings are bounded VARCHARs so
//! the same schema works on SQLite, PostgreSQL and MySQL/MariaDB.

pub mod instance_count;
pub mod instance_counts;
pub mod migration;
pub mod number_skill_group;
pub mod phone_number;
pub mod phone_numbers;

use std::collections::HashMap;

use ccgate_plugin_sdk::sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

/// Longest accepted id (`PhoneNumberId`, `InstanceId`, `ContactFlowId`), in characters.
pub const ID_MAX: u32 = 64;
/// Longest accepted skill group id (2020 ids look like `name@instance`), in characters.
pub const SKILL_GROUP_ID_MAX: u32 = 128;
/// Longest stored phone number, in characters (20 digits plus a leading `+`).
pub const NUMBER_MAX: u32 = 24;

/// Most values bound in one `IN (...)` list (SQLite allows 32766 variables per statement).
pub const IN_LIST_MAX: usize = 1000;

/// True when `err` is a unique-constraint violation (e.g. two requests binding the same number
/// at once): [`ccgate_plugin_sdk::storage::is_unique_violation`].
pub use ccgate_plugin_sdk::storage::is_unique_violation;

/// The number `id` if it is bound to `instance`.
pub async fn find_in_instance<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    id: &str,
) -> Result<Option<phone_number::Model>, DbErr> {
    phone_number::Entity::find_by_id(id.to_string())
        .filter(phone_number::Column::InstanceId.eq(instance))
        .one(db)
        .await
}

/// The skill group ids bound to each of `number_ids`, in binding order: one query per
/// [`IN_LIST_MAX`] numbers (one for any page). Numbers without skill groups are absent.
pub async fn skill_groups_of<C: ConnectionTrait>(
    db: &C,
    number_ids: &[String],
) -> Result<HashMap<String, Vec<String>>, DbErr> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    if number_ids.is_empty() {
        return Ok(out);
    }
    for chunk in number_ids.chunks(IN_LIST_MAX) {
        let rows = number_skill_group::Entity::find()
            .filter(number_skill_group::Column::PhoneNumberId.is_in(chunk.iter().cloned()))
            .order_by_asc(number_skill_group::Column::PhoneNumberId)
            .order_by_asc(number_skill_group::Column::Position)
            .all(db)
            .await?;
        for row in rows {
            out.entry(row.phone_number_id)
                .or_default()
                .push(row.skill_group_id);
        }
    }
    Ok(out)
}

/// The ids of the numbers of `instance` bound to any of the skill groups `skill_group_ids`,
/// each once, unordered (PickGlobalOutboundNumbers; [`phone_numbers::by_ids`] reads the
/// numbers then: two index lookups rather than one `IN (subquery)`, for which PostgreSQL picked
/// a nested loop on freshly bulk-loaded tables).
pub async fn numbers_in_skill_groups<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    skill_group_ids: Vec<String>,
) -> Result<Vec<String>, DbErr> {
    number_skill_group::Entity::find()
        .select_only()
        .distinct()
        .column(number_skill_group::Column::PhoneNumberId)
        .filter(number_skill_group::Column::InstanceId.eq(instance))
        .filter(number_skill_group::Column::SkillGroupId.is_in(skill_group_ids))
        .into_tuple()
        .all(db)
        .await
}

/// Replaces the skill groups of number `number_id` (of `instance`) with `groups`, in order.
/// Run it inside the transaction that changes the number.
pub async fn replace_skill_groups<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    number_id: &str,
    groups: &[String],
) -> Result<(), DbErr> {
    number_skill_group::Entity::delete_many()
        .filter(number_skill_group::Column::PhoneNumberId.eq(number_id))
        .exec(db)
        .await?;
    insert_skill_groups(db, instance, &[number_id.to_string()], groups).await
}

/// Binds every number of `number_ids` to every group of `groups` (one multi-row insert).
pub async fn insert_skill_groups<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    number_ids: &[String],
    groups: &[String],
) -> Result<(), DbErr> {
    // Rows are made one chunk at a time (row i is number i / groups, group i % groups): memory
    // stays at one chunk whatever numbers × groups is.
    let total = number_ids.len() * groups.len();
    let mut start = 0;
    while start < total {
        let end = (start + 500).min(total);
        let chunk: Vec<number_skill_group::ActiveModel> = (start..end)
            .map(|i| {
                let position = i % groups.len();
                number_skill_group::ActiveModel {
                    phone_number_id: Set(number_ids[i / groups.len()].clone()),
                    skill_group_id: Set(groups[position].clone()),
                    instance_id: Set(instance.to_string()),
                    position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                }
            })
            .collect();
        number_skill_group::Entity::insert_many(chunk)
            .exec(db)
            .await?;
        start = end;
    }
    Ok(())
}
