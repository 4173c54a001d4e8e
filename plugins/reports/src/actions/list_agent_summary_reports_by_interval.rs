//! 2017-07-05 ListAgentSummaryReportsByInterval (seed 004 §11.6): per agent of the page, one
//! row per bucket of `[StartTime, EndTime]` (`Interval` `Daily`, the default, or `Minute5`),
//! each with its bucket's local start as `Timestamp`; the first and last buckets are clipped to
//! the range. Paging is over agents, as in ListAgentSummaryReports.
//!
//! Errors: 400 `InvalidParameter` (times, AgentIds, more than
//! [`crate::actions::MAX_BUCKETS`] buckets); 404 `NotExists.SkillGroupId`.

use ccgate_plugin_sdk::ApiResult;

use crate::actions::{agents_page, check_buckets, interval_pieces, page, range, split_ids, zone};
use crate::api::Ctx;
use crate::api::list_agent_summary_reports_by_interval::{
    Interval, IntervalList, List, PagedAgentSummaryReport, Request, Response,
};
use crate::clock;
use crate::compute::{Scope, tallies};
use crate::render;

/// Serves ListAgentSummaryReportsByInterval.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let (start, end) = range(ctx, &req.start_time, &req.end_time)?;
    let tz = zone(ctx);
    let minute5 = req.interval == Some(Interval::Minute5);
    let pieces = interval_pieces(tz, start, end, minute5);
    check_buckets(&pieces)?;
    let (offset, limit) = page(req.page_number, req.page_size);
    let group = req.skill_group_id.as_deref().filter(|s| !s.is_empty());
    let (count, rows) = agents_page(
        ctx,
        split_ids(req.agent_ids.as_deref()),
        group,
        offset,
        limit,
    )
    .await?;
    let ids = rows.iter().map(|r| r.user_id.clone()).collect();
    let mut per_piece = tallies(
        &ctx.db,
        ctx.instance(),
        &pieces,
        &Scope::Agents(ids),
        ctx.now_ms(),
    )
    .await?;
    let list = rows
        .into_iter()
        .map(|r| {
            let interval_list = pieces
                .iter()
                .zip(per_piece.iter_mut())
                .map(|(p, figures)| {
                    let t = figures.remove(&r.user_id).unwrap_or_default();
                    IntervalList {
                        agent_id: r.ram_id.clone(),
                        agent_name: r.display_name.clone(),
                        inbound: render::agent_inbound(&t),
                        instance_id: ctx.instance().to_string(),
                        login_name: r.login_name.clone(),
                        outbound: render::outbound(&t),
                        overall: render::agent_overall(&t),
                        skill_group_ids: r.skill_group_ids.clone(),
                        skill_group_names: r.skill_group_names.clone(),
                        timestamp: clock::bucket_label(tz, p, !minute5),
                    }
                })
                .collect();
            List {
                agent_id: r.ram_id,
                interval_list,
            }
        })
        .collect();
    Ok(Response {
        paged_agent_summary_report: PagedAgentSummaryReport {
            list,
            page_number: req.page_number.max(1),
            page_size: limit as i64,
            total_count: count,
        },
    })
}
