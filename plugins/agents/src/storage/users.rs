//! Reads shared by the actions: users by any of their names, their roles, memberships and
//! skill groups. Each read is one query per [`IN_LIST_MAX`](super::IN_LIST_MAX) ids.

use std::collections::HashMap;

use ccgate_plugin_sdk::Role;
use ccgate_plugin_sdk::sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::{IN_LIST_MAX, skill_group, skill_level, user, user_role};

/// The user of `instance` that `reference` names: its `UserId` (UUID), its 2020 id
/// `<login>@<instance>`, its login name, or its RamId, tried in that order. Each form is one
/// lookup by a unique index (primary key, `uq_agents_users_login`, `uq_agents_users_ram`): the
/// cost does not grow with the instance's users.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    reference: &str,
) -> Result<Option<user::Model>, DbErr> {
    if let Some(u) = user::Entity::find_by_id(reference.to_string())
        .filter(user::Column::InstanceId.eq(instance))
        .one(db)
        .await?
    {
        return Ok(Some(u));
    }
    let login = reference
        .strip_suffix(instance)
        .and_then(|rest| rest.strip_suffix('@'))
        .unwrap_or(reference);
    if let Some(u) = user::Entity::find()
        .filter(user::Column::InstanceId.eq(instance))
        .filter(user::Column::LoginName.eq(login))
        .one(db)
        .await?
    {
        return Ok(Some(u));
    }
    user::Entity::find()
        .filter(user::Column::InstanceId.eq(instance))
        .filter(user::Column::RamId.eq(reference))
        .one(db)
        .await
}

/// The 2020-07-01 id of a user: `<login_name>@<instance_id>`.
pub fn v2020_id(u: &user::Model) -> String {
    format!("{}@{}", u.login_name, u.instance_id)
}

/// The 2020-07-01 id of a skill group: `<name>@<instance_id>`.
pub fn skill_group_v2020_id(g: &skill_group::Model) -> String {
    format!("{}@{}", g.name, g.instance_id)
}

/// The skill group of `instance` that `reference` names: its 2017 `SkillGroupId` (UUID) or its
/// 2020 id `<name>@<instance>`.
pub async fn find_skill_group<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    reference: &str,
) -> Result<Option<skill_group::Model>, DbErr> {
    if let Some(g) = skill_group::Entity::find_by_id(reference.to_string())
        .filter(skill_group::Column::InstanceId.eq(instance))
        .one(db)
        .await?
    {
        return Ok(Some(g));
    }
    let Some(name) = reference
        .strip_suffix(instance)
        .and_then(|rest| rest.strip_suffix('@'))
    else {
        return Ok(None);
    };
    skill_group::Entity::find()
        .filter(skill_group::Column::InstanceId.eq(instance))
        .filter(skill_group::Column::Name.eq(name))
        .one(db)
        .await
}

/// The users with `ids` (in `instance`), by id.
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    ids: &[String],
) -> Result<HashMap<String, user::Model>, DbErr> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(IN_LIST_MAX) {
        for u in user::Entity::find()
            .filter(user::Column::InstanceId.eq(instance))
            .filter(user::Column::Id.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            out.insert(u.id.clone(), u);
        }
    }
    Ok(out)
}

/// The role names of each of `user_ids` (`admin`, `skill-group-leader`, `agent`).
pub async fn roles_of<C: ConnectionTrait>(
    db: &C,
    user_ids: &[String],
) -> Result<HashMap<String, Vec<String>>, DbErr> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in user_ids.chunks(IN_LIST_MAX) {
        for r in user_role::Entity::find()
            .filter(user_role::Column::UserId.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            out.entry(r.user_id).or_default().push(r.role);
        }
    }
    for roles in out.values_mut() {
        roles.sort_by_key(|r| Role::parse(r).map(|r| r as u8).unwrap_or(u8::MAX));
    }
    Ok(out)
}

/// The most privileged of `roles` (role names); a user without a known role is an agent.
pub fn top_role(roles: &[String]) -> Role {
    Role::ALL
        .into_iter()
        .find(|r| roles.iter().any(|n| n == r.as_str()))
        .unwrap_or(Role::Agent)
}

/// The memberships (skill group and level) of each of `user_ids`, highest level first.
pub async fn memberships_of<C: ConnectionTrait>(
    db: &C,
    user_ids: &[String],
) -> Result<HashMap<String, Vec<skill_level::Model>>, DbErr> {
    let mut out: HashMap<String, Vec<skill_level::Model>> = HashMap::new();
    for chunk in user_ids.chunks(IN_LIST_MAX) {
        for m in skill_level::Entity::find()
            .filter(skill_level::Column::UserId.is_in(chunk.iter().cloned()))
            .order_by_desc(skill_level::Column::Level)
            .order_by_asc(skill_level::Column::SkillGroupId)
            .all(db)
            .await?
        {
            out.entry(m.user_id.clone()).or_default().push(m);
        }
    }
    Ok(out)
}

/// The skill groups of `instance` with `ids`, by id (unknown ids are absent).
pub async fn skill_groups<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    ids: &[String],
) -> Result<HashMap<String, skill_group::Model>, DbErr> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(IN_LIST_MAX) {
        for g in skill_group::Entity::find()
            .filter(skill_group::Column::InstanceId.eq(instance))
            .filter(skill_group::Column::Id.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            out.insert(g.id.clone(), g);
        }
    }
    Ok(out)
}

/// The ids of the skill groups `user_id` is a member of.
pub async fn group_ids_of<C: ConnectionTrait>(db: &C, user_id: &str) -> Result<Vec<String>, DbErr> {
    Ok(skill_level::Entity::find()
        .filter(skill_level::Column::UserId.eq(user_id))
        .order_by_asc(skill_level::Column::SkillGroupId)
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.skill_group_id)
        .collect())
}
