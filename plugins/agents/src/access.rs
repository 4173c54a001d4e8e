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

/// The caller's scope; `None` sees everything. Until the SDK's `Context::caller_scope` lands,
/// every caller sees the whole instance.
pub fn scope(_ctx: &Context) -> Option<Scope> {
    None
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
