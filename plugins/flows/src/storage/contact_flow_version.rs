//! Entity `flows_contact_flow_version`: the versions of a contact flow, each holding a flow
//! definition (`Content`) and the editor's canvas (`Canvas`).
//!
//! Fields follow `ContactFlows.ContactFlow[].Versions.ContactFlowVersion[]` of 2017-07-05
//! ListContactFlows (seed 004 §4.2) plus `Canvas`/`Content` as the official 2017 SDK models
//! of CreateContactFlow / CommitContactFlowVersionModification carry them.

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// A version that was never published; a flow has at most one, the editable draft
/// (2020 `DraftId`).
pub const STATUS_DRAFT: &str = "Draft";
/// The version currently in effect (the flow's `AppliedVersion`); at most one per flow.
pub const STATUS_PUBLISHED: &str = "Published";
/// A version that was published and later replaced by another published version. It stays
/// readable and can be published again (rollback).
pub const STATUS_ARCHIVED: &str = "Archived";

/// One version of a contact flow. Times are UTC epoch milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "flows_contact_flow_version")]
pub struct Model {
    /// Auto-increment key (storage order only).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `ContactFlowVersionId`: a UUID, unique across instances.
    #[sea_orm(unique)]
    pub contact_flow_version_id: String,
    /// The flow this version belongs to.
    pub contact_flow_id: String,
    /// The owning instance (same as the flow's).
    pub instance_id: String,
    /// `Version` label, `yyyyMMddHHmmss` of `version_ms`.
    pub version: String,
    /// The moment the label denotes, epoch ms; strictly increasing (by at least one second)
    /// within a flow so labels stay unique.
    pub version_ms: i64,
    /// `ContactFlowVersionDescription`, `<flow name>-<label>` at creation.
    pub description: String,
    /// [`STATUS_DRAFT`], [`STATUS_PUBLISHED`] or [`STATUS_ARCHIVED`].
    pub status: String,
    /// The flow definition JSON (`Content` / 2020 `Definition`), validated by
    /// [`crate::definition`].
    #[sea_orm(column_type = "Text")]
    pub content: String,
    /// The editor's canvas JSON, stored as sent (may be empty).
    #[sea_orm(column_type = "Text")]
    pub canvas: String,
    /// `LastModified`, epoch ms.
    pub last_modified: i64,
    /// `LastModifiedBy`: display name of the principal.
    pub last_modified_by: String,
    /// `LockedBy`: who holds the edit lock; `None` when nobody does.
    pub locked_by: Option<String>,
}

/// No declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
