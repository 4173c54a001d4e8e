//! Reads from the numbers domain through its public query `numbers.by_ids`
//! (`plugins/numbers/api/queries/by_ids.toml`, generated client `api::clients::numbers::by_ids`):
//! validating the outbound numbers bound to a skill group (seed 004 §8.1 CreateSkillGroup, §8.3
//! ModifySkillGroup, §8.8 ModifySkillGroupOutboundNumbers) and rendering a group's
//! `OutboundPhoneNumbers` (§8.4, §8.5).
//!
//! When the numbers plugin is disabled (the client answers `Ok(None)`), binding a number is
//! refused with 400 `InvalidParameter` and groups are rendered without outbound numbers. A bound
//! number that the numbers plugin no longer has (removed with RemovePhoneNumber) is left out of
//! the rendering; its binding row stays until the group's numbers are next replaced.

use std::collections::{HashMap, HashSet};

use ccgate_plugin_sdk::{ApiResult, Context};

use crate::api::clients;
use crate::api::clients::numbers::by_ids::{Args, PhoneNumbers};
use crate::api::errors;

/// A phone number as the numbers domain describes it.
pub type NumberInfo = PhoneNumbers;

/// The parameter that names outbound numbers in the skill-group actions.
pub const PARAM: &str = "OutboundPhoneNumberId.N";

/// `ids` trimmed, blanks and duplicates removed (first occurrence kept), in order.
pub fn distinct(ids: &[String]) -> Vec<String> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.iter()
        .map(|id| id.trim())
        .filter(|id| !id.is_empty() && seen.insert(*id))
        .map(str::to_string)
        .collect()
}

/// The numbers with `ids` in the caller's instance, by id; ids that do not exist there are
/// absent. `Ok(None)` when the numbers plugin is disabled. One cross-plugin call, none when
/// `ids` is empty.
pub async fn get_numbers(
    ctx: &Context,
    ids: &[String],
) -> ApiResult<Option<HashMap<String, NumberInfo>>> {
    if ids.is_empty() {
        return Ok(Some(HashMap::new()));
    }
    let args = Args {
        instance_id: ctx.instance().to_string(),
        phone_number_ids: distinct(ids),
    };
    let Some(answer) = clients::numbers::by_ids(ctx, &args).await? else {
        return Ok(None);
    };
    Ok(Some(
        answer
            .phone_numbers
            .into_iter()
            .map(|n| (n.phone_number_id.clone(), n))
            .collect(),
    ))
}

/// Checks that every one of `ids` (already [`distinct`]) is an outbound-capable number (Usage
/// `Outbound` or `Bidirection`) of the caller's instance; the ids to bind, in order. With
/// `skip_400`, 400 numbers (which can only be `Inbound`) are dropped silently, as seed 004 §8.8
/// documents for ModifySkillGroupOutboundNumbers ("传入的400号码，会被自动过滤").
///
/// Errors: 400 `InvalidParameter` when the numbers plugin is disabled or a number does not
/// allow outbound calls; 404 `NotExists.PhoneNumberId` for an id that is no number of the
/// instance.
pub async fn require_outbound(
    ctx: &Context,
    ids: &[String],
    skip_400: bool,
) -> ApiResult<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let Some(found) = get_numbers(ctx, ids).await? else {
        return Err(errors::invalid_parameter(
            PARAM,
            "phone numbers are not enabled on this gateway (plugin numbers is disabled), so no outbound number can be bound",
        ));
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let n = found
            .get(id)
            .ok_or_else(|| errors::not_exists_phone_number_id(id))?;
        if !n.allow_outbound {
            if skip_400 && n.is400 {
                continue;
            }
            return Err(errors::invalid_parameter(
                PARAM,
                format!(
                    "phone number {} ({id}) has Usage {} and cannot be used for outbound calls",
                    n.number, n.usage
                ),
            ));
        }
        out.push(id.clone());
    }
    Ok(out)
}

/// Checks a user's personal outbound number (`PrivateOutboundNumberId`, seed 004 §9.1, §9.3):
/// a number of the caller's instance that allows outbound calls. When the numbers plugin is
/// disabled the id is stored as given (as skill groups are by numbers when agents is disabled).
///
/// Errors: 404 `NotExists.PhoneNumberId`; 400 `InvalidParameter` for an inbound-only number.
pub async fn check_private(ctx: &Context, id: &str) -> ApiResult<()> {
    let Some(found) = get_numbers(ctx, &[id.to_string()]).await? else {
        return Ok(());
    };
    let n = found
        .get(id.trim())
        .ok_or_else(|| errors::not_exists_phone_number_id(id))?;
    if !n.allow_outbound {
        return Err(errors::invalid_parameter(
            "PrivateOutboundNumberId",
            format!(
                "phone number {} ({id}) has Usage {} and cannot be used for outbound calls",
                n.number, n.usage
            ),
        ));
    }
    Ok(())
}
