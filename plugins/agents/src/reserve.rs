//! `agents.reserve`: picking and reserving an agent for a call the calls plugin is about to
//! dial (DialEx). Reserving is the state machine's `ring` command ([`crate::state::store::apply`]),
//! so the agent is RINGING (and offered no other call) before the customer is dialled.
//!
//! Skill-group order (the plan's ACD rule, `notes/calls-plan.md`): agents READY and signed into
//! the group, highest skill level first (seed 004 §8.1: level 1-10, higher is better), then
//! the one longest in READY (smallest `state_since_ms`). Each candidate is tried in turn: a
//! candidate taken meanwhile (refused by the state machine under its row lock) is skipped.

use ccgate_plugin_sdk::sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
};

use crate::state::store::{self, parse_ids};
use crate::state::{AgentState, Command};
use crate::storage::{IN_LIST_MAX, agent_state, skill_group, skill_level, user, users};

/// What [`reserve`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reservation {
    /// The named agent or group exists.
    pub found: bool,
    /// The agent reserved (RINGING for the call), if any.
    pub agent: Option<user::Model>,
    /// The group it was reserved through (empty for a named agent).
    pub skill_group_id: String,
    /// Why nobody was reserved.
    pub reason: String,
}

/// The agent `reference` names in `instance`: UserId, login, `<login>@<instance>`, RamId, or
/// `<RamId>@<domain>` (DialEx RoutPoint, seed 004 §7.1: `ram_id@呼叫中心二级域名`).
pub async fn find_agent(
    db: &DatabaseConnection,
    instance: &str,
    reference: &str,
) -> Result<Option<user::Model>, DbErr> {
    if let Some(u) = users::find(db, instance, reference).await? {
        return Ok(Some(u));
    }
    match reference.split_once('@') {
        Some((head, _)) if !head.is_empty() => users::find(db, instance, head).await,
        _ => Ok(None),
    }
}

/// The skill group `reference` names in `instance`: id, `<name>@<instance>` or plain name.
pub async fn find_group(
    db: &DatabaseConnection,
    instance: &str,
    reference: &str,
) -> Result<Option<skill_group::Model>, DbErr> {
    if let Some(g) = users::find_skill_group(db, instance, reference).await? {
        return Ok(Some(g));
    }
    skill_group::Entity::find()
        .filter(skill_group::Column::InstanceId.eq(instance))
        .filter(skill_group::Column::Name.eq(reference))
        .one(db)
        .await
}

/// Reserves agent `reference` for call `job_id` at `now_ms`.
///
/// Errors: storage.
pub async fn agent(
    db: &DatabaseConnection,
    instance: &str,
    reference: &str,
    job_id: &str,
    now_ms: i64,
) -> Result<Reservation, DbErr> {
    let Some(agent) = find_agent(db, instance, reference).await? else {
        return Ok(Reservation {
            reason: format!("no agent {reference} in the instance"),
            ..Default::default()
        });
    };
    let ring = Command::Ring {
        job_id: job_id.to_string(),
    };
    Ok(match store::apply(db, &agent, &ring, now_ms).await? {
        Ok(_) => Reservation {
            found: true,
            agent: Some(agent),
            ..Default::default()
        },
        Err(refusal) => Reservation {
            found: true,
            reason: format!(
                "agent {} is {}, not READY",
                agent.login_name,
                refusal.state.as_str()
            ),
            ..Default::default()
        },
    })
}

/// Reserves the best READY agent of skill group `reference` for call `job_id` at `now_ms`.
///
/// Errors: storage.
pub async fn from_group(
    db: &DatabaseConnection,
    instance: &str,
    reference: &str,
    job_id: &str,
    now_ms: i64,
) -> Result<Reservation, DbErr> {
    let Some(group) = find_group(db, instance, reference).await? else {
        return Ok(Reservation {
            reason: format!("no skill group {reference} in the instance"),
            ..Default::default()
        });
    };
    let levels = skill_level::Entity::find()
        .filter(skill_level::Column::SkillGroupId.eq(group.id.as_str()))
        .all(db)
        .await?;
    let ids: Vec<String> = levels.iter().map(|l| l.user_id.clone()).collect();
    let mut ready = Vec::new();
    for chunk in ids.chunks(IN_LIST_MAX) {
        ready.extend(
            agent_state::Entity::find()
                .filter(agent_state::Column::UserId.is_in(chunk.iter().cloned()))
                .filter(agent_state::Column::State.eq(AgentState::Ready.as_str()))
                .all(db)
                .await?,
        );
    }
    let level_of = |u: &str| {
        levels
            .iter()
            .find(|l| l.user_id == u)
            .map_or(0, |l| l.level)
    };
    let mut candidates: Vec<(i32, i64, String)> = ready
        .into_iter()
        .filter(|s| parse_ids(&s.signed_skill_group_ids).contains(&group.id))
        .map(|s| (level_of(&s.user_id), s.state_since_ms, s.user_id))
        .collect();
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let ids: Vec<String> = candidates.iter().map(|c| c.2.clone()).collect();
    let mut models = users::by_ids(db, instance, &ids).await?;
    let ring = Command::Ring {
        job_id: job_id.to_string(),
    };
    for id in ids {
        let Some(agent) = models.remove(&id) else {
            continue;
        };
        if store::apply(db, &agent, &ring, now_ms).await?.is_ok() {
            return Ok(Reservation {
                found: true,
                agent: Some(agent),
                skill_group_id: group.id,
                reason: String::new(),
            });
        }
    }
    Ok(Reservation {
        found: true,
        skill_group_id: group.id,
        reason: format!("no agent of skill group {} is READY", group.name),
        ..Default::default()
    })
}
