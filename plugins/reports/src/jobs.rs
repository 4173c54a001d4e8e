//! Asynchronous CDR exports: the jobs (`reports_export`, [`crate::storage::export`]) and the
//! plugin task [`TASK`] that writes their files ([`crate::export`]).
//!
//! - **Start** ([`create`], query `export_start`): a `Pending` row; at most
//!   [`MAX_OPEN_PER_INSTANCE`] exports of an instance wait or run at once (a further one is
//!   refused as data: `throttled`, which the gateway answers 429 `Throttling`).
//! - **The task** ([`run`]) claims the oldest `Pending` job (a conditional UPDATE: one process
//!   wins), marks it `Running`, writes `<export_dir>/<ExportId>.<csv|parquet>` through a
//!   `.part` file renamed when complete, records the progress after every page
//!   (`rows_done` of `rows_total`, the rows counted when it started) and ends it `Done` or
//!   `Failed` (with the error). It looks for work every [`POLL`].
//! - **Crashes**: a `Running` job whose row has not changed for [`STALE_MS`] (its process died,
//!   or stopped mid-export) is claimed again and restarted from the beginning; the process that
//!   owned it, if still alive, notices at its next progress write (the row's `updated_ms` is
//!   its claim) and gives up its copy. The job of a process that stops cleanly goes back to
//!   `Pending` at once.
//! - Files stay until removed by hand (no retention yet).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::sea_query::Expr;
use ccgate_plugin_sdk::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use ccgate_plugin_sdk::task::TaskContext;

use crate::api::errors;
use crate::export::{Export, ExportError, Format};
use crate::storage::export::{self as job, DONE, FAILED, PENDING, RUNNING};

/// The task's name ([`crate::ReportsPlugin`]'s only task).
pub const TASK: &str = "reports.exports";
/// How often the task looks for a pending job when idle.
pub const POLL: Duration = Duration::from_millis(500);
/// A `Running` job whose row is older than this is taken to be orphaned and restarted.
pub const STALE_MS: i64 = 30_000;
/// Most exports of one instance pending or running at once.
pub const MAX_OPEN_PER_INSTANCE: u64 = 5;

/// Records a new export of the calls of `instance` started in `[from_ms, to_ms)`; `Ok(Err(reason))`
/// when [`MAX_OPEN_PER_INSTANCE`] are pending or running already (the gateway answers 429).
///
/// Errors: 400 `InvalidParameter` (`StartTime`, `EndTime`, `Format`); storage.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    from_ms: i64,
    to_ms: i64,
    format: &str,
    now_ms: i64,
) -> ApiResult<Result<job::Model, String>> {
    let Some(format) = Format::parse(format) else {
        return Err(errors::invalid_parameter(
            "Format",
            "it must be csv or parquet",
        ));
    };
    if from_ms < 0 {
        return Err(errors::invalid_parameter(
            "StartTime",
            "it must be epoch milliseconds (0 or more)",
        ));
    }
    if to_ms <= from_ms {
        return Err(errors::invalid_parameter(
            "EndTime",
            "it must be after StartTime",
        ));
    }
    let open = job::Entity::find()
        .filter(job::Column::Status.is_in([PENDING, RUNNING]))
        .filter(job::Column::InstanceId.eq(instance))
        .count(db)
        .await?;
    if open >= MAX_OPEN_PER_INSTANCE {
        return Ok(Err(format!(
            "The instance already has {open} exports pending or running (at most {MAX_OPEN_PER_INSTANCE}); try again when one is done."
        )));
    }
    let row = job::Model {
        export_id: uuid::Uuid::new_v4().to_string(),
        instance_id: instance.to_string(),
        from_ms,
        to_ms,
        format: format.as_str().to_string(),
        status: PENDING.to_string(),
        created_ms: now_ms,
        updated_ms: now_ms,
        ..Default::default()
    };
    job::ActiveModel::from(row.clone()).insert(db).await?;
    Ok(Ok(row))
}

/// The export `export_id` of `instance` (`None`: no such export of that instance).
///
/// Errors: storage.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    export_id: &str,
) -> Result<Option<job::Model>, DbErr> {
    Ok(job::Entity::find_by_id(export_id.to_string())
        .one(db)
        .await?
        .filter(|j| j.instance_id == instance))
}

/// The job's percent done, 0-100 (100 once done).
pub fn percent_done(j: &job::Model) -> u8 {
    if j.status == DONE {
        return 100;
    }
    if j.status != RUNNING {
        return 0;
    }
    crate::export::percent(j.rows_done.max(0) as u64, j.rows_total.max(0) as u64).min(99)
}

/// The name of a finished export's file: `<ExportId>.<csv|parquet>`.
pub fn file_name(j: &job::Model) -> String {
    format!("{}.{}", j.export_id, j.format)
}

/// Claims the oldest pending job, or else the oldest orphaned running one ([`STALE_MS`]):
/// marks it `Running` with `updated_ms` = the claim (a fresh `now_ms`). `None`: nothing to do,
/// or another process claimed it first.
///
/// Errors: storage.
pub async fn claim<C: ConnectionTrait>(db: &C, now_ms: i64) -> Result<Option<job::Model>, DbErr> {
    let pending = job::Entity::find()
        .filter(job::Column::Status.eq(PENDING))
        .order_by_asc(job::Column::CreatedMs)
        .one(db)
        .await?;
    let candidate = match pending {
        Some(j) => Some(j),
        None => {
            job::Entity::find()
                .filter(job::Column::Status.eq(RUNNING))
                .filter(job::Column::UpdatedMs.lt(now_ms - STALE_MS))
                .order_by_asc(job::Column::CreatedMs)
                .one(db)
                .await?
        }
    };
    let Some(mut j) = candidate else {
        return Ok(None);
    };
    let stamp = now_ms.max(j.updated_ms + 1);
    let won = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(RUNNING))
        .col_expr(job::Column::RowsDone, Expr::value(0i64))
        .col_expr(job::Column::UpdatedMs, Expr::value(stamp))
        .filter(job::Column::ExportId.eq(j.export_id.clone()))
        .filter(job::Column::Status.eq(j.status.clone()))
        .filter(job::Column::UpdatedMs.eq(j.updated_ms))
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if !won {
        return Ok(None);
    }
    if j.status == RUNNING {
        tracing::warn!(export = %j.export_id, "an orphaned CDR export is restarted");
    }
    j.status = RUNNING.into();
    j.rows_done = 0;
    j.updated_ms = stamp;
    Ok(Some(j))
}

/// How a run of one job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The file is complete; this many rows.
    Done(u64),
    /// The export failed (the job says why).
    Failed(String),
    /// Stopped between pages: the job is `Pending` again.
    Stopped,
    /// Another process took the job over (this one was taken for dead).
    Lost,
}

/// The job as this run owns it: the claim stamp in `updated_ms` guards every write.
struct Owned<'a, C> {
    db: &'a C,
    id: String,
    stamp: i64,
}

impl<C: ConnectionTrait> Owned<'_, C> {
    /// Writes `set` on the job if this run still owns it; `false` when it does not.
    async fn write(&mut self, set: Vec<(job::Column, Expr)>, now_ms: i64) -> Result<bool, DbErr> {
        let next = now_ms.max(self.stamp + 1);
        let mut u = job::Entity::update_many().col_expr(job::Column::UpdatedMs, Expr::value(next));
        for (c, e) in set {
            u = u.col_expr(c, e);
        }
        let n = u
            .filter(job::Column::ExportId.eq(self.id.clone()))
            .filter(job::Column::Status.eq(RUNNING))
            .filter(job::Column::UpdatedMs.eq(self.stamp))
            .exec(self.db)
            .await?
            .rows_affected;
        if n == 1 {
            self.stamp = next;
        }
        Ok(n == 1)
    }
}

/// Runs the claimed job `j` ([`claim`]), writing its file into `dir`; `stop()` is asked
/// between pages.
///
/// Errors: storage while recording the outcome (the job stays `Running` and is restarted
/// once orphaned).
pub async fn run_job<C: ConnectionTrait>(
    db: &C,
    dir: &Path,
    j: &job::Model,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Outcome, DbErr> {
    let mut owned = Owned {
        db,
        id: j.export_id.clone(),
        stamp: j.updated_ms,
    };
    let fin = dir.join(file_name(j));
    let part = dir.join(format!("{}.{}.part", file_name(j), j.updated_ms));
    let result = write_file(&mut owned, dir, j, &part, stop).await;
    let now = ccgate_plugin_sdk::time::now_ms();
    match result {
        Ok(Some(rows)) => {
            if let Err(e) = std::fs::rename(&part, &fin) {
                let _ = std::fs::remove_file(&part);
                return fail(&mut owned, format!("writing the file: {e}"), now).await;
            }
            let rows = rows as i64;
            let set = vec![
                (job::Column::Status, Expr::value(DONE)),
                (job::Column::RowsDone, Expr::value(rows)),
                (job::Column::RowsTotal, Expr::value(rows)),
                (
                    job::Column::FilePath,
                    Expr::value(fin.to_string_lossy().into_owned()),
                ),
                (job::Column::FinishedMs, Expr::value(now)),
            ];
            if owned.write(set, now).await? {
                tracing::info!(export = %j.export_id, rows, "CDR export done");
                Ok(Outcome::Done(rows as u64))
            } else {
                Ok(Outcome::Lost)
            }
        }
        Ok(None) => {
            let _ = std::fs::remove_file(&part);
            if stop() {
                let set = vec![
                    (job::Column::Status, Expr::value(PENDING)),
                    (job::Column::RowsDone, Expr::value(0i64)),
                ];
                if owned.write(set, now).await? {
                    return Ok(Outcome::Stopped);
                }
            }
            Ok(Outcome::Lost)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            if let ExportError::Db(DbErr::Conn(_) | DbErr::ConnectionAcquire(_)) = &e {
                // The database is away: recording the failure would fail too; the job is
                // restarted once orphaned.
                tracing::warn!(export = %j.export_id, error = %e, "CDR export interrupted");
                return Err(DbErr::Custom(e.to_string()));
            }
            fail(&mut owned, e.to_string(), now).await
        }
    }
}

async fn fail<C: ConnectionTrait>(
    owned: &mut Owned<'_, C>,
    error: String,
    now: i64,
) -> Result<Outcome, DbErr> {
    tracing::warn!(export = %owned.id, %error, "CDR export failed");
    let set = vec![
        (job::Column::Status, Expr::value(FAILED)),
        (job::Column::Error, Expr::value(error.clone())),
        (job::Column::FinishedMs, Expr::value(now)),
    ];
    if owned.write(set, now).await? {
        Ok(Outcome::Failed(error))
    } else {
        Ok(Outcome::Lost)
    }
}

/// Writes the export into `part`, recording progress after every page. `Some(rows)`:
/// complete; `None`: stopped or lost ownership.
async fn write_file<C: ConnectionTrait>(
    owned: &mut Owned<'_, C>,
    dir: &Path,
    j: &job::Model,
    part: &PathBuf,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Option<u64>, ExportError> {
    let format = Format::parse(&j.format).unwrap_or(Format::Csv);
    std::fs::create_dir_all(dir)?;
    let file = BufWriter::with_capacity(256 * 1024, std::fs::File::create(part)?);
    let db = owned.db;
    let mut export = Export::start(db, &j.instance_id, j.from_ms, j.to_ms, format, file).await?;
    loop {
        let more = export.step(db).await?;
        let set = vec![
            (
                job::Column::RowsDone,
                Expr::value(export.rows_done() as i64),
            ),
            (
                job::Column::RowsTotal,
                Expr::value(export.rows_total() as i64),
            ),
        ];
        if !owned.write(set, ccgate_plugin_sdk::time::now_ms()).await? {
            tracing::warn!(export = %j.export_id, "CDR export taken over by another process");
            return Ok(None);
        }
        if !more {
            break;
        }
        if stop() {
            return Ok(None);
        }
    }
    let (mut file, rows) = export.finish()?;
    file.flush()?;
    file.into_inner()
        .map_err(|e| ExportError::Io(e.into_error()))?
        .sync_all()?;
    Ok(Some(rows))
}

/// The task [`TASK`]: claims and runs jobs until the host asks it to stop.
///
/// Errors: storage (the host starts the task again after a back-off).
pub async fn run(cx: &TaskContext, dir: &Path) -> Result<(), String> {
    tracing::info!(dir = %dir.display(), "CDR exports are written here");
    let stop = || cx.is_stopped();
    while !cx.is_stopped() {
        let job = claim(&cx.db, ccgate_plugin_sdk::time::now_ms())
            .await
            .map_err(|e| format!("{TASK}: {e}"))?;
        match job {
            Some(j) => {
                run_job(&cx.db, dir, &j, &stop)
                    .await
                    .map_err(|e| format!("{TASK}: {e}"))?;
            }
            None => {
                if !cx.sleep(POLL).await {
                    break;
                }
            }
        }
    }
    Ok(())
}
