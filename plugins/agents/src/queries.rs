//! The queries agents offers other plugins and the gateway (specs: `plugins/agents/api/queries/`;
//! generated types and dispatch: [`crate::api::queries`]; docs/plugin-contracts.md).
//!
//! - [`caller`] and [`authorize`]: the gateway's role-based access control for Bearer tokens
//!   that act for a user (a skill-group leader leads the groups it is a member of).
//! - [`state_snapshot`] and [`state_log_after`]: the gateway's agent-state stream.
//! - [`transition`]: the calls plugin moves agents through the call states; [`reserve`]: it
//!   reserves (rings) an agent before dialling (DialEx).
//! - [`skill_groups`]: the numbers plugin checks and names the skill groups numbers are bound to.
//!
//! "Not found" is data (`found: false`, `allowed: false`), never an error; errors are storage
//! failures only.

use std::collections::HashMap;

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::{
    AccessMode, ColumnTrait, EntityTrait, IsolationLevel, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use crate::api::Ctx;
use crate::api::queries::{
    authorize, caller, reserve, skill_groups as groups_query, state_log_after, state_snapshot,
    transition,
};
use crate::state::store::{self, parse_ids};
use crate::state::{AgentState, Command, WARM_UP};
use crate::storage::{agent_state, counter, skill_level, state_log, user, users};

/// `caller`: the user `login_name` of `instance_id`, its most privileged role and its skill
/// groups.
pub async fn caller(ctx: &Ctx<'_>, args: caller::Args) -> ApiResult<caller::Output> {
    let Some(u) = users::find(&ctx.db, &args.instance_id, &args.login_name).await? else {
        return Ok(caller::Output::default());
    };
    let roles = users::roles_of(&ctx.db, std::slice::from_ref(&u.id)).await?;
    let role = users::top_role(roles.get(&u.id).map(Vec::as_slice).unwrap_or_default());
    Ok(caller::Output {
        found: true,
        led_skill_group_ids: users::group_ids_of(&ctx.db, &u.id).await?,
        user_id: u.id,
        login_name: u.login_name,
        role: role.as_str().to_string(),
    })
}

/// `authorize`: whether user `login_name` may name every user of `user_refs` (itself always; a
/// leader also the members of its groups, unless `self_only`). Unknown references are refused.
pub async fn authorize(ctx: &Ctx<'_>, args: authorize::Args) -> ApiResult<authorize::Output> {
    let refused = |r: &str| authorize::Output {
        allowed: false,
        reason: format!("user {r}"),
    };
    let Some(me) = users::find(&ctx.db, &args.instance_id, &args.login_name).await? else {
        return Ok(args
            .user_refs
            .first()
            .map(|r| refused(r))
            .unwrap_or_default());
    };
    let roles = users::roles_of(&ctx.db, std::slice::from_ref(&me.id)).await?;
    let role = users::top_role(roles.get(&me.id).map(Vec::as_slice).unwrap_or_default());
    let my_groups = users::group_ids_of(&ctx.db, &me.id).await?;
    for r in &args.user_refs {
        let Some(other) = users::find(&ctx.db, &args.instance_id, r).await? else {
            return Ok(refused(r));
        };
        if other.id == me.id {
            continue;
        }
        let may = match role {
            ccgate_plugin_sdk::Role::Admin => true,
            ccgate_plugin_sdk::Role::Agent => false,
            ccgate_plugin_sdk::Role::SkillGroupLeader => {
                !args.self_only
                    && users::group_ids_of(&ctx.db, &other.id)
                        .await?
                        .iter()
                        .any(|g| my_groups.contains(g))
            }
        };
        if !may {
            return Ok(refused(r));
        }
    }
    Ok(authorize::Output {
        allowed: true,
        reason: String::new(),
    })
}

/// The most entries one [`state_log_after`] answers.
pub const LOG_PAGE_MAX: i64 = 1000;

/// `state_snapshot`: every user of the instance with its current state, and the instance's last
/// seq, in one repeatable-read transaction (so the stream continues exactly after it).
pub async fn state_snapshot(
    ctx: &Ctx<'_>,
    args: state_snapshot::Args,
) -> ApiResult<state_snapshot::Output> {
    let txn = ctx
        .db
        .begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await?;
    let seq = counter::Entity::find_by_id(args.instance_id.clone())
        .one(&txn)
        .await?
        .map_or(0, |c| c.state_seq);
    let all = user::Entity::find()
        .filter(user::Column::InstanceId.eq(args.instance_id.as_str()))
        .order_by_asc(user::Column::LoginName)
        .all(&txn)
        .await?;
    let states: HashMap<String, agent_state::Model> = agent_state::Entity::find()
        .filter(agent_state::Column::InstanceId.eq(args.instance_id.as_str()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|s| (s.user_id.clone(), s))
        .collect();
    let groups = member_groups(&txn, &args.instance_id).await?;
    txn.commit().await?;
    let agents = all
        .into_iter()
        .map(|u| {
            let s = states.get(&u.id);
            let state = s.map_or(AgentState::Offline, |s| AgentState::parse(&s.state));
            state_snapshot::Agents {
                seq: s.map_or(0, |s| s.seq),
                skill_group_ids: groups.get(&u.id).cloned().unwrap_or_default(),
                state: state.v2020().to_string(),
                break_code: break_code(state, s.map(|s| s.break_code.as_str()).unwrap_or("")),
                signed_skill_group_ids: s
                    .map(|s| parse_ids(&s.signed_skill_group_ids))
                    .unwrap_or_default(),
                at_ms: s.map_or(0, |s| s.state_since_ms),
                job_id: s.map(|s| s.job_id.clone()).unwrap_or_default(),
                cause: String::new(),
                user_id: u.id,
                login_name: u.login_name,
            }
        })
        .collect();
    Ok(state_snapshot::Output { seq, agents })
}

/// `state_log_after`: the instance's log entries after `after_seq`, ascending, at most `limit`
/// (1-[`LOG_PAGE_MAX`]).
pub async fn state_log_after(
    ctx: &Ctx<'_>,
    args: state_log_after::Args,
) -> ApiResult<state_log_after::Output> {
    let limit = args.limit.clamp(1, LOG_PAGE_MAX) as u64;
    let rows = state_log::Entity::find()
        .filter(state_log::Column::InstanceId.eq(args.instance_id.as_str()))
        .filter(state_log::Column::Seq.gt(args.after_seq))
        .order_by_asc(state_log::Column::Seq)
        .limit(limit)
        .all(&ctx.db)
        .await?;
    let mut ids: Vec<String> = rows.iter().map(|r| r.user_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let memberships = users::memberships_of(&ctx.db, &ids).await?;
    let entries = rows
        .into_iter()
        .map(|r| {
            let state = AgentState::parse(&r.state);
            state_log_after::Entries {
                seq: r.seq,
                skill_group_ids: memberships
                    .get(&r.user_id)
                    .map(|ms| ms.iter().map(|m| m.skill_group_id.clone()).collect())
                    .unwrap_or_default(),
                user_id: r.user_id,
                login_name: r.login_name,
                state: state.v2020().to_string(),
                break_code: break_code(state, &r.break_code),
                signed_skill_group_ids: parse_ids(&r.skill_group_ids),
                at_ms: r.at_ms,
                job_id: r.job_id,
                cause: r.cause,
            }
        })
        .collect();
    Ok(state_log_after::Output { entries })
}

/// `transition`: runs a calls command (`ring`, `answer`, `no_answer`, `hang_up`, `ready`) for an
/// agent through the state machine.
pub async fn transition(ctx: &Ctx<'_>, args: transition::Args) -> ApiResult<transition::Output> {
    let Some(agent) = users::find(&ctx.db, &args.instance_id, &args.user_id).await? else {
        return Ok(transition::Output::default());
    };
    let command = match args.command.as_str() {
        "ring" => Command::Ring {
            job_id: args.job_id.clone(),
        },
        "answer" => Command::Answer,
        "no_answer" => Command::NoAnswer,
        "hang_up" => Command::HangUp,
        "ready" => Command::Ready {
            outbound_scenario: false,
        },
        other => {
            return Ok(transition::Output {
                found: true,
                reason: format!("unknown command {other}"),
                ..Default::default()
            });
        }
    };
    Ok(
        match store::apply(&ctx.db, &agent, &command, ctx.now_ms()).await? {
            Ok(applied) => transition::Output {
                applied: true,
                found: true,
                state: applied.change.state.v2020().to_string(),
                seq: applied.seq,
                reason: String::new(),
            },
            Err(refusal) => transition::Output {
                applied: false,
                found: true,
                state: refusal.state.v2020().to_string(),
                seq: 0,
                reason: refusal.reason,
            },
        },
    )
}

/// `reserve`: reserves agent `args.user`, or the best READY agent of `args.skill_group`, for
/// call `args.job_id` ([`crate::reserve`]).
pub async fn reserve(ctx: &Ctx<'_>, args: reserve::Args) -> ApiResult<reserve::Output> {
    let now = ctx.now_ms();
    let r = if !args.user.is_empty() {
        crate::reserve::agent(&ctx.db, &args.instance_id, &args.user, &args.job_id, now).await?
    } else if !args.skill_group.is_empty() {
        crate::reserve::from_group(
            &ctx.db,
            &args.instance_id,
            &args.skill_group,
            &args.job_id,
            now,
        )
        .await?
    } else {
        crate::reserve::Reservation {
            reason: "name an agent (user) or a skill group".into(),
            ..Default::default()
        }
    };
    let mut out = reserve::Output {
        found: r.found,
        reserved: r.agent.is_some(),
        skill_group_id: r.skill_group_id,
        reason: r.reason,
        ..Default::default()
    };
    if let Some(a) = r.agent {
        out.user_id = a.id;
        out.login_name = a.login_name;
        out.display_name = a.display_name;
        out.extension = a.extension;
    }
    Ok(out)
}

/// The 2020 break code of `state`: `Warm-up` when signed in, the stored code on a break.
fn break_code(state: AgentState, stored: &str) -> String {
    match state {
        AgentState::SignedIn => WARM_UP.to_string(),
        AgentState::Break => stored.to_string(),
        _ => String::new(),
    }
}

/// The skill groups of every user of `instance`, by user id.
async fn member_groups<C: ccgate_plugin_sdk::sea_orm::ConnectionTrait>(
    db: &C,
    instance: &str,
) -> Result<HashMap<String, Vec<String>>, ccgate_plugin_sdk::sea_orm::DbErr> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for m in skill_level::Entity::find()
        .filter(skill_level::Column::InstanceId.eq(instance))
        .order_by_asc(skill_level::Column::SkillGroupId)
        .all(db)
        .await?
    {
        out.entry(m.user_id).or_default().push(m.skill_group_id);
    }
    Ok(out)
}

/// `skill_groups`: the skill groups of `args.instance_id` with ids `args.skill_group_ids`,
/// ordered by `SkillGroupId`; unknown ids (and other instances' groups) are absent. The numbers
/// plugin validates `SkillGroupId.N` and renders skill-group names with it. One SQL query per
/// 1000 ids; none for an empty list.
///
/// Errors: 500 on storage failures.
pub async fn skill_groups(
    ctx: &Ctx<'_>,
    args: groups_query::Args,
) -> ApiResult<groups_query::Output> {
    if args.skill_group_ids.is_empty() {
        return Ok(groups_query::Output::default());
    }
    let mut ids = args.skill_group_ids;
    ids.sort();
    ids.dedup();
    let found = users::skill_groups(&ctx.db, &args.instance_id, &ids).await?;
    let mut out: Vec<groups_query::SkillGroups> = found
        .into_values()
        .map(|g| groups_query::SkillGroups {
            skill_group_id: g.id,
            display_name: g.name.clone(),
            name: g.name,
            description: g.description,
            instance_id: g.instance_id,
        })
        .collect();
    out.sort_by(|a, b| a.skill_group_id.cmp(&b.skill_group_id));
    Ok(groups_query::Output { skill_groups: out })
}

#[cfg(test)]
mod skill_groups_tests {
    use ccgate_plugin_sdk::serde_json::json;

    use crate::testutil::{Harness, INSTANCE, OTHER_INSTANCE};

    #[tokio::test]
    async fn answers_the_known_groups_of_the_instance() {
        let h = Harness::new().await;
        let a = h
            .create_group("Sales", &[("Description", "pre-sales")])
            .await;
        let b = h.create_group("Support", &[]).await;
        let v = h
            .call_in(OTHER_INSTANCE, "CreateSkillGroup", &[("Name", "Theirs")])
            .await
            .unwrap();
        let theirs = v["SkillGroupId"].as_str().unwrap().to_string();
        let ctx = h
            .env
            .ctx(Harness::spec("2017-07-05", "ListSkillGroups"), INSTANCE);
        let v = h
            .agents
            .query(
                &ctx,
                "skill_groups",
                json!({"InstanceId": INSTANCE, "SkillGroupIds": [b, a, a, theirs, "nope"]}),
            )
            .await
            .unwrap();
        let mut expected = vec![
            json!({"SkillGroupId": a, "Name": "Sales", "DisplayName": "Sales", "Description": "pre-sales", "InstanceId": INSTANCE}),
            json!({"SkillGroupId": b, "Name": "Support", "DisplayName": "Support", "Description": "", "InstanceId": INSTANCE}),
        ];
        expected.sort_by(|x, y| x["SkillGroupId"].as_str().cmp(&y["SkillGroupId"].as_str()));
        assert_eq!(v, json!({"SkillGroups": expected}));

        let v = h
            .agents
            .query(
                &ctx,
                "skill_groups",
                json!({"InstanceId": INSTANCE, "SkillGroupIds": []}),
            )
            .await
            .unwrap();
        assert_eq!(v, json!({"SkillGroups": []}));
        let e = h
            .agents
            .query(&ctx, "skill_groups", json!({"InstanceId": INSTANCE}))
            .await
            .unwrap_err();
        assert_eq!(e.status, 500);
    }
}
