//! One module per action of `plugins/agents/api/`, each with
//! `pub async fn handle(ctx: &api::Ctx<'_>, req: Request) -> ApiResult<Response>` and its tests.
//! The generated `api::dispatch` calls them with the request parsed and validated by the spec
//! (presence, emptiness, types, enumerations, lengths); a handler checks the rest.
pub mod list_agent_events;
pub mod list_agent_states;
pub mod list_real_time_agent;
pub mod list_skill_group_states;
pub mod reset_user_status;
