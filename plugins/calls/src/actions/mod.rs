//! One module per action, each with `handle(&api::Ctx<'_>, Request) -> ApiResult<Response>`.

pub mod answer_call_v2020;
pub mod blind_transfer_v2020;
pub mod call_online_privacy_number;
pub mod dial_ex;
pub mod encrypt;
pub mod hold_call_v2020;
pub mod list_call_event_detail_by_contact_id;
pub mod make_call_v2020;
pub mod modify_privacy_number_call_detail;
pub mod register_device_v2020;
pub mod release_call_v2020;
pub mod retrieve_call_v2020;
pub mod start_back2_back_call;
pub mod start_back2_back_call_v2020;
