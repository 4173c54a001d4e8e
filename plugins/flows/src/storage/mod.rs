//! Storage of the flows plugin: sea-orm entities, the migration, and every read and write of
//! the plugin (the actions, [`crate::queries`] and [`crate::related`] call these functions and
//! build no SQL themselves): here the lookups that answer the documented `NotExists.*` errors, flow creation
//! with its first version in one transaction, route-point allocation and the versions of a set
//! of flows; [`contact_flows`] the flow lists (2017, 2020 pages, Huawei, the `get` query);
//! [`contact_flow_versions`] publishing and saving a modification (one transaction each).
//!
//! Tables: `flows_contact_flow` ([`contact_flow`]) and `flows_contact_flow_version`
//! ([`contact_flow_version`]); see [`migration`]. Times are written as the caller passes them
//! (the request's clock, `Context::now_ms`); storage never reads the clock itself.

pub mod contact_flow;
pub mod contact_flow_version;
pub mod contact_flow_versions;
pub mod contact_flows;
pub mod migration;

use ccgate_plugin_sdk::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use ccgate_plugin_sdk::{ApiError, ApiResult, time};

use crate::api::errors;
use crate::flow_type::FlowType;
use contact_flow_version::{STATUS_DRAFT, STATUS_PUBLISHED};

/// First route point handed out in an instance (8 digits, like seed 004's `80206198`).
pub const ROUTE_POINT_FIRST: u32 = 8020_0001;
/// Last route point handed out in an instance.
pub const ROUTE_POINT_LAST: u32 = 8029_9999;

/// Longest stored principal name (`LastModifiedBy`, `Editor`, `LockedBy`), in characters.
pub const PRINCIPAL_MAX: usize = 128;

/// How often a creation is retried after losing a race for a route point.
// Optimistic allocation: every failed attempt means a concurrent creation succeeded, so this
// bounds how many creations in one instance may race (8 at once needed up to 8 before).
const CREATE_ATTEMPTS: usize = 64;

/// A principal display name cut to [`PRINCIPAL_MAX`] characters for storage.
pub fn principal_name(name: &str) -> String {
    name.chars().take(PRINCIPAL_MAX).collect()
}

/// The flow `contact_flow_id` of `instance`, or 404 `NotExists.ContactFlowId`.
pub async fn find_flow<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    contact_flow_id: &str,
) -> ApiResult<contact_flow::Model> {
    contact_flow::Entity::find()
        .filter(contact_flow::Column::InstanceId.eq(instance))
        .filter(contact_flow::Column::ContactFlowId.eq(contact_flow_id))
        .one(db)
        .await?
        .ok_or_else(|| errors::not_exists_contact_flow_id(contact_flow_id))
}

/// The version `version_id` of `instance`, or 404 `NotExists.ContactFlowVersionId`.
pub async fn find_version<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    version_id: &str,
) -> ApiResult<contact_flow_version::Model> {
    contact_flow_version::Entity::find()
        .filter(contact_flow_version::Column::InstanceId.eq(instance))
        .filter(contact_flow_version::Column::ContactFlowVersionId.eq(version_id))
        .one(db)
        .await?
        .ok_or_else(|| errors::not_exists_contact_flow_version_id(version_id))
}

/// All versions of the given flows, oldest first.
pub async fn versions_of<C: ConnectionTrait>(
    db: &C,
    contact_flow_ids: Vec<String>,
) -> Result<Vec<contact_flow_version::Model>, DbErr> {
    if contact_flow_ids.is_empty() {
        return Ok(Vec::new());
    }
    contact_flow_version::Entity::find()
        .filter(contact_flow_version::Column::ContactFlowId.is_in(contact_flow_ids))
        .order_by_asc(contact_flow_version::Column::VersionMs)
        .order_by_asc(contact_flow_version::Column::Id)
        .all(db)
        .await
}

/// 409 `Conflict.LockedBy` unless `version` is unlocked or locked by `who` (seed 004 §4.2,
/// `LockedBy`: while locked only the locker may operate on the version).
pub fn ensure_unlocked(version: &contact_flow_version::Model, who: &str) -> ApiResult<()> {
    match version.locked_by.as_deref() {
        Some(holder) if !holder.is_empty() && holder != who => Err(errors::conflict_locked_by(
            &version.contact_flow_version_id,
            holder,
        )),
        _ => Ok(()),
    }
}

/// The label time for a new version of a flow whose newest version has `latest_ms`: now, but
/// at least one second after it, so `yyyyMMddHHmmss` labels stay unique within the flow.
pub fn next_version_ms(now: i64, latest_ms: Option<i64>) -> i64 {
    match latest_ms {
        Some(latest) if now < latest + 1000 => latest + 1000,
        _ => now,
    }
}

/// The route point after `max_in_use` (the instance's highest), or the first one.
/// `None` when the range [`ROUTE_POINT_FIRST`]..=[`ROUTE_POINT_LAST`] is exhausted.
pub fn next_route_point(max_in_use: Option<&str>) -> Option<String> {
    let next = match max_in_use.and_then(|m| m.parse::<u32>().ok()) {
        Some(max) if max >= ROUTE_POINT_FIRST => max + 1,
        _ => ROUTE_POINT_FIRST,
    };
    (next <= ROUTE_POINT_LAST).then(|| next.to_string())
}

/// What [`create_flow`] stores.
#[derive(Debug, Clone)]
pub struct NewFlow {
    /// The owning instance.
    pub instance_id: String,
    /// Flow name, already length-checked.
    pub name: String,
    /// Flow description.
    pub description: String,
    /// Flow type.
    pub flow_type: FlowType,
    /// The first version's definition, already validated.
    pub content: String,
    /// The first version's canvas.
    pub canvas: String,
    /// Display name of the creating principal.
    pub editor: String,
    /// Publish the first version right away (the default flow of a new instance).
    pub publish: bool,
}

use ccgate_plugin_sdk::storage::is_unique_violation;

/// Creates a flow and its first version in one transaction, allocating the next free route
/// point of the instance. `now_ms` (UTC epoch ms, the caller's clock) is the creation time and
/// the first version's label time.
///
/// Errors: 409 `Conflict.ContactFlowName` when the instance already has a flow of that name,
/// 409 `Conflict.RoutePoint` when the instance's route points are exhausted, 500 on storage
/// failures. A race for the same route point is retried.
pub async fn create_flow(
    db: &DatabaseConnection,
    new: &NewFlow,
    now_ms: i64,
) -> ApiResult<(contact_flow::Model, contact_flow_version::Model)> {
    let mut last_err = None;
    for _ in 0..CREATE_ATTEMPTS {
        let txn = ccgate_plugin_sdk::storage::begin_write(db).await?;
        let taken = contact_flow::Entity::find()
            .filter(contact_flow::Column::InstanceId.eq(&new.instance_id))
            .filter(contact_flow::Column::Name.eq(&new.name))
            .one(&txn)
            .await?;
        if taken.is_some() {
            return Err(errors::conflict_contact_flow_name(&new.name));
        }
        let max_in_use: Option<Option<String>> = contact_flow::Entity::find()
            .select_only()
            .column_as(contact_flow::Column::RoutePoint.max(), "max_route_point")
            .filter(contact_flow::Column::InstanceId.eq(&new.instance_id))
            .into_tuple()
            .one(&txn)
            .await?;
        let route_point = next_route_point(max_in_use.flatten().as_deref())
            .ok_or_else(errors::conflict_route_point)?;
        match insert_flow(&txn, new, route_point, now_ms).await {
            Ok(created) => {
                txn.commit().await?;
                return Ok(created);
            }
            Err(err) if is_unique_violation(&err) => {
                txn.rollback().await?;
                last_err = Some(err);
            }
            Err(err) => return Err(err.into()),
        }
    }
    // Every attempt collided: either the name was taken concurrently or route points raced.
    let taken = contact_flow::Entity::find()
        .filter(contact_flow::Column::InstanceId.eq(&new.instance_id))
        .filter(contact_flow::Column::Name.eq(&new.name))
        .one(db)
        .await?;
    if taken.is_some() {
        return Err(errors::conflict_contact_flow_name(&new.name));
    }
    Err(last_err
        .map(ApiError::from)
        .unwrap_or_else(ApiError::internal))
}

async fn insert_flow<C: ConnectionTrait>(
    txn: &C,
    new: &NewFlow,
    route_point: String,
    now: i64,
) -> Result<(contact_flow::Model, contact_flow_version::Model), DbErr> {
    let contact_flow_id = uuid::Uuid::new_v4().to_string();
    let version_id = uuid::Uuid::new_v4().to_string();
    let label = time::version_label(now);
    let flow = contact_flow::ActiveModel {
        contact_flow_id: Set(contact_flow_id.clone()),
        instance_id: Set(new.instance_id.clone()),
        name: Set(new.name.clone()),
        description: Set(new.description.clone()),
        flow_type: Set(new.flow_type.as_2020().to_string()),
        route_point: Set(route_point),
        applied_version_id: Set(new.publish.then(|| version_id.clone())),
        editor: Set(new.editor.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let version = contact_flow_version::ActiveModel {
        contact_flow_version_id: Set(version_id),
        contact_flow_id: Set(contact_flow_id),
        instance_id: Set(new.instance_id.clone()),
        description: Set(version_description(&new.name, &label)),
        version: Set(label),
        version_ms: Set(now),
        status: Set(if new.publish {
            STATUS_PUBLISHED
        } else {
            STATUS_DRAFT
        }
        .to_string()),
        content: Set(new.content.clone()),
        canvas: Set(new.canvas.clone()),
        last_modified: Set(now),
        last_modified_by: Set(new.editor.clone()),
        locked_by: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok((flow, version))
}

/// `ContactFlowVersionDescription` of a new version: `<flow name>-<label>`, as in seed 004's
/// `Welcome-20180601142524`.
pub fn version_description(flow_name: &str, label: &str) -> String {
    format!("{flow_name}-{label}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_points_count_up_from_the_first() {
        assert_eq!(next_route_point(None).as_deref(), Some("80200001"));
        assert_eq!(
            next_route_point(Some("80200041")).as_deref(),
            Some("80200042")
        );
        assert_eq!(
            next_route_point(Some("garbage")).as_deref(),
            Some("80200001")
        );
        assert_eq!(next_route_point(Some("80299999")), None);
    }

    #[test]
    fn version_labels_move_forward_by_at_least_a_second() {
        assert_eq!(next_version_ms(5_000, None), 5_000);
        assert_eq!(next_version_ms(5_000, Some(4_500)), 5_500);
        assert_eq!(next_version_ms(9_000, Some(4_500)), 9_000);
    }

    #[test]
    fn lock_held_by_someone_else_is_a_conflict() {
        let mut v = contact_flow_version::Model {
            id: 1,
            contact_flow_version_id: "v1".into(),
            contact_flow_id: "f1".into(),
            instance_id: "i".into(),
            version: "20240101000000".into(),
            version_ms: 0,
            description: String::new(),
            status: STATUS_DRAFT.into(),
            content: String::new(),
            canvas: String::new(),
            last_modified: 0,
            last_modified_by: "a".into(),
            locked_by: None,
        };
        assert!(ensure_unlocked(&v, "me").is_ok());
        v.locked_by = Some(String::new());
        assert!(ensure_unlocked(&v, "me").is_ok());
        v.locked_by = Some("me".into());
        assert!(ensure_unlocked(&v, "me").is_ok());
        v.locked_by = Some("other".into());
        let e = ensure_unlocked(&v, "me").unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (409, "Conflict.LockedBy"));
        assert!(e.message.contains("other"), "{}", e.message);
    }
}
