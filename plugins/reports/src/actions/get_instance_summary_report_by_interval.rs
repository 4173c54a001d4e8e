//! 2017-07-05 GetInstanceSummaryReportByInterval (seed 004 overview table only; parameters
//! from the official SDK; the response `InstanceTimeIntervalReport.IntervalList[]` is
//! ccgate's, modelled on the sibling interval reports): the instance's figures per bucket of
//! `[StartTime, EndTime]`, `Interval` `Daily` (local days, the default) or `Minute5`, each row
//! with its bucket's local start as `Timestamp`. The first and last buckets are clipped to the
//! range. `PageNumber` / `PageSize` are accepted; every bucket is answered.
//!
//! Errors: 400 `InvalidParameter` for a malformed time, an end before the start, or more than
//! [`crate::actions::MAX_BUCKETS`] buckets.

use ccgate_plugin_sdk::ApiResult;

use crate::actions::{check_buckets, interval_pieces, range, zone};
use crate::api::Ctx;
use crate::api::get_instance_summary_report_by_interval::{
    InstanceTimeIntervalReport, Interval, IntervalList, Request, Response,
};
use crate::clock;
use crate::compute::{Scope, tallies};
use crate::render;

/// Serves GetInstanceSummaryReportByInterval.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let (start, end) = range(ctx, &req.start_time, &req.end_time)?;
    let tz = zone(ctx);
    let minute5 = req.interval == Some(Interval::Minute5);
    let pieces = interval_pieces(tz, start, end, minute5);
    check_buckets(&pieces)?;
    let per_piece = tallies(
        &ctx.db,
        ctx.instance(),
        &pieces,
        &Scope::Instance,
        ctx.now_ms(),
    )
    .await?;
    let interval_list = pieces
        .iter()
        .zip(per_piece)
        .map(|(p, mut t)| {
            let t = t.remove("").unwrap_or_default();
            IntervalList {
                inbound: render::instance_inbound(&t),
                instance_id: ctx.instance().to_string(),
                outbound: render::outbound(&t),
                overall: render::overall(&t),
                timestamp: clock::bucket_label(tz, p, !minute5),
            }
        })
        .collect();
    Ok(Response {
        instance_time_interval_report: InstanceTimeIntervalReport {
            instance_id: ctx.instance().to_string(),
            interval_list,
        },
    })
}
