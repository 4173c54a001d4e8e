//! The `/` endpoint of the Alibaba RPC dialect: decode → find action → authenticate →
//! resolve instance → plugin → envelope.

use std::sync::Arc;
use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, web};
use ccgate_plugin_sdk::{ApiError, Context, Envelope, ErrorStyle, InstanceScope, Params, Reply};
use tracing::Instrument;

use super::envelope;
use super::request::RpcRequest;
use crate::app::AppState;
use crate::auth::aliyun::authenticate;
use crate::catalog;

/// A new `RequestId`: an upper-case UUID v4 like Alibaba's (random bytes from the thread-local
/// CSPRNG, which avoids a `getrandom` system call per request).
pub fn new_request_id() -> String {
    let bytes: [u8; 16] = rand::random();
    let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    id.hyphenated().encode_upper(&mut buf).to_owned()
}

/// Serves `GET /` and `POST /`.
///
/// Logging: one `info` event per request (`served` / `refused`, with status and elapsed time)
/// inside a `request` span; `error` for 5xx. With the filter above `info` (e.g. `warn`) these
/// cost a disabled-callsite check each.
pub async fn rpc_entry(
    http: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let started = Instant::now();
    let request_id = new_request_id();
    let headers = http
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut req = RpcRequest::new(
        http.method().as_str(),
        http.path(),
        http.query_string(),
        headers,
        body.to_vec(),
    );
    let xml = req.wants_xml();
    let action = req
        .param_or_header("Action", "x-acs-action")
        .unwrap_or_default()
        .to_string();
    let span = tracing::info_span!("request", request_id = %request_id, action = %action);
    let result = serve(&state, &mut req, &request_id, &action)
        .instrument(span.clone())
        .await;
    let _enter = span.enter();
    match result {
        Ok((envelope, reply)) => {
            tracing::info!(status = 200, elapsed_ms = elapsed_ms(started), "served");
            envelope::success_response(&request_id, envelope, reply, xml, &action)
        }
        Err(e) => {
            if e.status >= 500 {
                tracing::error!(status = e.status, code = %e.code, elapsed_ms = elapsed_ms(started), "failed");
            } else {
                tracing::info!(status = e.status, code = %e.code, elapsed_ms = elapsed_ms(started), "refused");
            }
            envelope::error_response(&request_id, &state.settings.server.host_id, xml, &e)
        }
    }
}

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// Routes, authenticates and runs the action; the envelope kind and the plugin's reply.
/// `req.params`, without the protocol's common parameters, is moved into the plugin's
/// [`Params`] once authentication is done.
async fn serve(
    state: &AppState,
    req: &mut RpcRequest,
    request_id: &str,
    action: &str,
) -> Result<(Envelope, Reply), ApiError> {
    if action.is_empty() {
        return Err(ApiError::missing("Action"));
    }
    let version = req
        .param_or_header("Version", "x-acs-version")
        .ok_or_else(|| ApiError::missing("Version"))?;
    let Some(route) = state.registry.rpc(version, action) else {
        // A specified action nothing serves here: authenticate, then say so (501), rather
        // than pretending the action does not exist.
        if let Some(entry) = catalog::rpc(version, action) {
            authenticate(&state.auth, req, entry.spec.auth).await?;
            return Err(catalog::not_implemented(entry));
        }
        return Err(
            if state.registry.knows_version(version) || catalog::knows_version(version) {
                ApiError::new(
                    404,
                    "InvalidAction.NotFound",
                    "Specified api is not found, please check your url and method.",
                )
            } else {
                ApiError::new(
                    400,
                    "InvalidVersion",
                    format!("Specified parameter Version {version} is not valid."),
                )
            },
        );
    };
    let spec = route.spec;
    let caller = authenticate(&state.auth, req, spec.auth).await?;
    let style = if spec.is_2020() {
        ErrorStyle::V2020
    } else {
        ErrorStyle::Legacy
    };
    let params = Params::new(req.take_action_params(), style);
    let (instance_id, account_instances) = match spec.instance {
        InstanceScope::Param(name) => {
            let id = params.required(name)?;
            match state.auth.keys.instance_account(id).await? {
                Some(acc) if *acc == *caller.account_id => (Some(id.to_string()), Vec::new()),
                _ => return Err(ApiError::instance_not_found(id)),
            }
        }
        InstanceScope::Account => (None, state.account_instances(&caller.account_id).await?),
    };
    let ctx = Context {
        request_id: request_id.to_string(),
        account_id: caller.account_id,
        principal: caller.principal,
        spec,
        instance_id,
        account_instances,
        db: state.db.clone(),
        services: Arc::clone(&state.services),
    };
    let reply = route.plugin.handle(&ctx, &params).await?;
    Ok((spec.envelope, reply))
}
