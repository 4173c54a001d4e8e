//! 2017-07-05 ListSkillGroupSummaryReportsByInterval (seed 004 §11.10): per skill group of the
//! page, one row per bucket of `[StartTime, EndTime]` (`Interval` `Daily`, the default, or
//! `Minute5`), each with its bucket's local start as `Timestamp`.
//!
//! Errors: 400 `InvalidParameter` (times, too many buckets); 404 `NotExists.SkillGroupId`.

use ccgate_plugin_sdk::ApiResult;

use crate::actions::{
    check_buckets, interval_pieces, page, range, skill_groups_page, split_ids, zone,
};
use crate::api::Ctx;
use crate::api::list_skill_group_summary_reports_by_interval::{
    Interval, IntervalList, List, PagedSkillGroupSummaryReport, Request, Response,
};
use crate::clock;
use crate::compute::{Scope, tallies};
use crate::render;

/// Serves ListSkillGroupSummaryReportsByInterval.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let (start, end) = range(ctx, &req.start_time, &req.end_time)?;
    let tz = zone(ctx);
    let minute5 = req.interval == Some(Interval::Minute5);
    let pieces = interval_pieces(tz, start, end, minute5);
    check_buckets(&pieces)?;
    let (offset, limit) = page(req.page_number, req.page_size);
    let (count, rows) = skill_groups_page(
        ctx,
        split_ids(req.skill_group_ids.as_deref()),
        offset,
        limit,
    )
    .await?;
    let ids = rows.iter().map(|g| g.id.clone()).collect();
    let mut per_piece = tallies(
        &ctx.db,
        ctx.instance(),
        &pieces,
        &Scope::Groups(ids),
        ctx.now_ms(),
    )
    .await?;
    let list = rows
        .into_iter()
        .map(|g| {
            let interval_list = pieces
                .iter()
                .zip(per_piece.iter_mut())
                .map(|(p, figures)| {
                    let t = figures.remove(&g.id).unwrap_or_default();
                    IntervalList {
                        inbound: render::skill_group_inbound(&t),
                        instance_id: ctx.instance().to_string(),
                        outbound: render::outbound(&t),
                        overall: render::overall(&t),
                        skill_group_id: g.id.clone(),
                        skill_group_name: g.name.clone(),
                        timestamp: clock::bucket_label(tz, p, !minute5),
                    }
                })
                .collect();
            List {
                interval_list,
                skill_group_id: g.id,
            }
        })
        .collect();
    Ok(Response {
        paged_skill_group_summary_report: PagedSkillGroupSummaryReport {
            list,
            page_number: req.page_number.max(1),
            page_size: limit as i64,
            total_count: count,
        },
    })
}
