//! Role-based access control of user tokens, in one place for every dialect.
//!
//! After authentication and the instance check, [`admit`] decides whether the caller may run
//! the action, and fills [`Context::role`] and [`Context::caller_scope`]:
//!
//! 1. **Who.** A Bearer token issued to a user ([`Caller::user`]: `ccgate token issue
//!    --subject <login>`) on an action with an instance is resolved through the agents
//!    plugin's query `caller` ([`CALLER_QUERY`]). The effective role is the less privileged of
//!    the token's role claim (absent: admin) and the user's role in the instance. The agents
//!    plugin not enabled (the query answers `None`): the role claim alone, no scope (the
//!    behaviour before user directories existed). Enabled but no such user: 403
//!    `NoPermission` "The user <login> does not exist in instance <id>.". AccessKey callers and
//!    account/AccessKey tokens act as administrators with no scope.
//! 2. **Role.** The effective role must be among the spec's `roles`
//!    ([`Caller::admitted_to`]).
//! 3. **`[access]`** ([`ccgate_plugin_sdk::Access`]), for a caller with a scope who is not an
//!    administrator: every skill group the `skill_groups` parameters name must be in
//!    [`CallerScope::led_skill_group_ids`] (a leader's led groups, an agent's own groups); the
//!    users the `users` parameters name must be the caller (compared here with the user id,
//!    login name and `<login>@<instance>`) or else be admitted by the agents plugin's query
//!    `authorize` ([`AUTHORIZE_QUERY`]: a leader may name members of the groups they lead; an
//!    agent, and anyone on a `self_only` action, only themselves).
//!
//! The query contracts are in `/work/notes/agents-core-contract.md` and `docs/access-control.md`.
//! Refusals are 403 `NoPermission` (the code of the role check), naming the role, the action
//! and the refused id.

use ccgate_plugin_sdk::{ApiError, CallerScope, Context, Params, Principal, Role};
use serde::{Deserialize, Serialize};

use super::Caller;

/// The plugin answering the access queries.
pub const AGENTS_PLUGIN: &str = "agents";
/// Query of the agents plugin resolving a login name to the user, role and skill groups.
pub const CALLER_QUERY: &str = "caller";
/// Query of the agents plugin deciding whether the caller may name some users.
pub const AUTHORIZE_QUERY: &str = "authorize";

/// Arguments of the agents query `caller`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CallerArgs {
    /// The instance the request works on.
    pub instance_id: String,
    /// The token's subject: a login name of that instance.
    pub login_name: String,
}

/// Answer of the agents query `caller`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CallerAnswer {
    /// Whether the instance has a user of that login name; the other fields are meaningful
    /// only when `true`.
    pub found: bool,
    /// The user's `UserId` (UUID).
    #[serde(default)]
    pub user_id: String,
    /// The user's login name.
    #[serde(default)]
    pub login_name: String,
    /// `admin`, `skill-group-leader` or `agent` (an unknown name acts as an agent).
    #[serde(default)]
    pub role: String,
    /// The skill groups the user is a member of (a leader leads them).
    #[serde(default)]
    pub led_skill_group_ids: Vec<String>,
}

/// Arguments of the agents query `authorize`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuthorizeArgs {
    /// The instance the request works on.
    pub instance_id: String,
    /// The caller's login name (as for `caller`).
    pub login_name: String,
    /// Skill group ids the request names (the gateway has checked them already; the plugin
    /// may check them again).
    pub skill_group_ids: Vec<String>,
    /// User references the request names: a UserId (UUID), a RamId, a login name or
    /// `<login>@<instance>`.
    pub user_refs: Vec<String>,
    /// `true`: only references to the caller are allowed, whatever the role.
    pub self_only: bool,
}

/// Answer of the agents query `authorize`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuthorizeAnswer {
    /// Whether every named skill group and user is allowed.
    pub allowed: bool,
    /// When refused: what was refused, in words (`user bob@ccc-1 is not in a skill group you
    /// lead`); empty otherwise.
    #[serde(default)]
    pub reason: String,
}

/// The values a request parameter names: one value, a repeat list (`Name.1`, `Name.2`, ...),
/// or a comma-separated string; trimmed, empty items dropped.
pub fn named_values(params: &Params, name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |raw: &str| {
        for item in raw.split(',') {
            let item = item.trim();
            if !item.is_empty() && !out.iter().any(|o| o == item) {
                out.push(item.to_string());
            }
        }
    };
    if let Some(v) = params.get(name) {
        push(v);
    }
    // A malformed index is the generated parser's to report; here it names nothing.
    for v in params.repeat_list(name).unwrap_or_default() {
        push(&v);
    }
    out
}

fn refused(role: Role, action: &str, what: &str) -> ApiError {
    ApiError::new(
        403,
        "NoPermission",
        format!(
            "The caller's role {} may not call {action} for {what}.",
            role.as_str()
        ),
    )
}

/// Step 1: the caller's effective role and scope on `ctx`'s instance; sets `ctx.role` and
/// `ctx.caller_scope`.
///
/// Errors: 403 `NoPermission` when the agents plugin knows no such user in the instance; the
/// query's own errors.
pub async fn resolve(caller: &Caller, ctx: &mut Context) -> Result<(), ApiError> {
    ctx.role = caller.role;
    ctx.caller_scope = None;
    let (Principal::Bearer { subject }, Some(instance_id), true) =
        (&caller.principal, ctx.instance_id.clone(), caller.user)
    else {
        return Ok(());
    };
    let args = CallerArgs {
        instance_id: instance_id.clone(),
        login_name: subject.clone(),
    };
    let answer: Option<CallerAnswer> =
        ccgate_plugin_sdk::query::call(ctx, AGENTS_PLUGIN, CALLER_QUERY, &args).await?;
    let Some(answer) = answer else {
        return Ok(());
    };
    if !answer.found {
        return Err(ApiError::new(
            403,
            "NoPermission",
            format!(
                "The user {} does not exist in instance {instance_id}.",
                crate::input::shown(subject)
            ),
        ));
    }
    let user_role = Role::parse(&answer.role).unwrap_or(Role::Agent);
    let role = caller.role.least(user_role);
    ctx.role = role;
    ctx.caller_scope = Some(CallerScope {
        user_id: answer.user_id,
        login_name: if answer.login_name.is_empty() {
            subject.clone()
        } else {
            answer.login_name
        },
        role,
        led_skill_group_ids: answer.led_skill_group_ids,
    });
    Ok(())
}

/// Whether `r` names the caller of `scope` on `instance` without asking the agents plugin:
/// the user id, the login name or `<login>@<instance>`.
pub fn names_self(scope: &CallerScope, instance: &str, r: &str) -> bool {
    r == scope.user_id
        || r == scope.login_name
        || r.strip_suffix(instance)
            .and_then(|l| l.strip_suffix('@'))
            .is_some_and(|l| l == scope.login_name)
}

/// Step 3: the spec's `[access]` parameters against the caller's scope (see the module docs).
///
/// Errors: 403 `NoPermission` naming the role, the action and the refused id; the
/// `authorize` query's errors.
pub async fn check_access(ctx: &Context, params: &Params) -> Result<(), ApiError> {
    let access = ctx.spec.access;
    let Some(scope) = ctx.caller_scope.as_ref() else {
        return Ok(());
    };
    if ctx.role == Role::Admin || access.is_none() {
        return Ok(());
    }
    let action = ctx.spec.action;
    let mut groups: Vec<String> = Vec::new();
    for name in access.skill_groups {
        for g in named_values(params, name) {
            if !scope.led_skill_group_ids.contains(&g) {
                return Err(refused(
                    ctx.role,
                    action,
                    &format!("skill group {}", crate::input::shown(&g)),
                ));
            }
            groups.push(g);
        }
    }
    let instance = ctx.instance();
    let others: Vec<String> = access
        .users
        .iter()
        .flat_map(|name| named_values(params, name))
        .filter(|r| !names_self(scope, instance, r))
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    let args = AuthorizeArgs {
        instance_id: instance.to_string(),
        login_name: scope.login_name.clone(),
        skill_group_ids: groups,
        user_refs: others.clone(),
        self_only: access.self_only || ctx.role == Role::Agent,
    };
    let answer: Option<AuthorizeAnswer> =
        ccgate_plugin_sdk::query::call(ctx, AGENTS_PLUGIN, AUTHORIZE_QUERY, &args).await?;
    match answer {
        Some(a) if a.allowed => Ok(()),
        Some(a) if !a.reason.is_empty() => Err(refused(ctx.role, action, &a.reason)),
        // Refused without a reason, or nobody to ask (the scope came from the agents plugin,
        // so this means it was disabled in between): fail closed.
        _ => Err(refused(
            ctx.role,
            action,
            &format!("user {}", crate::input::shown(&others.join(","))),
        )),
    }
}

/// Steps 1 to 3 for one request: resolves the caller's scope into `ctx`, checks the role
/// against `ctx.spec.roles`, then the `[access]` parameters. Every dialect calls it after the
/// instance check and before the handler.
///
/// Errors: 403 `NoPermission` (unknown user, role, refused skill group or user); the agents
/// plugin's query errors.
pub async fn admit(caller: &Caller, ctx: &mut Context, params: &Params) -> Result<(), ApiError> {
    resolve(caller, ctx).await?;
    if !ctx.spec.roles.admits(ctx.role) {
        return Err(ApiError::no_permission(ctx.role, ctx.spec.action));
    }
    check_access(ctx, params).await
}
