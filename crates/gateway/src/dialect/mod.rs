//! Wire dialects: how a request is recognised, authenticated and answered.
//!
//! - [`aliyun`]: Alibaba Cloud RPC (`/` with `Action` and `Version`).
//! - [`huawei`]: the path-routed Huawei AICC dialects, cc-management (C1 Bearer tokens from
//!   `tokenByAkSk`) and CC-iSales (C2 `auth-v2` request signatures).
//!
//! # Path-routed dialects
//!
//! Every request that no fixed route takes (`/`, `tokenByAkSk`, the health and metrics
//! endpoints) comes to [`path_entry`], which looks `(method, path)` up once in the
//! [`PathRouter`]: the route templates of every served path-routed spec, plus those of the
//! specified operations nothing serves here (answered 501 after authentication). The matched
//! spec's [`Dialect`] — not the URL — picks the [`PathDialect`] that authenticates the request,
//! maps its instance parameter and renders its answers. Path parameters, query parameters and
//! the top-level fields of a JSON body become the plugin's [`Params`] ([`request_params`]), so a
//! generated `Request::parse` reads `vdnId` like any other parameter. Paths no template
//! matches are answered 404 (405 when only another method's template matches) in the envelope
//! of the dialect whose [`PathDialect::PREFIXES`] start the path ([`for_path`]), Alibaba's
//! otherwise.
//!
//! Adding a dialect: a [`Dialect`] value in the SDK (and its name in the spec format and the
//! code generator), a type implementing [`PathDialect`], and its line in [`PATH_DIALECTS`],
//! [`path_entry`] and [`error_parts`]. `docs/dialects.md` walks through it.

pub mod aliyun;
pub mod huawei;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use ccgate_plugin_sdk::{
    ActionSpec, ApiError, Context, Dialect, ErrorStyle, InstanceScope, Params, Reply,
};
use serde_json::Value;
use tracing::Instrument;

use crate::auth::Caller;
use crate::auth::signing::percent::form_decode_pairs;
use crate::catalog::{self, Entry};
use crate::http::body;
use crate::input;
use crate::registry::{Registry, Route};
use crate::routes::{Lookup, Match, PathTable, TemplateError};
use crate::state::AppState;

/// What a path-routed request was matched to.
#[derive(Clone)]
pub enum Target {
    /// A loaded plugin serves it.
    Served(Route),
    /// A spec declares it but nothing loaded serves it: 501 after authentication.
    Specified(&'static Entry),
}

impl Target {
    /// The operation's spec.
    pub fn spec(&self) -> &ActionSpec {
        match self {
            Target::Served(r) => &r.spec,
            Target::Specified(e) => &e.spec,
        }
    }
}

/// The route templates of every path-routed operation, served or specified only; one
/// [`lookup`](PathRouter::lookup) per request ([`crate::routes`]).
pub struct PathRouter {
    table: PathTable<Target>,
}

impl PathRouter {
    /// The served operations of `registry` (whose templates it already checked for conflicts),
    /// then each path-routed entry of `specified` (the catalog) that no served template
    /// covers. A specified template matching the same paths as a served one is left out (the
    /// served one answers); a malformed one is logged and left out (the catalog's own test
    /// keeps that from happening).
    pub fn new(registry: &Registry, specified: &'static [Entry]) -> Self {
        let mut table = PathTable::new();
        for route in registry.path_routes() {
            if let Some((method, template)) = route.spec.route {
                // Cannot fail: the registry built the same templates into its own table.
                let _ = table.insert(method, template, Target::Served(route.clone()));
            }
        }
        for entry in specified {
            if entry.spec.dialect == Dialect::AliyunRpc {
                continue;
            }
            let Some((method, template)) = entry.spec.route else {
                continue;
            };
            match table.insert(method, template, Target::Specified(entry)) {
                Ok(()) | Err(TemplateError::Conflict { .. }) => {}
                Err(e) => tracing::warn!(error = %e, "specified route left out"),
            }
        }
        Self { table }
    }

    /// The operation `method path` names (`path` raw, without the query).
    pub fn lookup<'t, 'p>(&'t self, method: &str, path: &'p str) -> Lookup<'t, 'p, Target> {
        self.table.lookup(method, path)
    }
}

/// The request as a dialect's authentication sees it.
pub struct PathRequest<'a> {
    /// Method, raw path and headers.
    pub http: &'a HttpRequest,
    /// The query string decoded (`+` and `%XX`), in wire order, duplicates kept.
    pub query: &'a [(String, String)],
    /// The body as received (at most `[limits] huawei_body_bytes`).
    pub body: &'a [u8],
}

impl PathRequest<'_> {
    /// The first value of header `name` (any case), if it is visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.http.headers().get(name).and_then(|v| v.to_str().ok())
    }
}

/// A path-routed wire dialect: its credentials, its instance parameter and its envelope.
///
/// The futures are not `Send`: actix-web runs a request on one worker thread, and they borrow
/// the request.
pub trait PathDialect: Sync {
    /// The spec value ([`ActionSpec::dialect`]) this dialect serves.
    const DIALECT: Dialect;

    /// Path prefixes whose unmatched paths (404, 405) and transport refusals are answered in
    /// this envelope; the longest prefix over all dialects wins ([`for_path`]).
    const PREFIXES: &'static [&'static str];

    /// `Content-Type` of every answer.
    const CONTENT_TYPE: &'static str = "application/json;charset=UTF-8";

    /// Who is calling, proven by this dialect's credentials.
    ///
    /// Errors: the dialect's authentication failures (HTTP 401/403, in its own codes), and
    /// storage failures (500).
    fn authenticate(
        &self,
        state: &AppState,
        req: &PathRequest<'_>,
    ) -> impl Future<Output = Result<Caller, ApiError>>;

    /// The ccgate instance that the spec's instance parameter `name` (value `value`, as sent)
    /// names for `caller`. The default reads it as an `InstanceId`: an instance of the caller's
    /// account.
    ///
    /// Errors: 404 `NotExists.InstanceId` when it names no instance of the caller's account
    /// (the same answer for another account's, so ids do not leak); storage failures.
    fn instance(
        &self,
        state: &AppState,
        caller: &Caller,
        name: &str,
        value: &str,
    ) -> impl Future<Output = Result<String, ApiError>> {
        let _ = name;
        async move {
            match state.auth.keys.instance_account(value).await? {
                Some(acc) if *acc == *caller.account_id => Ok(value.to_string()),
                _ => Err(ApiError::instance_not_found(&input::shown(value))),
            }
        }
    }

    /// The body of an error answer (its HTTP status is `err.status`).
    fn error_body(&self, err: &ApiError) -> String;

    /// A plugin's error as this dialect reports it (e.g. business failures as 500); by
    /// default unchanged.
    fn plugin_error(&self, err: ApiError) -> ApiError {
        err
    }

    /// The answer for a plugin's reply; by default the reply is the whole JSON body (Huawei
    /// APIs carry their own result codes in it), status 200.
    fn success_response(&self, reply: Reply) -> HttpResponse {
        // The reply is the whole body, written in one pass (a typed reply serialized once).
        let mut body = Vec::with_capacity(256);
        reply.write_json(&mut body);
        HttpResponse::Ok()
            .content_type(Self::CONTENT_TYPE)
            .body(body)
    }

    /// The answer for `err`: status `err.status`, body [`PathDialect::error_body`].
    fn error_response(&self, err: &ApiError) -> HttpResponse {
        HttpResponse::build(
            StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        )
        .content_type(Self::CONTENT_TYPE)
        .body(self.error_body(err))
    }
}

/// Every path-routed dialect and its prefixes, for [`for_path`].
pub const PATH_DIALECTS: &[(Dialect, &[&str])] = &[
    (
        huawei::CcManagement::DIALECT,
        huawei::CcManagement::PREFIXES,
    ),
    (huawei::Isales::DIALECT, huawei::Isales::PREFIXES),
];

/// The dialect whose envelope answers `path` when no route template matches it: the one with
/// the longest of its [`PathDialect::PREFIXES`] starting `path`; `None` (Alibaba) otherwise.
pub fn for_path(path: &str) -> Option<Dialect> {
    PATH_DIALECTS
        .iter()
        .flat_map(|(d, prefixes)| prefixes.iter().map(move |p| (*d, *p)))
        .filter(|(_, p)| path.starts_with(p))
        .max_by_key(|(_, p)| p.len())
        .map(|(d, _)| d)
}

/// `err` in path dialect `dialect`'s envelope: `(Content-Type, body)`; `None` for Alibaba RPC,
/// which renders its own ([`aliyun::envelope`]).
pub fn error_parts(dialect: Dialect, err: &ApiError) -> Option<(&'static str, String)> {
    match dialect {
        Dialect::HuaweiCcManagement => Some((
            huawei::CcManagement::CONTENT_TYPE,
            huawei::CcManagement.error_body(err),
        )),
        Dialect::HuaweiIsales => {
            Some((huawei::Isales::CONTENT_TYPE, huawei::Isales.error_body(err)))
        }
        Dialect::AliyunRpc => None,
    }
}

/// The dialect answering a request to `method path`: the matched (or other-method) route's
/// spec's, else [`for_path`]'s.
pub fn dialect_of(state: &AppState, method: &str, path: &str) -> Option<Dialect> {
    match state.paths.lookup(method, path) {
        Lookup::Found(m) => Some(m.leaf.value.spec().dialect),
        Lookup::WrongMethod(leaf) => Some(leaf.value.spec().dialect),
        Lookup::NotFound => for_path(path),
    }
}

/// The default service: every request no fixed route takes. One lookup in
/// [`AppState::paths`]; a match is served by its spec's dialect ([`serve`]); a path only
/// another method's template matches is answered 405, in that spec's dialect; anything else
/// goes to [`crate::http::not_found`] (404, or 405 for `/`).
pub async fn path_entry(
    http: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let found = state.paths.lookup(http.method().as_str(), http.path());
    match found {
        Lookup::Found(m) => match m.leaf.value.spec().dialect {
            Dialect::HuaweiCcManagement => {
                serve(&huawei::CcManagement, &http, payload, &state, &m).await
            }
            Dialect::HuaweiIsales => serve(&huawei::Isales, &http, payload, &state, &m).await,
            // The registry routes every Alibaba spec by Action and Version, never by path.
            Dialect::AliyunRpc => crate::http::not_found(&http, &state),
        },
        Lookup::WrongMethod(leaf) => {
            let err = ApiError::new(
                405,
                "405",
                format!(
                    "The HTTP method {} is not supported for this path; send {}.",
                    input::shown(http.method().as_str()),
                    leaf.method
                ),
            );
            tracing::info!(status = 405, path = %leaf.template, "refused");
            crate::http::refuse(&http, &state, &err, false)
        }
        Lookup::NotFound => crate::http::not_found(&http, &state),
    }
}

/// Serves one matched path-routed request in dialect `d`.
///
/// Order: body within `[limits] huawei_body_bytes` ([`crate::http::body`]) → query checks
/// ([`input::check_pairs`]) → [`PathDialect::authenticate`] → 501 for a specified-only
/// operation → [`request_params`] → instance ([`PathDialect::instance`] or the account's
/// instances) → the plugin → [`PathDialect::success_response`] / [`PathDialect::error_response`].
///
/// Logging: one `info` event (`served` / `refused`, `error` for 5xx) in a `request` span that
/// names the route's template, never the client's raw path.
pub async fn serve<D: PathDialect>(
    d: &D,
    http: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    m: &Match<'_, '_, Target>,
) -> HttpResponse {
    let started = Instant::now();
    let request_id = crate::request_id::new_request_id();
    let span = tracing::info_span!("request", request_id = %request_id, path = %m.leaf.template);
    let limit = state.settings.limits.huawei_body_bytes;
    let body = match body::read_or_refuse(http, payload, state, limit)
        .instrument(span.clone())
        .await
    {
        Ok(b) => b,
        Err(refused) => return crate::request_id::tag(refused, &request_id),
    };
    let result = run(d, http, &body, state, m, &request_id)
        .instrument(span.clone())
        .await;
    let _enter = span.enter();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    crate::metrics::record(
        "path",
        m.leaf.template,
        result.as_ref().map_or_else(|e| &*e.code, |_| "OK"),
        started.elapsed(),
    );
    let resp = match result {
        Ok(reply) => {
            tracing::info!(status = 200, elapsed_ms, "served");
            d.success_response(reply)
        }
        Err(e) => {
            if e.status >= 500 && e.status != 501 {
                tracing::error!(status = e.status, code = %e.code, elapsed_ms, "failed");
            } else {
                tracing::info!(status = e.status, code = %e.code, elapsed_ms, "refused");
            }
            d.error_response(&e)
        }
    };
    crate::request_id::tag(resp, &request_id)
}

async fn run<D: PathDialect>(
    d: &D,
    http: &HttpRequest,
    body: &[u8],
    state: &AppState,
    m: &Match<'_, '_, Target>,
    request_id: &str,
) -> Result<Reply, ApiError> {
    let query = form_decode_pairs(http.query_string());
    input::check_pairs(&[&query], state.settings.limits.max_parameters)?;
    let req = PathRequest {
        http,
        query: &query,
        body,
    };
    let caller = d.authenticate(state, &req).await?;
    if let Some(rates) = &state.rates {
        // Path dialects carry the HTTP status as their code.
        rates.check(&caller).await.map_err(|e| {
            let status = e.status;
            ApiError::new(status, status.to_string(), e.message)
        })?;
    }
    let route = match &m.leaf.value {
        Target::Served(route) => route,
        Target::Specified(entry) => {
            return Err(ApiError::new(
                501,
                "501",
                catalog::not_implemented(entry).message,
            ));
        }
    };
    // Path dialects carry the HTTP status as their code.
    caller
        .admitted_to(&route.spec)
        .map_err(|e| ApiError::new(403, "403", e.message))?;
    let params = request_params(m, query, body, state.settings.limits.max_parameters)?;
    let (instance_id, account_instances) = match route.spec.instance {
        InstanceScope::Param(name) => {
            let value = params.required(name)?;
            let id = d.instance(state, &caller, name, value).await?;
            (Some(id), Vec::new())
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
        spec: route.spec,
        instance_id,
        account_instances,
        db: state.db.clone(),
        services: Arc::clone(&state.services),
        clock: Default::default(),
    };
    crate::auth::access::admit(&caller, &mut ctx, &params)
        .await
        .map_err(|e| {
            if e.status == 403 {
                ApiError::new(403, "403", e.message)
            } else {
                e
            }
        })?;
    route
        .calls
        .time(
            crate::metrics::CallKind::Action,
            route.plugin.handle(&ctx, route.index, &params),
        )
        .await
        .map_err(|e| d.plugin_error(e))
}

/// The plugin's [`Params`] of a matched path-routed request: the path parameters
/// (percent-decoded), the query parameters (`query`, decoded) and, when the body is a JSON
/// object, its top-level fields (a string as it is, a number or boolean as its JSON text, an
/// object or array as compact JSON text, `null` as absent). The whole body is also kept as
/// [`Params::json_body`] for handlers that read nested structures. Values are strings, read
/// by the generated parsers like every other parameter; missing-parameter errors use the
/// legacy family (`MissingParameter`).
///
/// The specs' `location`s say where a client sends each parameter; a name may arrive in only
/// one place (path, query or body), so a path parameter such as `vdnId` cannot be
/// contradicted by a query or body field of the same name.
///
/// Errors (400): `InvalidParameter` for a name given twice, a path parameter that is not UTF-8
/// once percent-decoded, or a NUL character (U+0000) anywhere; `Parameter.Maximum` for more
/// than `max_params` parameters in all or a name longer than [`input::MAX_NAME_BYTES`];
/// code `400` for a body that is not JSON.
pub fn request_params(
    m: &Match<'_, '_, Target>,
    query: Vec<(String, String)>,
    body: &[u8],
    max_params: usize,
) -> Result<Params, ApiError> {
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    let mut put = |name: String, value: String| -> Result<(), ApiError> {
        if value.contains('\0') || name.contains('\0') {
            return Err(input::nul(&name));
        }
        if name.len() > input::MAX_NAME_BYTES {
            return Err(ApiError::new(
                400,
                "Parameter.Maximum",
                format!(
                    "The parameter name {} is longer than {} bytes.",
                    input::shown(&name),
                    input::MAX_NAME_BYTES
                ),
            ));
        }
        if values.len() == max_params {
            return Err(ApiError::new(
                400,
                "Parameter.Maximum",
                format!("The request has more than {max_params} parameters."),
            ));
        }
        match values.entry(name) {
            std::collections::btree_map::Entry::Occupied(e) => Err(ApiError::invalid(
                &input::shown(e.key()),
                "it is given more than once (in the path, the query or the JSON body)",
            )),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(value);
                Ok(())
            }
        }
    };
    for (name, raw) in m.params() {
        let value = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| ApiError::invalid(name, "it is not UTF-8 once percent-decoded"))?;
        put(name.to_string(), value.into_owned())?;
    }
    for (name, value) in query {
        put(name, value)?;
    }
    let mut json_body = None;
    if !body.is_empty() {
        let json: Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::new(
                400,
                "400",
                format!("Incorrect request: the body is not JSON ({e})."),
            )
        })?;
        if let Some(path) = input::json_nul(&json) {
            return Err(ApiError::new(
                400,
                "400",
                format!("Incorrect request: {path} contains a NUL character (U+0000)."),
            ));
        }
        if let Value::Object(fields) = &json {
            for (name, value) in fields {
                let text = match value {
                    Value::Null => continue,
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                put(name.clone(), text)?;
            }
        }
        json_body = Some(json);
    }
    let mut params = Params::new(values, ErrorStyle::Legacy);
    params.json_body = json_body;
    Ok(params)
}
