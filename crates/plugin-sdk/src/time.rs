//! Time helpers. Storage keeps UTC milliseconds since the Unix epoch (`i64`); responses
//! render them in the formats the seeds show, in UTC.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// Now, in UTC milliseconds since the Unix epoch, by the system clock. Handlers read the time
/// through their context instead ([`crate::Context::now_ms`]), so that tests can set it.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Where a request reads the current time: the system clock, or a clock a test sets and
/// moves ([`Clock::fixed`]). Cloning shares the clock.
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock standing at `ms` (UTC milliseconds since the Unix epoch) until moved.
    pub fn fixed(ms: i64) -> Self {
        Self(Some(Arc::new(AtomicI64::new(ms))))
    }

    /// Now, in UTC milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        match &self.0 {
            None => now_ms(),
            Some(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Sets a fixed clock to `ms` (no effect on the system clock).
    pub fn set_ms(&self, ms: i64) {
        if let Some(t) = &self.0 {
            t.store(ms, Ordering::SeqCst);
        }
    }

    /// Moves a fixed clock forward by `ms` (no effect on the system clock).
    pub fn advance_ms(&self, ms: i64) {
        if let Some(t) = &self.0 {
            t.fetch_add(ms, Ordering::SeqCst);
        }
    }
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
    fn a_fixed_clock_stands_still_until_moved_and_clones_share_it() {
        let c = super::Clock::fixed(1_000);
        let shared = c.clone();
        assert_eq!(c.now_ms(), 1_000);
        shared.advance_ms(500);
        assert_eq!(c.now_ms(), 1_500);
        c.set_ms(7);
        assert_eq!(shared.now_ms(), 7);
        let system = super::Clock::system();
        system.advance_ms(1_000_000);
        assert!((system.now_ms() - super::now_ms()).abs() < 60_000);
    }

    #[test]
    fn formats_match_the_seed_examples() {
        // 2021-03-08 15:34:49.0 UTC
        let ms = 1_615_217_689_000;
        assert_eq!(super::datetime(ms), "2021-03-08 15:34:49");
        assert_eq!(super::datetime_tenths(ms + 250), "2021-03-08 15:34:49.2");
        assert_eq!(super::version_label(ms), "20210308153449");
    }
}
