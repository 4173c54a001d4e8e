//! Reads and writes of phone numbers (`numbers_phone_numbers`, [`super::phone_number`]) for the
//! actions and the queries: each function is one statement or one transaction, with the
//! indexes it relies on named where the choice matters. Every transaction that inserts or
//! deletes numbers also moves the instance's count ([`instance_counts`]) before it commits.

use std::collections::HashSet;

use ccgate_plugin_sdk::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Set,
};
use ccgate_plugin_sdk::{PageRequest, storage};

use super::{IN_LIST_MAX, instance_counts, number_skill_group, phone_number};
use crate::cache::ListFilter;

/// The usages that may call out (`AllowOutbound`, [`crate::rules::allow_outbound`]).
pub const OUTBOUND_USAGES: [&str; 2] = ["Outbound", "Bidirection"];

/// An insertable active model of `m` with every column set.
pub fn active_model(m: &phone_number::Model) -> phone_number::ActiveModel {
    phone_number::ActiveModel {
        id: Set(m.id.clone()),
        instance_id: Set(m.instance_id.clone()),
        number: Set(m.number.clone()),
        usage: Set(m.usage.clone()),
        contact_flow_id: Set(m.contact_flow_id.clone()),
        description: Set(m.description.clone()),
        province: Set(m.province.clone()),
        city: Set(m.city.clone()),
        active: Set(m.active),
        created_at: Set(m.created_at),
        updated_at: Set(m.updated_at),
    }
}

/// The row of `number` in any instance (numbers are unique across instances).
pub async fn find_by_number<C: ConnectionTrait>(
    db: &C,
    number: &str,
) -> Result<Option<phone_number::Model>, DbErr> {
    phone_number::Entity::find()
        .filter(phone_number::Column::Number.eq(number))
        .one(db)
        .await
}

/// The row of `number` if it is bound to `instance`.
pub async fn find_by_number_in_instance<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    number: &str,
) -> Result<Option<phone_number::Model>, DbErr> {
    phone_number::Entity::find()
        .filter(phone_number::Column::Number.eq(number))
        .filter(phone_number::Column::InstanceId.eq(instance))
        .one(db)
        .await
}

/// Inserts `row` and counts it in its instance ([`instance_counts::add`]) in one write
/// transaction.
///
/// Errors: storage, and nothing is written then; a number bound meanwhile is a unique
/// violation ([`super::is_unique_violation`]).
pub async fn insert(db: &DatabaseConnection, row: &phone_number::Model) -> Result<(), DbErr> {
    let txn = storage::begin_write(db).await?;
    active_model(row).insert(&txn).await?;
    instance_counts::add(&txn, &row.instance_id, 1).await?;
    txn.commit().await
}

/// What [`insert_unless_taken`] did.
#[derive(Debug, Default)]
pub struct Inserted {
    /// The rows inserted, in the order given.
    pub added: Vec<phone_number::Model>,
    /// The numbers not inserted because they were already bound (to any instance), in the
    /// order given.
    pub taken: Vec<String>,
}

/// Inserts those of `rows` (new numbers of `instance`, distinct) whose number is not bound yet,
/// each bound to every skill group of `skill_group_ids`, in one write transaction: one read of
/// the numbers already bound (none for no rows), inserts of 200 rows at a time, one multi-row
/// skill-group insert ([`super::insert_skill_groups`]), and the instance's count raised by the
/// rows inserted ([`instance_counts::add`]; nothing when none was).
///
/// Errors: storage, and nothing is inserted then; a number bound by a concurrent request
/// between the read and the commit is a unique violation ([`super::is_unique_violation`]).
pub async fn insert_unless_taken(
    db: &DatabaseConnection,
    instance: &str,
    rows: Vec<phone_number::Model>,
    skill_group_ids: &[String],
) -> Result<Inserted, DbErr> {
    let txn = storage::begin_write(db).await?;
    let bound: HashSet<String> = if rows.is_empty() {
        HashSet::new()
    } else {
        phone_number::Entity::find()
            .filter(phone_number::Column::Number.is_in(rows.iter().map(|n| n.number.clone())))
            .all(&txn)
            .await?
            .into_iter()
            .map(|n| n.number)
            .collect()
    };
    let mut out = Inserted::default();
    for row in rows {
        if bound.contains(&row.number) {
            out.taken.push(row.number);
        } else {
            out.added.push(row);
        }
    }
    for chunk in out.added.chunks(200) {
        phone_number::Entity::insert_many(chunk.iter().map(active_model))
            .exec(&txn)
            .await?;
    }
    let ids: Vec<String> = out.added.iter().map(|n| n.id.clone()).collect();
    super::insert_skill_groups(&txn, instance, &ids, skill_group_ids).await?;
    let added = i64::try_from(out.added.len()).unwrap_or(i64::MAX);
    instance_counts::add(&txn, instance, added).await?;
    txn.commit().await?;
    Ok(out)
}

/// A change of a number (ModifyPhoneNumber): `None` keeps a binding as it is.
#[derive(Debug, Clone)]
pub struct Modification<'a> {
    /// The new `Usage`.
    pub usage: &'a str,
    /// The new contact flow: `Some(None)` unbinds it.
    pub contact_flow_id: Option<Option<String>>,
    /// The new skill groups, replacing the bound ones in this order: `Some(&[])` unbinds all.
    pub skill_group_ids: Option<&'a [String]>,
    /// When, UTC epoch ms (the request's clock): the new `updated_at`.
    pub now_ms: i64,
}

/// Applies `change` to `existing` (a number of `instance`) and its skill groups in one write
/// transaction and returns the number as written; `None` when the number is gone meanwhile
/// (nothing is written then).
///
/// Errors: storage (nothing is written then).
pub async fn modify(
    db: &DatabaseConnection,
    instance: &str,
    existing: phone_number::Model,
    change: Modification<'_>,
) -> Result<Option<phone_number::Model>, DbErr> {
    let txn = storage::begin_write(db).await?;
    let mut am: phone_number::ActiveModel = existing.into();
    am.usage = Set(change.usage.to_string());
    if let Some(flow_id) = change.contact_flow_id {
        am.contact_flow_id = Set(flow_id);
    }
    am.updated_at = Set(change.now_ms);
    let model = match am.update(&txn).await {
        Ok(m) => m,
        Err(DbErr::RecordNotUpdated) => return Ok(None),
        Err(e) => return Err(e),
    };
    if let Some(groups) = change.skill_group_ids {
        super::replace_skill_groups(&txn, instance, &model.id, groups).await?;
    }
    txn.commit().await?;
    Ok(Some(model))
}

/// Deletes number `id` of `instance` and its skill-group bindings in one write transaction,
/// and lowers the instance's count by one ([`instance_counts::add`]); `false` (nothing
/// deleted, nothing counted) when the instance has no such number, also when a concurrent
/// removal deleted it between this function's read and its `DELETE` (the `DELETE`'s row count
/// decides).
///
/// Errors: storage (nothing is deleted then).
pub async fn remove(db: &DatabaseConnection, instance: &str, id: &str) -> Result<bool, DbErr> {
    let txn = storage::begin_write(db).await?;
    if super::find_in_instance(&txn, instance, id).await?.is_none() {
        return Ok(false);
    }
    number_skill_group::Entity::delete_many()
        .filter(number_skill_group::Column::PhoneNumberId.eq(id))
        .exec(&txn)
        .await?;
    let deleted = phone_number::Entity::delete_many()
        .filter(phone_number::Column::Id.eq(id))
        .filter(phone_number::Column::InstanceId.eq(instance))
        .exec(&txn)
        .await?
        .rows_affected;
    if deleted == 0 {
        return Ok(false);
    }
    instance_counts::add(&txn, instance, -1).await?;
    txn.commit().await?;
    Ok(true)
}

/// The numbers of `instance` (only the outbound-capable ones, [`OUTBOUND_USAGES`], with
/// `outbound_only`), ordered by number, at most `limit` (2017 ListPhoneNumbers).
pub async fn list<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    outbound_only: bool,
    limit: u64,
) -> Result<Vec<phone_number::Model>, DbErr> {
    let mut query =
        phone_number::Entity::find().filter(phone_number::Column::InstanceId.eq(instance));
    if outbound_only {
        query = query.filter(phone_number::Column::Usage.is_in(OUTBOUND_USAGES));
    }
    query
        .order_by_asc(phone_number::Column::Number)
        .limit(limit)
        .all(db)
        .await
}

/// The numbers of `instance` matching `filter`, unordered.
fn filtered(instance: &str, filter: &ListFilter) -> Select<phone_number::Entity> {
    let mut query =
        phone_number::Entity::find().filter(phone_number::Column::InstanceId.eq(instance));
    if let Some(p) = &filter.pattern {
        query = query.filter(phone_number::Column::Number.like(storage::like_contains(p)));
    }
    if let Some(u) = filter.usage {
        query = query.filter(phone_number::Column::Usage.eq(u));
    }
    if let Some(a) = filter.active {
        query = query.filter(phone_number::Column::Active.eq(a));
    }
    query
}

/// A page of the numbers of `instance` matching `filter`, ordered by number (2020
/// ListPhoneNumbers): `WHERE instance_id = ? [AND ...] ORDER BY number LIMIT <size> OFFSET ?`
/// ([`storage::page`]), read off the index `(instance_id, number)` (or `(instance_id, usage,
/// number)` with a `Usage` filter) without sorting.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    filter: &ListFilter,
    page: PageRequest,
) -> Result<Vec<phone_number::Model>, DbErr> {
    storage::page(
        db,
        filtered(instance, filter).order_by_asc(phone_number::Column::Number),
        page,
    )
    .await
}

/// How many numbers of `instance` match `filter`: without a filter the instance's maintained
/// count (one primary-key read of `numbers_instance_counts`, [`instance_counts::get`]), else
/// `SELECT COUNT(*)` over the index of [`page`] ([`storage::count`]), which walks every
/// matching index entry.
pub async fn count<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    filter: &ListFilter,
) -> Result<u64, DbErr> {
    if filter.is_none() {
        return instance_counts::get(db, instance).await;
    }
    storage::count(db, filtered(instance, filter)).await
}

/// The active outbound-capable numbers ([`OUTBOUND_USAGES`]) of `instance`, ordered by number
/// (PickLocalNumber's candidates when none are given).
pub async fn outbound_of_instance<C: ConnectionTrait>(
    db: &C,
    instance: &str,
) -> Result<Vec<phone_number::Model>, DbErr> {
    phone_number::Entity::find()
        .filter(phone_number::Column::InstanceId.eq(instance))
        .filter(phone_number::Column::Usage.is_in(OUTBOUND_USAGES))
        .filter(phone_number::Column::Active.eq(true))
        .order_by_asc(phone_number::Column::Number)
        .all(db)
        .await
}

/// The active outbound-capable numbers ([`OUTBOUND_USAGES`]) of `instance` (only `number`
/// when given), the first `limit` by number (the `outbound` query): the rows read are bounded
/// by `limit`, not by the instance's numbers (index `instance_id, number`).
pub async fn outbound_limited<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    number: Option<&str>,
    limit: u64,
) -> Result<Vec<phone_number::Model>, DbErr> {
    let mut find = phone_number::Entity::find()
        .filter(phone_number::Column::InstanceId.eq(instance))
        .filter(phone_number::Column::Active.eq(true))
        .filter(phone_number::Column::Usage.is_in(OUTBOUND_USAGES));
    if let Some(number) = number {
        find = find.filter(phone_number::Column::Number.eq(number));
    }
    find.order_by_asc(phone_number::Column::Number)
        .limit(limit)
        .all(db)
        .await
}

/// The numbers with ids `ids`, in any instance and any state: primary-key lookups only, one
/// query per [`IN_LIST_MAX`] ids (PickGlobalOutboundNumbers checks the rest itself, so the
/// planner has no other index to (mis)choose).
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[String],
) -> Result<Vec<phone_number::Model>, DbErr> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(IN_LIST_MAX) {
        rows.extend(
            phone_number::Entity::find()
                .filter(phone_number::Column::Id.is_in(chunk.iter().cloned()))
                .all(db)
                .await?,
        );
    }
    Ok(rows)
}

/// The numbers of `instance` with ids `ids` (unordered; unknown ids and other instances'
/// numbers are absent): one query per [`IN_LIST_MAX`] ids, none for an empty list (the
/// `by_ids` query).
pub async fn of_instance_by_ids<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    ids: &[String],
) -> Result<Vec<phone_number::Model>, DbErr> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(IN_LIST_MAX) {
        rows.extend(
            phone_number::Entity::find()
                .filter(phone_number::Column::InstanceId.eq(instance))
                .filter(phone_number::Column::Id.is_in(chunk.iter().cloned()))
                .all(db)
                .await?,
        );
    }
    Ok(rows)
}

/// The active numbers, in any instance, stored as one of `numbers` (the `inbound` query): one
/// point read per number on `uq_numbers_phone_numbers_number`.
pub async fn active_by_numbers<C: ConnectionTrait>(
    db: &C,
    numbers: Vec<String>,
) -> Result<Vec<phone_number::Model>, DbErr> {
    phone_number::Entity::find()
        .filter(phone_number::Column::Number.is_in(numbers))
        .filter(phone_number::Column::Active.eq(true))
        .all(db)
        .await
}

/// The numbers of `instance` bound to one of `contact_flow_ids`, ordered by `contact_flow_id,
/// number` (the `by_contact_flow` query): see [`bound_to_flows`].
pub async fn of_flows<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    contact_flow_ids: Vec<String>,
) -> Result<Vec<phone_number::Model>, DbErr> {
    bound_to_flows(instance, contact_flow_ids).all(db).await
}

/// The SELECT of [`of_flows`]: the numbers of `instance_id` whose `contact_flow_id` is one of
/// `contact_flow_ids` (`instance_id = ? AND contact_flow_id IN (...)`), ordered by
/// `contact_flow_id, number`: the order of `idx_numbers_phone_numbers_instance_flow`, so the
/// database reads the index ranges of those flows and sorts nothing (tested with SQLite's
/// query plan in `crate::queries`).
pub fn bound_to_flows(
    instance_id: &str,
    contact_flow_ids: Vec<String>,
) -> Select<phone_number::Entity> {
    phone_number::Entity::find()
        .filter(phone_number::Column::InstanceId.eq(instance_id))
        .filter(phone_number::Column::ContactFlowId.is_in(contact_flow_ids))
        .order_by_asc(phone_number::Column::ContactFlowId)
        .order_by_asc(phone_number::Column::Number)
}

#[cfg(test)]
mod tests {
    #[test]
    fn outbound_usages_are_those_that_allow_outbound() {
        for usage in crate::rules::USAGES {
            assert_eq!(
                super::OUTBOUND_USAGES.contains(usage),
                crate::rules::allow_outbound(usage),
                "{usage}"
            );
        }
    }
}
