//! The line every primitive keeps: waiting futures in arrival order, each known by a
//! ticket.
//!
//! Lesson: an async primitive is a piece of state plus a list of parked wakers. A
//! future that cannot go on joins the line with its waker and returns `Pending`;
//! whoever changes the state (a release, a send, a notify) takes the right wakers out
//! and wakes them. Three rules keep it honest, and every file of `sync/` follows them:
//!
//! * **Serving is leaving.** The server removes a waiter from the line *and* hands it
//!   what it waited for (a permit, a notification) in the same critical section. When
//!   the waiter is polled again and finds its ticket gone, it knows it was served.
//! * **A cancelled waiter passes its turn on.** A future dropped while in line leaves
//!   it; one dropped after it was served but before it saw so gives back what it was
//!   handed, so the next waiter gets it. Nothing is stranded by a `select!` that lost.
//! * **Wakers are user code.** They are cloned before a lock is taken and woken (and
//!   dropped) after it is released: a waker may call straight back into the same
//!   primitive, and a panicking one must not stop the others from being woken
//!   ([`wake_all`]).
//!
//! tokio keeps its waiters in an intrusive linked list: each waiting future *is* a
//! node, pinned in place, which takes `unsafe`. Here a waiting future holds a
//! [`Ticket`], and the line is a `BTreeMap` from ticket to what the waiter left: FIFO
//! order is ticket order, and leaving from the middle is a removal by key, `O(log n)`.

use std::{
    collections::BTreeMap,
    panic::{self, AssertUnwindSafe},
    task::Waker,
};

/// A place in a [`Line`]; tickets are handed out in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Ticket(u64);

/// Waiters in arrival order; `W` is what each leaves behind (at least its waker).
#[derive(Debug)]
pub(crate) struct Line<W> {
    next: u64,
    waiting: BTreeMap<Ticket, W>,
}

impl<W> Line<W> {
    pub(crate) const fn new() -> Self {
        Line {
            next: 0,
            waiting: BTreeMap::new(),
        }
    }

    /// Joins the end of the line.
    pub(crate) fn join(&mut self, waiter: W) -> Ticket {
        let ticket = Ticket(self.next);
        self.next += 1;
        self.waiting.insert(ticket, waiter);
        ticket
    }

    /// The waiter still in line under `ticket`; `None` once it was served or left.
    pub(crate) fn get_mut(&mut self, ticket: Ticket) -> Option<&mut W> {
        self.waiting.get_mut(&ticket)
    }

    /// Takes the waiter out of the line; `None` if it was served already.
    pub(crate) fn leave(&mut self, ticket: Ticket) -> Option<W> {
        self.waiting.remove(&ticket)
    }

    /// The longest-waiting waiter.
    pub(crate) fn front(&self) -> Option<&W> {
        self.waiting.first_key_value().map(|(_, waiter)| waiter)
    }

    /// Serves the longest-waiting waiter: takes it out of the line.
    pub(crate) fn pop_front(&mut self) -> Option<(Ticket, W)> {
        self.waiting.pop_first()
    }

    /// Serves everyone: empties the line, oldest first.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = W> {
        std::mem::take(&mut self.waiting).into_values()
    }

    /// Everyone in line, oldest first, left in place.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut W> {
        self.waiting.values_mut()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

impl<W> Default for Line<W> {
    fn default() -> Self {
        Self::new()
    }
}

/// Wakes every waker; call it after the lock is released.
///
/// A waker is user code and may panic. If one does, the rest are still woken (a
/// panic must not turn into a lost wake-up for somebody else), and then the first
/// panic goes on up to the caller, whose code the waker ran in. Unless the caller is
/// already unwinding (a guard dropped by another panic releases its permit through
/// here): a second panic would abort the process, so the waker's is printed instead.
pub(crate) fn wake_all(wakers: impl IntoIterator<Item = Waker>) {
    let mut first_panic = None;
    for waker in wakers {
        if let Err(panic) = panic::catch_unwind(AssertUnwindSafe(|| waker.wake())) {
            first_panic.get_or_insert(panic);
        }
    }
    let Some(panic) = first_panic else { return };
    if std::thread::panicking() {
        let text = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!(
            "turtles::sync: a waker panicked while its thread was already unwinding from \
             another panic; it was woken by a guard or future dropped by that unwind. \
             The waker's panic: {text}"
        );
    } else {
        panic::resume_unwind(panic);
    }
}
