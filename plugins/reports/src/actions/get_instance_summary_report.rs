//! 2017-07-05 GetInstanceSummaryReport (seed 004 §11.3): the instance's Inbound / Outbound /
//! Overall figures over `[StartTime, EndTime]` (local times of the instance's zone, the end
//! second included). Any range the data covers is answered (no 6-month limit): whole local
//! days come from the daily rollups. `PageNumber` / `PageSize` are accepted and have nothing
//! to page.
//!
//! Errors: 400 `InvalidParameter` for a malformed time or an end before the start.

use ccgate_plugin_sdk::ApiResult;

use crate::actions::{range, zone};
use crate::api::Ctx;
use crate::api::get_instance_summary_report::{InstanceSummaryReport, Request, Response};
use crate::clock;
use crate::compute::{Scope, total};
use crate::render;

/// Serves GetInstanceSummaryReport.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let (start, end) = range(ctx, &req.start_time, &req.end_time)?;
    let pieces = clock::day_pieces(zone(ctx), start, end);
    let t = total(
        &ctx.db,
        ctx.instance(),
        &pieces,
        &Scope::Instance,
        ctx.now_ms(),
    )
    .await?
    .remove("")
    .unwrap_or_default();
    Ok(Response {
        instance_summary_report: InstanceSummaryReport {
            inbound: render::instance_inbound(&t),
            instance_id: ctx.instance().to_string(),
            outbound: render::outbound(&t),
            overall: render::overall(&t),
        },
    })
}
