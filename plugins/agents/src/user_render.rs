//! Rendering users into the generated shapes ([`crate::api::shapes::InstanceUser`]) without I/O:
//! [`UserRenderer::load`] reads what a set of users needs (their roles, memberships, skill
//! groups and the instance's role catalog) in a fixed number of queries, then
//! [`UserRenderer::user`] builds each one.
//!
//! Constants: `Primary` is always false (ccgate users are never the account itself);
//! `Detail.Department` is the stored department (empty for users of CreateUser and
//! AssignUsers, which take none); `PrivateOutboundNumberId` is "" when none is set. Roles are
//! rendered administrator first; without the roles plugin they are left out (empty list).

use std::collections::HashMap;

use ccgate_plugin_sdk::{ApiResult, Context};

use crate::api::shapes::{
    InstanceUser as User, Skill, SkillLevel as UserSkillLevel, SkillLevelList as SkillLevels,
    UserDetail, UserRoleList as Roles,
};
use crate::roles::{self, RoleInfo};
use crate::storage::{skill_group, skill_level, user, users};

/// Which of the optional fields of the `User` shape an action sends (seed 004 tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// §9.4 GetUser: neither `Primary` nor `PrivateOutboundNumberId`.
    GetUser,
    /// §9.5 ListUsers: both.
    ListUsers,
    /// §9.10 FindUsers: `PrivateOutboundNumberId` only.
    FindUsers,
}

/// What rendering a set of users needs.
#[derive(Debug, Default)]
pub struct UserRenderer {
    roles: HashMap<String, Vec<String>>,
    memberships: HashMap<String, Vec<skill_level::Model>>,
    groups: HashMap<String, skill_group::Model>,
    catalog: Vec<RoleInfo>,
}

impl UserRenderer {
    /// Reads the roles, memberships and skill groups of `list` and the instance's roles: three
    /// queries per 1000 users and one roles-plugin call.
    ///
    /// Errors: storage, the roles plugin's.
    pub async fn load(ctx: &Context, list: &[user::Model]) -> ApiResult<Self> {
        let ids: Vec<String> = list.iter().map(|u| u.id.clone()).collect();
        let roles = users::roles_of(&ctx.db, &ids).await?;
        let memberships = users::memberships_of(&ctx.db, &ids).await?;
        let mut group_ids: Vec<String> = memberships
            .values()
            .flatten()
            .map(|m| m.skill_group_id.clone())
            .collect();
        group_ids.sort();
        group_ids.dedup();
        let groups = users::skill_groups(&ctx.db, ctx.instance(), &group_ids).await?;
        let catalog = if list.is_empty() {
            Vec::new()
        } else {
            roles::of_instance(ctx).await?
        };
        Ok(Self {
            roles,
            memberships,
            groups,
            catalog,
        })
    }

    /// The `User` object of `u`.
    pub fn user(&self, u: &user::Model, variant: Variant) -> User {
        let roles = self
            .roles
            .get(&u.id)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|name| self.catalog.iter().find(|r| &r.name == name))
            .map(RoleInfo::render)
            .collect();
        let skill_level = self
            .memberships
            .get(&u.id)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|m| {
                let g = self.groups.get(&m.skill_group_id)?;
                Some(UserSkillLevel {
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
            .collect();
        User {
            detail: UserDetail {
                department: u.department.clone(),
                display_name: u.display_name.clone(),
                email: u.email.clone(),
                login_name: u.login_name.clone(),
                phone: u.phone.clone(),
            },
            instance_id: u.instance_id.clone(),
            primary: (variant == Variant::ListUsers).then_some(false),
            private_outbound_number_id: (variant != Variant::GetUser)
                .then(|| u.private_outbound_number_id.clone().unwrap_or_default()),
            ram_id: u.ram_id.clone(),
            roles: Roles { role: roles },
            skill_levels: SkillLevels { skill_level },
            user_id: u.id.clone(),
        }
    }
}
