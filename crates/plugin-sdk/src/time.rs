//! Time helpers. Storage keeps UTC milliseconds since the Unix epoch (`i64`); responses
//! render them in the formats the seeds show, in UTC.

use chrono::{DateTime, Utc};

/// Now, in UTC milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// `yyyy-MM-dd HH:mm:ss` (2017-07-05 `LastModified`), UTC.
pub fn datetime(ms: i64) -> String {
    at(ms).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `yyyy-MM-dd HH:mm:ss.S` (2020-07-01 `CreatedTime`/`UpdatedTime`, one fractional digit), UTC.
pub fn datetime_tenths(ms: i64) -> String {
    let t = at(ms);
    format!(
        "{}.{}",
        t.format("%Y-%m-%d %H:%M:%S"),
        t.timestamp_subsec_millis() / 100
    )
}

/// `yyyyMMddHHmmss` (2017-07-05 contact flow `Version` labels), UTC.
pub fn version_label(ms: i64) -> String {
    at(ms).format("%Y%m%d%H%M%S").to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_match_the_seed_examples() {
        // 2021-03-08 15:34:49.0 UTC
        let ms = 1_615_217_689_000;
        assert_eq!(super::datetime(ms), "2021-03-08 15:34:49");
        assert_eq!(super::datetime_tenths(ms + 250), "2021-03-08 15:34:49.2");
        assert_eq!(super::version_label(ms), "20210308153449");
    }
}
