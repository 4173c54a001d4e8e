//! One module per action (seed 004 §6.1-§6.8 and the overview table for 2017-07-05, seed 002 for
//! 2020-07-01), each with its `SPEC`, its `handle` and its tests; plus the helpers they share.

pub mod add_bulk_phone_numbers;
pub mod add_phone_number;
pub mod check_number_avaliable;
pub mod get_number_region_info;
pub mod list_phone_numbers;
pub mod list_phone_numbers_v2020;
pub mod modify_phone_number;
pub mod pick_global_outbound_numbers;
pub mod pick_local_number;
pub mod remove_phone_number;

use ccgate_plugin_sdk::sea_orm::Set;
use ccgate_plugin_sdk::{ApiError, ApiResult, Params};

use crate::region;
use crate::rules;
use crate::storage::{SKILL_GROUP_ID_MAX, phone_number};

/// The required `Usage` parameter (`Parameter.Enumeration` unless Inbound, Outbound or
/// Bidirection).
pub(crate) fn required_usage(params: &Params) -> ApiResult<&'static str> {
    params.required_enum("Usage", rules::USAGES)
}

/// The `SkillGroupId.N` list, duplicates removed (first occurrence kept), each id at most
/// 128 characters (`Parameter.Maximum`).
pub(crate) fn skill_group_ids(params: &Params) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for id in params.repeat_list("SkillGroupId")? {
        let id = id.trim().to_string();
        if id.chars().count() > SKILL_GROUP_ID_MAX as usize {
            return Err(ApiError::new(
                400,
                "Parameter.Maximum",
                format!(
                    "The length of parameter SkillGroupId.N must be less than or equal to {SKILL_GROUP_ID_MAX}."
                ),
            ));
        }
        if !id.is_empty() && !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// A new number row: fresh `PhoneNumberId`, region looked up now, active, empty description.
pub(crate) fn new_number(
    instance: &str,
    number: &str,
    usage: &str,
    contact_flow_id: Option<&str>,
    now: i64,
) -> phone_number::Model {
    let r = region::lookup_or_empty(number);
    phone_number::Model {
        id: uuid::Uuid::new_v4().to_string(),
        instance_id: instance.to_string(),
        number: number.to_string(),
        usage: usage.to_string(),
        contact_flow_id: contact_flow_id.map(str::to_string),
        description: String::new(),
        province: r.province.to_string(),
        city: r.city.to_string(),
        active: true,
        created_at: now,
        updated_at: now,
    }
}

/// An insertable active model with every column set.
pub(crate) fn active(m: &phone_number::Model) -> phone_number::ActiveModel {
    phone_number::ActiveModel {
        id: Set(m.id.clone()),
        instance_id: Set(m.instance_id.clone()),
        number: Set(m.number.clone()),
        usage: Set(m.usage.clone()),
        contact_flow_id: Set(m.contact_flow_id.clone()),
        description: Set(m.description.clone()),
        province: Set(m.province.clone()),
        city: Set(m.city.clone()),
        active: Set(m.active),
        created_at: Set(m.created_at),
        updated_at: Set(m.updated_at),
    }
}

/// 409 `Conflict.PhoneNumber`: `number` is already bound (to this instance or another one,
/// which is not named).
pub(crate) fn number_conflict(number: &str, same_instance: bool) -> ApiError {
    let where_ = if same_instance {
        "this instance"
    } else {
        "another instance"
    };
    ApiError::conflict(
        "PhoneNumber",
        format!(
            "The phone number {number} is already bound to {where_}; a number can be bound to one instance at a time."
        ),
    )
}

/// 404 `NotExists.PhoneNumberId`.
pub(crate) fn number_not_found(id: &str) -> ApiError {
    ApiError::not_exists("PhoneNumberId", id)
}
