//! 2017-07-05 GetInstanceSummaryReportSinceMidnight (seed 004 §11.4): the instance's figures
//! from local midnight (the instance's zone) until now; `Timestamp` is that
//! midnight, local (seed 004 §11.4's example).

use ccgate_plugin_sdk::ApiResult;

use crate::actions::{since_midnight, zone};
use crate::api::Ctx;
use crate::api::get_instance_summary_report_since_midnight::{
    InstanceSummaryReport, Request, Response,
};
use crate::clock;
use crate::compute::{Scope, total};
use crate::render;

/// Serves GetInstanceSummaryReportSinceMidnight.
pub async fn handle(ctx: &Ctx<'_>, _req: Request) -> ApiResult<Response> {
    let (start, end, timestamp) = since_midnight(ctx);
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
            timestamp,
        },
    })
}
