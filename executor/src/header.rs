//! What every task has, whoever runs it — its state, its identity, its output slot —
//! and the one path by which every task ends.
//!
//! Lesson: a task ends in one of three ways (its future returned, panicked, or was
//! cancelled), but there must be only one way to *finish* it, or the kinds of task drift
//! apart. [`Header::complete`] is that way, for `Send` tasks, local tasks, aborts and
//! shutdown alike, always in this order:
//!
//! 1. **the future is gone** — dropped outside every lock; its `Drop` is user code, and
//!    a panic there is the task's panic (it turns an output or a cancellation into a
//!    `JoinError::panic`);
//! 2. **COMPLETE** — from now on every wake is a no-op;
//! 3. **released** — the task leaves its runtime's books (registry, counters);
//! 4. **handed over** — the output or the error goes to the `JoinHandle`, or, if the
//!    handle is gone and it is a panic, to the unobserved-panic hook. A handle that
//!    left before step 2 marked the state ([`Header::detach`]), and step 2's swap
//!    says so: the output is discarded here, without the slot.
//!
//! Each step may run user code (a `Drop`, a `Waker`, a hook) and none of it may unwind
//! out of here: that is invariant 6 of ARCHITECTURE.md.

use std::{
    any::Any,
    task::{Context, Poll},
};

use crate::{
    awaiting::Awaiting,
    join::{discard, JoinError, JoinSlot},
    meta::TaskMeta,
    panic::{drop_catching, report_and_drop, PanicHook},
    state::{AfterPending, Completed, OnDetach, State},
};

/// The part of a task that outlives its future. `repr(C)`: the state, touched by every
/// poll and wake, first; the join slot last, touched at the end and after a `Pending`
/// poll that records where the task waits (see `Task`'s layout note).
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Header<T> {
    pub(crate) state: State,
    /// The task's place in its owner's books: its registry key for a `Send` task, its
    /// slab key for a local one; [`NO_KEY`] if it is in no such books (spawned after
    /// shutdown; a `spawn_blocking` job, which its pool's queue keeps). 32 bits, beside
    /// the 32-bit state: together one 8-byte word.
    pub(crate) key: u32,
    pub(crate) meta: TaskMeta,
    /// The output slot; it also keeps where the task last waited (`join.rs` says why).
    pub(crate) join: JoinSlot<T>,
}

/// The key of a task that is in nobody's books.
pub(crate) const NO_KEY: u32 = u32::MAX;

/// How the future ended, as the owner of the future saw it.
pub(crate) enum Outcome<T> {
    /// `poll` returned `Ready`.
    Ready(T),
    /// `poll` panicked.
    Panicked(Box<dyn Any + Send>),
    /// Aborted, or its runtime shut down: the future is dropped unfinished.
    Cancelled,
}

impl<T> Header<T> {
    pub(crate) fn new(meta: TaskMeta, key: u32) -> Self {
        Header {
            state: State::new_scheduled(),
            key,
            meta,
            join: JoinSlot::new(),
        }
    }

    /// The owner of the future, after a poll returned `Pending` having recorded
    /// `recorded` (`awaiting::take`): keeps the record, then ends the poll. Nothing
    /// recorded means the task waits on something turtles cannot name, so an older
    /// record is cleared rather than left to mislead. The record's lock is taken after
    /// every poll that recorded something or has an old record to clear; a poll that
    /// did neither (`yield_now`, a channel, most polls) takes no lock.
    #[inline]
    pub(crate) fn after_pending(&self, recorded: Option<Awaiting>) -> AfterPending {
        let has_awaiting = recorded.is_some();
        if has_awaiting || self.state.has_awaiting() {
            self.join.set_awaiting(recorded);
        }
        // From here on another thread may own the task: the record is written before.
        self.state.after_pending(has_awaiting)
    }

    /// The one completion path (see the module docs). Only the owner of the future
    /// calls it, once: the thread that polled it last, or shutdown.
    pub(crate) fn complete<F>(
        &self,
        future: F,
        outcome: Outcome<T>,
        release: impl FnOnce(),
        hook: &PanicHook,
    ) {
        // 1. The future is gone.
        let result = match (drop_catching(future), outcome) {
            (Ok(()), Outcome::Ready(output)) => Ok(output),
            (Ok(()), Outcome::Panicked(panic)) => Err(JoinError::panic(&self.meta, panic)),
            (Ok(()), Outcome::Cancelled) => Err(JoinError::cancelled(&self.meta)),
            (Err(in_drop), Outcome::Ready(output)) => {
                // The output never reaches anyone; dropping it is user code too.
                if let Err(also) = drop_catching(output) {
                    report_and_drop(hook, &self.meta, also);
                }
                Err(JoinError::panic(&self.meta, in_drop))
            }
            (Err(in_drop), Outcome::Cancelled) => Err(JoinError::panic(&self.meta, in_drop)),
            (Err(in_drop), Outcome::Panicked(panic)) => {
                // Two panics, one JoinError: the poll's goes to the handle, the drop's
                // to the hook, so that neither is lost.
                report_and_drop(hook, &self.meta, in_drop);
                Err(JoinError::panic(&self.meta, panic))
            }
        };
        // 2. COMPLETE: stray wakes are no-ops from here on.
        let completed = self.state.complete();
        // 3. Released, before the handle can see the output: a metrics snapshot taken
        //    after `.await` on the handle then always includes this task.
        release();
        // 4. Handed over.
        match completed {
            Completed::Deliver => self.join.deliver(result, &self.meta, hook),
            Completed::Detached => discard(result, &self.meta, hook),
        }
    }

    /// The handle side: poll the slot, and note in the state when the handle's waker
    /// is left there, so that its drop knows to take it out.
    pub(crate) fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        self.join.poll(cx, || self.state.note_join_waker())
    }

    /// The handle side, once, when a `JoinHandle` that has not returned the output is
    /// dropped. Never unwinds.
    ///
    /// The state is marked DETACHED; if the task was not yet COMPLETE, the completion
    /// path (step 2) sees the mark and discards the output itself. The slot detaches
    /// only when there is something in it for the handle to deal with: its own waker
    /// (dropped here, on the handle's thread), or an output delivered or on its way
    /// (the slot's lock orders the detach against the delivery).
    pub(crate) fn detach(&self, hook: &PanicHook) {
        if self.state.detach() == OnDetach::ThroughTheSlot {
            self.join.detach(&self.meta, hook);
        }
    }
}
