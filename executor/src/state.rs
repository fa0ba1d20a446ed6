//! The task state machine: one atomic word that says who may touch a task right now.
//!
//! Lesson: a `Waker` can be called from any thread at any moment — before, during or
//! after a poll, twice at once, or after the task is long finished. The executor stays
//! correct only because every such event is a transition of this one word, made with a
//! compare-and-swap, so that exactly one thread wins each race.
//!
//! Every transition the code makes (the `C` suffix: the same with [`CANCELLED`] set):
//!
//! ```text
//!              wake                      pop: start()
//!   IDLE ─────────────────> SCHEDULED ──────────────────> RUNNING ──── wake ───> NOTIFIED
//!    ^  abort: IDLE -> SCHEDULED|C          │ (C set: the         │                 │
//!    │                                      │  popper cancels)    │ after_pending() │ after_pending()
//!    └──────────────────────────────────────┼─────────────────────┘ (not C)         │ (not C)
//!                                           │                                       v
//!                                           │                                   SCHEDULED
//!                                           │                                 (the *worker* re-queues)
//!   complete(), by whoever owns the future: RUNNING, NOTIFIED (woken, then Ready), or
//!                                           RUNNING|C               ──> COMPLETE  (output, panic, cancel)
//!                                           SCHEDULED or IDLE    ──> COMPLETE  (shutdown: nobody runs it)
//! ```
//!
//! [`CANCELLED`] is orthogonal to the lifecycle: `JoinHandle::abort` sets it on a task in
//! any state but COMPLETE, and whichever thread next owns the future (the worker that
//! pops it, or the one finishing a poll) drops the future instead of polling it again.
//!
//! [`HAS_AWAITING`] is orthogonal too, and orders nothing: it says whether the task
//! keeps a record of where it waits (`awaiting.rs`), so that a poll which recorded
//! nothing and has nothing to clear skips the lock that record sits under. Only the
//! owner of the future writes it, in the same compare-and-swap that ends its poll
//! ([`State::after_pending`]); every other transition but `complete` keeps it. It lives
//! here, not in a flag of its own, because a separate byte would cost every task 8
//! bytes of padding (the size test in `scheduler.rs`).
//!
//! [`DETACHED`] and [`JOIN_WAKER`] are orthogonal as well, and belong to the
//! `JoinHandle`:
//! * JOIN_WAKER: the join slot took the handle's waker (a poll of the handle returned
//!   `Pending`). Set once by the handle ([`State::note_join_waker`]), read by its drop.
//! * DETACHED: the handle was dropped before the task completed. The completion path,
//!   which learns it from the same swap that makes the task COMPLETE
//!   ([`State::complete`]), then discards the output without the slot's lock. A handle
//!   that left no waker took no lock either: one atomic operation for the handle, none
//!   for the task, where the slot took a lock on each side. A handle dropped after
//!   COMPLETE, or one whose waker must be dropped, also detaches the slot (`join.rs`).
//!
//! Every transition keeps both bits but `complete`, after which nobody reads them.
//!
//! Invariants kept here (ARCHITECTURE.md, invariants 1 and 2):
//! * only the thread that moved a task to SCHEDULED pushes it, so it sits in at most one queue;
//! * only the thread that moved it SCHEDULED -> RUNNING polls it, so one poll at a time;
//! * a wake during a poll is recorded as NOTIFIED and turned into exactly one more poll.

use crate::shim::{
    AtomicU32,
    Ordering::{AcqRel, Acquire, Relaxed},
};

/// Not queued, not running: the task waits for a wake. Its future is at rest.
/// --> SCHEDULED (wake, abort), or COMPLETE at shutdown.
const IDLE: u32 = 0;
/// In exactly one run queue. Further wakes do nothing: one poll will see them all.
/// --> RUNNING (a worker pops it), or COMPLETE at shutdown.
const SCHEDULED: u32 = 1;
/// One thread owns the future and is polling it (or about to drop it).
/// --> NOTIFIED (woken meanwhile), IDLE (poll returned `Pending`), COMPLETE (finished).
const RUNNING: u32 = 2;
/// The task was woken while it was being polled. The worker that is polling it will
/// put it back in a queue when `poll` returns, so the waker must not.
/// --> SCHEDULED (the poll returned `Pending`), COMPLETE (it finished anyway).
const NOTIFIED: u32 = 3;
/// The future is gone and the output (or the panic, or the cancellation) is on its way
/// to the join slot. Terminal: every later wake is a no-op, which is what makes a stray
/// `Waker` harmless.
const COMPLETE: u32 = 4;
const LIFECYCLE: u32 = 0b0111;
/// Abort was requested. The next owner of the future drops it instead of polling it.
/// Set once, never cleared; meaningless once COMPLETE.
const CANCELLED: u32 = 0b1000;
/// The task keeps a record of where it waits (a diagnostic; see the module docs).
/// Written only by `after_pending`, kept by every other transition but `complete`.
const HAS_AWAITING: u32 = 0b1_0000;
/// The `JoinHandle` was dropped before COMPLETE (see the module docs). Set once, by
/// the handle's drop; kept by every transition.
const DETACHED: u32 = 0b10_0000;
/// The join slot took the `JoinHandle`'s waker (see the module docs). Set once, by
/// the handle; kept by every transition.
const JOIN_WAKER: u32 = 0b100_0000;

/// What the thread that called `wake` (or `abort`) must do next.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "OnWake::Schedule means the caller alone must push the task, or it is lost"]
pub enum OnWake {
    /// IDLE -> SCHEDULED: the caller won the race and must push the task to a queue.
    Schedule,
    /// Already queued, already notified, running (now NOTIFIED) or complete: the wake
    /// is covered by a poll that will happen anyway, or by none at all.
    Covered,
}

/// What the worker that popped a task must do with it.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "the popper owns the future now: it must poll it or cancel it"]
pub enum OnStart {
    /// SCHEDULED -> RUNNING: poll the future.
    Poll,
    /// SCHEDULED|CANCELLED -> RUNNING|CANCELLED: drop the future, report cancellation.
    Cancel,
    /// The task completed while it sat in a queue (the runtime shut down): nothing to do.
    Finished,
}

/// What the worker must do after a poll returned `Pending`.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "AfterPending::Reschedule means the caller alone must re-queue the task"]
pub enum AfterPending {
    /// RUNNING -> IDLE: the future's wakers will bring it back.
    Idle,
    /// NOTIFIED -> SCHEDULED: woken during the poll; the worker re-queues it.
    Reschedule,
    /// Aborted during the poll: stays RUNNING|CANCELLED, the worker drops the future now.
    Cancel,
}

/// What the dropped `JoinHandle` must still do: the answer of [`State::detach`].
#[derive(Debug, PartialEq, Eq)]
#[must_use = "OnDetach::ThroughTheSlot means the handle must still detach the join slot"]
pub enum OnDetach {
    /// Marked before COMPLETE, with no waker of the handle's in the slot: nothing. The
    /// completion path will discard the output itself.
    Marked,
    /// Already COMPLETE (the output is in the slot, or on its way there: the slot's
    /// lock orders the detach against the delivery), or marked with the handle's
    /// waker in the slot (the completion path will not touch the slot; the handle
    /// takes its waker out): detach the slot.
    ThroughTheSlot,
}

/// What the completion path must do with the output: the answer of [`State::complete`].
#[derive(Debug, PartialEq, Eq)]
#[must_use = "Completed::Detached means nobody else will drop the output"]
pub enum Completed {
    /// A handle may read it: deliver it to the join slot.
    Deliver,
    /// The handle left before ([`OnDetach::Marked`]): discard it here.
    Detached,
}

/// The atomic word; see the module docs for the diagram. 32 bits are plenty for seven
/// bits of state, and leave the other half of the header's first 8 bytes to its key
/// (`Header`).
#[derive(Debug)]
pub struct State(AtomicU32);

impl State {
    /// A new task starts SCHEDULED because spawning pushes it straight into a queue.
    pub fn new_scheduled() -> Self {
        State(AtomicU32::new(SCHEDULED))
    }

    /// Whether the task sits in a run queue, waiting for a worker. A snapshot, for
    /// diagnostics (the watchdog's "tasks queued"): it may be stale by the time it is read.
    pub fn is_scheduled(&self) -> bool {
        self.0.load(Acquire) & LIFECYCLE == SCHEDULED
    }

    /// Whether the task is over: its future is gone, and its output delivered or on its way.
    pub fn is_complete(&self) -> bool {
        self.0.load(Acquire) & LIFECYCLE == COMPLETE
    }

    /// Any thread: record a wake.
    pub fn wake(&self) -> OnWake {
        let mut current = self.0.load(Acquire);
        loop {
            let (next, action) = match current & LIFECYCLE {
                IDLE => (current | SCHEDULED, OnWake::Schedule), // IDLE --> SCHEDULED: we push it
                RUNNING => ((current & !LIFECYCLE) | NOTIFIED, OnWake::Covered), // RUNNING --> NOTIFIED
                SCHEDULED | NOTIFIED | COMPLETE => return OnWake::Covered,
                s => unreachable!("no lifecycle state {s:#b}"),
            };
            match self.0.compare_exchange_weak(current, next, AcqRel, Acquire) {
                Ok(_) => return action,
                Err(actual) => current = actual,
            }
        }
    }

    /// The worker that popped the task from a queue: take ownership of the future.
    pub fn start(&self) -> OnStart {
        let mut current = self.0.load(Acquire);
        loop {
            match current & LIFECYCLE {
                SCHEDULED => {}
                COMPLETE => return OnStart::Finished,
                s => unreachable!("a queued task must be SCHEDULED, found state {s:#b}"),
            }
            let next = (current & !LIFECYCLE) | RUNNING; // SCHEDULED --> RUNNING: we own the future now
            match self.0.compare_exchange_weak(current, next, AcqRel, Acquire) {
                Ok(_) if current & CANCELLED != 0 => return OnStart::Cancel,
                Ok(_) => return OnStart::Poll,
                Err(actual) => current = actual,
            }
        }
    }

    /// The owner of the future: whether the task keeps a record of where it waits. Only the
    /// owner writes the flag, and it became the owner through an `Acquire`, so a relaxed
    /// load sees the last owner's word.
    pub fn has_awaiting(&self) -> bool {
        self.0.load(Relaxed) & HAS_AWAITING != 0
    }

    /// The polling worker, after `poll` returned `Pending`; `has_awaiting`: whether the
    /// task keeps a record of where it waits now.
    #[inline]
    pub fn after_pending(&self, has_awaiting: bool) -> AfterPending {
        let awaiting = u32::from(has_awaiting) * HAS_AWAITING; // branch-free
        let mut current = self.0.load(Acquire);
        loop {
            if current & CANCELLED != 0 {
                return AfterPending::Cancel; // stays RUNNING|CANCELLED: we still own the future
            }
            let kept = awaiting | (current & (DETACHED | JOIN_WAKER));
            let (next, outcome) = match current & LIFECYCLE {
                RUNNING => (IDLE, AfterPending::Idle), // RUNNING --> IDLE
                NOTIFIED => (SCHEDULED, AfterPending::Reschedule), // NOTIFIED --> SCHEDULED: we re-queue it
                s => unreachable!("a task being polled must be RUNNING or NOTIFIED, found {s:#b}"),
            };
            match self
                .0
                .compare_exchange_weak(current, next | kept, AcqRel, Acquire)
            {
                Ok(_) => return outcome,
                Err(actual) => current = actual,
            }
        }
    }

    /// The owner of the future, once the future is gone (finished, panicked, cancelled
    /// or shut down): any state --> COMPLETE. Called exactly once per task, by the one
    /// completion path (`header.rs`).
    pub fn complete(&self) -> Completed {
        // Swapped, not updated: nobody reads the other flags of a COMPLETE task.
        let previous = self.0.swap(COMPLETE, AcqRel);
        debug_assert_ne!(previous & LIFECYCLE, COMPLETE, "a task completes once");
        match previous & DETACHED {
            0 => Completed::Deliver,
            _ => Completed::Detached,
        }
    }

    /// The `JoinHandle`'s drop: mark the task detached. One `fetch_or`; on a COMPLETE
    /// task the bit is read by nobody.
    pub fn detach(&self) -> OnDetach {
        let previous = self.0.fetch_or(DETACHED, AcqRel);
        if previous & LIFECYCLE == COMPLETE || previous & JOIN_WAKER != 0 {
            OnDetach::ThroughTheSlot
        } else {
            OnDetach::Marked
        }
    }

    /// The `JoinHandle`, when the join slot took its first waker. Only the handle
    /// writes the bit and only its drop reads it, so `Relaxed` is enough: both run on
    /// the thread that owns the handle, or on one that got it with a synchronizing move.
    pub fn note_join_waker(&self) {
        self.0.fetch_or(JOIN_WAKER, Relaxed);
    }

    /// `JoinHandle::abort`: request cancellation.
    pub fn abort(&self) -> OnWake {
        let mut current = self.0.load(Acquire);
        loop {
            let (next, action) = match current & LIFECYCLE {
                COMPLETE => return OnWake::Covered, // too late: the output is kept
                _ if current & CANCELLED != 0 => return OnWake::Covered, // already requested
                IDLE => (current | SCHEDULED | CANCELLED, OnWake::Schedule), // IDLE --> SCHEDULED|CANCELLED: a worker drops it
                _ => (current | CANCELLED, OnWake::Covered), // its current owner will see the flag
            };
            match self.0.compare_exchange_weak(current, next, AcqRel, Acquire) {
                Ok(_) => return action,
                Err(actual) => current = actual,
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn has_awaiting_is_set_by_after_pending_and_kept_by_every_other_transition() {
        let s = State::new_scheduled();
        assert_eq!(s.start(), OnStart::Poll);
        assert!(!s.has_awaiting());
        assert_eq!(s.after_pending(true), AfterPending::Idle);
        assert_eq!(s.wake(), OnWake::Schedule);
        assert_eq!(s.start(), OnStart::Poll);
        assert_eq!(s.wake(), OnWake::Covered); // RUNNING --> NOTIFIED
        assert!(s.has_awaiting(), "kept by wake, start and notify");
        assert_eq!(s.after_pending(false), AfterPending::Reschedule);
        assert!(!s.has_awaiting(), "cleared by the owner");
        assert_eq!(s.start(), OnStart::Poll);
        assert_eq!(s.after_pending(true), AfterPending::Idle);
        assert_eq!(s.abort(), OnWake::Schedule);
        assert!(s.has_awaiting(), "kept by abort");
        assert_eq!(s.start(), OnStart::Cancel);
        assert_eq!(s.complete(), Completed::Deliver);
        assert_eq!(s.wake(), OnWake::Covered);
    }

    #[test]
    fn detached_is_kept_by_every_transition_and_read_by_complete() {
        let s = State::new_scheduled();
        assert_eq!(s.detach(), OnDetach::Marked);
        assert_eq!(s.start(), OnStart::Poll);
        assert_eq!(s.wake(), OnWake::Covered); // RUNNING --> NOTIFIED
        assert_eq!(s.after_pending(true), AfterPending::Reschedule);
        assert_eq!(s.start(), OnStart::Poll);
        assert_eq!(s.after_pending(false), AfterPending::Idle);
        assert_eq!(s.abort(), OnWake::Schedule);
        assert_eq!(s.start(), OnStart::Cancel);
        assert_eq!(s.complete(), Completed::Detached);
        assert!(s.is_complete());
        assert_eq!(s.detach(), OnDetach::ThroughTheSlot, "too late to mark");
    }

    #[test]
    fn a_handle_that_left_a_waker_goes_through_the_slot_and_the_flag_is_kept() {
        let s = State::new_scheduled();
        s.note_join_waker();
        assert_eq!(s.start(), OnStart::Poll);
        assert_eq!(s.after_pending(false), AfterPending::Idle);
        assert_eq!(s.detach(), OnDetach::ThroughTheSlot, "its waker must go");
        assert_eq!(s.wake(), OnWake::Schedule);
        assert_eq!(s.start(), OnStart::Poll);
        assert_eq!(s.complete(), Completed::Detached, "marked all the same");
    }

    #[test]
    fn a_handle_dropped_after_completion_goes_through_the_slot() {
        let s = State::new_scheduled();
        assert_eq!(s.start(), OnStart::Poll);
        assert!(!s.is_complete());
        assert_eq!(s.complete(), Completed::Deliver);
        assert_eq!(s.detach(), OnDetach::ThroughTheSlot);
        assert!(s.is_complete());
    }

    #[test]
    fn wake_while_running_is_turned_into_one_reschedule() {
        let s = State::new_scheduled();
        assert_eq!(s.start(), OnStart::Poll);
        assert_eq!(s.wake(), OnWake::Covered);
        assert_eq!(s.wake(), OnWake::Covered);
        assert_eq!(s.after_pending(false), AfterPending::Reschedule);
        assert_eq!(s.wake(), OnWake::Covered, "already scheduled");
        assert_eq!(s.start(), OnStart::Poll);
        assert_eq!(s.after_pending(false), AfterPending::Idle);
        assert_eq!(s.wake(), OnWake::Schedule);
    }

    #[test]
    fn abort_of_an_idle_task_schedules_its_cancellation() {
        let s = State::new_scheduled();
        assert_eq!(s.start(), OnStart::Poll);
        assert_eq!(s.after_pending(false), AfterPending::Idle);
        assert_eq!(s.abort(), OnWake::Schedule);
        assert_eq!(s.abort(), OnWake::Covered);
        assert_eq!(s.wake(), OnWake::Covered);
        assert_eq!(s.start(), OnStart::Cancel);
        assert_eq!(s.complete(), Completed::Deliver);
        assert_eq!(s.wake(), OnWake::Covered);
    }

    #[test]
    fn abort_during_poll_cancels_after_it_and_abort_after_completion_does_nothing() {
        let s = State::new_scheduled();
        assert_eq!(s.start(), OnStart::Poll);
        assert_eq!(s.abort(), OnWake::Covered);
        assert_eq!(s.after_pending(false), AfterPending::Cancel);
        assert_eq!(s.complete(), Completed::Deliver);
        assert_eq!(s.abort(), OnWake::Covered);
        assert_eq!(s.wake(), OnWake::Covered);
        assert_eq!(
            s.start(),
            OnStart::Finished,
            "a completed task popped late is skipped"
        );
    }
}
