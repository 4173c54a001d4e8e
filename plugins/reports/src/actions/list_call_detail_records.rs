//! 2017-07-05 ListCallDetailRecords (seed 004 §11.1): the instance's call detail records
//! started in `[StartTime, StopTime)` (UTC epoch ms; `StartTime` 0 = local midnight today,
//! `StopTime` 0 = now), ordered by start time (`OrderBy` ASC, the default, or DESC), paged.
//!
//! Filters (each one indexed range of `reports_call`): `PhoneNumber` (the call center number),
//! `ContactId`, `ContactType` and `ContactDisposition` (comma-separated values of their
//! documented enums), `Criteria` (equals the customer's number, the agent's login name or the
//! name of the agent's skill group). `WithRecording` is accepted: ccgate records no audio yet,
//! so `Recordings` is empty. `Satisfaction` is absent and `SatisfactionDesc` `未发送` (no survey
//! was sent: no satisfaction plugin yet). `Duration` is the whole call, start to release,
//! seconds. `Agents[].AgentId` is the agent's RamId.
//!
//! `TotalCount` comes from the page when the page is the last one, else from the per-day call
//! counts plus the partial days at the ends ([`crate::counts`]); `Criteria` naming a skill
//! group from the group's daily rollups; with `ContactId`, a customer's number or an agent's
//! login (selective), or `Criteria` with other filters, the matching calls are counted.
//!
//! Errors: 400 `InvalidParameter` for an unknown ContactType / ContactDisposition value or a
//! StopTime before StartTime.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::paging::PageRequest;
use ccgate_plugin_sdk::sea_orm::{
    ColumnTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select,
};
use ccgate_plugin_sdk::storage::{count, page, total_from_page};

use crate::actions::scopes::{group_ids_named, group_names, ram_ids};
use crate::actions::{split_ids, zone};
use crate::api::Ctx;
use crate::api::errors;
use crate::api::list_call_detail_records::{
    Agents, CallDetailAgent, CallDetailRecord, CallDetailRecords, List, OrderBy, Recordings,
    Request, Response,
};
use crate::clock;
use crate::counts::{self, Criteria, Filter};
use crate::storage::call;

/// One day, ms.
const DAY_MS: i64 = 86_400_000;

/// `ContactType` values (seed 004 §11.1).
pub const CONTACT_TYPES: &[&str] = &[
    "Inbound",
    "Outbound",
    "Back2Back",
    "PredictiveDial",
    "PrivacyDial",
];
/// `ContactDisposition` values (seed 004 §11.1).
pub const DISPOSITIONS: &[&str] = &[
    "Success",
    "NoAnswer",
    "AbandonedInContactFlow",
    "AbandonedInQueue",
    "AbandonedRing",
    "QueueOverflow",
    "OneStepTransfer",
];

/// The items of a comma-separated enum parameter.
///
/// Errors: 400 `InvalidParameter` naming the first unknown value.
fn enum_list(name: &str, text: Option<&str>, allowed: &[&str]) -> ApiResult<Vec<String>> {
    let items = split_ids(text);
    if let Some(bad) = items.iter().find(|v| !allowed.contains(&v.as_str())) {
        return Err(errors::invalid_parameter(
            name,
            format!("{bad} is not one of {}", allowed.join(", ")),
        ));
    }
    Ok(items)
}

/// A page of the calls of `base` that match `c`, merged from the first `offset + size` rows
/// of each of `c`'s alternatives (customer, login, groups) in the page's order. The database
/// answers `a OR b OR c` with ORDER BY by collecting and sorting every match (a skill group's
/// calls of a year: ~40 ms on SQLite); each alternative alone is one ordered index range.
async fn page_of_branches(
    ctx: &Ctx<'_>,
    base: Select<call::Entity>,
    c: &Criteria,
    desc: bool,
    pr: PageRequest,
) -> ApiResult<Vec<call::Model>> {
    let order = if desc { Order::Desc } else { Order::Asc };
    let want = pr.offset() + pr.size;
    let mut all = Vec::new();
    for branch in c.branches() {
        let rows = base
            .clone()
            .filter(branch)
            .order_by(call::Column::StartMs, order.clone())
            .order_by(call::Column::ContactId, order.clone())
            .limit(want)
            .all(&ctx.db)
            .await?;
        all.extend(rows);
    }
    all.sort_by(|a, b| (a.start_ms, &a.contact_id).cmp(&(b.start_ms, &b.contact_id)));
    if desc {
        all.reverse();
    }
    // A call matching two alternatives appears twice, side by side after the sort.
    all.dedup_by(|a, b| a.contact_id == b.contact_id);
    let offset = usize::try_from(pr.offset()).unwrap_or(usize::MAX);
    Ok(all
        .into_iter()
        .skip(offset)
        .take(pr.size as usize)
        .collect())
}

/// Serves ListCallDetailRecords.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let types = enum_list("ContactType", req.contact_type.as_deref(), CONTACT_TYPES)?;
    let dispositions = enum_list(
        "ContactDisposition",
        req.contact_disposition.as_deref(),
        DISPOSITIONS,
    )?;
    let now = ctx.now_ms();
    let start = if req.start_time > 0 {
        req.start_time
    } else {
        clock::midnight_of(zone(ctx), now)
    };
    let stop = if req.stop_time > 0 {
        req.stop_time
    } else {
        now
    };
    if stop < start {
        return Err(errors::invalid_parameter("StopTime", "before StartTime"));
    }
    let filter = Filter {
        types,
        dispositions,
        number: req
            .phone_number
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    };
    let mut q = counts::calls(ctx.instance(), start, stop, &filter);
    let contact_id = req.contact_id.as_deref().filter(|s| !s.is_empty());
    if let Some(id) = contact_id {
        q = q.filter(call::Column::ContactId.eq(id));
    }
    let criteria = match req.criteria.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => Some(Criteria {
            text: text.to_string(),
            groups: group_ids_named(ctx, text).await?,
        }),
        _ => None,
    };
    if let Some(c) = &criteria {
        q = q.filter(c.condition());
    }
    let order = match req.order_by {
        OrderBy::Desc => Order::Desc,
        _ => Order::Asc,
    };
    let pr = PageRequest::new(req.page_number, req.page_size);
    let rows = match &criteria {
        Some(c) if contact_id.is_none() => {
            let base = counts::calls(ctx.instance(), start, stop, &filter);
            page_of_branches(ctx, base, c, req.order_by == OrderBy::Desc, pr).await?
        }
        _ => {
            page(
                &ctx.db,
                q.clone()
                    .order_by(call::Column::StartMs, order.clone())
                    .order_by(call::Column::ContactId, order),
                pr,
            )
            .await?
        }
    };
    // No call begins in the future: a far StopTime is counted up to tomorrow.
    let count_stop = stop.min(now + DAY_MS);
    let tz = zone(ctx);
    let total = match (total_from_page(pr, rows.len()), &criteria) {
        (Some(n), _) => n,
        // One call at most.
        _ if contact_id.is_some() => count(&ctx.db, q).await?,
        (None, Some(c)) if filter == Filter::default() => {
            counts::total_by_criteria(&ctx.db, tz, ctx.instance(), start, count_stop, c).await?
        }
        (None, Some(_)) => count(&ctx.db, q).await?,
        (None, None) => {
            counts::total(&ctx.db, tz, ctx.instance(), start, count_stop, &filter).await?
        }
    };
    let agent_ids: Vec<String> = rows
        .iter()
        .map(|r| r.agent_user_id.clone())
        .filter(|s| !s.is_empty())
        .collect();
    let rams = ram_ids(ctx, &agent_ids).await?;
    let group_ids: Vec<String> = rows
        .iter()
        .map(|r| r.skill_group_id.clone())
        .filter(|s| !s.is_empty())
        .collect();
    let names = group_names(ctx, &group_ids).await?;
    let list = rows
        .into_iter()
        .map(|r| {
            let agents = if r.agent_user_id.is_empty() {
                Vec::new()
            } else {
                vec![CallDetailAgent {
                    agent_id: rams
                        .get(&r.agent_user_id)
                        .cloned()
                        .unwrap_or_else(|| r.agent_user_id.clone()),
                    feedback: String::new(),
                    satisfaction: String::new(),
                }]
            };
            let agent_names = if r.agent_display_name.is_empty() {
                r.agent_login_name.clone()
            } else {
                r.agent_display_name.clone()
            };
            CallDetailRecord {
                agent_names,
                agents: Agents {
                    call_detail_agent: agents,
                },
                called_number: r.callee.clone(),
                calling_number: r.caller.clone(),
                contact_disposition: r.disposition.clone(),
                contact_id: r.contact_id.clone(),
                contact_type: r.call_type.clone(),
                duration: crate::render::secs(r.release_ms - r.start_ms),
                feedback: String::new(),
                instance_id: r.instance_id.clone(),
                recordings: Recordings::default(),
                satisfaction: None,
                satisfaction_desc: "未发送".into(),
                skill_group_names: names.get(&r.skill_group_id).cloned().unwrap_or_default(),
                skill_group_id_list: r.skill_group_id.clone(),
                start_time: r.start_ms,
            }
        })
        .collect();
    Ok(Response {
        call_detail_records: CallDetailRecords {
            list: List {
                call_detail_record: list,
            },
            page_number: pr.number as i64,
            page_size: pr.size as i64,
            total_count: total as i64,
        },
    })
}
