//! The life of a serving process after migrations: background work the host owns (every
//! plugin's [tasks](ccgate_plugin_sdk::task) and the [event delivery](crate::events)), started
//! before serving, and the ordered shutdown on SIGTERM or SIGINT:
//!
//! 1. stop accepting connections and drain in-flight HTTP requests (actix-server's graceful
//!    stop, at most `[shutdown] drain_secs`; connections still open then are closed);
//! 2. raise the stop signal of every task and of the delivery service, and wait for them (at
//!    most `[shutdown] tasks_secs`; the ones still running then are cancelled);
//! 3. call each plugin's `shutdown()` in the reverse of registration order (at most
//!    `[shutdown] plugin_secs` each).
//!
//! Each step is logged. Built-in plugins and plugins loaded as libraries go through the same
//! calls ([`Plugin::run_task`], [`Plugin::shutdown`]); a library's task is a future the host
//! polls like its handlers.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ccgate_plugin_sdk::task::{BoxFuture, Timer};
use ccgate_plugin_sdk::{Plugin, StopSignal, TaskContext};
use futures::FutureExt as _;
use sea_orm::DatabaseConnection;
use tokio::task::JoinHandle;

use crate::events::{Delivery, SetupError};
use crate::settings::{EventSettings, ShutdownSettings};

/// The host's timer for [`TaskContext::sleep`]: tokio's.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioTimer;

impl Timer for TokioTimer {
    fn sleep(&self, duration: Duration) -> BoxFuture {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// First wait before a failed task is started again; it doubles per failure up to
/// [`RESTART_MAX`], and starts over after a run of [`HEALTHY_RUN`].
const RESTART_MIN: Duration = Duration::from_secs(1);
const RESTART_MAX: Duration = Duration::from_secs(60);
const HEALTHY_RUN: Duration = Duration::from_secs(60);

/// The background work of a process: plugin tasks and event delivery, sharing one stop signal.
pub struct Background {
    stop: StopSignal,
    tasks: Vec<(String, JoinHandle<()>)>,
}

impl Background {
    /// Starts every task of `plugins` (in registration order, then in each plugin's order) and
    /// the delivery of events to their subscriptions, on the current tokio runtime. `owner`
    /// names this process in delivery leases (see [`process_owner`]).
    ///
    /// Errors: a subscription that cannot be served (duplicate or bad name, no topic).
    pub fn start(
        plugins: &[Arc<dyn Plugin>],
        db: &DatabaseConnection,
        events: &EventSettings,
        owner: &str,
    ) -> Result<Self, SetupError> {
        let delivery = Delivery::new(db.clone(), plugins, events.clone(), owner)?;
        let stop = StopSignal::new();
        let mut tasks = Vec::new();
        for plugin in plugins {
            for (index, task) in plugin.tasks().into_iter().enumerate() {
                let name = format!("{}/{task}", plugin.name());
                tracing::info!(plugin = plugin.name(), task, "starting task");
                let handle = tokio::spawn(supervise(
                    plugin.clone(),
                    index,
                    task,
                    db.clone(),
                    stop.clone(),
                ));
                tasks.push((name, handle));
            }
        }
        let subscribers = delivery.subscriber_names();
        if !subscribers.is_empty() {
            tracing::info!(?subscribers, "starting event delivery");
        }
        tasks.extend(delivery.spawn(&stop));
        Ok(Self { stop, tasks })
    }

    /// Names of the running background tasks (`<plugin>/<task>`, `events: ...`).
    pub fn task_names(&self) -> Vec<&str> {
        self.tasks.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Raises the stop signal and waits for every task, at most `timeout` in all; tasks still
    /// running then are cancelled (a library's task future is dropped). Returns the names of
    /// the cancelled ones.
    pub async fn stop(self, timeout: Duration) -> Vec<String> {
        tracing::info!(
            tasks = self.tasks.len(),
            timeout_secs = timeout.as_secs(),
            "stopping background tasks"
        );
        self.stop.raise();
        let deadline = tokio::time::Instant::now() + timeout;
        let mut cancelled = Vec::new();
        for (name, mut handle) in self.tasks {
            match tokio::time::timeout_at(deadline, &mut handle).await {
                Ok(_) => tracing::info!(task = %name, "background task stopped"),
                Err(_) => {
                    tracing::warn!(task = %name, "background task did not stop in time; cancelling it");
                    handle.abort();
                    let _ = handle.await;
                    cancelled.push(name);
                }
            }
        }
        cancelled
    }
}

/// A delivery-lease owner name unique to this process: `<host_id>/<pid>/<random>`.
pub fn process_owner(host_id: &str) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{host_id}/{}/{}", std::process::id(), &random[..8])
}

/// Runs task `index` of `plugin` until `stop`, starting it again when it fails.
///
/// Why restart: a task is a service the plugin relies on for the life of the process (a SIP
/// engine, a queue consumer). A failure is often transient (the database restarting, a
/// network error, a bug hit by one input); without a restart the process would go on serving
/// requests with the service silently gone until someone restarts it. The back-off (1 s
/// doubling to 60 s, back to 1 s after a run of a minute) keeps a task that fails at once from
/// spinning and flooding the log, while it still recovers by itself once the cause is gone. A
/// task that returns `Ok(())` on its own is done and is not started again.
async fn supervise(
    plugin: Arc<dyn Plugin>,
    index: usize,
    task: &'static str,
    db: DatabaseConnection,
    stop: StopSignal,
) {
    let name = plugin.name();
    let mut delay = RESTART_MIN;
    loop {
        let started = Instant::now();
        let cx = TaskContext::new(db.clone(), task, stop.clone(), Arc::new(TokioTimer));
        let ran = AssertUnwindSafe(plugin.run_task(index, cx))
            .catch_unwind()
            .await;
        let why = match ran {
            Ok(Ok(())) if stop.is_raised() => {
                tracing::info!(plugin = name, task, "task stopped");
                return;
            }
            Ok(Ok(())) => {
                tracing::info!(
                    plugin = name,
                    task,
                    "task finished on its own; not restarted"
                );
                return;
            }
            Ok(Err(e)) => e,
            Err(p) => format!("panicked: {}", panic_text(&*p)),
        };
        if stop.is_raised() {
            tracing::warn!(plugin = name, task, error = %why, "task failed while stopping");
            return;
        }
        if started.elapsed() >= HEALTHY_RUN {
            delay = RESTART_MIN;
        }
        tracing::error!(
            plugin = name,
            task,
            error = %why,
            restart_in_ms = delay.as_millis() as u64,
            "task failed; restarting it after a back-off"
        );
        tokio::select! {
            _ = stop.raised() => return,
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(RESTART_MAX);
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-string payload".into())
}

/// Calls `shutdown()` on each plugin, last registered first, each at most `timeout`; a panic
/// is caught and logged. Returns the names in the order they were shut down.
pub async fn shutdown_plugins(plugins: &[Arc<dyn Plugin>], timeout: Duration) -> Vec<&'static str> {
    let mut order = Vec::new();
    for plugin in plugins.iter().rev() {
        let name = plugin.name();
        tracing::info!(plugin = name, "shutting down plugin");
        match tokio::time::timeout(timeout, AssertUnwindSafe(plugin.shutdown()).catch_unwind())
            .await
        {
            Ok(Ok(())) => tracing::info!(plugin = name, "plugin shut down"),
            Ok(Err(p)) => {
                tracing::error!(plugin = name, error = %panic_text(&*p), "plugin shutdown panicked")
            }
            Err(_) => tracing::warn!(
                plugin = name,
                timeout_secs = timeout.as_secs(),
                "plugin shutdown did not finish in time"
            ),
        }
        order.push(name);
    }
    order
}

/// Completes on SIGTERM or SIGINT (Ctrl-C elsewhere than Unix); names the signal.
///
/// Errors: the signal handlers cannot be installed.
pub async fn termination() -> std::io::Result<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        tokio::select! {
            _ = term.recv() => Ok("SIGTERM"),
            _ = int.recv() => Ok("SIGINT"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await?;
        Ok("Ctrl-C")
    }
}

/// Serves until `shutdown` completes (normally [`termination`]) or the server ends by itself,
/// then shuts down in order: drain HTTP, stop `background`, shut `plugins` down (see the module
/// docs). The server must have been built with its own signal handling off.
///
/// Errors: the server failed.
pub async fn serve_until(
    server: actix_server::Server,
    shutdown: impl std::future::Future<Output = std::io::Result<&'static str>>,
    background: Background,
    plugins: &[Arc<dyn Plugin>],
    limits: &ShutdownSettings,
    streams_end: Option<tokio::sync::watch::Sender<bool>>,
) -> anyhow::Result<()> {
    let handle = server.handle();
    let mut server = std::pin::pin!(server);
    let served = tokio::select! {
        ended = &mut server => Some(ended),
        signal = shutdown => {
            match signal {
                Ok(signal) => tracing::info!(
                    signal,
                    drain_secs = limits.drain_secs,
                    "shutting down: no new connections; draining in-flight requests"
                ),
                Err(e) => tracing::error!(error = %e, "shutting down: cannot wait for signals"),
            }
            None
        }
    };
    let result = match served {
        Some(ended) => {
            tracing::warn!("the HTTP server ended by itself; shutting down");
            ended
        }
        None => {
            // Long-lived responses (agent-state streams) end first: they would hold the drain
            // open until drain_secs ran out.
            if let Some(end) = &streams_end {
                end.send_replace(true);
            }
            // Sends the stop command; the server future, polled below, carries it out (it
            // resolves once the workers finished their requests or the drain time ran out).
            let stopped = handle.stop(true);
            let ended = server.await;
            stopped.await;
            tracing::info!("HTTP server stopped; in-flight requests drained");
            ended
        }
    };
    let cancelled = background
        .stop(Duration::from_secs(limits.tasks_secs))
        .await;
    if !cancelled.is_empty() {
        tracing::warn!(?cancelled, "background tasks cancelled");
    }
    shutdown_plugins(plugins, Duration::from_secs(limits.plugin_secs)).await;
    tracing::info!("shutdown complete");
    result.map_err(Into::into)
}
