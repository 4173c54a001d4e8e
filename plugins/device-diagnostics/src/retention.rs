//! The retention task [`TASK`]: deletes agent device records older than the setting
//! `retention_days` ([`crate::Settings::retention_days`]), once when it starts and then every
//! [`INTERVAL`], in batches of [`PURGE_BATCH`] rows ([`crate::storage::purge_older_than`]).
//! A record's age is that of its `LoginTime` (when AddAgentDevice recorded it).

use std::time::Duration;

use ccgate_plugin_sdk::task::TaskContext;

use crate::storage::{self, PURGE_BATCH};

/// The task's name ([`crate::DeviceDiagnosticsPlugin`]'s only task).
pub const TASK: &str = "device-diagnostics.retention";

/// How long the task waits between purges.
pub const INTERVAL: Duration = Duration::from_secs(3600);

/// One day, in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// The cut-off of a purge at `now_ms` keeping `retention_days` days: records with a
/// `LoginTime` before it are deleted.
pub fn cutoff_ms(now_ms: i64, retention_days: u32) -> i64 {
    now_ms.saturating_sub(i64::from(retention_days) * DAY_MS)
}

/// Purges now, then every [`INTERVAL`], until the host asks the task to stop.
///
/// Errors: storage (the host logs it and starts the task again after a back-off).
pub async fn run(cx: &TaskContext, retention_days: u32) -> Result<(), String> {
    let stop = || cx.is_stopped();
    loop {
        let cutoff = cutoff_ms(ccgate_plugin_sdk::time::now_ms(), retention_days);
        let deleted = storage::purge_older_than(&cx.db, cutoff, PURGE_BATCH, &stop)
            .await
            .map_err(|e| format!("{TASK}: {e}"))?;
        if deleted > 0 {
            tracing::info!(deleted, retention_days, "purged old agent device records");
        }
        if !cx.sleep(INTERVAL).await {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ccgate_plugin_sdk::Plugin;
    use ccgate_plugin_sdk::task::{BoxFuture, StopSignal, Timer};

    use super::*;
    use crate::testutil::{ALICE, Harness};
    use crate::{DeviceDiagnosticsPlugin, Settings};

    /// A timer that raises the stop signal instead of waiting: the task purges once, then ends.
    struct StopOnSleep(StopSignal);

    impl Timer for StopOnSleep {
        fn sleep(&self, _: Duration) -> BoxFuture {
            self.0.raise();
            Box::pin(std::future::pending())
        }
    }

    #[tokio::test]
    async fn the_task_purges_at_start_with_the_configured_retention_then_stops_when_asked() {
        let h = Harness::new().await;
        let now = ccgate_plugin_sdk::time::now_ms();
        h.add_at(ALICE, now - 8 * DAY_MS).await;
        let kept = h.add_at(ALICE, now - 6 * DAY_MS).await;
        let plugin = DeviceDiagnosticsPlugin::with_settings(Settings { retention_days: 7 });
        let stop = StopSignal::new();
        let cx = TaskContext::new(
            h.env.db.clone(),
            TASK,
            stop.clone(),
            Arc::new(StopOnSleep(stop)),
        );
        plugin.run_task(0, cx.clone()).await.unwrap();
        let left: Vec<i64> = h.all_rows().await.iter().map(|r| r.id).collect();
        assert_eq!(left, [kept]);
        assert!(plugin.run_task(1, cx).await.is_err());
    }

    #[test]
    fn the_cutoff_is_retention_days_before_now() {
        assert_eq!(cutoff_ms(10 * DAY_MS, 3), 7 * DAY_MS);
        assert_eq!(cutoff_ms(0, 3650), -3650 * DAY_MS);
    }
}
