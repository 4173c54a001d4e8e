//! 2017-07-05 ResetUserStatus (seed 004 §9.11 重置异常坐席状态): resets agents stuck in an
//! abnormal state. An administrator resets any agent of the instance, a skill-group leader the
//! agents of the groups they lead (the seed's rule; the core checks the named RamIds).
//!
//! Request: `InstanceId`, `RamIdList.N` (optional). With a list, each named agent is reset; without
//! one, every agent of the instance (of the leader's groups) in a call state (RINGING, TALKING,
//! WORKING: what a lost call leaves behind) is. A reset agent that is signed in becomes READY, one
//! that is not stays OFFLINE (`crate::state`, `Command::Reset`); each reset is logged like any
//! transition. An agent already READY or OFFLINE is left as it is (nothing logged).
//!
//! Errors: 404 `NotExists.RamId` for a RamId that is no user of the instance (nothing is reset).

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::api::Ctx;
use crate::api::errors;
use crate::api::reset_user_status::{Request, Response};
use crate::state::store::{self, parse_ids};
use crate::state::{AgentState, Command};
use crate::storage::{agent_state, user, users};

/// Serves ResetUserStatus.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let mut targets: Vec<user::Model> = Vec::new();
    if req.ram_id_list.is_empty() {
        let stuck = [
            AgentState::Ringing,
            AgentState::Talking,
            AgentState::Working,
        ]
        .map(AgentState::as_str);
        let rows = agent_state::Entity::find()
            .filter(agent_state::Column::InstanceId.eq(ctx.instance()))
            .filter(agent_state::Column::State.is_in(stuck))
            .all(&ctx.db)
            .await?;
        let visible = crate::access::visible_groups(ctx);
        let ids: Vec<String> = rows
            .into_iter()
            .filter(|r| match &visible {
                None => true,
                Some(groups) => parse_ids(&r.signed_skill_group_ids)
                    .iter()
                    .any(|g| groups.contains(g)),
            })
            .map(|r| r.user_id)
            .collect();
        targets.extend(
            users::by_ids(&ctx.db, ctx.instance(), &ids)
                .await?
                .into_values(),
        );
    } else {
        for ram in &req.ram_id_list {
            let found = user::Entity::find()
                .filter(user::Column::InstanceId.eq(ctx.instance()))
                .filter(user::Column::RamId.eq(ram.as_str()))
                .one(&ctx.db)
                .await?
                .ok_or_else(|| errors::not_exists_ram_id(ram))?;
            targets.push(found);
        }
    }
    for agent in targets {
        let now = store::load(&ctx.db, &agent.id).await?;
        if matches!(now.current(), AgentState::Ready | AgentState::Offline) {
            continue;
        }
        // A reset is never refused by the state machine.
        let _ = store::apply(&ctx.db, &agent, &Command::Reset, ctx.now_ms()).await?;
    }
    Ok(Response {})
}
