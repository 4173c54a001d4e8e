//! The three fixed roles of every instance (seed 004 §5.1): administrator (管理员),
//! skill-group leader (技能组组长) and agent (坐席). Nothing is stored: a role's id is derived
//! from its instance and name, so it is the same in every reply and different in every
//! instance.

use ccgate_plugin_sdk::Role;
use uuid::Uuid;

/// The namespace of the role ids (UUID v5). Fixed: changing it changes every role id.
const NAMESPACE: Uuid = Uuid::NAMESPACE_URL;

/// One role of one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRole {
    /// The role.
    pub role: Role,
    /// The instance it belongs to.
    pub instance_id: String,
    /// Its id: [`role_id`].
    pub role_id: String,
}

impl InstanceRole {
    /// `role` of `instance_id`.
    pub fn new(instance_id: &str, role: Role) -> Self {
        Self {
            role,
            instance_id: instance_id.to_string(),
            role_id: role_id(instance_id, role),
        }
    }

    /// The 2017-07-05 RoleName: `ADMIN`, `SKILL_GROUP_ADMIN` or `AGENT` (seed 004 §5.1).
    pub fn role_name(&self) -> &'static str {
        role_name(self.role)
    }

    /// The 2017-07-05 RoleDescription, the Chinese display name (seed 004 §5.1).
    pub fn role_description(&self) -> &'static str {
        role_description(self.role)
    }
}

/// The id of `role` in `instance_id`: the UUID v5 (namespace URL) of
/// `ccgate:role:<instance_id>:<name>`, `<name>` being `admin`, `skill-group-leader` or `agent`.
pub fn role_id(instance_id: &str, role: Role) -> String {
    let name = format!("ccgate:role:{instance_id}:{}", role.as_str());
    Uuid::new_v5(&NAMESPACE, name.as_bytes()).to_string()
}

/// The 2017-07-05 RoleName of `role`.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "ADMIN",
        Role::SkillGroupLeader => "SKILL_GROUP_ADMIN",
        Role::Agent => "AGENT",
    }
}

/// The 2017-07-05 RoleDescription of `role`: its Chinese display name.
pub fn role_description(role: Role) -> &'static str {
    match role {
        Role::Admin => "管理员",
        Role::SkillGroupLeader => "技能组组长",
        Role::Agent => "坐席",
    }
}

/// Every role of `instance_id`, in the order administrator, skill-group leader, agent.
pub fn of_instance(instance_id: &str) -> Vec<InstanceRole> {
    Role::ALL
        .into_iter()
        .map(|r| InstanceRole::new(instance_id, r))
        .collect()
}

/// The roles a caller of role `caller` may manage (seed 004 §1, ListRoles): an administrator
/// all three, a skill-group leader the leader and agent roles, an agent the agent role.
pub fn manageable_by(caller: Role) -> &'static [Role] {
    match caller {
        Role::Admin => &Role::ALL,
        Role::SkillGroupLeader => &[Role::SkillGroupLeader, Role::Agent],
        Role::Agent => &[Role::Agent],
    }
}

/// The role of `instance_id` whose id is `role_id`; `None` for an id of no role of that
/// instance (another instance's role ids included).
pub fn find(instance_id: &str, role_id: &str) -> Option<InstanceRole> {
    of_instance(instance_id)
        .into_iter()
        .find(|r| r.role_id == role_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuid_v5_of_the_instance_and_name() {
        let id = role_id("ccc-test", Role::Admin);
        let expected = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"ccgate:role:ccc-test:admin");
        assert_eq!(id, expected.to_string());
        let parsed = Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 5);
        // Stable, distinct per role and per instance.
        assert_eq!(id, role_id("ccc-test", Role::Admin));
        assert_ne!(id, role_id("ccc-test", Role::Agent));
        assert_ne!(id, role_id("ccc-other", Role::Admin));
    }

    #[test]
    fn names_and_descriptions_are_the_seeds() {
        let roles = of_instance("ccc-test");
        let shown: Vec<(&str, &str)> = roles
            .iter()
            .map(|r| (r.role_name(), r.role_description()))
            .collect();
        assert_eq!(
            shown,
            [
                ("ADMIN", "管理员"),
                ("SKILL_GROUP_ADMIN", "技能组组长"),
                ("AGENT", "坐席")
            ]
        );
    }

    #[test]
    fn callers_manage_their_role_and_those_below() {
        assert_eq!(manageable_by(Role::Admin), &Role::ALL);
        assert_eq!(
            manageable_by(Role::SkillGroupLeader),
            &[Role::SkillGroupLeader, Role::Agent]
        );
        assert_eq!(manageable_by(Role::Agent), &[Role::Agent]);
    }

    #[test]
    fn find_knows_only_the_instances_own_ids() {
        let leader = role_id("ccc-test", Role::SkillGroupLeader);
        assert_eq!(
            find("ccc-test", &leader).map(|r| r.role),
            Some(Role::SkillGroupLeader)
        );
        assert_eq!(find("ccc-other", &leader), None);
        assert_eq!(find("ccc-test", "ADMIN"), None);
        assert_eq!(find("ccc-test", ""), None);
    }
}
