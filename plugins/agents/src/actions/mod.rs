//! One module per action of `plugins/agents/api/`, each with
//! `pub async fn handle(ctx: &api::Ctx<'_>, req: Request) -> ApiResult<Response>` and its tests.
//! The generated `api::dispatch` calls them with the request parsed and validated by the spec
//! (presence, emptiness, types, enumerations, lengths); a handler checks the rest.

pub mod assign_users;
pub mod create_user;
pub mod find_users;
pub mod get_user;
pub mod list_users;
pub mod modify_skill_group_of_user;
pub mod modify_user;
pub mod remove_users;
