//! 2017-07-05 ListAgentSummaryReportsSinceMidnight (seed 004 §11.7): as ListAgentSummaryReports
//! from local midnight until now; `Timestamp` is that
//! midnight, local (seed 004 §11.4's example).
//!
//! Errors: 400 `InvalidParameter` (AgentIds); 404 `NotExists.SkillGroupId`.

use ccgate_plugin_sdk::ApiResult;

use crate::actions::{agents_page, page, since_midnight, split_ids, zone};
use crate::api::Ctx;
use crate::api::list_agent_summary_reports_since_midnight::{
    List, PagedAgentSummaryReport, Request, Response,
};
use crate::clock;
use crate::compute::{Scope, total};
use crate::render;

/// Serves ListAgentSummaryReportsSinceMidnight.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let (start, end, timestamp) = since_midnight(ctx);
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
    let pieces = clock::day_pieces(zone(ctx), start, end);
    let mut figures = total(
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
            let t = figures.remove(&r.user_id).unwrap_or_default();
            List {
                agent_id: r.ram_id,
                agent_name: r.display_name,
                inbound: render::agent_inbound(&t),
                instance_id: ctx.instance().to_string(),
                login_name: r.login_name,
                outbound: render::outbound(&t),
                overall: render::agent_overall(&t),
                skill_group_ids: r.skill_group_ids,
                skill_group_names: r.skill_group_names,
                timestamp: timestamp.clone(),
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
