//! 2017-07-05 ListSkillGroupSummaryReports (seed 004 §11.8): per skill group, the Inbound
//! (with queue figures) / Outbound / Overall figures over `[StartTime, EndTime]` (local times,
//! end second included), a page of the instance's groups ordered by name (`SkillGroupIds`,
//! comma-separated, to choose some).
//!
//! Errors: 400 `InvalidParameter` (times); 404 `NotExists.SkillGroupId`.

use ccgate_plugin_sdk::ApiResult;

use crate::actions::{page, range, skill_groups_page, split_ids, zone};
use crate::api::Ctx;
use crate::api::list_skill_group_summary_reports::{
    List, PagedSkillGroupSummaryReport, Request, Response,
};
use crate::clock;
use crate::compute::{Scope, total};
use crate::render;

/// Serves ListSkillGroupSummaryReports.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let (start, end) = range(ctx, &req.start_time, &req.end_time)?;
    let (offset, limit) = page(req.page_number, req.page_size);
    let (count, rows) = skill_groups_page(
        ctx,
        split_ids(req.skill_group_ids.as_deref()),
        offset,
        limit,
    )
    .await?;
    let ids = rows.iter().map(|g| g.id.clone()).collect();
    let pieces = clock::day_pieces(zone(ctx), start, end);
    let mut figures = total(
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
            let t = figures.remove(&g.id).unwrap_or_default();
            List {
                inbound: render::skill_group_inbound(&t),
                instance_id: ctx.instance().to_string(),
                outbound: render::outbound(&t),
                overall: render::overall(&t),
                skill_group_id: g.id,
                skill_group_name: g.name,
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
