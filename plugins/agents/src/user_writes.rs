//! Writes shared by the user actions (CreateUser, AssignUsers, ModifyUser, ModifySkillGroupOfUser,
//! RemoveUsers): the checks of their parameters and the rows they replace. Every function that
//! writes takes the caller's transaction.

use std::collections::HashSet;

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use rand::Rng;

use crate::api::errors;
use crate::state::store::{Counter, next_counter};
use crate::storage::{self, agent_state, skill_level, user, user_role, users};

/// `SkillGroupId.N` paired with `SkillLevel.N` (seed 004 §9.1: "SkillLevel.1 is the level of
/// SkillGroupId.1 ... the counts must be the same"). Levels are 1-10 (checked by the parser).
///
/// Errors: 400 `InvalidParameter` when the counts differ or a skill group is named twice.
pub fn pair_levels(groups: &[String], levels: &[i64]) -> ApiResult<Vec<(String, i32)>> {
    if groups.len() != levels.len() {
        return Err(errors::invalid_parameter(
            "SkillLevel",
            format!(
                "{} SkillLevel.N for {} SkillGroupId.N; SkillLevel.N is the level of SkillGroupId.N, the counts must be the same",
                levels.len(),
                groups.len()
            ),
        ));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(groups.len());
    for (g, l) in groups.iter().zip(levels) {
        if !seen.insert(g.as_str()) {
            return Err(errors::invalid_parameter(
                "SkillGroupId",
                format!("skill group {g} is named twice"),
            ));
        }
        out.push((g.clone(), i32::try_from(*l).unwrap_or(i32::MAX)));
    }
    Ok(out)
}

/// Checks that every skill group of `pairs` exists in `instance`.
///
/// Errors: 404 `NotExists.SkillGroupId` naming the first unknown one; storage.
pub async fn check_groups<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    pairs: &[(String, i32)],
) -> ApiResult<()> {
    let ids: Vec<String> = pairs.iter().map(|(g, _)| g.clone()).collect();
    let found = users::skill_groups(db, instance, &ids).await?;
    match ids.iter().find(|id| !found.contains_key(*id)) {
        Some(id) => Err(errors::not_exists_skill_group_id(id)),
        None => Ok(()),
    }
}

/// Checks a login name: no `@` (2020 actions name users `<login>@<instance>`), no whitespace
/// or control characters.
///
/// Errors: 400 `InvalidParameter` naming `param`.
pub fn check_login(param: &str, login: &str) -> ApiResult<()> {
    if let Some(c) = login
        .chars()
        .find(|c| *c == '@' || c.is_whitespace() || c.is_control())
    {
        return Err(errors::invalid_parameter(
            param,
            format!(
                "{login:?} contains {c:?}; a login name has no '@', spaces or control characters"
            ),
        ));
    }
    Ok(())
}

/// Checks an e-mail address: `local@domain`, both parts non-empty, no whitespace.
///
/// Errors: 400 `InvalidParameter`.
pub fn check_email(email: &str) -> ApiResult<()> {
    let ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(errors::invalid_parameter(
            "Email",
            format!("{email:?} is not an e-mail address"),
        ))
    }
}

/// A generated RamId: 16 random decimal digits, the first not 0.
pub fn new_ram_id() -> String {
    let mut rng = rand::thread_rng();
    let mut s = String::with_capacity(16);
    s.push(char::from(b'1' + rng.gen_range(0..9u8)));
    for _ in 0..15 {
        s.push(char::from(b'0' + rng.gen_range(0..10u8)));
    }
    s
}

/// The fields of a new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// RamId.
    pub ram_id: String,
    /// Login name (checked with [`check_login`]).
    pub login_name: String,
    /// Display name.
    pub display_name: String,
    /// E-mail.
    pub email: String,
    /// Phone, "" when none.
    pub phone: String,
    /// Personal outbound number.
    pub private_outbound_number_id: Option<String>,
    /// Role names.
    pub roles: Vec<String>,
    /// Skill groups and levels (checked with [`check_groups`]).
    pub skills: Vec<(String, i32)>,
}

/// Inserts `new` into `instance` inside `txn`: the user with an extension from the instance's
/// counter and a fresh UUID, its roles and memberships.
///
/// Errors: 409 `Conflict.LoginName` when the login name is taken in the instance (also when a
/// concurrent writer took it first); storage.
pub async fn insert_user<C: ConnectionTrait + TransactionTrait>(
    txn: &C,
    instance: &str,
    new: NewUser,
    now_ms: i64,
) -> ApiResult<user::Model> {
    if user::Entity::find()
        .filter(user::Column::InstanceId.eq(instance))
        .filter(user::Column::LoginName.eq(&new.login_name))
        .one(txn)
        .await?
        .is_some()
    {
        return Err(errors::conflict_login_name(&new.login_name));
    }
    let extension = next_counter(txn, instance, Counter::Extension).await?;
    let model = user::Model {
        id: uuid::Uuid::new_v4().to_string(),
        instance_id: instance.to_string(),
        ram_id: new.ram_id,
        login_name: new.login_name,
        display_name: new.display_name,
        email: new.email,
        phone: new.phone,
        department: String::new(),
        private_outbound_number_id: new.private_outbound_number_id,
        extension: extension.to_string(),
        created_at: now_ms,
        updated_at: now_ms,
    };
    let active: user::ActiveModel = model.clone().into();
    match user::Entity::insert(active)
        .exec_without_returning(txn)
        .await
    {
        Ok(_) => {}
        Err(e) if storage::is_unique_violation(&e) => {
            return Err(errors::conflict_login_name(&model.login_name));
        }
        Err(e) => return Err(e.into()),
    }
    replace_roles(txn, instance, &model.id, &new.roles).await?;
    replace_memberships(txn, instance, &model.id, &new.skills).await?;
    Ok(model)
}

/// Replaces the roles of `user_id` by `names`.
///
/// Errors: storage.
pub async fn replace_roles<C: ConnectionTrait>(
    txn: &C,
    instance: &str,
    user_id: &str,
    names: &[String],
) -> ApiResult<()> {
    user_role::Entity::delete_many()
        .filter(user_role::Column::UserId.eq(user_id))
        .exec(txn)
        .await?;
    for name in names {
        user_role::ActiveModel {
            user_id: Set(user_id.to_string()),
            role: Set(name.clone()),
            instance_id: Set(instance.to_string()),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// Replaces the memberships of `user_id` by `skills`; a membership that stays keeps its
/// `SkillLevelId`.
///
/// Errors: storage.
pub async fn replace_memberships<C: ConnectionTrait>(
    txn: &C,
    instance: &str,
    user_id: &str,
    skills: &[(String, i32)],
) -> ApiResult<()> {
    let current = skill_level::Entity::find()
        .filter(skill_level::Column::UserId.eq(user_id))
        .all(txn)
        .await?;
    for m in &current {
        match skills.iter().find(|(g, _)| *g == m.skill_group_id) {
            None => {
                skill_level::Entity::delete_by_id(m.id.clone())
                    .exec(txn)
                    .await?;
            }
            Some((_, level)) if *level != m.level => {
                let mut a: skill_level::ActiveModel = m.clone().into();
                a.level = Set(*level);
                a.update(txn).await?;
            }
            Some(_) => {}
        }
    }
    for (group, level) in skills {
        if current.iter().any(|m| &m.skill_group_id == group) {
            continue;
        }
        skill_level::ActiveModel {
            id: Set(uuid::Uuid::new_v4().to_string()),
            instance_id: Set(instance.to_string()),
            user_id: Set(user_id.to_string()),
            skill_group_id: Set(group.clone()),
            level: Set(*level),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// Deletes `user_ids` with their roles, memberships and current state rows (the state log is
/// append-only and keeps their history).
///
/// Errors: storage.
pub async fn delete_users<C: ConnectionTrait>(txn: &C, user_ids: &[String]) -> ApiResult<()> {
    for chunk in user_ids.chunks(storage::IN_LIST_MAX) {
        let ids = chunk.iter().cloned();
        user_role::Entity::delete_many()
            .filter(user_role::Column::UserId.is_in(ids.clone()))
            .exec(txn)
            .await?;
        skill_level::Entity::delete_many()
            .filter(skill_level::Column::UserId.is_in(ids.clone()))
            .exec(txn)
            .await?;
        agent_state::Entity::delete_many()
            .filter(agent_state::Column::UserId.is_in(ids.clone()))
            .exec(txn)
            .await?;
        user::Entity::delete_many()
            .filter(user::Column::Id.is_in(ids))
            .exec(txn)
            .await?;
    }
    Ok(())
}
