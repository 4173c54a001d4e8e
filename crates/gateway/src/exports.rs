//! Asynchronous CDR exports of an instance, a resource outside the RPC dialects served by the
//! reports plugin's queries `export_start`, `export_status` and `export_file`
//! (`plugins/reports/api/queries/`; the plugin's task writes the files):
//!
//! - `POST /v1/instances/{id}/cdr-exports` ([`PATH`]) with `StartTime`, `EndTime` (UTC epoch
//!   ms; calls that started in `[StartTime, EndTime)`) and `Format` (`csv`, the default, or
//!   `parquet`) in the query string, a form body or a JSON body: 202 `{"RequestId",
//!   "ExportId", "Status": "Pending"}` with `Location` the status resource.
//! - `GET /v1/instances/{id}/cdr-exports/{ExportId}` ([`STATUS_PATH`]): `{"RequestId",
//!   "ExportId", "Status" (Pending|Running|Done|Failed), "PercentDone", "RowsDone",
//!   "RowsTotal", "Format", "StartTime", "EndTime", "CreateTime", "FinishTime", "Error"}`.
//! - `GET /v1/instances/{id}/cdr-exports/{ExportId}/file` ([`FILE_PATH`]): the file
//!   (`text/csv` or `application/vnd.apache.parquet`, `Content-Disposition: attachment`) once
//!   Done; 409 `IncorrectStatus.Export` before (or after a failure).
//!
//! Credentials and the instance check are the agent-state stream's
//! ([`crate::stream::path_context`]); only administrators may export (an agent's or a
//! skill-group leader's user token gets 403 `NoPermission`). Refusals are Alibaba JSON error
//! envelopes; without the reports plugin, 501 `NotImplemented`.

use std::io::Read;

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use ccgate_plugin_sdk::{ActionSpec, ApiError, Context};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::dialect::aliyun::envelope;
use crate::state::AppState;
use crate::stream::path_context;

/// The collection: start an export.
pub const PATH: &str = "/v1/instances/{id}/cdr-exports";
/// One export's status.
pub const STATUS_PATH: &str = "/v1/instances/{id}/cdr-exports/{export}";
/// One export's file.
pub const FILE_PATH: &str = "/v1/instances/{id}/cdr-exports/{export}/file";

/// The plugin serving the queries.
const REPORTS_PLUGIN: &str = "reports";
/// The pseudo-action of the requests' contexts (logs, `ctx.spec`); administrators only.
const SPEC: ActionSpec = ActionSpec::rpc("2017-07-05", "ExportCallDetailRecords");
/// Bytes read from the file per chunk of the download.
const CHUNK: usize = 256 * 1024;

/// Arguments of `reports.export_start`.
#[derive(Debug, Serialize)]
struct StartArgs<'a> {
    instance_id: &'a str,
    from_ms: i64,
    to_ms: i64,
    format: &'a str,
}

/// Answer of `reports.export_start`.
#[derive(Debug, Deserialize)]
struct Started {
    export_id: String,
    status: String,
    throttled: bool,
    reason: String,
}

/// Arguments of `reports.export_status` and `reports.export_file`.
#[derive(Debug, Serialize)]
struct OneArgs<'a> {
    instance_id: &'a str,
    export_id: &'a str,
}

/// Answer of `reports.export_status`.
#[derive(Debug, Deserialize)]
struct Status {
    found: bool,
    export_id: String,
    status: String,
    format: String,
    from_ms: i64,
    to_ms: i64,
    rows_done: i64,
    rows_total: i64,
    percent_done: i64,
    error: String,
    created_ms: i64,
    finished_ms: i64,
}

/// Answer of `reports.export_file`.
#[derive(Debug, Deserialize)]
struct FileAnswer {
    found: bool,
    status: String,
    path: String,
    content_type: String,
    file_name: String,
}

/// Renders `result` or its error in the Alibaba JSON envelope.
fn answer(
    state: &AppState,
    request_id: &str,
    result: Result<HttpResponse, ApiError>,
) -> HttpResponse {
    result.unwrap_or_else(|e| {
        tracing::info!(status = e.status, code = %e.code, "CDR export request refused");
        envelope::error_response(request_id, &state.settings.server.host_id, false, &e)
    })
}

/// The context of an administrator of the path's instance.
async fn admin_context(
    http: &HttpRequest,
    body: Vec<u8>,
    instance_id: &str,
    state: &AppState,
    request_id: &str,
) -> Result<Context, ApiError> {
    let ctx = path_context(
        http,
        body,
        instance_id,
        state,
        request_id,
        SPEC,
        "The CDR export resource",
    )
    .await?;
    if !SPEC.roles.admits(ctx.role) {
        return Err(ApiError::no_permission(ctx.role, SPEC.action));
    }
    Ok(ctx)
}

/// Runs a reports query and reads its answer.
///
/// Errors: 501 `NotImplemented` when the reports plugin is not enabled; the query's errors.
async fn query<A: Serialize, O: DeserializeOwned>(
    ctx: &Context,
    name: &str,
    args: &A,
) -> Result<O, ApiError> {
    match ccgate_plugin_sdk::query::call(ctx, REPORTS_PLUGIN, name, args).await? {
        Some(o) => Ok(o),
        None => Err(ApiError::new(
            501,
            "NotImplemented",
            "CDR exports need the reports plugin, which this deployment does not serve.",
        )),
    }
}

fn export_not_found(export_id: &str, instance_id: &str) -> ApiError {
    ApiError::new(
        404,
        "NotExists.ExportId",
        format!(
            "The export {} does not exist in instance {}.",
            crate::input::shown(export_id),
            crate::input::shown(instance_id)
        ),
    )
}

/// The request's parameters: the query string, then a form or JSON body (JSON numbers as
/// their text).
fn params(http: &HttpRequest, body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let mut out: Vec<(String, String)> =
        url::form_urlencoded::parse(http.query_string().as_bytes())
            .into_owned()
            .collect();
    let content_type = http
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if body.is_empty() {
        return Ok(out);
    }
    if content_type.starts_with("application/json") {
        let v: Value = serde_json::from_slice(body).map_err(|_| {
            ApiError::new(400, "InvalidParameter", "The body is not a JSON object.")
        })?;
        let Value::Object(map) = v else {
            return Err(ApiError::new(
                400,
                "InvalidParameter",
                "The body is not a JSON object.",
            ));
        };
        for (k, v) in map {
            let text = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                other => other.to_string(),
            };
            out.push((k, text));
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        out.extend(url::form_urlencoded::parse(body).into_owned());
    }
    Ok(out)
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
}

fn epoch_ms(params: &[(String, String)], name: &str) -> Result<i64, ApiError> {
    let Some(text) = param(params, name).filter(|s| !s.is_empty()) else {
        return Err(ApiError::new(
            400,
            "MissingParameter",
            format!("The parameter {name} is required (UTC epoch milliseconds)."),
        ));
    };
    text.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| ApiError::invalid(name, "it must be UTC epoch milliseconds (0 or more)"))
}

/// `POST /v1/instances/{id}/cdr-exports`.
pub async fn start(
    http: HttpRequest,
    path: web::Path<String>,
    body: Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let request_id = crate::request_id::new_request_id();
    let result = start_export(&http, &path, &body, &state, &request_id).await;
    answer(&state, &request_id, result)
}

async fn start_export(
    http: &HttpRequest,
    instance_id: &str,
    body: &Bytes,
    state: &AppState,
    request_id: &str,
) -> Result<HttpResponse, ApiError> {
    let ctx = admin_context(http, body.to_vec(), instance_id, state, request_id).await?;
    let params = params(http, body)?;
    let from_ms = epoch_ms(&params, "StartTime")?;
    let to_ms = epoch_ms(&params, "EndTime")?;
    let format = param(&params, "Format")
        .filter(|s| !s.is_empty())
        .unwrap_or("csv");
    let started: Started = query(
        &ctx,
        "export_start",
        &StartArgs {
            instance_id,
            from_ms,
            to_ms,
            format,
        },
    )
    .await?;
    if started.throttled {
        return Err(ApiError::new(429, "Throttling", started.reason));
    }
    tracing::info!(
        instance = instance_id,
        export = %started.export_id,
        from_ms,
        to_ms,
        format,
        "CDR export started"
    );
    Ok(HttpResponse::Accepted()
        .insert_header((
            "Location",
            format!(
                "/v1/instances/{instance_id}/cdr-exports/{}",
                started.export_id
            ),
        ))
        .json(json!({
            "RequestId": request_id,
            "ExportId": started.export_id,
            "Status": started.status,
        })))
}

/// `GET /v1/instances/{id}/cdr-exports/{ExportId}`.
pub async fn status(
    http: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let request_id = crate::request_id::new_request_id();
    let (instance_id, export_id) = path.into_inner();
    let result = async {
        let ctx = admin_context(&http, Vec::new(), &instance_id, &state, &request_id).await?;
        let s: Status = query(
            &ctx,
            "export_status",
            &OneArgs {
                instance_id: &instance_id,
                export_id: &export_id,
            },
        )
        .await?;
        if !s.found {
            return Err(export_not_found(&export_id, &instance_id));
        }
        Ok(HttpResponse::Ok().json(json!({
            "RequestId": request_id,
            "ExportId": s.export_id,
            "Status": s.status,
            "PercentDone": s.percent_done,
            "RowsDone": s.rows_done,
            "RowsTotal": s.rows_total,
            "Format": s.format,
            "StartTime": s.from_ms,
            "EndTime": s.to_ms,
            "CreateTime": s.created_ms,
            "FinishTime": s.finished_ms,
            "Error": s.error,
        })))
    }
    .await;
    answer(&state, &request_id, result)
}

/// `GET /v1/instances/{id}/cdr-exports/{ExportId}/file`.
pub async fn file(
    http: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let request_id = crate::request_id::new_request_id();
    let (instance_id, export_id) = path.into_inner();
    let result = async {
        let ctx = admin_context(&http, Vec::new(), &instance_id, &state, &request_id).await?;
        let f: FileAnswer = query(
            &ctx,
            "export_file",
            &OneArgs {
                instance_id: &instance_id,
                export_id: &export_id,
            },
        )
        .await?;
        if !f.found {
            return Err(export_not_found(&export_id, &instance_id));
        }
        if f.path.is_empty() {
            return Err(ApiError::new(
                409,
                "IncorrectStatus.Export",
                format!(
                    "The export {} is {}: its file can be downloaded once it is Done.",
                    crate::input::shown(&export_id),
                    f.status
                ),
            ));
        }
        let path = f.path.clone();
        let opened = web::block(move || {
            let file = std::fs::File::open(&path)?;
            let len = file.metadata()?.len();
            Ok::<_, std::io::Error>((file, len))
        })
        .await
        .map_err(|_| ApiError::internal())?;
        let (file, len) = opened.map_err(|e| {
            tracing::error!(path = %f.path, error = %e, "CDR export file unreadable");
            ApiError::new(
                410,
                "Gone.ExportFile",
                format!(
                    "The file of export {} is no longer on the server.",
                    crate::input::shown(&export_id)
                ),
            )
        })?;
        Ok(HttpResponse::Ok()
            .content_type(f.content_type.as_str())
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"{}\"", f.file_name),
            ))
            .no_chunking(len)
            .streaming(chunks(file)))
    }
    .await;
    answer(&state, &request_id, result)
}

/// The file's bytes, [`CHUNK`] at a time, read on the blocking pool.
fn chunks(
    file: std::fs::File,
) -> impl futures::Stream<Item = Result<Bytes, actix_web::Error>> + 'static {
    futures::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let read = web::block(move || {
            let mut buf = vec![0u8; CHUNK];
            let n = file.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((file, buf))
        })
        .await;
        match read {
            Ok(Ok((_, buf))) if buf.is_empty() => None,
            Ok(Ok((file, buf))) => Some((Ok(Bytes::from(buf)), Some(file))),
            Ok(Err(e)) => Some((Err(actix_web::error::ErrorInternalServerError(e)), None)),
            Err(e) => Some((Err(actix_web::error::ErrorInternalServerError(e)), None)),
        }
    })
}
