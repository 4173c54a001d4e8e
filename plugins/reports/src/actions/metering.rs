//! Call metering (seed 004 §11.12, §11.13): connected calls and their minutes, rounded up per
//! call, per local day or month, over all instances of the account (each instance's days in
//! its own zone).

use std::collections::BTreeMap;

use ccgate_plugin_sdk::ApiResult;
use chrono::{Datelike, NaiveDate};

use crate::api::Ctx;
use crate::clock;
use crate::compute::{Scope, tallies};
use crate::tally::Tally;

/// A stretch of local calendar: `[first, last]` days (inclusive), by date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First local date.
    pub first: NaiveDate,
    /// Last local date (inclusive).
    pub last: NaiveDate,
}

impl Period {
    /// One day.
    pub fn day(d: NaiveDate) -> Self {
        Period { first: d, last: d }
    }

    /// The calendar month of `d`.
    pub fn month(d: NaiveDate) -> Self {
        let first = d.with_day(1).unwrap_or(d);
        let next = if first.month() == 12 {
            NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
        }
        .unwrap_or(first);
        Period {
            first,
            last: next.pred_opt().unwrap_or(first),
        }
    }
}

/// The metering figures per local date over `period`, summed over the account's instances,
/// for scope `scope` (instance: key ""; numbers: key = the number).
///
/// Errors: storage.
pub async fn per_day(
    ctx: &Ctx<'_>,
    period: Period,
    scope: &Scope,
) -> ApiResult<BTreeMap<(NaiveDate, String), Tally>> {
    let mut out = BTreeMap::new();
    let now = ctx.now_ms();
    for instance in &ctx.account_instances {
        let tz = ctx.state().zones.of(instance);
        let start = clock::day_start(tz, clock::day_of(period.first));
        let end = clock::day_start(tz, clock::day_of(period.last) + 1).min(now.max(start));
        let pieces = clock::day_pieces(tz, start, end);
        let figures = tallies(&ctx.db, instance, &pieces, scope, now).await?;
        for (p, per_key) in pieces.iter().zip(figures) {
            for (key, t) in per_key {
                out.entry((clock::date_of(p.day), key))
                    .or_insert_with(Tally::default)
                    .merge(&t);
            }
        }
    }
    Ok(out)
}

/// Today's local date in the default zone.
pub fn today(ctx: &Ctx<'_>) -> NaiveDate {
    let tz = ctx.state().zones.default;
    clock::date_of(clock::local_day(tz, ctx.now_ms()))
}
