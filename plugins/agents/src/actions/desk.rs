//! What the 2020-07-01 agent-desk actions share: finding the agent a request acts for, running
//! a state-machine command, and the `UserContext` they all answer.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::errors;
use crate::api::shapes::UserContext;
use crate::state::store::{self, Applied};
use crate::state::{AgentState, Command, Snapshot};
use crate::storage::{agent_state, user, users};

/// The agent a 2020 request acts for: `UserId` in any form (`UserId` UUID, login name,
/// `<login>@<instance>`), or, when absent or empty, the user of the caller's Bearer token.
///
/// Errors: 400 `Parameter.Null` when `UserId` is absent and the caller is no user (an
/// AccessKey signature or an account token); 404 `NotExists.UserId`.
pub async fn agent(ctx: &Ctx<'_>, user_id: Option<&str>) -> ApiResult<user::Model> {
    let reference = match user_id.filter(|s| !s.is_empty()) {
        Some(r) => r.to_string(),
        None => match crate::access::acting_user(ctx) {
            Some(me) => me,
            None => return Err(errors::parameter_null("UserId")),
        },
    };
    users::find(&ctx.db, ctx.instance(), &reference)
        .await?
        .ok_or_else(|| errors::not_exists_user_id(&reference))
}

/// Runs `command` for `agent` and answers its new context.
///
/// Errors: 400 `InvalidAgentState` naming the agent's state and why the command cannot run.
pub async fn run(ctx: &Ctx<'_>, agent: &user::Model, command: Command) -> ApiResult<UserContext> {
    match store::apply(&ctx.db, agent, &command, ctx.now_ms()).await? {
        Ok(Applied { change, .. }) => {
            let snapshot = Snapshot {
                state: Some(change.state),
                break_code: change.break_code,
                skill_group_ids: change.skill_group_ids,
                job_id: change.job_id,
                device_id: change.device_id,
                outbound_scenario: change.outbound_scenario,
            };
            context(ctx, agent, &snapshot, ctx.now_ms()).await
        }
        Err(refusal) => Err(errors::invalid_agent_state(
            refusal.state.v2020(),
            refusal.reason,
        )),
    }
}

/// The `UserContext` of `agent` in state `now` (skill groups rendered `<Name>@<InstanceId>`).
pub async fn context(
    ctx: &Ctx<'_>,
    agent: &user::Model,
    now: &Snapshot,
    heartbeat_ms: i64,
) -> ApiResult<UserContext> {
    let groups = users::skill_groups(&ctx.db, ctx.instance(), &now.skill_group_ids).await?;
    let state = now.current();
    Ok(UserContext {
        user_id: users::v2020_id(agent),
        instance_id: agent.instance_id.clone(),
        user_state: state.v2020().to_string(),
        break_code: match state {
            AgentState::Break | AgentState::SignedIn => now.break_code.clone(),
            _ => String::new(),
        },
        signed_skill_group_id_list: now
            .skill_group_ids
            .iter()
            .filter_map(|id| groups.get(id).map(users::skill_group_v2020_id))
            .collect(),
        device_id: if state.signed_in() {
            now.device_id.clone()
        } else {
            String::new()
        },
        chat_device_id: String::new(),
        extension: agent.extension.clone(),
        mobile: agent.phone.clone(),
        job_id: now.job_id.clone(),
        outbound_scenario: now.outbound_scenario,
        work_mode: "ON_SITE".to_string(),
        heartbeat: heartbeat_ms,
        reserved: 0,
        parallel_job_list: Vec::new(),
    })
}

/// The stored state row of `agent`, if it ever signed in.
pub async fn stored(ctx: &Ctx<'_>, agent: &user::Model) -> ApiResult<Option<agent_state::Model>> {
    use ccgate_plugin_sdk::sea_orm::EntityTrait;
    Ok(agent_state::Entity::find_by_id(agent.id.clone())
        .one(&ctx.db)
        .await?)
}
