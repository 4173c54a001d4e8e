//! One module per action (seed 004 §6.1-§6.8 and the overview table for 2017-07-05, seed 002 for
//! 2020-07-01), each with its `handle` and its tests; plus the helpers they share.
//!
//! Each `handle` takes the action's parsed and validated request (`crate::api::<module>::Request`,
//! generated from `plugins/numbers/api/<Action>.<version>.toml`): parameter presence, emptiness,
//! types, enumerations and lengths are checked there. The handlers check what is not a
//! parameter-shape rule (number validity, the 400-number rule, existence and ownership).
//!
//! Handlers read and write through [`crate::storage`] (they build no SQL, and each transaction
//! is one storage function), load what a reply shows with [`crate::related::load`] and format
//! it with [`crate::render`]; times come from the request's clock (`ctx.now_ms()`).

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

use ccgate_plugin_sdk::ApiError;

use crate::api::errors;
use crate::region;
use crate::storage::phone_number;

/// The `SkillGroupId.N` ids trimmed, blanks and duplicates removed (first occurrence kept), in
/// linear time.
pub(crate) fn skill_group_ids(ids: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(ids.len());
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        let id = id.trim();
        if !id.is_empty() && seen.insert(id.to_string()) {
            out.push(id.to_string());
        }
    }
    out
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

/// 409 `Conflict.PhoneNumber`: `number` is already bound (to this instance or another one,
/// which is not named).
pub(crate) fn number_conflict(number: &str, same_instance: bool) -> ApiError {
    let where_ = if same_instance {
        "this instance"
    } else {
        "another instance"
    };
    errors::conflict_phone_number(number, where_)
}

/// 404 `NotExists.PhoneNumberId`.
pub(crate) fn number_not_found(id: &str) -> ApiError {
    errors::not_exists_phone_number_id(id)
}
