//! One module per action of `plugins/agents/api/`, each with
//! `pub async fn handle(ctx: &api::Ctx<'_>, req: Request) -> ApiResult<Response>` and its tests.
//! The generated `api::dispatch` calls them with the request parsed and validated by the spec
//! (presence, emptiness, types, enumerations, lengths); a handler checks the rest.
pub mod desk;
#[cfg(test)]
mod desk_tests;
pub mod list_agent_events;
pub mod list_agent_state_logs_v2020;
pub mod list_agent_states;
pub mod list_real_time_agent;
pub mod list_realtime_agent_states_v2020;
pub mod list_skill_group_states;
pub mod poll_user_status_v2020;
pub mod ready_for_service_v2020;
pub mod reset_agent_state_v2020;
pub mod reset_user_status;
pub mod sign_in_group_v2020;
pub mod sign_out_group_v2020;
pub mod take_break_v2020;

pub mod assign_users;
pub mod create_user;
pub mod find_users;
pub mod get_user;
pub mod list_users;
pub mod modify_skill_group_of_user;
pub mod modify_user;
pub mod remove_users;
