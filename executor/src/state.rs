//! The task state machine: one atomic word that says who may touch a task right now.
//!
//! Lesson: a `Waker` can be called from any thread at any moment — before, during or
//! after a poll, twice at once, or after the task is long finished. The executor stays
//! correct only because every such event is a transition of this one word, made with a
//! compare-and-swap, so that exactly one thread wins each race.
//!
//! ```text
//!                 wake                  worker pops it            poll -> Pending
//!   ┌──────┐ ───────────────> ┌───────────┐ ───────────> ┌─────────┐ ─────────────> IDLE
//!   │ IDLE │                  │ SCHEDULED │              │ RUNNING │
//!   └──────┘ <────────────────└───────────┘ <─────┐      └─────────┘ ─────────────> COMPLETE
//!                                                 │         │ wake        poll -> Ready
//!                                                 │         v
//!                                                 │      ┌──────────┐
//!                                                 └───── │ NOTIFIED │  poll -> Pending:
//!                                        the *worker* re-queues it (never the waker)
//! ```
//!
//! Orthogonal to the lifecycle sits one flag, [`CANCELLED`]: `JoinHandle::abort` sets
//! it, and whichever thread next owns the future (the worker that pops it, or the one
//! finishing a poll) drops the future instead of polling it.
//!
//! Invariants kept here (DESIGN.md 1 and 2):
//! * only the thread that moved a task to SCHEDULED pushes it, so it sits in at most one queue;
//! * only the thread that moved it SCHEDULED -> RUNNING polls it, so one poll at a time;
//! * a wake during a poll is recorded as NOTIFIED and turned into one more poll.

use crate::sync::{
    AtomicUsize,
    Ordering::{AcqRel, Acquire},
};

/// Not queued, not running: the task waits for a wake. Its future is at rest.
const IDLE: usize = 0;
/// In exactly one run queue. Further wakes do nothing: one poll will see them all.
const SCHEDULED: usize = 1;
/// A worker is polling the future.
const RUNNING: usize = 2;
/// The task was woken while it was being polled. The worker that is polling it will
/// put it back in a queue when `poll` returns, so the waker must not.
const NOTIFIED: usize = 3;
/// The output has been handed to the join slot, or the future was dropped. Terminal:
/// every later wake is a no-op, which is what makes a stray `Waker` harmless.
const COMPLETE: usize = 4;
const LIFECYCLE: usize = 0b0111;
/// Abort was requested. The next owner of the future drops it instead of polling.
const CANCELLED: usize = 0b1000;

/// What the waker must do after a wake.
#[derive(Debug, PartialEq, Eq)]
pub enum Wake {
    /// IDLE -> SCHEDULED: the caller won the race and must push the task to a queue.
    Schedule,
    /// Already queued, already notified, running (now NOTIFIED) or complete.
    Nothing,
}

/// What the worker that popped a task must do with it.
#[derive(Debug, PartialEq, Eq)]
pub enum Start {
    /// SCHEDULED -> RUNNING: poll the future.
    Poll,
    /// SCHEDULED|CANCELLED -> RUNNING|CANCELLED: drop the future, report cancellation.
    Cancel,
    /// The runtime shut down while the task sat in a queue: nothing to do.
    Finished,
}

/// What the worker must do after a poll returned `Pending`.
#[derive(Debug, PartialEq, Eq)]
pub enum Pending {
    /// RUNNING -> IDLE: the future's wakers will bring it back.
    Idle,
    /// NOTIFIED -> SCHEDULED: woken during the poll; the worker re-queues it.
    Reschedule,
    /// Aborted during the poll: the worker drops the future now.
    Cancel,
}

/// The atomic word; see the module docs for the diagram.
#[derive(Debug)]
pub struct State(AtomicUsize);

impl State {
    /// A new task starts SCHEDULED because spawning pushes it straight into a queue.
    pub fn new_scheduled() -> Self {
        State(AtomicUsize::new(SCHEDULED))
    }

    /// Any thread: record a wake.
    pub fn wake(&self) -> Wake {
        let mut current = self.0.load(Acquire);
        loop {
            let (next, action) = match current & LIFECYCLE {
                IDLE => (current | SCHEDULED, Wake::Schedule), // IDLE --> SCHEDULED: we push it
                RUNNING => ((current & !LIFECYCLE) | NOTIFIED, Wake::Nothing), // RUNNING --> NOTIFIED
                _ => return Wake::Nothing, // SCHEDULED, NOTIFIED, COMPLETE: the wake is already covered
            };
            match self.0.compare_exchange_weak(current, next, AcqRel, Acquire) {
                Ok(_) => return action,
                Err(actual) => current = actual,
            }
        }
    }

    /// The worker that popped the task from a queue: take ownership of the future.
    pub fn start(&self) -> Start {
        let mut current = self.0.load(Acquire);
        loop {
            match current & LIFECYCLE {
                SCHEDULED => {}
                COMPLETE => return Start::Finished, // shut down while queued
                s => unreachable!("a queued task must be SCHEDULED, found state {s:#b}"),
            }
            let next = (current & !LIFECYCLE) | RUNNING; // SCHEDULED --> RUNNING: we own the future now
            match self.0.compare_exchange_weak(current, next, AcqRel, Acquire) {
                Ok(_) if current & CANCELLED != 0 => return Start::Cancel,
                Ok(_) => return Start::Poll,
                Err(actual) => current = actual,
            }
        }
    }

    /// The polling worker, after `poll` returned `Pending`.
    pub fn after_pending(&self) -> Pending {
        let mut current = self.0.load(Acquire);
        loop {
            if current & CANCELLED != 0 {
                return Pending::Cancel; // stays RUNNING: we still own the future and drop it
            }
            let (next, outcome) = match current & LIFECYCLE {
                RUNNING => (IDLE, Pending::Idle),             // RUNNING --> IDLE
                NOTIFIED => (SCHEDULED, Pending::Reschedule), // NOTIFIED --> SCHEDULED: we re-queue it
                s => unreachable!("a task being polled must be RUNNING or NOTIFIED, found {s:#b}"),
            };
            match self.0.compare_exchange_weak(current, next, AcqRel, Acquire) {
                Ok(_) => return outcome,
                Err(actual) => current = actual,
            }
        }
    }

    /// The owner of the future, once it is gone (finished, panicked, cancelled or shut
    /// down): move to COMPLETE. Returns `false` if the task was already complete.
    pub fn complete(&self) -> bool {
        self.0.swap(COMPLETE, AcqRel) & LIFECYCLE != COMPLETE
    }

    /// `JoinHandle::abort`: request cancellation.
    pub fn abort(&self) -> Wake {
        let mut current = self.0.load(Acquire);
        loop {
            let (next, action) = match current & LIFECYCLE {
                COMPLETE => return Wake::Nothing, // too late: the output is kept
                _ if current & CANCELLED != 0 => return Wake::Nothing, // already requested
                IDLE => (SCHEDULED | CANCELLED, Wake::Schedule), // IDLE --> SCHEDULED|CANCELLED: a worker will drop it
                _ => (current | CANCELLED, Wake::Nothing), // its current owner will see the flag
            };
            match self.0.compare_exchange_weak(current, next, AcqRel, Acquire) {
                Ok(_) => return action,
                Err(actual) => current = actual,
            }
        }
    }

    /// Whether the task reached COMPLETE.
    pub fn is_complete(&self) -> bool {
        self.0.load(Acquire) & LIFECYCLE == COMPLETE
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn wake_while_running_is_turned_into_one_reschedule() {
        let s = State::new_scheduled();
        assert_eq!(s.start(), Start::Poll);
        assert_eq!(s.wake(), Wake::Nothing);
        assert_eq!(s.wake(), Wake::Nothing);
        assert_eq!(s.after_pending(), Pending::Reschedule);
        assert_eq!(s.wake(), Wake::Nothing, "already scheduled");
        assert_eq!(s.start(), Start::Poll);
        assert_eq!(s.after_pending(), Pending::Idle);
        assert_eq!(s.wake(), Wake::Schedule);
    }

    #[test]
    fn abort_of_an_idle_task_schedules_its_cancellation() {
        let s = State::new_scheduled();
        assert_eq!(s.start(), Start::Poll);
        assert_eq!(s.after_pending(), Pending::Idle);
        assert_eq!(s.abort(), Wake::Schedule);
        assert_eq!(s.abort(), Wake::Nothing);
        assert_eq!(s.wake(), Wake::Nothing);
        assert_eq!(s.start(), Start::Cancel);
        assert!(s.complete());
        assert!(s.is_complete());
    }

    #[test]
    fn abort_during_poll_cancels_after_it_and_abort_after_completion_does_nothing() {
        let s = State::new_scheduled();
        assert_eq!(s.start(), Start::Poll);
        assert_eq!(s.abort(), Wake::Nothing);
        assert_eq!(s.after_pending(), Pending::Cancel);
        assert!(s.complete());
        assert!(!s.complete(), "completing twice is reported");
        assert_eq!(s.abort(), Wake::Nothing);
        assert_eq!(s.wake(), Wake::Nothing);
    }
}
