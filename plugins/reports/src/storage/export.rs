//! Entity `reports_export`: the asynchronous CDR export jobs (`crate::jobs`), one row per
//! export: what to export, how far it got, where the file is.

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// Waiting for the export task.
pub const PENDING: &str = "Pending";
/// Being written (progress in `rows_done` / `rows_total`).
pub const RUNNING: &str = "Running";
/// Written: the file is at `file_path`.
pub const DONE: &str = "Done";
/// Given up: `error` says why.
pub const FAILED: &str = "Failed";

/// One export job. Times are UTC epoch ms.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports_export")]
pub struct Model {
    /// The export id (UUID v4).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(36))"
    )]
    pub export_id: String,
    /// The instance whose calls are exported.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub instance_id: String,
    /// Calls that started at or after this instant...
    pub from_ms: i64,
    /// ... and before this one.
    pub to_ms: i64,
    /// `csv` or `parquet`.
    #[sea_orm(column_type = "String(StringLen::N(8))")]
    pub format: String,
    /// [`PENDING`], [`RUNNING`], [`DONE`] or [`FAILED`].
    #[sea_orm(column_type = "String(StringLen::N(8))")]
    pub status: String,
    /// Rows written so far.
    pub rows_done: i64,
    /// Rows counted when the export started (the total of a finished export: rows written).
    pub rows_total: i64,
    /// The file, once done (empty before).
    #[sea_orm(column_type = "Text")]
    pub file_path: String,
    /// Why it failed (empty unless [`FAILED`]).
    #[sea_orm(column_type = "Text")]
    pub error: String,
    /// When it was asked for.
    pub created_ms: i64,
    /// When its row last changed (progress, status).
    pub updated_ms: i64,
    /// When it was done or failed (0 before).
    pub finished_ms: i64,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
