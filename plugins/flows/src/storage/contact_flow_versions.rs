//! Writes of contact flow versions (`flows_contact_flow_version`,
//! [`super::contact_flow_version`]): publishing a version and saving a modification, each in
//! one write transaction together with the flow's `updated_at` / `editor`.

use ccgate_plugin_sdk::sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Set, sea_query::Expr,
};
use ccgate_plugin_sdk::{ApiResult, time};

use super::contact_flow_version::{STATUS_ARCHIVED, STATUS_DRAFT, STATUS_PUBLISHED};
use super::{contact_flow, contact_flow_version};

/// Publishes `target`, a version of `flow`, in one write transaction: the flow's published
/// versions become `Archived`, `target` becomes `Published`, and the flow's
/// `applied_version_id` becomes `applied_id` (the version id as the request named it), its
/// `updated_at` `now_ms` and its `editor` `who`.
///
/// Errors: storage (nothing is written then).
pub async fn publish(
    db: &DatabaseConnection,
    flow: contact_flow::Model,
    target: contact_flow_version::Model,
    applied_id: &str,
    who: String,
    now_ms: i64,
) -> Result<(), DbErr> {
    let txn = ccgate_plugin_sdk::storage::begin_write(db).await?;
    contact_flow_version::Entity::update_many()
        .col_expr(
            contact_flow_version::Column::Status,
            Expr::value(STATUS_ARCHIVED),
        )
        .filter(contact_flow_version::Column::ContactFlowId.eq(&flow.contact_flow_id))
        .filter(contact_flow_version::Column::Status.eq(STATUS_PUBLISHED))
        .exec(&txn)
        .await?;
    let mut am = target.into_active_model();
    am.status = Set(STATUS_PUBLISHED.to_string());
    am.update(&txn).await?;
    let mut flow_am = flow.into_active_model();
    flow_am.applied_version_id = Set(Some(applied_id.to_string()));
    flow_am.updated_at = Set(now_ms);
    flow_am.editor = Set(who);
    flow_am.update(&txn).await?;
    txn.commit().await
}

/// A modification of a version's definition (CommitContactFlowVersionModification).
#[derive(Debug, Clone, Copy)]
pub struct Modification<'a> {
    /// The new definition, already validated.
    pub content: &'a str,
    /// The new canvas; `None` keeps the modified version's canvas.
    pub canvas: Option<&'a str>,
    /// Who modifies (stored principal name, `LastModifiedBy` and the flow's `editor`).
    pub who: &'a str,
    /// When, UTC epoch ms (the request's clock).
    pub now_ms: i64,
}

/// Saves `change` to `target`, a version of `flow`, in one write transaction, and returns the
/// version written: a `Draft` `target` is updated in place; otherwise (a published or archived
/// version is never rewritten) the flow's draft gets the modification, and is created (new id,
/// label [`super::next_version_ms`] after the flow's newest version) when the flow has none.
/// The flow's `updated_at` and `editor` change in the same transaction.
///
/// Errors: 409 `Conflict.LockedBy` when another principal holds the lock of the flow's draft
/// ([`super::ensure_unlocked`]; nothing is written then); 500 on storage failures.
pub async fn commit_modification(
    db: &DatabaseConnection,
    flow: contact_flow::Model,
    target: contact_flow_version::Model,
    change: Modification<'_>,
) -> ApiResult<contact_flow_version::Model> {
    let Modification {
        content,
        canvas,
        who,
        now_ms: now,
    } = change;
    let txn = ccgate_plugin_sdk::storage::begin_write(db).await?;
    let written = if target.status == STATUS_DRAFT {
        let mut am = target.into_active_model();
        am.content = Set(content.to_string());
        if let Some(canvas) = canvas {
            am.canvas = Set(canvas.to_string());
        }
        am.last_modified = Set(now);
        am.last_modified_by = Set(who.to_string());
        am.update(&txn).await?
    } else {
        let versions = contact_flow_version::Entity::find()
            .filter(contact_flow_version::Column::ContactFlowId.eq(&flow.contact_flow_id))
            .order_by_desc(contact_flow_version::Column::VersionMs)
            .all(&txn)
            .await?;
        match versions.iter().find(|v| v.status == STATUS_DRAFT) {
            Some(draft) => {
                super::ensure_unlocked(draft, who)?;
                let mut am = draft.clone().into_active_model();
                am.content = Set(content.to_string());
                am.canvas = Set(canvas.unwrap_or(&target.canvas).to_string());
                am.last_modified = Set(now);
                am.last_modified_by = Set(who.to_string());
                am.update(&txn).await?
            }
            None => {
                let version_ms =
                    super::next_version_ms(now, versions.first().map(|v| v.version_ms));
                let label = time::version_label(version_ms);
                contact_flow_version::ActiveModel {
                    contact_flow_version_id: Set(uuid::Uuid::new_v4().to_string()),
                    contact_flow_id: Set(flow.contact_flow_id.clone()),
                    instance_id: Set(flow.instance_id.clone()),
                    description: Set(super::version_description(&flow.name, &label)),
                    version: Set(label),
                    version_ms: Set(version_ms),
                    status: Set(STATUS_DRAFT.to_string()),
                    content: Set(content.to_string()),
                    canvas: Set(canvas.unwrap_or(&target.canvas).to_string()),
                    last_modified: Set(now),
                    last_modified_by: Set(who.to_string()),
                    locked_by: Set(None),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
            }
        }
    };
    let mut flow_am = flow.into_active_model();
    flow_am.updated_at = Set(now);
    flow_am.editor = Set(who.to_string());
    flow_am.update(&txn).await?;
    txn.commit().await?;
    Ok(written)
}
