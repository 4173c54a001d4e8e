//! The queries reports offers the gateway (specs: `plugins/reports/api/queries/`; generated
//! types and dispatch: [`crate::api::queries`]): the CDR export resource of the gateway
//! (`POST /v1/instances/{id}/cdr-exports` and its status and file) through [`export_start`],
//! [`export_status`] and [`export_file`] ([`crate::jobs`]).
//!
//! "Not found" is data (`found: false`); errors are refusals of bad arguments and storage.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::queries::{export_file, export_start, export_status};
use crate::export::Format;
use crate::jobs;
use crate::storage::export::DONE;

/// `export_start`: a new Pending export job (or `throttled` with the reason).
pub async fn export_start(
    ctx: &Ctx<'_>,
    args: export_start::Args,
) -> ApiResult<export_start::Output> {
    let j = jobs::create(
        &ctx.db,
        &args.instance_id,
        args.from_ms,
        args.to_ms,
        &args.format,
        ctx.now_ms(),
    )
    .await?;
    Ok(match j {
        Ok(j) => export_start::Output {
            export_id: j.export_id,
            status: j.status,
            ..Default::default()
        },
        Err(reason) => export_start::Output {
            throttled: true,
            reason,
            ..Default::default()
        },
    })
}

/// `export_status`: where the export stands.
pub async fn export_status(
    ctx: &Ctx<'_>,
    args: export_status::Args,
) -> ApiResult<export_status::Output> {
    let Some(j) = jobs::find(&ctx.db, &args.instance_id, &args.export_id).await? else {
        return Ok(export_status::Output::default());
    };
    Ok(export_status::Output {
        found: true,
        percent_done: jobs::percent_done(&j) as i64,
        export_id: j.export_id,
        status: j.status,
        format: j.format,
        from_ms: j.from_ms,
        to_ms: j.to_ms,
        rows_done: j.rows_done,
        rows_total: j.rows_total,
        error: j.error,
        created_ms: j.created_ms,
        finished_ms: j.finished_ms,
    })
}

/// `export_file`: the finished export's file.
pub async fn export_file(ctx: &Ctx<'_>, args: export_file::Args) -> ApiResult<export_file::Output> {
    let Some(j) = jobs::find(&ctx.db, &args.instance_id, &args.export_id).await? else {
        return Ok(export_file::Output::default());
    };
    let format = Format::parse(&j.format).unwrap_or(Format::Csv);
    Ok(export_file::Output {
        found: true,
        path: if j.status == DONE {
            j.file_path.clone()
        } else {
            String::new()
        },
        content_type: format.content_type().to_string(),
        file_name: format!("cdr-{}-{}", j.instance_id, jobs::file_name(&j)),
        status: j.status,
    })
}
