//! One module per action of `plugins/device-diagnostics/api/`, each with
//! `pub async fn handle(ctx: &api::Ctx<'_>, req: Request) -> ApiResult<Response>` and its tests.
//! The generated `api::dispatch` calls them with the request parsed and validated by the spec
//! (presence, emptiness, types, enumerations, lengths); a handler checks the rest.

pub mod add_agent_device;
pub mod list_agent_devices;
pub mod modify_agent_device;
