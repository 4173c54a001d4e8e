//! One module per action, each with `handle(&api::Ctx<'_>, Request) -> ApiResult<Response>`.

pub mod dial_ex;
pub mod list_call_event_detail_by_contact_id;
pub mod start_back2_back_call;
