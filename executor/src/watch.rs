//! What each worker is polling right now, seen from the outside without a lock — the
//! watchdog's eyes — the bell that wakes the watchdog when it dozed off, and its
//! verdict that every worker is stuck (which calls a `block_on` thread to the driver).
//!
//! Lesson: a poll that blocks its thread (a `std::sync::mpsc` receive, a
//! `thread::sleep`, a CPU-bound loop, `futures::executor::block_on`) is invisible from
//! inside: the worker is busy and cannot say so. So every worker keeps a *phase*
//! counter that it bumps when a poll starts and again when it ends — odd while a poll
//! runs — and notes which task it polls. The watchdog (`watchdog.rs`) looks every half
//! threshold (at least every 10 ms while a worker is busy); a phase that is odd and
//! unchanged since its last look is one poll still running. A poll pays three plain
//! stores to a cache line only its worker writes, and no clock read; the phase doubles
//! as the runtime's poll counter.
//!
//! Everything here is std's even under loom (see `shim.rs`). Mostly it is a diagnostic
//! that orders nothing the runtime relies on: the worst a race can do is make the
//! watchdog name the next task, or look one round late. Two things here keep timers
//! and I/O watched instead: the bell, rung when a worker becomes busy so that the
//! watchdog's looks (and its driver hand-off) start at once, and `reporting`, which
//! makes workers hand the driver role on themselves while the `on_stall` hook runs.
//! They are covered by `tests/driver_handoff.rs`, not by a loom model.

use std::sync::{
    atomic::{
        AtomicBool, AtomicU64, AtomicUsize,
        Ordering::{Acquire, Relaxed, Release, SeqCst},
    },
    Condvar, Mutex,
};
use std::time::{Duration, Instant};

use crate::shim::Arc;
use crate::task::Runnable;

/// One worker's current poll (its watch), on a cache line of its own (128 bytes: two
/// lines, as adjacent-line prefetchers pair them): with the workers' watches side by
/// side, every poll on one worker would steal the line from the others (the
/// `yield_many` benchmark, `benches/`, ran twice as slow).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct PollWatch {
    /// Bumped at the start and at the end of every poll: odd while a poll runs.
    phase: AtomicU64,
    /// The polled task's address: compared with the registry's tasks, never followed.
    task: AtomicUsize,
}

/// What the watchdog saw of one worker: `phase` and the task it was polling then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sighting {
    pub(crate) phase: u64,
    pub(crate) task: usize,
}

impl Sighting {
    pub(crate) fn polling(self) -> bool {
        self.phase % 2 == 1
    }
}

/// The address by which a [`Sighting`] names a task.
pub(crate) fn address(task: &Arc<dyn Runnable>) -> usize {
    Arc::as_ptr(task).cast::<()>() as usize
}

/// The watches of one runtime's workers, and the watchdog's bell.
#[derive(Debug)]
pub(crate) struct Watches {
    workers: Box<[PollWatch]>,
    /// The watchdog sleeps until rung (dozing, or napping half a threshold), because no
    /// worker was busy: the first worker to become busy rings, so that the watchdog
    /// looks again within a hand-off look (`watchdog.rs`). Set by the watchdog before
    /// its last look at the busy count, read by a worker after it counted itself busy
    /// (both `SeqCst`), so one of the two always sees the other.
    dormant: AtomicBool,
    /// The watchdog's last look found every worker in one poll for half a threshold or
    /// more: nobody polls the driver between tasks, so a thread inside
    /// `Runtime::block_on` may take the driver role (`Scheduler::park_block_on`).
    all_stuck: AtomicBool,
    /// The watchdog is inside its `on_stall` hook, which may take any time: meanwhile
    /// it passes no driver role on, so workers must (`Scheduler::hands_off_at_once`).
    reporting: AtomicBool,
    bell: Mutex<Bell>,
    ring: Condvar,
}

#[derive(Debug, Default)]
struct Bell {
    rung: bool,
    stop: bool,
}

/// How the watchdog sleeps until its next look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nap {
    /// This long, whatever the workers do (one of them is busy).
    For(Duration),
    /// Until a worker becomes busy and rings, or at most this long (`None`: no limit,
    /// the watchdog dozes).
    UntilBusy(Option<Duration>),
}

/// Why the watchdog's sleep ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Woke {
    /// Time to look again (the wait ran out, or a worker rang).
    Look,
    /// The runtime is shutting down.
    Stop,
}

impl PollWatch {
    /// Called by the owning worker only, before it polls `task`. A load and a store, not
    /// a `fetch_add`: the phase has a single writer, so no locked read-modify-write is
    /// needed (it costs several times more, on every poll).
    pub(crate) fn begin(&self, task: &Arc<dyn Runnable>) {
        // The task before the phase: a watchdog that sees the odd phase sees this task.
        self.task.store(address(task), Release);
        self.phase.store(self.phase.load(Relaxed) + 1, Release);
    }

    /// Called by the owning worker only, after the poll returned (see [`begin`](Self::begin)).
    pub(crate) fn end(&self) {
        self.phase.store(self.phase.load(Relaxed) + 1, Release);
    }
}

impl Watches {
    pub(crate) fn new(workers: usize) -> Self {
        Watches {
            workers: (0..workers).map(|_| PollWatch::default()).collect(),
            dormant: AtomicBool::new(false),
            all_stuck: AtomicBool::new(false),
            reporting: AtomicBool::new(false),
            bell: Mutex::new(Bell::default()),
            ring: Condvar::new(),
        }
    }

    /// Worker `worker`'s own watch, which it bumps around every poll (looked up once,
    /// before its loop: the poll path then has no bounds check and no indirection).
    pub(crate) fn of(&self, worker: usize) -> &PollWatch {
        &self.workers[worker]
    }

    /// The watchdog's look at worker `worker`: `Acquire`, so that a task address read
    /// with an odd phase is the one stored before that phase (see `begin`).
    pub(crate) fn sight(&self, worker: usize) -> Sighting {
        let watch = &self.workers[worker];
        let phase = watch.phase.load(Acquire);
        Sighting {
            phase,
            task: watch.task.load(Acquire),
        }
    }

    pub(crate) fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Every poll the workers started, the running ones included: each poll adds two
    /// to a phase, so the phases double as the runtime's poll counter (`Metrics::polls`).
    pub(crate) fn polls(&self) -> u64 {
        self.workers
            .iter()
            .map(|watch| watch.phase.load(Relaxed).div_ceil(2))
            .sum()
    }

    /// Whether every worker is stuck in one poll, as of the watchdog's last look (always
    /// `false` without a watchdog).
    pub(crate) fn all_stuck(&self) -> bool {
        self.all_stuck.load(SeqCst)
    }

    /// Whether the watchdog is inside its `on_stall` hook (see `reporting`).
    pub(crate) fn is_reporting(&self) -> bool {
        self.reporting.load(SeqCst)
    }

    /// The watchdog enters (`true`) or leaves its `on_stall` hook.
    pub(crate) fn set_reporting(&self, reporting: bool) {
        self.reporting.store(reporting, SeqCst);
    }

    /// The watchdog's verdict after a look.
    pub(crate) fn set_all_stuck(&self, all_stuck: bool) {
        self.all_stuck.store(all_stuck, SeqCst);
    }

    /// The bell's lock (std's, not `shim::lock`'s loom-swapped one; poisoning ignored as
    /// there).
    fn lock_bell(&self) -> std::sync::MutexGuard<'_, Bell> {
        self.bell
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A worker became busy: wake the watchdog if it dozed off.
    pub(crate) fn busy(&self) {
        // Load before swapping: a swap writes the line even when it changes nothing,
        // and every worker comes here each time it finds work.
        if self.dormant.load(SeqCst) && self.dormant.swap(false, SeqCst) {
            self.lock_bell().rung = true;
            self.ring.notify_one();
        }
    }

    /// Shutdown: the watchdog's thread ends.
    pub(crate) fn stop(&self) {
        self.lock_bell().stop = true;
        self.ring.notify_one();
    }

    /// The watchdog sleeps as `nap` says. For [`Nap::UntilBusy`], `idle` is asked after
    /// the watchdog announced that it waits for a ring: if a worker became busy before it
    /// could see the announcement, the watchdog does not wait at all.
    pub(crate) fn wait(&self, nap: Nap, idle: impl Fn() -> bool) -> Woke {
        let mut bell = self.lock_bell();
        match nap {
            Nap::For(timeout) => {
                if !bell.stop {
                    bell = self
                        .ring
                        .wait_timeout(bell, timeout)
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .0;
                }
            }
            Nap::UntilBusy(limit) => {
                self.dormant.store(true, SeqCst);
                if idle() {
                    let deadline = limit.map(|limit| Instant::now() + limit);
                    while !bell.rung && !bell.stop {
                        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                        bell = match left {
                            None => self
                                .ring
                                .wait(bell)
                                .unwrap_or_else(|poisoned| poisoned.into_inner()),
                            Some(left) if left.is_zero() => break,
                            Some(left) => {
                                self.ring
                                    .wait_timeout(bell, left)
                                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                                    .0
                            }
                        };
                    }
                }
                // Not rung (the nap ran out, or a worker was busy already): nobody
                // needs to ring any more.
                self.dormant.store(false, SeqCst);
            }
        }
        bell.rung = false;
        if bell.stop {
            Woke::Stop
        } else {
            Woke::Look
        }
    }
}
