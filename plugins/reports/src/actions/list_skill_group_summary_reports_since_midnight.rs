//! 2017-07-05 ListSkillGroupSummaryReportsSinceMidnight (seed 004 §11.9): as
//! ListSkillGroupSummaryReports from local midnight until now (`SkillGroups`: comma-separated
//! ids); `Timestamp` is that
//! midnight, local (seed 004 §11.4's example).
//!
//! Errors: 404 `NotExists.SkillGroupId`.

use ccgate_plugin_sdk::ApiResult;

use crate::actions::{page, since_midnight, skill_groups_page, split_ids, zone};
use crate::api::Ctx;
use crate::api::list_skill_group_summary_reports_since_midnight::{
    List, PagedSkillGroupSummaryReport, Request, Response,
};
use crate::clock;
use crate::compute::{Scope, total};
use crate::render;

/// Serves ListSkillGroupSummaryReportsSinceMidnight.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let (start, end, timestamp) = since_midnight(ctx);
    let (offset, limit) = page(req.page_number, req.page_size);
    let (count, rows) =
        skill_groups_page(ctx, split_ids(req.skill_groups.as_deref()), offset, limit).await?;
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
                timestamp: timestamp.clone(),
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
