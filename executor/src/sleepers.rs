//! The list of idle workers, so that new work wakes exactly one of them.
//!
//! Lesson: waking every idle worker for every new task (a "thundering herd") wastes
//! more time in the kernel than the task takes to run. A producer that pushes a task
//! to the injector calls `Scheduler::notify_one`, which asks [`Sleepers::pop`] for one
//! idle worker: a single atomic load when nobody is idle, one `unpark` otherwise.
//!
//! The race that matters (invariant 2 of ARCHITECTURE.md, "a worker that is parking at that very
//! moment"): a worker registers as idle, *then* looks at the injector one last time; a
//! producer pushes, *then* looks for idle workers. With `SeqCst` on both sides at least
//! one of them sees the other, so a task can never sit in the injector while every
//! worker sleeps.

use crate::shim::{fence, lock, AtomicUsize, Mutex, Ordering::SeqCst};

#[derive(Debug)]
pub(crate) struct Sleepers {
    idle: Mutex<Vec<usize>>,
    /// How many workers the runtime has: the list can never be longer.
    workers: usize,
    /// `idle.len()`, readable without the lock for the fast path.
    count: AtomicUsize,
}

impl Sleepers {
    pub(crate) fn new(workers: usize) -> Self {
        Sleepers {
            idle: Mutex::new(Vec::with_capacity(workers)),
            workers,
            count: AtomicUsize::new(0),
        }
    }

    /// A worker is about to sleep. The caller must re-check for work afterwards.
    pub(crate) fn register(&self, worker: usize) {
        let mut idle = lock(&self.idle);
        // A worker is on the list at most once, so the list never outgrows the workers:
        // a double entry would mean a park that skipped `unregister`, and a later
        // `notify_one` spent on a worker that is not asleep.
        assert!(
            !idle.contains(&worker) && idle.len() < self.workers,
            "worker {worker} registered as idle twice: {idle:?}"
        );
        idle.push(worker);
        self.count.store(idle.len(), SeqCst);
        drop(idle);
        // Orders the caller's re-check of the queues after our announcement.
        fence(SeqCst);
    }

    /// A worker woke up by itself (timeout, found work): take it off the list.
    pub(crate) fn unregister(&self, worker: usize) {
        let mut idle = lock(&self.idle);
        if let Some(at) = idle.iter().position(|&w| w == worker) {
            idle.swap_remove(at);
            self.count.store(idle.len(), SeqCst);
        }
    }

    /// Takes one idle worker off the list, for the caller to unpark: the one that
    /// registered last, but `avoid` only if no other worker is idle.
    pub(crate) fn pop(&self, avoid: Option<usize>) -> Option<usize> {
        // Orders the caller's push (done before this call) before our look at the list.
        fence(SeqCst);
        if self.count.load(SeqCst) == 0 {
            return None; // the fast path every busy runtime takes
        }
        let mut idle = lock(&self.idle);
        let at = idle
            .iter()
            .rposition(|&w| Some(w) != avoid)
            .or(idle.len().checked_sub(1))?;
        let worker = idle.swap_remove(at);
        self.count.store(idle.len(), SeqCst);
        Some(worker)
    }

    /// Workers on the idle list right now.
    pub(crate) fn idle(&self) -> usize {
        self.count.load(SeqCst)
    }
}
