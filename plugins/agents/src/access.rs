//! What a caller may see of an instance's skill groups (agents-plan "Leader scope"): AccessKey
//! callers and administrators see every group, a skill-group leader the groups they lead (those
//! they are a member of), an agent the groups they belong to. List handlers filter with
//! [`visible_groups`]; handlers that name one group treat a group outside the caller's view as
//! absent (404 `NotExists.SkillGroupId`), so its existence does not leak.
//!
//! The caller's scope will come from the gateway: it resolves a Bearer token's subject through
//! the `caller` query of this plugin and sets `Context::caller_scope` (user id, login name, role,
//! led skill group ids). Until the SDK's `Context` carries that field, every caller is treated as
//! seeing the whole instance, which is what the gateway's role check already enforces for
//! AccessKey callers and administrators.

use ccgate_plugin_sdk::Context;

/// The ids of the skill groups the caller may see, or `None` when it may see all of them.
///
/// Reads `ctx.caller_scope` once the SDK provides it: `None` for AccessKey callers and
/// administrators, the led groups for a skill-group leader, the member groups for an agent.
pub fn visible_groups(ctx: &Context) -> Option<Vec<String>> {
    let _ = ctx;
    None
}

/// True when the caller may see skill group `id` ([`visible_groups`]).
pub fn can_see_group(visible: Option<&[String]>, id: &str) -> bool {
    visible.is_none_or(|ids| ids.iter().any(|g| g == id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_sees_everything_and_a_list_only_its_members() {
        assert!(can_see_group(None, "g1"));
        let led = vec!["g1".to_string()];
        assert!(can_see_group(Some(&led), "g1"));
        assert!(!can_see_group(Some(&led), "g2"));
        assert!(!can_see_group(Some(&[]), "g1"));
    }
}
