//! `GET /v1/instances/{id}/agent-states/stream`: the agents' real-time states of an instance
//! as Server-Sent Events (`text/event-stream`), fed by the agents plugin's queries
//! `state_snapshot` and `state_log_after` (`docs/agent-states-stream.md`).
//!
//! - **Credentials**, as for the RPC API ([`crate::auth::aliyun::authenticate`]): a Bearer token
//!   in `x-acs-bearer-token`, `Authorization: Bearer <token>` or the `BearerToken` query
//!   parameter (for `EventSource`, which cannot set headers), or an ACS3-signed GET (the
//!   signature covers the path and query). Signature v1 is refused: it does not sign the path.
//!   Refusals are Alibaba JSON error envelopes (401/403/404) before the stream starts.
//! - **Start**: without `Last-Event-ID`, one `event: snapshot` (`id` = the log's sequence
//!   number at the snapshot, data `{"seq", "agents": [AgentState...]}`), then every later
//!   transition as `event: state` (`id` = its `seq`, data the AgentState JSON). With
//!   `Last-Event-ID: n`: no snapshot, the transitions after `n`. Sequence numbers are
//!   per-instance and monotonic, so a reconnecting client sees no gap and no duplicate.
//! - **Following**: `state_log_after` every [`POLL`], or [`WAKE_DELAY`] after an event is
//!   published in this process (the agents plugin publishes `agents.state_changed` with each
//!   transition); at most [`PAGE`] entries a poll, polled again at once while pages come back
//!   full; a `: keep-alive` comment after [`KEEP_ALIVE`] without output.
//! - **Role filtering** ([`Filter`]): administrators (AccessKeys, account tokens, admin users)
//!   see every agent; a skill-group leader the agents of the groups they lead and themselves;
//!   an agent only itself.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use ccgate_plugin_sdk::{ActionSpec, ApiError, CallerScope, Context, Role, Services};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::aliyun::{Scheme, authenticate, scheme};
use crate::auth::{Caller, access};
use crate::dialect::aliyun::envelope;
use crate::dialect::aliyun::request::RpcRequest;
use crate::state::AppState;

/// The route template.
pub const PATH: &str = "/v1/instances/{id}/agent-states/stream";
/// How often the log is polled when nothing is waiting.
pub const POLL: Duration = Duration::from_millis(200);
/// How long after a publish in this process the log is read (the publishing transaction
/// commits meanwhile; a later commit is caught by the next [`POLL`]).
pub const WAKE_DELAY: Duration = Duration::from_millis(20);
/// Silence after which a `: keep-alive` comment is sent.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Most log entries read per poll.
pub const PAGE: u32 = 500;

/// The pseudo-action the stream's context names (logs, queries' `ctx.spec`).
const SPEC: ActionSpec = ActionSpec::rpc("2020-07-01", "StreamAgentStates");

/// Arguments of the agents query `state_snapshot`.
#[derive(Debug, Serialize)]
struct SnapshotArgs<'a> {
    instance_id: &'a str,
}

/// Answer of `state_snapshot`: the log's last sequence number and every agent's state.
#[derive(Debug, Deserialize)]
struct Snapshot {
    seq: i64,
    agents: Vec<Value>,
}

/// Arguments of the agents query `state_log_after`.
#[derive(Debug, Serialize)]
struct LogArgs<'a> {
    instance_id: &'a str,
    after_seq: i64,
    limit: u32,
}

/// Answer of `state_log_after`: entries with `seq > after_seq`, ascending.
#[derive(Debug, Deserialize)]
struct LogPage {
    entries: Vec<Value>,
}

/// Which agents' states a caller may see.
#[derive(Debug, Clone)]
pub enum Filter {
    /// Every agent.
    All,
    /// The agents in these skill groups, and the user `user_id` (a leader).
    Groups {
        /// The caller.
        user_id: String,
        /// The groups the caller leads.
        groups: Vec<String>,
    },
    /// Only the user `user_id` (an agent).
    Only(String),
    /// Nobody (a non-administrator whose user is unknown).
    Nobody,
}

impl Filter {
    /// The filter of a caller acting with `role` and `scope`.
    pub fn of(role: Role, scope: Option<&CallerScope>) -> Self {
        match (role, scope) {
            (Role::Admin, _) => Filter::All,
            (Role::SkillGroupLeader, Some(s)) => Filter::Groups {
                user_id: s.user_id.clone(),
                groups: s.led_skill_group_ids.clone(),
            },
            (Role::Agent, Some(s)) => Filter::Only(s.user_id.clone()),
            (_, None) => Filter::Nobody,
        }
    }

    /// Whether the caller may see the AgentState `state` (`user_id`, `skill_group_ids`).
    pub fn admits(&self, state: &Value) -> bool {
        let user = state.get("user_id").and_then(Value::as_str);
        match self {
            Filter::All => true,
            Filter::Nobody => false,
            Filter::Only(me) => user == Some(me),
            Filter::Groups { user_id, groups } => {
                user == Some(user_id)
                    || state
                        .get("skill_group_ids")
                        .and_then(Value::as_array)
                        .is_some_and(|ids| {
                            ids.iter()
                                .filter_map(Value::as_str)
                                .any(|g| groups.iter().any(|l| l == g))
                        })
            }
        }
    }
}

/// One SSE event: `id`, `event`, one `data` line (compact JSON has no newline), blank line.
fn event(kind: &str, id: i64, data: &Value) -> String {
    format!("id: {id}\nevent: {kind}\ndata: {data}\n\n")
}

/// Serves the stream (see the module docs).
pub async fn agent_states(
    http: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let request_id = crate::request_id::new_request_id();
    match start(&http, &path, &state, &request_id).await {
        Ok(resp) => resp,
        Err(e) => {
            tracing::info!(status = e.status, code = %e.code, "agent-state stream refused");
            envelope::error_response(&request_id, &state.settings.server.host_id, false, &e)
        }
    }
}

async fn start(
    http: &HttpRequest,
    instance_id: &str,
    state: &AppState,
    request_id: &str,
) -> Result<HttpResponse, ApiError> {
    let ctx = path_context(
        http,
        Vec::new(),
        instance_id,
        state,
        request_id,
        SPEC,
        "The agent-state stream",
    )
    .await?;
    let resume = match http.headers().get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .filter(|n| *n >= 0)
                .ok_or_else(|| {
                    ApiError::invalid("Last-Event-ID", "it must be a sequence number (0 or more)")
                })?,
        ),
    };
    let filter = Filter::of(ctx.role, ctx.caller_scope.as_ref());
    let services = Arc::clone(&state.services);
    // The first chunk is read before answering, so a missing agents plugin or a failing query
    // is an error answer, not an empty stream.
    let (first, after) = match resume {
        Some(n) => (String::new(), n),
        None => {
            let snap: Snapshot = query(
                &*services,
                &ctx,
                "state_snapshot",
                &SnapshotArgs { instance_id },
            )
            .await?;
            let agents: Vec<&Value> = snap.agents.iter().filter(|a| filter.admits(a)).collect();
            let data = serde_json::json!({ "seq": snap.seq, "agents": agents });
            (event("snapshot", snap.seq, &data), snap.seq)
        }
    };
    if resume.is_some() {
        // Check that the log can be read at all before answering 200.
        let _: LogPage = query(
            &*services,
            &ctx,
            "state_log_after",
            &LogArgs {
                instance_id,
                after_seq: after,
                limit: 1,
            },
        )
        .await?;
    }
    tracing::info!(
        instance = instance_id,
        role = ctx.role.as_str(),
        after,
        "agent-state stream opened"
    );
    let follow = Follow {
        ctx,
        services,
        filter,
        after,
        first: Some(first),
        last_output: Instant::now(),
        idle: false,
        published: crate::events::published(),
        end: state.streams_end.subscribe(),
    };
    let body = futures::stream::unfold(follow, |mut f| async move {
        let chunk = f.next().await?;
        Some((Ok::<_, actix_web::Error>(Bytes::from(chunk)), f))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// Authenticates a request to a path route of the gateway outside the RPC dialects (this
/// stream, the CDR exports of [`crate::exports`]) for `instance_id`, as the RPC API does
/// ([`crate::auth::aliyun::authenticate`]): a Bearer token (`x-acs-bearer-token`,
/// `Authorization: Bearer`, or the `BearerToken` query parameter) or an ACS3 signature over the
/// method, path, query and `body`; signature v1 is refused (it does not sign the path). The
/// instance must belong to the caller's account. Answers the request's context with the
/// caller's effective role and scope ([`access::resolve`]); `what` names the resource in the
/// 401 message.
///
/// Errors: 401 `InvalidCredentials` without credentials or with signature v1, the
/// authentication errors, 404 `NotExists.InstanceId` for another account's instance, and the
/// access queries' errors.
pub(crate) async fn path_context(
    http: &HttpRequest,
    body: Vec<u8>,
    instance_id: &str,
    state: &AppState,
    request_id: &str,
    spec: ActionSpec,
    what: &str,
) -> Result<Context, ApiError> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for (k, v) in http.headers() {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        // `Authorization: Bearer <token>` is the token header of these routes.
        if k.as_str() == "authorization"
            && let Some(token) = v.strip_prefix("Bearer ")
        {
            headers.push(("x-acs-bearer-token".into(), token.trim().to_string()));
            continue;
        }
        headers.push((k.as_str().to_string(), v));
    }
    let req = RpcRequest::new(
        http.method().as_str(),
        http.path(),
        http.query_string(),
        headers,
        body,
    );
    let has_credentials = req.header("x-acs-bearer-token").is_some()
        || req.params.contains_key("BearerToken")
        || req.header("authorization").is_some();
    if !has_credentials || scheme(&req) == Scheme::V1 {
        return Err(ApiError::new(
            401,
            "InvalidCredentials",
            format!(
                "{what} needs a bearer token (x-acs-bearer-token, Authorization: Bearer, or BearerToken) or an ACS3 signature."
            ),
        ));
    }
    let caller: Caller = authenticate(&state.auth, &req, spec.auth).await?;
    match state.auth.keys.instance_account(instance_id).await? {
        Some(acc) if *acc == *caller.account_id => {}
        _ => {
            return Err(ApiError::instance_not_found(&crate::input::shown(
                instance_id,
            )));
        }
    }
    let mut ctx = Context {
        request_id: request_id.to_string(),
        account_id: caller.account_id.clone(),
        principal: caller.principal.clone(),
        role: caller.role,
        caller_scope: None,
        token: None,
        spec,
        instance_id: Some(instance_id.to_string()),
        account_instances: Vec::new(),
        db: state.db.clone(),
        services: Arc::clone(&state.services),
        clock: Default::default(),
    };
    access::resolve(&caller, &mut ctx).await?;
    Ok(ctx)
}

/// Runs an agents query and reads its answer.
///
/// Errors: 501 `NotImplemented` when the agents plugin is not enabled; the query's errors.
async fn query<A: Serialize, O: for<'de> Deserialize<'de>>(
    services: &dyn Services,
    ctx: &Context,
    name: &str,
    args: &A,
) -> Result<O, ApiError> {
    let args = serde_json::to_value(args).map_err(|_| ApiError::internal())?;
    let Some(answer) = services
        .query(ctx, access::AGENTS_PLUGIN, name, args)
        .await?
    else {
        return Err(ApiError::new(
            501,
            "NotImplemented",
            "The agent-state stream needs the agents plugin, which this deployment does not serve.",
        ));
    };
    serde_json::from_value(answer).map_err(|e| {
        tracing::error!(query = name, error = %e, "agents query answer of the wrong shape");
        ApiError::internal()
    })
}

/// The state of one open stream.
struct Follow {
    ctx: Context,
    services: Arc<dyn Services>,
    filter: Filter,
    /// The last sequence number read (sent or filtered out).
    after: i64,
    /// The snapshot event, sent first (empty when resuming).
    first: Option<String>,
    last_output: Instant,
    /// The last poll found nothing (or less than a page): wait [`POLL`] before the next.
    idle: bool,
    /// Changes when this process publishes an event (`crate::events::published`).
    published: tokio::sync::watch::Receiver<u64>,
    /// Turns `true` when the server shuts down ([`AppState::streams_end`]): the stream ends.
    end: tokio::sync::watch::Receiver<bool>,
}

impl Follow {
    /// The next chunk of the body; `None` ends the stream (the agents plugin went away or a
    /// query failed: the client reconnects with `Last-Event-ID`).
    async fn next(&mut self) -> Option<String> {
        if let Some(first) = self.first.take()
            && !first.is_empty()
        {
            self.last_output = Instant::now();
            return Some(first);
        }
        loop {
            if *self.end.borrow() {
                return None;
            }
            if self.idle {
                // The next poll: after POLL, or soon after this process publishes an event
                // (an agent's transition publishes `agents.state_changed` in its transaction;
                // WAKE_DELAY lets that transaction commit first); shutdown ends it.
                tokio::select! {
                    _ = self.end.wait_for(|end| *end) => return None,
                    _ = tokio::time::sleep(POLL) => {}
                    changed = self.published.changed() => {
                        if changed.is_ok() {
                            tokio::time::sleep(WAKE_DELAY).await;
                        }
                    }
                }
            }
            let page: LogPage = match query(
                &*self.services,
                &self.ctx,
                "state_log_after",
                &LogArgs {
                    instance_id: self.ctx.instance(),
                    after_seq: self.after,
                    limit: PAGE,
                },
            )
            .await
            {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(code = %e.code, message = %e.message, "agent-state stream ended");
                    return None;
                }
            };
            self.idle = page.entries.len() < PAGE as usize;
            let mut out = String::new();
            for entry in &page.entries {
                let Some(seq) = entry.get("seq").and_then(Value::as_i64) else {
                    continue;
                };
                if seq <= self.after {
                    continue;
                }
                self.after = seq;
                if self.filter.admits(entry) {
                    out.push_str(&event("state", seq, entry));
                }
            }
            if !out.is_empty() {
                self.last_output = Instant::now();
                return Some(out);
            }
            if self.last_output.elapsed() >= KEEP_ALIVE {
                self.last_output = Instant::now();
                return Some(": keep-alive\n\n".into());
            }
        }
    }
}
