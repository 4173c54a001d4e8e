//! 2017-07-05 ListRealTimeAgent (seed 004 §9.7 获取客服实时数据列表): the agents a call can be
//! transferred to: "坐席处于空闲状态或者坐席存有个人手机号" — READY agents, and agents with a
//! personal phone number whatever their state.
//!
//! Request: `InstanceId`. Response: `Data.User[]` ordered by login name, with `Dn` (extension),
//! `Phone`, `RamId`, `SkillLevels`, `State` (code: see `crate::state::views::code_2017`) and
//! `StateDesc` (空闲, 未上线...).
//!
//! The work is bounded by the agents of the instance that are READY or have a phone number:
//! two indexed reads, no scan of history.

use std::collections::HashMap;

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::api::Ctx;
use crate::api::list_real_time_agent::{
    Data, Request, Response, Skill, SkillLevel, SkillLevels, User,
};
use crate::state::AgentState;
use crate::state::views::{code_2017, current_of};
use crate::storage::{agent_state, user, users};

/// Serves ListRealTimeAgent.
pub async fn handle(ctx: &Ctx<'_>, _req: Request) -> ApiResult<Response> {
    let ready: Vec<String> = agent_state::Entity::find()
        .filter(agent_state::Column::InstanceId.eq(ctx.instance()))
        .filter(agent_state::Column::State.eq(AgentState::Ready.as_str()))
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    let mut found: HashMap<String, user::Model> =
        users::by_ids(&ctx.db, ctx.instance(), &ready).await?;
    for u in user::Entity::find()
        .filter(user::Column::InstanceId.eq(ctx.instance()))
        .filter(user::Column::Phone.ne(""))
        .all(&ctx.db)
        .await?
    {
        found.insert(u.id.clone(), u);
    }
    let mut list: Vec<user::Model> = found.into_values().collect();
    if let Some(me) = crate::access::only_self(ctx) {
        list.retain(|u| u.id == me);
    }
    let ids: Vec<String> = list.iter().map(|u| u.id.clone()).collect();
    let memberships = users::memberships_of(&ctx.db, &ids).await?;
    if let Some(groups) = crate::access::visible_groups(ctx) {
        list.retain(|u| {
            memberships
                .get(&u.id)
                .is_some_and(|ms| ms.iter().any(|m| groups.contains(&m.skill_group_id)))
        });
    }
    list.sort_by(|a, b| a.login_name.cmp(&b.login_name));
    let mut group_ids: Vec<String> = memberships
        .values()
        .flatten()
        .map(|m| m.skill_group_id.clone())
        .collect();
    group_ids.sort();
    group_ids.dedup();
    let groups = users::skill_groups(&ctx.db, ctx.instance(), &group_ids).await?;
    let states = current_of(&ctx.db, &ids).await?;
    let user = list
        .into_iter()
        .map(|u| {
            let state = states
                .get(&u.id)
                .map(|s| AgentState::parse(&s.state))
                .unwrap_or(AgentState::Offline);
            User {
                display_name: u.display_name.clone(),
                dn: u.extension.clone(),
                phone: u.phone.clone(),
                ram_id: u.ram_id.clone(),
                skill_levels: SkillLevels {
                    skill_level: memberships
                        .get(&u.id)
                        .into_iter()
                        .flatten()
                        .filter_map(|m| {
                            let g = groups.get(&m.skill_group_id)?;
                            Some(SkillLevel {
                                level: i64::from(m.level),
                                skill: Skill {
                                    instance_id: g.instance_id.clone(),
                                    skill_group_description: g.description.clone(),
                                    skill_group_id: g.id.clone(),
                                    skill_group_name: g.name.clone(),
                                },
                                skill_level_id: m.id.clone(),
                            })
                        })
                        .collect(),
                },
                state: code_2017(state).to_string(),
                state_desc: state.desc_zh().to_string(),
            }
        })
        .collect();
    Ok(Response {
        data: Data { user },
    })
}
