//! Time of the reports: each instance's zone, its local days and the buckets of the reports.
//!
//! Every stored time is UTC epoch milliseconds. Reports speak the instance's local time
//! (setting `[plugins.reports] time_zone`, default `Asia/Shanghai` as the service ccgate
//! imitates, and `time_zones` per instance): `StartTime` / `EndTime` are local
//! `yyyy-MM-dd HH:mm:ss`, days and months begin at local midnight, and a bucket's `Timestamp` is
//! its local start. A local day is numbered as days since 1970-01-01 (of the local calendar),
//! so a daylight-saving day is 23 or 25 hours long and still one day. Every real zone's offset is
//! a multiple of 15 minutes, so 5-minute buckets are the same in UTC and in local time.

use chrono::{Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// A 5-minute bucket, ms (the `Minute5` interval of seed 004 §11.6 / §11.10).
pub const MINUTE5_MS: i64 = 5 * 60 * 1000;

/// The local time format of the reports (seed 004 §11.3 `StartTime`): `yyyy-MM-dd HH:mm:ss`.
pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// A zone by its IANA name (`Asia/Shanghai`).
///
/// Errors: the name, when it is not a zone of the tz database.
pub fn zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>()
        .map_err(|_| format!("{name:?} is not an IANA time zone (e.g. Asia/Shanghai)"))
}

fn epoch_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")
}

/// The UTC instant of a local date-time; in a daylight-saving gap, the first instant after it;
/// in a fold, the earlier one.
fn instant(tz: Tz, local: NaiveDateTime) -> i64 {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.timestamp_millis(),
        LocalResult::Ambiguous(a, _) => a.timestamp_millis(),
        LocalResult::None => {
            // A gap (clocks jump forward): move forward minute by minute until it exists.
            let mut probe = local;
            for _ in 0..180 {
                probe += Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.timestamp_millis();
                }
            }
            local.and_utc().timestamp_millis()
        }
    }
}

/// Parses a local `yyyy-MM-dd HH:mm:ss` of zone `tz` into UTC epoch ms; `None` when malformed.
pub fn parse_local(tz: Tz, text: &str) -> Option<i64> {
    let t = NaiveDateTime::parse_from_str(text.trim(), FORMAT).ok()?;
    Some(instant(tz, t))
}

/// `ms` (UTC epoch ms) as local `yyyy-MM-dd HH:mm:ss` of zone `tz`.
pub fn format_local(tz: Tz, ms: i64) -> String {
    match tz.timestamp_millis_opt(ms) {
        LocalResult::Single(t) => t.format(FORMAT).to_string(),
        _ => String::new(),
    }
}

/// The local day (days since 1970-01-01 of the local calendar) of instant `ms`.
pub fn local_day(tz: Tz, ms: i64) -> i32 {
    let date = tz
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.date_naive())
        .unwrap_or_else(epoch_day);
    i32::try_from((date - epoch_day()).num_days()).unwrap_or(0)
}

/// The local date of local day `day`.
pub fn date_of(day: i32) -> NaiveDate {
    epoch_day() + Duration::days(i64::from(day))
}

/// The local day of a date.
pub fn day_of(date: NaiveDate) -> i32 {
    i32::try_from((date - epoch_day()).num_days()).unwrap_or(0)
}

/// The UTC instant (ms) at which local day `day` begins (its local midnight).
pub fn day_start(tz: Tz, day: i32) -> i64 {
    instant(tz, date_of(day).and_time(NaiveTime::MIN))
}

/// Local midnight of the day containing `ms`, as UTC epoch ms (SinceMidnight reports).
pub fn midnight_of(tz: Tz, ms: i64) -> i64 {
    day_start(tz, local_day(tz, ms))
}

/// (year, month, day) of local day `day`.
pub fn ymd(day: i32) -> (i32, u32, u32) {
    let d = date_of(day);
    (d.year(), d.month(), d.day())
}

/// The whole local days of `[start, stop)` in `tz`: (first day, last day, UTC start of the
/// first, UTC end of the last); `None` when no local day lies wholly inside.
pub fn whole_days(tz: Tz, start: i64, stop: i64) -> Option<(i32, i32, i64, i64)> {
    let first = local_day(tz, start);
    let first_whole = if day_start(tz, first) == start {
        first
    } else {
        first + 1
    };
    // Every day before the one `stop` falls in ends at or before `stop`.
    let last_whole = local_day(tz, stop) - 1;
    (first_whole <= last_whole).then(|| {
        (
            first_whole,
            last_whole,
            day_start(tz, first_whole),
            day_start(tz, last_whole + 1),
        )
    })
}

/// A piece of a report range: `[start, end)` in UTC epoch ms; `day` is its local day, and
/// `whole` says whether it is that entire day (then the daily rollups answer it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Start, UTC epoch ms, inclusive.
    pub start: i64,
    /// End, UTC epoch ms, exclusive.
    pub end: i64,
    /// The local day the piece lies in.
    pub day: i32,
    /// The piece is the whole local day.
    pub whole: bool,
}

/// Splits `[start, end)` at the local midnights of `tz`.
pub fn day_pieces(tz: Tz, start: i64, end: i64) -> Vec<Piece> {
    let mut out = Vec::new();
    if end <= start {
        return out;
    }
    let mut day = local_day(tz, start);
    let mut at = start;
    while at < end {
        let (ds, de) = (day_start(tz, day), day_start(tz, day + 1));
        let piece_end = de.min(end);
        if piece_end > at {
            out.push(Piece {
                start: at,
                end: piece_end,
                day,
                whole: at == ds && piece_end == de,
            });
        }
        at = piece_end.max(at);
        day += 1;
    }
    out
}

/// Splits `[start, end)` into 5-minute buckets aligned to the clock (the last may be short;
/// the first begins at `start` rounded down, clipped to `start`).
pub fn minute5_pieces(tz: Tz, start: i64, end: i64) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        let next = (at.div_euclid(MINUTE5_MS) + 1) * MINUTE5_MS;
        let piece_end = next.min(end);
        out.push(Piece {
            start: at,
            end: piece_end,
            day: local_day(tz, at),
            whole: false,
        });
        at = piece_end;
    }
    out
}

/// The local start of the bucket `piece` belongs to, for a row's `Timestamp`: local midnight for
/// daily pieces, the 5-minute boundary at or before the start for 5-minute ones.
pub fn bucket_label(tz: Tz, piece: &Piece, daily: bool) -> String {
    if daily {
        format_local(tz, day_start(tz, piece.day))
    } else {
        format_local(tz, piece.start.div_euclid(MINUTE5_MS) * MINUTE5_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `whole_days` names exactly the pieces `day_pieces` marks whole, across Berlin's
    /// 23-hour day (2024-03-31) and for ranges with and without partial ends.
    #[test]
    fn whole_days_are_the_whole_pieces() {
        for tz in [
            zone("Asia/Shanghai").unwrap(),
            zone("Europe/Berlin").unwrap(),
        ] {
            let d0 = day_start(tz, day_of(NaiveDate::from_ymd_opt(2024, 3, 30).unwrap()));
            let d3 = day_start(tz, day_of(NaiveDate::from_ymd_opt(2024, 4, 2).unwrap()));
            for (start, stop) in [
                (d0, d3),
                (d0 + 1, d3),
                (d0, d3 - 1),
                (d0 + 1, d0 + 2),
                (d0, d0),
            ] {
                let whole: Vec<Piece> = day_pieces(tz, start, stop)
                    .into_iter()
                    .filter(|p| p.whole)
                    .collect();
                let want = whole.first().map(|f| {
                    let l = whole.last().unwrap();
                    (f.day, l.day, f.start, l.end)
                });
                assert_eq!(whole_days(tz, start, stop), want, "{tz} [{start}, {stop})");
            }
        }
    }

    #[test]
    fn local_times_of_shanghai_and_a_dst_zone() {
        let sh = zone("Asia/Shanghai").unwrap();
        let ms = parse_local(sh, "2024-03-01 00:00:00").unwrap();
        assert_eq!(ms, 1_709_222_400_000); // 2024-02-29T16:00:00Z
        assert_eq!(format_local(sh, ms), "2024-03-01 00:00:00");
        assert_eq!(day_start(sh, local_day(sh, ms + 5_000)), ms);
        assert!(zone("Mars/Olympus").is_err());
        assert_eq!(parse_local(sh, "2024-03-01"), None);
        // Berlin's 2024-03-31 is 23 hours long: two pieces split at the local midnights.
        let be = zone("Europe/Berlin").unwrap();
        let s = parse_local(be, "2024-03-30 12:00:00").unwrap();
        let e = parse_local(be, "2024-04-01 00:00:00").unwrap();
        let p = day_pieces(be, s, e);
        assert_eq!(p.len(), 2);
        assert!(!p[0].whole && p[1].whole);
        assert_eq!(p[1].end - p[1].start, 23 * 3_600_000);
    }

    #[test]
    fn minute5_buckets_are_clock_aligned() {
        let sh = zone("Asia/Shanghai").unwrap();
        let s = parse_local(sh, "2024-03-01 10:02:00").unwrap();
        let e = parse_local(sh, "2024-03-01 10:12:00").unwrap();
        let p = minute5_pieces(sh, s, e);
        assert_eq!(p.len(), 3);
        assert_eq!(bucket_label(sh, &p[0], false), "2024-03-01 10:00:00");
        assert_eq!(bucket_label(sh, &p[2], false), "2024-03-01 10:10:00");
    }
}
