//! 2017-07-05 ListCallMeasureSummaryReports (seed 004 §11.13): the account's metering per local
//! day (`IntervalType` Daily: the last 31 days, today included) or per month (Monthly: the
//! last 12 months, this one included), oldest first, every day or month listed even when 0.
//! Counts are connected calls; minutes are each call's talk rounded up (docs/metrics.md).

use std::collections::BTreeMap;

use ccgate_plugin_sdk::ApiResult;
use chrono::{Datelike, Duration, Months};

use crate::actions::metering::{Period, per_day, today};
use crate::api::Ctx;
use crate::api::list_call_measure_summary_reports::{
    CallMeasureSummaryReport, CallMeasureSummaryReportList, IntervalType, Request, Response,
};
use crate::compute::Scope;
use crate::tally::Tally;

/// Days a Daily list covers.
pub const DAYS: i64 = 31;
/// Months a Monthly list covers.
pub const MONTHS: u32 = 12;

/// Serves ListCallMeasureSummaryReports.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let today = today(ctx);
    let daily = req.interval_type == IntervalType::Daily;
    let first = if daily {
        today - Duration::days(DAYS - 1)
    } else {
        Period::month(today).first - Months::new(MONTHS - 1)
    };
    let figures = per_day(ctx, Period { first, last: today }, &Scope::Instance).await?;
    let mut rows: BTreeMap<(i32, u32, u32), Tally> = BTreeMap::new();
    let mut d = first;
    while d <= today {
        rows.insert(
            (d.year(), d.month(), if daily { d.day() } else { 0 }),
            Tally::default(),
        );
        d = if daily {
            d + Duration::days(1)
        } else {
            d + Months::new(1)
        };
    }
    for ((date, _), t) in figures {
        let key = (
            date.year(),
            date.month(),
            if daily { date.day() } else { 0 },
        );
        rows.entry(key).or_default().merge(&t);
    }
    Ok(Response {
        call_measure_summary_report_list: CallMeasureSummaryReportList {
            call_measure_summary_report: rows
                .into_iter()
                .map(|((y, m, day), t)| CallMeasureSummaryReport {
                    day: if daily {
                        day.to_string()
                    } else {
                        String::new()
                    },
                    inbound_count: t.bill_in_calls,
                    inbound_duration_by_minute: t.bill_in_minutes,
                    month: m.to_string(),
                    outbound_count: t.bill_out_calls,
                    outbound_duration_by_minute: t.bill_out_minutes,
                    year: y.to_string(),
                })
                .collect(),
        },
    })
}
