//! Long-running tasks a plugin declares ([`crate::Plugin::tasks`]) and the host runs on its own
//! runtime ([`crate::Plugin::run_task`]): a SIP engine, a queue poller, a periodic clean-up.
//!
//! The host starts every task after migrations and before serving, and on shutdown (SIGTERM or
//! SIGINT, once in-flight requests are drained) raises the task's [`StopSignal`]: a task
//! watches it with [`TaskContext::is_stopped`], awaits it with [`TaskContext::stopped`], or
//! waits with [`TaskContext::sleep`], which ends early when it is raised, and then returns.
//! A task that returns an error or panics is logged and started again after a back-off; one
//! that returns `Ok(())` before being stopped is finished and not started again.
//!
//! The same API serves built-in plugins and plugins loaded as libraries: a library links no
//! async runtime, so its tasks wait only through the context (storage, [`TaskContext::sleep`],
//! [`TaskContext::stopped`]), all of which the host drives.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::Duration;

use sea_orm::DatabaseConnection;

/// A future the host hands out, boxed so it can cross crate (and library) boundaries.
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The host's timer: what [`TaskContext::sleep`] waits on (a plugin library has no timer of
/// its own).
pub trait Timer: Send + Sync + 'static {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture;
}

/// A one-way "stop now" flag that can be awaited: raised once by the host, seen by every clone.
///
/// Runtime-agnostic (an `event_listener::Event` wakes the waiters), so the same type serves the
/// host and a plugin library.
#[derive(Clone, Default)]
pub struct StopSignal(Arc<StopInner>);

#[derive(Default)]
struct StopInner {
    raised: AtomicBool,
    event: event_listener::Event,
}

impl std::fmt::Debug for StopSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("StopSignal")
            .field(&self.is_raised())
            .finish()
    }
}

impl StopSignal {
    /// A signal not raised yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises the signal and wakes everyone awaiting [`StopSignal::raised`]. Idempotent.
    pub fn raise(&self) {
        if !self.0.raised.swap(true, Ordering::SeqCst) {
            self.0.event.notify(usize::MAX);
        }
    }

    /// Whether the signal was raised.
    pub fn is_raised(&self) -> bool {
        self.0.raised.load(Ordering::SeqCst)
    }

    /// Completes once the signal is raised (at once when it already is).
    pub async fn raised(&self) {
        loop {
            if self.is_raised() {
                return;
            }
            // Listen first, then check again: a raise between the check above and `listen`
            // would otherwise be missed.
            let listener = self.0.event.listen();
            if self.is_raised() {
                return;
            }
            listener.await;
        }
    }
}

/// What a task gets from the host: storage, the stop signal, a timer.
#[derive(Clone)]
pub struct TaskContext {
    /// The host's storage (the pool; open transactions with `storage::begin_write`).
    pub db: DatabaseConnection,
    /// The task's name, as declared in [`crate::Plugin::tasks`].
    pub task: &'static str,
    stop: StopSignal,
    timer: Arc<dyn Timer>,
}

impl std::fmt::Debug for TaskContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskContext")
            .field("task", &self.task)
            .field("stop", &self.stop)
            .finish_non_exhaustive()
    }
}

impl TaskContext {
    /// A context for task `task` (built by the host, or by a test).
    pub fn new(
        db: DatabaseConnection,
        task: &'static str,
        stop: StopSignal,
        timer: Arc<dyn Timer>,
    ) -> Self {
        Self {
            db,
            task,
            stop,
            timer,
        }
    }

    /// Whether the host asked the task to stop. A task checks it between units of work and
    /// returns `Ok(())` soon after it turns true.
    pub fn is_stopped(&self) -> bool {
        self.stop.is_raised()
    }

    /// Completes when the host asks the task to stop (at once when it already has). Await it
    /// beside the task's own work (e.g. in a `select`) to stop mid-wait.
    pub async fn stopped(&self) {
        self.stop.raised().await
    }

    /// Waits `duration` on the host's timer, or less when the task is asked to stop.
    ///
    /// Returns `true` when the whole time passed, `false` when the task was asked to stop
    /// (then it should return).
    pub async fn sleep(&self, duration: Duration) -> bool {
        let mut sleep = self.timer.sleep(duration);
        let mut stopped = pin!(self.stop.raised());
        poll_fn(|cx| {
            if stopped.as_mut().poll(cx).is_ready() {
                return Poll::Ready(false);
            }
            if sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(true);
            }
            Poll::Pending
        })
        .await
    }

    /// The stop signal itself (for a host that passes it on, e.g. across the plugin ABI).
    pub fn stop_signal(&self) -> &StopSignal {
        &self.stop
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::task::{Context, Wake, Waker};

    use super::*;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A timer that never fires.
    struct Never;

    impl Timer for Never {
        fn sleep(&self, _: Duration) -> BoxFuture {
            Box::pin(std::future::pending())
        }
    }

    /// A timer that fires at once.
    struct Now;

    impl Timer for Now {
        fn sleep(&self, _: Duration) -> BoxFuture {
            Box::pin(std::future::ready(()))
        }
    }

    fn poll_once<F: Future>(fut: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
        fut.poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn raising_wakes_every_waiter_once_and_later_waiters_complete_at_once() {
        let stop = StopSignal::new();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let (a, b) = (stop.clone(), stop.clone());
        let mut wa = pin!(a.raised());
        let mut wb = pin!(b.raised());
        assert!(poll_once(wa.as_mut(), &waker).is_pending());
        assert!(poll_once(wb.as_mut(), &waker).is_pending());
        stop.raise();
        stop.raise();
        assert_eq!(count.0.load(Ordering::SeqCst), 2, "each waiter woken once");
        assert!(poll_once(wa, &waker).is_ready());
        assert!(poll_once(wb, &waker).is_ready());
        assert!(poll_once(pin!(stop.raised()), &waker).is_ready());
        assert!(format!("{stop:?}").contains("true"));
    }

    #[test]
    fn sleep_reports_whether_it_was_cut_short() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count);
        let cx = TaskContext::new(
            DatabaseConnection::default(),
            "t",
            StopSignal::new(),
            Arc::new(Now),
        );
        assert_eq!(
            poll_once(pin!(cx.sleep(Duration::from_secs(1))), &waker),
            Poll::Ready(true)
        );
        let stop = StopSignal::new();
        let cx = TaskContext::new(
            DatabaseConnection::default(),
            "t",
            stop.clone(),
            Arc::new(Never),
        );
        let mut sleeping = pin!(cx.sleep(Duration::from_secs(3600)));
        assert!(poll_once(sleeping.as_mut(), &waker).is_pending());
        assert!(!cx.is_stopped());
        stop.raise();
        assert!(cx.is_stopped());
        assert_eq!(poll_once(sleeping, &waker), Poll::Ready(false));
        assert!(poll_once(pin!(cx.stopped()), &waker).is_ready());
    }
}
