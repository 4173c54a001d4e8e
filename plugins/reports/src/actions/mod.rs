//! One module per action; `handle(&Ctx, Request) -> ApiResult<Response>` each. What they
//! share: the report range ([`range`]), paging ([`page`]) and the scope lists
//! ([`agents_page`], [`skill_groups_page`]).

pub mod get_call_measure_summary_report;
pub mod get_instance_summary_report;
pub mod get_instance_summary_report_by_interval;
pub mod get_instance_summary_report_since_midnight;
pub mod list_agent_summary_reports;
pub mod list_agent_summary_reports_by_interval;
pub mod list_agent_summary_reports_since_midnight;
pub mod list_call_detail_records;
pub mod list_call_measure_summary_reports;
pub mod list_skill_group_summary_reports;
pub mod list_skill_group_summary_reports_by_interval;
pub mod list_skill_group_summary_reports_since_midnight;

mod metering;
mod scopes;

pub use scopes::{AgentRow, GroupRow, agents_page, skill_groups_page};

use ccgate_plugin_sdk::ApiResult;
use chrono_tz::Tz;

use crate::api::{Ctx, errors};
use crate::clock::{self, Piece};

/// The instance's zone.
pub fn zone(ctx: &Ctx<'_>) -> Tz {
    ctx.state().zones.of(ctx.instance())
}

/// `[StartTime, EndTime]` (local `yyyy-MM-dd HH:mm:ss` of the instance's zone) as UTC epoch ms
/// `[start, end)`: the end second is included (the seed's ranges end at `23:59:59`).
///
/// Errors: 400 `InvalidParameter` for a malformed time or an end before the start.
pub fn range(ctx: &Ctx<'_>, start: &str, end: &str) -> ApiResult<(i64, i64)> {
    let tz = zone(ctx);
    let s = clock::parse_local(tz, start)
        .ok_or_else(|| errors::invalid_parameter("StartTime", "expected yyyy-MM-dd HH:mm:ss"))?;
    let e = clock::parse_local(tz, end)
        .ok_or_else(|| errors::invalid_parameter("EndTime", "expected yyyy-MM-dd HH:mm:ss"))?;
    if e < s {
        return Err(errors::invalid_parameter(
            "EndTime",
            "the end is before StartTime",
        ));
    }
    Ok((s, e + 1000))
}

/// Today since local midnight: `[midnight, now)`, and the `Timestamp`: the local midnight
/// the figures start at (seed 004 §11.4's example: `2018-09-13 00:00:00`).
pub fn since_midnight(ctx: &Ctx<'_>) -> (i64, i64, String) {
    let tz = zone(ctx);
    let now = ctx.now_ms();
    let midnight = clock::midnight_of(tz, now);
    (
        midnight,
        now.max(midnight),
        clock::format_local(tz, midnight),
    )
}

/// The pieces of an interval report: whole local days (`Daily`, the default) or 5-minute
/// buckets (`Minute5`).
pub fn interval_pieces(tz: Tz, start: i64, end: i64, minute5: bool) -> Vec<Piece> {
    if minute5 {
        clock::minute5_pieces(tz, start, end)
    } else {
        clock::day_pieces(tz, start, end)
    }
}

/// Most buckets one interval report answers (a year of days; 5-minute buckets over ~3.5
/// days); larger ranges are refused rather than answered slowly.
pub const MAX_BUCKETS: usize = 1000;

/// Refuses more than [`MAX_BUCKETS`] buckets.
///
/// Errors: 400 `InvalidParameter` (`EndTime`).
pub fn check_buckets(pieces: &[Piece]) -> ApiResult<()> {
    if pieces.len() > MAX_BUCKETS {
        return Err(errors::invalid_parameter(
            "EndTime",
            format!(
                "the range has {} buckets; at most {MAX_BUCKETS} per request (use Daily, or a shorter range)",
                pieces.len()
            ),
        ));
    }
    Ok(())
}

/// `(offset, limit)` of page `number` (from 1) of `size` (1-100; the generated parser has
/// checked the documented bounds).
pub fn page(number: i64, size: i64) -> (u64, u64) {
    let size = size.clamp(1, 100) as u64;
    let number = number.max(1) as u64;
    ((number - 1) * size, size)
}

/// Splits a comma-separated id list, trimmed, empties dropped.
pub fn split_ids(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}
