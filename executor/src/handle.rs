//! `Handle`: a cheap, cloneable, `Send` reference to a runtime, for spawning from anywhere.
//!
//! Lesson: a runtime is shared state plus threads. The handle is the shared state
//! alone, so it can travel to other threads and spawn there, while the [`Runtime`]
//! value that owns the threads decides when everything shuts down.
//!
//! [`Runtime`]: crate::Runtime

use std::{fmt, future::Future, panic::Location};

use crate::{join::JoinHandle, meta::TaskMeta, metrics::Metrics, scheduler::Scheduler, shim::Arc};

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

/// `Handle::current` and `Handle::try_current` read this thread's context, so they live
/// in `context.rs`, one layer up.
impl Handle {
    /// Spawns a task onto this runtime, from any thread; see [`spawn`](crate::spawn).
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
        self.scheduler
            .spawn(future, TaskMeta::new(None, Location::caller()))
    }

    /// Runs a blocking closure on this runtime's blocking pool; see
    /// [`spawn_blocking`](crate::spawn_blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let h = rt.handle().spawn_blocking(|| "computed on the pool");
    /// assert_eq!(rt.block_on(h).unwrap(), "computed on the pool");
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.scheduler
            .blocking
            .spawn(f, TaskMeta::new(None, Location::caller()))
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
