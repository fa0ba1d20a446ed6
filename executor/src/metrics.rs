//! Counters that show what the scheduler did: spawns, polls, where wakes went, parks.
//!
//! Lesson: the metrics make the scheduler's choices visible — run the tour and watch
//! `local_schedules` dwarf `remote_schedules` when tasks wake each other on one worker.
//!
//! Cost matters here because these counters sit on the hottest paths. A counter that
//! only its own worker writes is bumped with a plain load and store (no locked
//! read-modify-write, no cache line shared with other workers); only counters that any
//! thread may bump use `fetch_add`.

use std::sync::atomic::Ordering::Relaxed;

use crate::shim::Counter;

/// One set of counters: one per worker, plus one for everything else.
///
/// Aligned to 128 bytes (two cache lines, as adjacent-line prefetchers pair them) so
/// that no two workers' counters share a line: side by side (56 bytes each), every
/// bump on one worker stole the line from its neighbour, and a profile of yield_many
/// showed most of the worker loop's time on the increment of a poll counter. (Polls
/// are now counted by each worker's phase in `watch.rs`, which the watchdog needs
/// anyway: one counter per poll, not two.)
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct Counters {
    pub(crate) spawned: Counter,
    pub(crate) completed: Counter,
    pub(crate) local_schedules: Counter,
    pub(crate) remote_schedules: Counter,
    pub(crate) parks: Counter,
    pub(crate) injector_pulls: Counter,
}

/// Adds to a counter that only the calling worker ever writes.
pub(crate) fn add_owned(counter: &Counter, n: u64) {
    counter.store(counter.load(Relaxed) + n, Relaxed);
}

/// Bumps a counter that only the calling worker ever writes.
pub(crate) fn bump_owned(counter: &Counter) {
    add_owned(counter, 1);
}

/// Bumps a counter that several threads may write.
pub(crate) fn bump_shared(counter: &Counter) {
    counter.fetch_add(1, Relaxed);
}

/// A snapshot of a runtime's counters, from [`Runtime::metrics`](crate::Runtime::metrics).
///
/// Counters only grow; take two snapshots and subtract to measure an interval.
///
/// # Examples
///
/// ```
/// let rt = turtles_executor::Runtime::builder().worker_threads(2).build().unwrap();
/// rt.block_on(async {
///     let handles: Vec<_> = (0..10).map(|i| turtles_executor::spawn(async move { i })).collect();
///     for h in handles {
///         h.await.unwrap();
///     }
/// });
/// let m = rt.metrics();
/// assert_eq!(m.workers(), 2);
/// assert_eq!(m.spawned(), 10);
/// assert_eq!(m.completed(), 10);
/// assert!(m.polls() >= 10);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metrics {
    workers: usize,
    spawned: u64,
    completed: u64,
    polls: u64,
    local_schedules: u64,
    remote_schedules: u64,
    parks: u64,
    injector_pulls: u64,
    live_tasks: usize,
    injector_depth: usize,
}

impl Metrics {
    pub(crate) fn collect<'a>(
        workers: usize,
        live_tasks: usize,
        injector_depth: usize,
        polls: u64,
        all: impl IntoIterator<Item = &'a Counters>,
    ) -> Self {
        let mut m = Metrics {
            workers,
            live_tasks,
            injector_depth,
            polls,
            ..Metrics::default()
        };
        for c in all {
            m.spawned += c.spawned.load(Relaxed);
            m.completed += c.completed.load(Relaxed);
            m.local_schedules += c.local_schedules.load(Relaxed);
            m.remote_schedules += c.remote_schedules.load(Relaxed);
            m.parks += c.parks.load(Relaxed);
            m.injector_pulls += c.injector_pulls.load(Relaxed);
        }
        m
    }

    /// Worker slots: one per worker thread, or 1 on a current-thread runtime (whose
    /// one slot is taken by the thread inside `block_on`).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(3).build().unwrap();
    /// assert_eq!(rt.metrics().workers(), 3);
    /// ```
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Tasks spawned onto the runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// let a = rt.spawn(async { 1 });
    /// let b = rt.spawn(std::future::pending::<()>()); // counted even though it never finishes
    /// assert_eq!(rt.metrics().spawned(), 2);
    /// # drop((a, b));
    /// ```
    pub fn spawned(&self) -> u64 {
        self.spawned
    }

    /// Tasks that finished: returned, panicked or were cancelled by `abort`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// rt.block_on(rt.spawn(async {})).unwrap();
    /// let aborted = rt.spawn(std::future::pending::<()>());
    /// aborted.abort();
    /// assert!(rt.block_on(aborted).unwrap_err().is_cancelled());
    /// assert_eq!(rt.metrics().completed(), 2); // a cancellation counts as finishing
    /// ```
    pub fn completed(&self) -> u64 {
        self.completed
    }

    /// Calls to a task's `Future::poll`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// // `yield_now` returns `Pending` once, so the task is polled at least twice.
    /// rt.block_on(rt.spawn(turtles_executor::yield_now())).unwrap();
    /// let m = rt.metrics();
    /// assert!(m.polls() >= 2);
    /// assert!(m.polls() >= m.completed());
    /// ```
    pub fn polls(&self) -> u64 {
        self.polls
    }

    /// Wakes and spawns made on a worker, which went to that worker's own queue.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// let outer = rt.spawn(async {
    ///     // Spawned on a worker thread: it goes to that worker's own queue.
    ///     turtles_executor::spawn(async { 1 }).await.unwrap()
    /// });
    /// assert_eq!(rt.block_on(outer).unwrap(), 1);
    /// assert!(rt.metrics().local_schedules() >= 1);
    /// ```
    pub fn local_schedules(&self) -> u64 {
        self.local_schedules
    }

    /// Wakes and spawns from other threads (or shared with idle workers), which went
    /// to the runtime's injector queue.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// // Spawned from this thread, which is no worker: it goes to the injector.
    /// let task = rt.spawn(async { 1 });
    /// assert!(rt.metrics().remote_schedules() >= 1);
    /// assert_eq!(rt.block_on(task).unwrap(), 1);
    /// ```
    pub fn remote_schedules(&self) -> u64 {
        self.remote_schedules
    }

    /// Times a worker ran out of work and went to sleep.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// // With nothing to do, the worker soon goes to sleep.
    /// while rt.metrics().parks() == 0 {
    ///     std::thread::sleep(std::time::Duration::from_millis(1));
    /// }
    /// // A spawn wakes it again.
    /// assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    /// ```
    pub fn parks(&self) -> u64 {
        self.parks
    }

    /// Tasks that workers took from the runtime's injector queue.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// // Spawned from outside the runtime, the task waits in the injector until a worker takes it.
    /// rt.block_on(rt.spawn(async {})).unwrap();
    /// assert!(rt.metrics().injector_pulls() >= 1);
    /// ```
    pub fn injector_pulls(&self) -> u64 {
        self.injector_pulls
    }

    /// Tasks spawned and not finished yet, at the moment of the snapshot.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// let forever = rt.spawn(std::future::pending::<()>());
    /// assert_eq!(rt.metrics().live_tasks(), 1);
    /// forever.abort();
    /// let _ = rt.block_on(forever);
    /// assert_eq!(rt.metrics().live_tasks(), 0);
    /// ```
    pub fn live_tasks(&self) -> usize {
        self.live_tasks
    }

    /// Tasks waiting in the runtime's injector queue at the moment of the snapshot.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// rt.block_on(rt.spawn(async {})).unwrap();
    /// // Every task that went through the injector has been taken out of it.
    /// assert_eq!(rt.metrics().injector_depth(), 0);
    /// ```
    pub fn injector_depth(&self) -> usize {
        self.injector_depth
    }
}
