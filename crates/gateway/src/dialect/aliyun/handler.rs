//! The `/` endpoint of the Alibaba RPC dialect: decode → find action → authenticate →
//! resolve instance → plugin → envelope.

use std::sync::Arc;
use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, web};
use ccgate_plugin_sdk::{ApiError, Context, Envelope, ErrorStyle, InstanceScope, Params, Reply};
use tracing::Instrument;

use super::envelope;
use super::request::RpcRequest;
use crate::auth::aliyun::{authenticate, routing};
use crate::http::body;
use crate::request_id::new_request_id;
use crate::state::AppState;
use crate::{catalog, input};

/// Serves `GET /` and `POST /`.
///
/// Order (issue 9): the body is read within bounds ([`crate::http::body`]), the raw input is
/// checked ([`crate::input`]: parameter count, name lengths, NUL), `Action`/`Version` are taken
/// from signed input only ([`routing`]), then authentication, the instance, the plugin.
///
/// Logging: one `info` event per request (`served` / `refused`, with status and elapsed time)
/// inside a `request` span; `error` for 5xx. The span names the action only once it is known
/// to be a specified one: a client's raw `Action` is never written to the log. With the filter
/// above `info` (e.g. `warn`) these cost a disabled-callsite check each.
pub async fn rpc_entry(
    http: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let started = Instant::now();
    let request_id = new_request_id();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        action = tracing::field::Empty
    );
    let limit = state.settings.limits.rpc_body_bytes;
    let body = match body::read_or_refuse(&http, payload, &state, limit)
        .instrument(span.clone())
        .await
    {
        Ok(b) => b,
        Err(refused) => return crate::request_id::tag(refused, &request_id),
    };
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
    // The action as a metrics label: only one this build knows (never the client's text).
    let mut routed: &'static str = "unknown";
    let result = serve(&state, &mut req, &request_id, &span, &mut routed)
        .instrument(span.clone())
        .await;
    crate::metrics::record(
        "aliyun-rpc",
        routed,
        result.as_ref().map_or_else(|e| &*e.code, |_| "OK"),
        started.elapsed(),
    );
    let _enter = span.enter();
    let resp = match result {
        Ok((envelope, reply, action)) => {
            tracing::info!(status = 200, elapsed_ms = elapsed_ms(started), "served");
            envelope::success_response(&request_id, envelope, reply, xml, action)
        }
        Err(e) => {
            if e.status >= 500 {
                tracing::error!(status = e.status, code = %e.code, elapsed_ms = elapsed_ms(started), "failed");
            } else {
                tracing::info!(status = e.status, code = %e.code, elapsed_ms = elapsed_ms(started), "refused");
            }
            envelope::error_response(&request_id, &state.settings.server.host_id, xml, &e)
        }
    };
    crate::request_id::tag(resp, &request_id)
}

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// Checks the raw input, routes, authenticates and runs the action; the envelope kind, the
/// plugin's reply and the action's name. `req.params`, without the protocol's common
/// parameters, is moved into the plugin's [`Params`] once authentication is done.
async fn serve(
    state: &AppState,
    req: &mut RpcRequest,
    request_id: &str,
    span: &tracing::Span,
    routed: &mut &'static str,
) -> Result<(Envelope, Reply, &'static str), ApiError> {
    input::check_pairs(
        &[&req.query, &req.form],
        state.settings.limits.max_parameters,
    )?;
    let (action, version) = routing(req)?;
    let Some(route) = state.registry.rpc(version, action) else {
        // A specified action nothing serves here: authenticate, then say so (501), rather
        // than pretending the action does not exist.
        if let Some(entry) = catalog::rpc(version, action) {
            span.record("action", entry.spec.action);
            *routed = entry.spec.action;
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
                    format!(
                        "Specified parameter Version {} is not valid.",
                        input::shown(version)
                    ),
                )
            },
        );
    };
    let spec = route.spec;
    span.record("action", spec.action);
    *routed = spec.action;
    let caller = authenticate(&state.auth, req, spec.auth).await?;
    if let Some(rates) = &state.rates {
        rates.check(&caller).await?;
    }
    caller.admitted_to(&spec)?;
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
                _ => return Err(ApiError::instance_not_found(&input::shown(id))),
            }
        }
        InstanceScope::Account => (None, state.account_instances(&caller.account_id).await?),
    };
    let mut ctx = Context {
        request_id: request_id.to_string(),
        account_id: caller.account_id.clone(),
        principal: caller.principal.clone(),
        role: caller.role,
        caller_scope: None,
        token: caller.token.clone(),
        spec,
        instance_id,
        account_instances,
        db: state.db.clone(),
        services: Arc::clone(&state.services),
        clock: Default::default(),
    };
    crate::auth::access::admit(&caller, &mut ctx, &params).await?;
    let reply = route
        .calls
        .time(
            crate::metrics::CallKind::Action,
            route.plugin.handle(&ctx, route.index, &params),
        )
        .await?;
    Ok((spec.envelope, reply, spec.action))
}
