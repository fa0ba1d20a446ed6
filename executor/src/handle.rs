//! `Handle`: a cheap, cloneable, `Send` reference to a runtime, for spawning from anywhere.
//!
//! Lesson: a runtime is shared state plus threads. The handle is the shared state
//! alone, so it can travel to other threads and spawn there, while the [`Runtime`]
//! value that owns the threads decides when everything shuts down.
//!
//! [`Runtime`]: crate::Runtime

use std::{fmt, future::Future, panic::Location};

use crate::{context, join::JoinHandle, metrics::Metrics, scheduler::Scheduler, spawn, sync::Arc};

/// A reference to a runtime that can spawn tasks from any thread.
///
/// # Examples
///
/// ```
/// let rt = turtles_executor::Runtime::new().unwrap();
/// let handle = rt.handle();
/// let from_another_thread = std::thread::spawn(move || handle.spawn(async { 7 }))
///     .join()
///     .unwrap();
/// assert_eq!(rt.block_on(from_another_thread).unwrap(), 7);
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) scheduler: Arc<Scheduler>,
}

impl Handle {
    /// The handle of the runtime this thread runs in (a worker, or inside `block_on`).
    ///
    /// # Panics
    ///
    /// Outside any runtime, with a message that says how to get one.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let handle = turtles_executor::Handle::current();
    ///     assert_eq!(handle.spawn(async { 1 }).await.unwrap(), 1);
    /// });
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        Self::try_current().unwrap_or_else(|| {
            panic!(
                "Handle::current() was called outside a runtime: there is no runtime on this thread. \
                 Fix: call it inside `block_on` or from a task, or keep the `Handle` from `Runtime::handle()`."
            )
        })
    }

    /// The current runtime's handle, or `None` outside any runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(turtles_executor::Handle::try_current().is_none());
    /// ```
    pub fn try_current() -> Option<Handle> {
        context::current_handle()
    }

    /// Spawns a task onto this runtime; see [`spawn`](crate::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let task = rt.handle().spawn(async { "done" });
    /// assert_eq!(rt.block_on(task).unwrap(), "done");
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn::spawn_on(self, future, None, Location::caller())
    }

    /// A snapshot of the runtime's counters.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(3).build().unwrap();
    /// assert_eq!(rt.handle().metrics().workers(), 3);
    /// ```
    pub fn metrics(&self) -> Metrics {
        self.scheduler.metrics()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("workers", &self.scheduler.parkers.len())
            .finish()
    }
}
