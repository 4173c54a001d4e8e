//! Reads and writes of skill groups shared by the skill-group actions (seed 004 §8): lookups,
//! member counts, outbound-number bindings, and the membership and binding replacements that
//! run inside the writing transaction. Each read is one query per
//! [`IN_LIST_MAX`](super::IN_LIST_MAX) ids.

use std::collections::{HashMap, HashSet};

use ccgate_plugin_sdk::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{IN_LIST_MAX, skill_group, skill_group_number, skill_level};

/// Skill group `id` of `instance` (`None` for an id of another instance).
pub async fn find<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    id: &str,
) -> Result<Option<skill_group::Model>, DbErr> {
    skill_group::Entity::find_by_id(id.to_string())
        .filter(skill_group::Column::InstanceId.eq(instance))
        .one(db)
        .await
}

/// True when `instance` has a skill group named `name` other than `except`.
pub async fn name_taken<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    name: &str,
    except: Option<&str>,
) -> Result<bool, DbErr> {
    let mut q = skill_group::Entity::find()
        .filter(skill_group::Column::InstanceId.eq(instance))
        .filter(skill_group::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(skill_group::Column::Id.ne(id));
    }
    Ok(q.one(db).await?.is_some())
}

/// The skill groups of `instance` ordered by name; only `only` when given.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    only: Option<&[String]>,
) -> Result<Vec<skill_group::Model>, DbErr> {
    let base = || {
        skill_group::Entity::find()
            .filter(skill_group::Column::InstanceId.eq(instance))
            .order_by_asc(skill_group::Column::Name)
    };
    let Some(ids) = only else {
        return base().all(db).await;
    };
    let mut out = Vec::new();
    for chunk in ids.chunks(IN_LIST_MAX) {
        out.extend(
            base()
                .filter(skill_group::Column::Id.is_in(chunk.iter().cloned()))
                .all(db)
                .await?,
        );
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The number of members of each of `group_ids` (groups without members are absent).
pub async fn member_counts<C: ConnectionTrait>(
    db: &C,
    group_ids: &[String],
) -> Result<HashMap<String, i64>, DbErr> {
    /// One row of the count, decoded by column name: a plugin loaded as a library receives
    /// rows from the host by name (a multi-column tuple decoded by position is not supported
    /// across the plugin boundary).
    use ccgate_plugin_sdk::sea_orm::{self, FromQueryResult};
    #[derive(Debug, FromQueryResult)]
    struct Count {
        skill_group_id: String,
        n: i64,
    }
    let mut out = HashMap::new();
    for chunk in group_ids.chunks(IN_LIST_MAX) {
        let rows: Vec<Count> = skill_level::Entity::find()
            .select_only()
            .column(skill_level::Column::SkillGroupId)
            .column_as(skill_level::Column::UserId.count(), "n")
            .filter(skill_level::Column::SkillGroupId.is_in(chunk.iter().cloned()))
            .group_by(skill_level::Column::SkillGroupId)
            .into_model::<Count>()
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(|c| (c.skill_group_id, c.n)));
    }
    Ok(out)
}

/// The outbound `PhoneNumberId`s bound to each of `group_ids`, in binding order (groups
/// without numbers are absent).
pub async fn numbers_of<C: ConnectionTrait>(
    db: &C,
    group_ids: &[String],
) -> Result<HashMap<String, Vec<String>>, DbErr> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in group_ids.chunks(IN_LIST_MAX) {
        for row in skill_group_number::Entity::find()
            .filter(skill_group_number::Column::SkillGroupId.is_in(chunk.iter().cloned()))
            .order_by_asc(skill_group_number::Column::SkillGroupId)
            .order_by_asc(skill_group_number::Column::Position)
            .all(db)
            .await?
        {
            out.entry(row.skill_group_id)
                .or_default()
                .push(row.phone_number_id);
        }
    }
    Ok(out)
}

/// Makes the members of `group` exactly `members` (user id, level): members that stay keep
/// their `SkillLevelId` and get the new level, the others are removed, new ones added. Run it
/// inside the writing transaction.
pub async fn replace_members<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    group: &str,
    members: &[(String, i32)],
) -> Result<(), DbErr> {
    let current = skill_level::Entity::find()
        .filter(skill_level::Column::SkillGroupId.eq(group))
        .all(db)
        .await?;
    let wanted: HashMap<&str, i32> = members.iter().map(|(u, l)| (u.as_str(), *l)).collect();
    let mut kept = HashSet::new();
    for row in current {
        match wanted.get(row.user_id.as_str()) {
            Some(&level) => {
                kept.insert(row.user_id.clone());
                if row.level != level {
                    let mut am: skill_level::ActiveModel = row.into();
                    am.level = Set(level);
                    am.update(db).await?;
                }
            }
            None => {
                skill_level::Entity::delete_by_id(row.id).exec(db).await?;
            }
        }
    }
    let new: Vec<skill_level::ActiveModel> = members
        .iter()
        .filter(|(u, _)| !kept.contains(u))
        .map(|(u, l)| skill_level::ActiveModel {
            id: Set(uuid::Uuid::new_v4().to_string()),
            instance_id: Set(instance.to_string()),
            user_id: Set(u.clone()),
            skill_group_id: Set(group.to_string()),
            level: Set(*l),
        })
        .collect();
    for chunk in new.chunks(500) {
        skill_level::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Removes `user_ids` from `group`; the number of memberships removed.
pub async fn remove_members<C: ConnectionTrait>(
    db: &C,
    group: &str,
    user_ids: &[String],
) -> Result<u64, DbErr> {
    let mut n = 0;
    for chunk in user_ids.chunks(IN_LIST_MAX) {
        n += skill_level::Entity::delete_many()
            .filter(skill_level::Column::SkillGroupId.eq(group))
            .filter(skill_level::Column::UserId.is_in(chunk.iter().cloned()))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(n)
}

/// Makes the outbound numbers of `group` exactly `numbers`, in that order. Run it inside the
/// writing transaction.
pub async fn replace_numbers<C: ConnectionTrait>(
    db: &C,
    instance: &str,
    group: &str,
    numbers: &[String],
) -> Result<(), DbErr> {
    skill_group_number::Entity::delete_many()
        .filter(skill_group_number::Column::SkillGroupId.eq(group))
        .exec(db)
        .await?;
    let rows: Vec<skill_group_number::ActiveModel> = numbers
        .iter()
        .enumerate()
        .map(|(i, n)| skill_group_number::ActiveModel {
            skill_group_id: Set(group.to_string()),
            phone_number_id: Set(n.clone()),
            instance_id: Set(instance.to_string()),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
        })
        .collect();
    for chunk in rows.chunks(500) {
        skill_group_number::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Deletes skill group `group` with its memberships and outbound-number bindings. Run it inside
/// the writing transaction; `false` when the group row was already gone.
pub async fn delete<C: ConnectionTrait>(db: &C, group: &str) -> Result<bool, DbErr> {
    skill_level::Entity::delete_many()
        .filter(skill_level::Column::SkillGroupId.eq(group))
        .exec(db)
        .await?;
    skill_group_number::Entity::delete_many()
        .filter(skill_group_number::Column::SkillGroupId.eq(group))
        .exec(db)
        .await?;
    let res = skill_group::Entity::delete_by_id(group.to_string())
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}
