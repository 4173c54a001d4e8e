//! Loading what rendering a set of numbers needs besides the rows: their skill-group bindings
//! (from [`crate::storage`]), their contact flows (the flows plugin's `get` query,
//! [`crate::flows`]) and the skill groups' names (the agents plugin's `skill_groups` query,
//! [`crate::agents`]). [`crate::render`] then formats the loaded [`Renderer`] without I/O.

use ccgate_plugin_sdk::{ApiResult, Context};

use crate::render::Renderer;
use crate::storage::{self, phone_number};
use crate::{agents, flows};

/// Loads the flows and skill groups of `numbers`: one query and two cross-plugin calls, whatever
/// the number count.
///
/// Errors: 500 on storage failures or a malformed answer; errors of the other plugins are
/// passed on.
pub async fn load(ctx: &Context, numbers: &[phone_number::Model]) -> ApiResult<Renderer> {
    let ids: Vec<String> = numbers.iter().map(|n| n.id.clone()).collect();
    let groups = storage::skill_groups_of(&ctx.db, &ids).await?;
    let flow_ids: Vec<String> = numbers
        .iter()
        .filter_map(|n| n.contact_flow_id.clone())
        .collect();
    let flows = flows::get_flows(ctx, &flow_ids).await?;
    let group_ids: Vec<String> = groups.values().flatten().cloned().collect();
    let group_info = agents::get_groups(ctx, &group_ids).await?;
    Ok(Renderer {
        flows,
        groups,
        group_info,
    })
}
