//! What a caller may see, for list actions: the core checks the ids a request names (the
//! spec's `[access]` rule); lists are narrowed here.
//!
//! - An AccessKey caller or an administrator sees the whole instance.
//! - A skill-group leader sees the skill groups they lead (those they are a member of) and the
//!   agents of those groups.
//! - An agent sees itself and its own skill groups.

use ccgate_plugin_sdk::{Context, Role};

/// The skill groups the caller may see: `None` for all of the instance.
pub fn visible_groups(ctx: &Context) -> Option<Vec<String>> {
    let scope = caller(ctx)?;
    Some(scope.1)
}

/// The caller's own `UserId` when it may see only itself (an agent); `None` otherwise.
pub fn only_self(ctx: &Context) -> Option<String> {
    match caller(ctx)? {
        (user, _, Role::Agent) => Some(user),
        _ => None,
    }
}

/// The `UserId` of the user the caller's Bearer token acts for, whatever its role; `None` for
/// callers that are no user (AccessKey signatures, account tokens).
pub fn acting_user(ctx: &Context) -> Option<String> {
    ctx.caller_scope.as_ref().map(|s| s.user_id.clone())
}

/// The acting user of a Bearer token (user id, the groups it leads or belongs to, its role);
/// `None` for callers who see everything (no user, or an administrator).
fn caller(ctx: &Context) -> Option<(String, Vec<String>, Role)> {
    let scope = ctx.caller_scope.as_ref()?;
    if ctx.role == Role::Admin || scope.role == Role::Admin {
        return None;
    }
    Some((
        scope.user_id.clone(),
        scope.led_skill_group_ids.clone(),
        ctx.role,
    ))
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
