//! 2017-07-05 GetCallMeasureSummaryReport (seed 004 §11.12): the account's metering for one
//! local day (`IntervalType` Daily with `Year`, `Month`, `Day`) or month (Monthly, `Year`,
//! `Month`): `SummaryReport` over all numbers and `NumberReports` per call center number
//! (ordered by number, paged). Counts are connected calls; minutes are each call's talk
//! rounded up to whole minutes (docs/metrics.md).
//!
//! Errors: 400 `InvalidParameter` for a date that does not exist or Daily without `Day`.

use std::collections::BTreeMap;

use ccgate_plugin_sdk::ApiResult;
use chrono::NaiveDate;

use crate::actions::metering::{Period, per_day};
use crate::actions::page;
use crate::api::get_call_measure_summary_report::{
    IntervalType, List, NumberReport, NumberReports, Request, Response, SummaryReport,
};
use crate::api::{Ctx, errors};
use crate::compute::Scope;
use crate::tally::Tally;

/// Serves GetCallMeasureSummaryReport.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let month = u32::try_from(req.month).unwrap_or(0);
    let year = i32::try_from(req.year).unwrap_or(0);
    let daily = req.interval_type == IntervalType::Daily;
    let day = if daily {
        let d = req.day.ok_or_else(|| {
            errors::invalid_parameter("Day", "required when IntervalType is Daily")
        })?;
        u32::try_from(d).unwrap_or(0)
    } else {
        1
    };
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
        errors::invalid_parameter("Day", format!("{year}-{month}-{day} is not a date"))
    })?;
    let period = if daily {
        Period::day(date)
    } else {
        Period::month(date)
    };
    let mut sum = Tally::default();
    for t in per_day(ctx, period, &Scope::Instance).await?.values() {
        sum.merge(t);
    }
    let mut by_number: BTreeMap<String, Tally> = BTreeMap::new();
    for ((_, number), t) in per_day(ctx, period, &Scope::Numbers).await? {
        by_number.entry(number).or_default().merge(&t);
    }
    let (offset, limit) = page(req.page_number, req.page_size);
    let total = by_number.len() as i64;
    let shown_day = if daily { i64::from(day) } else { 0 };
    let list = by_number
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|(number, t)| NumberReport {
            day: shown_day,
            inbound_count: t.bill_in_calls,
            inbound_duration_by_minute: t.bill_in_minutes,
            month: i64::from(month),
            number,
            outbound_count: t.bill_out_calls,
            outbound_duration_by_minute: t.bill_out_minutes,
            year: i64::from(year),
        })
        .collect();
    Ok(Response {
        number_reports: NumberReports {
            list: List {
                number_report: list,
            },
            page_number: req.page_number.max(1),
            page_size: limit as i64,
            total_count: total,
        },
        summary_report: SummaryReport {
            day: shown_day,
            inbound_count: sum.bill_in_calls,
            inbound_duration_by_minute: sum.bill_in_minutes,
            month: i64::from(month),
            outbound_count: sum.bill_out_calls,
            outbound_duration_by_minute: sum.bill_out_minutes,
            year: i64::from(year),
        },
    })
}
