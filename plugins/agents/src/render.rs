//! Rendering of skill groups and users into the generated response structs ([`crate::api`]) of
//! seed 004 §8: the shared shapes `SkillGroup` (§8.4 ListSkillGroups), `OutboundPhoneNumber`
//! (§8.4, §8.5), `SkillLevel`, `Role`, `UserDetail` and `User` (§8.6 ListUsersOfSkillGroup;
//! also GetUser / ListUsers / FindUsers of §9). No I/O: the handlers load the rows, the numbers
//! (`crate::numbers`) and the memberships first.
//!
//! Values ccgate has no source for, documented here:
//! - `AccQueueName` / `AccSkillGroupName` are `AliQ_<InstanceId>_<SkillGroupId>` /
//!   `AliS_<InstanceId>_<SkillGroupId>`: the seed's format with the instance as the tenant;
//! - a role has no privileges (`Privileges.Privilege` is empty) and `UserCount` 0, as in the
//!   seed's examples; its id, name and description are the fixed ones of the roles plugin
//!   (UUID v5 of `ccgate:role:<instance>:<name>`, `ADMIN` / `SKILL_GROUP_ADMIN` / `AGENT`,
//!   管理员 / 技能组组长 / 坐席);
//! - `RoutingStrategy` is what was given at creation or modification, empty when never given.

use std::collections::HashMap;

use crate::roles::RoleInfo;

use crate::api::shapes;
use crate::numbers::NumberInfo;
use crate::storage::{skill_group, skill_level, user};

/// The 2017 `OutboundPhoneNumber` of `n`.
pub fn outbound_number(n: &NumberInfo) -> shapes::OutboundPhoneNumber {
    shapes::OutboundPhoneNumber {
        allow_outbound: n.allow_outbound,
        instance_id: n.instance_id.clone(),
        number: n.number.clone(),
        phone_number_description: n.phone_number_description.clone(),
        phone_number_id: n.phone_number_id.clone(),
        remaining_time: n.remaining_time,
        test_only: n.test_only,
        trunks: n.trunks,
        usage: n.usage.clone(),
    }
}

/// The outbound numbers `ids` (in binding order) that `known` describes; unknown ids (removed
/// numbers, or every id when the numbers plugin is disabled) are left out.
pub fn outbound_numbers(
    ids: &[String],
    known: Option<&HashMap<String, NumberInfo>>,
) -> Vec<shapes::OutboundPhoneNumber> {
    let Some(known) = known else {
        return Vec::new();
    };
    ids.iter()
        .filter_map(|id| known.get(id))
        .map(outbound_number)
        .collect()
}

/// `AccQueueName` of group `g`.
pub fn acc_queue_name(g: &skill_group::Model) -> String {
    format!("AliQ_{}_{}", g.instance_id, g.id)
}

/// `AccSkillGroupName` of group `g`.
pub fn acc_skill_group_name(g: &skill_group::Model) -> String {
    format!("AliS_{}_{}", g.instance_id, g.id)
}

/// The 2017 `SkillGroup` (§8.4) of `g` with `user_count` members and `numbers`.
pub fn skill_group(
    g: &skill_group::Model,
    user_count: i64,
    numbers: Vec<shapes::OutboundPhoneNumber>,
) -> shapes::SkillGroup {
    shapes::SkillGroup {
        acc_queue_name: acc_queue_name(g),
        acc_skill_group_name: acc_skill_group_name(g),
        instance_id: g.instance_id.clone(),
        outbound_phone_numbers: shapes::OutboundPhoneNumbers {
            phone_number: numbers,
        },
        routing_strategy: g.routing_strategy.clone(),
        skill_group_description: g.description.clone(),
        skill_group_id: g.id.clone(),
        skill_group_name: g.name.clone(),
        user_count,
    }
}

/// The 2017 `SkillLevel` (§8.6, §9) of membership `m` in group `g`.
pub fn skill_level(m: &skill_level::Model, g: &skill_group::Model) -> shapes::SkillLevel {
    shapes::SkillLevel {
        level: i64::from(m.level),
        skill: shapes::Skill {
            instance_id: g.instance_id.clone(),
            skill_group_description: g.description.clone(),
            skill_group_id: g.id.clone(),
            skill_group_name: g.name.clone(),
        },
        skill_level_id: m.id.clone(),
    }
}

/// The memberships `ms` whose group is in `groups`, rendered in order (a membership whose
/// group vanished concurrently is left out).
pub fn skill_levels(
    ms: &[skill_level::Model],
    groups: &HashMap<String, skill_group::Model>,
) -> Vec<shapes::SkillLevel> {
    ms.iter()
        .filter_map(|m| groups.get(&m.skill_group_id).map(|g| skill_level(m, g)))
        .collect()
}

/// The 2017 `Role` (§8.6) of role name `name` (`admin`, `skill-group-leader`, `agent`) from the
/// roles plugin's catalog of the instance (`roles.of_instance`, read by the handler);
/// `None` when the catalog does not know it (the roles plugin is disabled).
pub fn role(catalog: &[RoleInfo], name: &str) -> Option<shapes::Role> {
    let r = catalog.iter().find(|r| r.name == name)?;
    Some(shapes::Role {
        instance_id: r.instance_id.clone(),
        privileges: shapes::Privileges::default(),
        role_description: r.role_description.clone(),
        role_id: r.role_id.clone(),
        role_name: r.role_name.clone(),
        user_count: 0,
    })
}

/// The 2017 `Detail` of `u`.
pub fn user_detail(u: &user::Model) -> shapes::UserDetail {
    shapes::UserDetail {
        department: u.department.clone(),
        display_name: u.display_name.clone(),
        email: u.email.clone(),
        login_name: u.login_name.clone(),
        phone: u.phone.clone(),
    }
}

/// The 2017 `User` (§8.6) of `u` with role names `roles` (rendered from the roles plugin's
/// `catalog`) and rendered `levels`.
pub fn user(
    u: &user::Model,
    roles: &[String],
    catalog: &[RoleInfo],
    levels: Vec<shapes::SkillLevel>,
) -> shapes::User {
    shapes::User {
        detail: user_detail(u),
        instance_id: u.instance_id.clone(),
        ram_id: u.ram_id.clone(),
        roles: shapes::Roles {
            role: roles.iter().filter_map(|r| role(catalog, r)).collect(),
        },
        skill_levels: shapes::SkillLevels {
            skill_level: levels,
        },
        user_id: u.id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group() -> skill_group::Model {
        skill_group::Model {
            id: "g1".into(),
            instance_id: "ccc-test".into(),
            name: "Sales".into(),
            description: "pre-sales".into(),
            routing_strategy: "default".into(),
            allow_private_outbound_number: false,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn acc_names_follow_the_seed_format() {
        let g = group();
        let s = skill_group(&g, 3, vec![]);
        assert_eq!(s.acc_queue_name, "AliQ_ccc-test_g1");
        assert_eq!(s.acc_skill_group_name, "AliS_ccc-test_g1");
        assert_eq!(s.user_count, 3);
        assert_eq!(s.skill_group_name, "Sales");
    }

    #[test]
    fn roles_come_from_the_catalog_and_unknown_ones_are_left_out() {
        let catalog = vec![RoleInfo {
            role_id: "r-leader".into(),
            name: "skill-group-leader".into(),
            role_name: "SKILL_GROUP_ADMIN".into(),
            role_description: "技能组组长".into(),
            instance_id: "ccc-test".into(),
        }];
        let r = role(&catalog, "skill-group-leader").unwrap();
        assert_eq!(
            (
                r.role_id.as_str(),
                r.role_name.as_str(),
                r.role_description.as_str()
            ),
            ("r-leader", "SKILL_GROUP_ADMIN", "技能组组长")
        );
        assert!(role(&catalog, "agent").is_none());
        assert!(role(&[], "agent").is_none());
    }

    #[test]
    fn unknown_or_disabled_numbers_are_left_out() {
        let ids = vec!["n1".to_string()];
        assert!(outbound_numbers(&ids, None).is_empty());
        assert!(outbound_numbers(&ids, Some(&HashMap::new())).is_empty());
    }
}
