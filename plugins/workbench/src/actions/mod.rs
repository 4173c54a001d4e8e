//! One module per action of `plugins/workbench/api/`, each with
//! `pub async fn handle(ctx: &api::Ctx<'_>, req: Request) -> ApiResult<Response>` and its tests.
//! The generated `api::dispatch` calls them with the request parsed and validated by the spec;
//! a handler checks the rest.

pub mod get_config;
pub mod get_service_extensions;
pub mod get_turn_credentials;
pub mod get_turn_server_list;
pub mod list_config;
pub mod list_config_items_v2020;
pub mod refresh_token;
pub mod request_login_info;
pub mod update_config_items_v2020;
