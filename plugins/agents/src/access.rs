//! What a caller may see in the lists (plan: "Leader scope"): an administrator (AccessKey
//! callers, account tokens, admin users) sees the whole instance, a skill-group leader the
//! users of the skill groups they lead (they are members of those), an agent only itself.
//! The gateway checks single-user parameters (`[access]`); list handlers filter here.

use ccgate_plugin_sdk::sea_orm::sea_query::Query;
use ccgate_plugin_sdk::sea_orm::{ColumnTrait, Condition};
use ccgate_plugin_sdk::{Context, Role};

use crate::storage::{skill_level, user};

/// The caller as the lists see them (`Context::caller_scope`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The caller's `UserId`.
    pub user_id: String,
    /// The caller's effective role.
    pub role: Role,
    /// The skill groups a leader leads.
    pub led_skill_group_ids: Vec<String>,
}

/// The caller's scope (`Context::caller_scope`, set by the gateway for a Bearer token that acts
/// for a user); `None` sees everything (no user, or an administrator).
pub fn scope(ctx: &Context) -> Option<Scope> {
    let s = ctx.caller_scope.as_ref()?;
    if ctx.role == Role::Admin || s.role == Role::Admin {
        return None;
    }
    Some(Scope {
        user_id: s.user_id.clone(),
        role: ctx.role,
        led_skill_group_ids: s.led_skill_group_ids.clone(),
    })
}

/// The skill groups the caller may see (a leader's led groups, an agent's own); `None` for
/// all of the instance.
pub fn visible_groups(ctx: &Context) -> Option<Vec<String>> {
    scope(ctx).map(|s| s.led_skill_group_ids)
}

/// The caller's own `UserId` when it may see only itself (an agent); `None` otherwise.
pub fn only_self(ctx: &Context) -> Option<String> {
    scope(ctx)
        .filter(|s| s.role == Role::Agent)
        .map(|s| s.user_id)
}

/// The `UserId` of the user the caller's Bearer token acts for, whatever its role; `None` for
/// callers that are no user (AccessKey signatures, account tokens).
pub fn acting_user(ctx: &Context) -> Option<String> {
    ctx.caller_scope.as_ref().map(|s| s.user_id.clone())
}

/// The condition on `agents_users` rows `scope` may see; `None` for everything.
pub fn users_condition(scope: Option<&Scope>) -> Option<Condition> {
    let scope = scope?;
    match scope.role {
        Role::Admin => None,
        Role::SkillGroupLeader => {
            let mut members = Query::select();
            members
                .column(skill_level::Column::UserId)
                .from(skill_level::Entity)
                .and_where(
                    skill_level::Column::SkillGroupId
                        .is_in(scope.led_skill_group_ids.iter().cloned()),
                );
            Some(
                Condition::any()
                    .add(user::Column::Id.eq(scope.user_id.clone()))
                    .add(user::Column::Id.in_subquery(members.to_owned())),
            )
        }
        Role::Agent => Some(Condition::all().add(user::Column::Id.eq(scope.user_id.clone()))),
    }
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::Role;
    use ccgate_plugin_sdk::sea_orm::{EntityTrait, QueryFilter, QueryOrder};

    use super::{Scope, users_condition};
    use crate::storage::user;
    use crate::testutil::Harness;

    async fn visible(h: &Harness, scope: Option<&Scope>) -> Vec<String> {
        let mut q = user::Entity::find().order_by_asc(user::Column::LoginName);
        if let Some(c) = users_condition(scope) {
            q = q.filter(c);
        }
        q.all(&h.env.db)
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.login_name)
            .collect()
    }

    #[tokio::test]
    async fn leaders_see_their_groups_agents_themselves() {
        let h = Harness::with_roles().await;
        let g1 = h.add_group("g1").await;
        let g2 = h.add_group("g2").await;
        let lead = h
            .create_user("lead", &[("SkillGroupId.1", &g1), ("SkillLevel.1", "5")])
            .await;
        let a = h
            .create_user("a", &[("SkillGroupId.1", &g1), ("SkillLevel.1", "5")])
            .await;
        h.create_user("b", &[("SkillGroupId.1", &g2), ("SkillLevel.1", "5")])
            .await;
        h.create_user("c", &[]).await;
        assert_eq!(visible(&h, None).await, vec!["a", "b", "c", "lead"]);
        let admin = Scope {
            user_id: lead.clone(),
            role: Role::Admin,
            led_skill_group_ids: vec![],
        };
        assert_eq!(visible(&h, Some(&admin)).await.len(), 4);
        let leader = Scope {
            user_id: lead.clone(),
            role: Role::SkillGroupLeader,
            led_skill_group_ids: vec![g1.clone()],
        };
        assert_eq!(visible(&h, Some(&leader)).await, vec!["a", "lead"]);
        let leads_nothing = Scope {
            led_skill_group_ids: vec![],
            ..leader
        };
        assert_eq!(visible(&h, Some(&leads_nothing)).await, vec!["lead"]);
        let agent = Scope {
            user_id: a,
            role: Role::Agent,
            led_skill_group_ids: vec![g1],
        };
        assert_eq!(visible(&h, Some(&agent)).await, vec!["a"]);
    }
}

/// True when a caller who sees `visible` ([`visible_groups`]) may see skill group `id`; handlers
/// that name one group treat a group outside the caller's view as absent (404
/// `NotExists.SkillGroupId`), so its existence does not leak.
pub fn can_see_group(visible: Option<&[String]>, id: &str) -> bool {
    visible.is_none_or(|ids| ids.iter().any(|g| g == id))
}

#[cfg(test)]
mod group_view_tests {
    use super::can_see_group;

    #[test]
    fn none_sees_everything_and_a_list_only_its_members() {
        assert!(can_see_group(None, "g1"));
        let led = vec!["g1".to_string()];
        assert!(can_see_group(Some(&led), "g1"));
        assert!(!can_see_group(Some(&led), "g2"));
        assert!(!can_see_group(Some(&[]), "g1"));
    }
}
