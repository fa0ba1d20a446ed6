//! What the reactor knows about one I/O source: is it readable, is it writable, and
//! which task to wake when that changes. No mio in here, so loom can check it.
//!
//! Lesson: "an I/O wait holds no thread". A task waiting for a socket is nothing but a
//! `Waker` stored in this struct; no thread sleeps on its behalf.
//!
//! The race that makes or breaks a reactor (invariant 5 of ARCHITECTURE.md): a task reads,
//! gets `WouldBlock`, and goes to store its waker — while, at that very moment, the
//! kernel reports the socket readable. Two rules make sure that event is never lost:
//!
//! 1. Every event bumps a *tick*. A task clears readiness only with the tick it saw
//!    before its read; if an event came in between, the tick differs and the clear
//!    does nothing, so the next poll sees the new readiness.
//! 2. A task stores its waker *then* re-checks readiness; the dispatcher sets readiness
//!    *then* takes the wakers. Both go through the waiting list's mutex, so one of the two
//!    always sees the other.

use std::task::{Context, Poll, Waker};

use crate::{
    shim::{
        lock, AtomicUsize, Mutex,
        Ordering::{AcqRel, Acquire},
    },
    wake::wake_contained,
};

// Readiness bits, as reported by the OS.
/// A read (or accept, or receive) may succeed without blocking.
pub const READABLE: usize = 0b0_0001;
/// A write (or send) may succeed without blocking; a connect has finished.
pub const WRITABLE: usize = 0b0_0010;
/// The peer will send no more: reads return 0 from now on.
pub const READ_CLOSED: usize = 0b0_0100;
/// Writes will fail from now on.
pub const WRITE_CLOSED: usize = 0b0_1000;
/// An error is pending on the socket; the next operation reports it.
pub const ERROR: usize = 0b1_0000;
const BITS: usize = 0xFFFF;
const TICK_SHIFT: u32 = 16;

/// Which half of a socket a task waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Waiting to read (or accept, or receive).
    Read,
    /// Waiting to write (or connect, or send).
    Write,
}

impl Direction {
    /// Who waits in this direction, for messages.
    fn waiter(self) -> &'static str {
        match self {
            Direction::Read => "a socket reader",
            Direction::Write => "a socket writer",
        }
    }

    /// The bits that end a wait in this direction: readiness, closure, or an error.
    fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR,
        }
    }
}

/// A snapshot of readiness handed to a task, to clear with later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadyEvent {
    tick: usize,
    bits: usize,
}

/// One source's readiness word (`tick << 16 | bits`) and the tasks waiting on it, per
/// direction.
///
/// Usually one task waits per direction (a stream's reader, its writer), but a
/// listener's `accept(&self)` or a UDP socket's `recv_from(&self)` may be awaited by
/// several tasks at once, so each direction keeps a list: an event wakes everyone in
/// it. (With a single slot, the second task's waker replaced the first's, and the first
/// slept through a connection waiting in the backlog: a hostile review's find.) A waker
/// whose future was dropped stays until the next event in its direction and is then
/// woken once for nothing; [`MOST_WAITING`] says why that cannot pile up.
#[derive(Debug, Default)]
pub struct Readiness {
    word: AtomicUsize,
    readers: Mutex<Waiting>,
    writers: Mutex<Waiting>,
}

/// The tasks waiting in one direction. The first has a place of its own, so that the
/// common case (one task per direction) takes no allocation when an event empties the
/// list and the task waits again: a plain `Vec` taken out for waking cost one
/// allocation per wait, on every read that found the socket empty.
#[derive(Debug, Default)]
struct Waiting {
    first: Option<Waker>,
    more: Vec<Waker>,
}

/// The most wakers one direction keeps. A waiting future that is dropped (a
/// `timeout` around `accept` or `recv_from` that fired) leaves its waker behind until
/// the next event, and on a socket that stays idle, task after task can leave one: a
/// hostile review grew a UDP socket's list to 40,000 wakers (and every poll slower with
/// it). At this bound the whole list is woken and emptied: live waiters poll again and
/// re-register, dead ones are gone. A guess, far above the number of tasks that really
/// await one socket at once; more than this many would be woken again and again.
pub const MOST_WAITING: usize = 1024;

/// How many of the latest waiters `contains` compares with: a task polled again is
/// almost always among the last to register, and a duplicate that slips through costs
/// one spurious wake, while comparing with every waiter made each poll cost `O(n)`.
const RECENT: usize = 8;

impl Waiting {
    fn contains(&self, waker: &Waker) -> bool {
        let recent = self.more.iter().rev().take(RECENT);
        self.first.iter().chain(recent).any(|w| w.will_wake(waker))
    }

    /// Adds `waker`; at the bound, first takes everyone out to be woken (see
    /// [`MOST_WAITING`]).
    #[must_use = "the wakers taken out must be woken, after the lock is released"]
    fn push(&mut self, waker: Waker) -> Option<impl Iterator<Item = Waker>> {
        let flushed = (1 + self.more.len() >= MOST_WAITING).then(|| self.take());
        match self.first {
            None => self.first = Some(waker),
            Some(_) => self.more.push(waker),
        }
        flushed
    }

    /// Everyone, for waking outside the lock.
    fn take(&mut self) -> impl Iterator<Item = Waker> {
        self.first
            .take()
            .into_iter()
            .chain(std::mem::take(&mut self.more))
    }
}

impl Readiness {
    /// Fresh: not ready for anything, nobody waiting.
    pub fn new() -> Self {
        Readiness::default()
    }

    /// The dispatcher: the OS reported `bits`. Records them under a new tick, then wakes
    /// whoever waits for them.
    pub fn set(&self, bits: usize) {
        let mut current = self.word.load(Acquire);
        loop {
            let tick = (current >> TICK_SHIFT).wrapping_add(1) & (usize::MAX >> TICK_SHIFT);
            let next = (tick << TICK_SHIFT) | (current & BITS) | bits;
            match self
                .word
                .compare_exchange_weak(current, next, AcqRel, Acquire)
            {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        for (direction, waiting) in [
            (Direction::Read, &self.readers),
            (Direction::Write, &self.writers),
        ] {
            if bits & direction.mask() != 0 {
                let wakers = lock(waiting).take(); // the guard goes at the `;`
                for waker in wakers {
                    // Outside the lock, and contained: the others in this direction,
                    // the other direction, and every other source of this turn are
                    // still woken.
                    wake_contained(waker, direction.waiter());
                }
            }
        }
    }

    /// A task: is the source ready in `direction`? If not, leave the waker.
    pub fn poll_ready(&self, direction: Direction, cx: &mut Context<'_>) -> Poll<ReadyEvent> {
        if let Some(event) = self.ready(direction) {
            return Poll::Ready(event);
        }
        // A task polled again (a spurious wake, a `select!` that loops) is in the list
        // already: `will_wake` keeps it there once. Cloning a waker is user code, so it
        // happens with the lock let go, and the list is looked at again after.
        if !lock(self.waiting(direction)).contains(cx.waker()) {
            let waker = cx.waker().clone();
            let mut waiting = lock(self.waiting(direction));
            if waiting.contains(cx.waker()) {
                drop(waiting);
                drop(waker); // user code too: after the lock
            } else if let Some(flushed) = waiting.push(waker) {
                drop(waiting);
                for stale in flushed {
                    wake_contained(stale, direction.waiter());
                }
            }
        }
        // Rule 2: re-check after registering. An event that was set before our waker
        // was stored found no waker to wake; we must see it here instead.
        match self.ready(direction) {
            Some(event) => Poll::Ready(event),
            None => Poll::Pending,
        }
    }

    /// A task got `WouldBlock` after `event`: forget the readiness it had seen — unless
    /// a newer event arrived since (rule 1).
    pub fn clear(&self, event: ReadyEvent, direction: Direction) {
        let keep_closed = !(match direction {
            Direction::Read => READABLE,
            Direction::Write => WRITABLE,
        });
        let mut current = self.word.load(Acquire);
        loop {
            if current >> TICK_SHIFT != event.tick {
                return; // a newer event: keep it
            }
            let next = current & keep_closed;
            match self
                .word
                .compare_exchange_weak(current, next, AcqRel, Acquire)
            {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    fn ready(&self, direction: Direction) -> Option<ReadyEvent> {
        let word = self.word.load(Acquire);
        let bits = word & BITS & direction.mask();
        (bits != 0).then_some(ReadyEvent {
            tick: word >> TICK_SHIFT,
            bits,
        })
    }

    fn waiting(&self, direction: Direction) -> &Mutex<Waiting> {
        match direction {
            Direction::Read => &self.readers,
            Direction::Write => &self.writers,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn an_event_between_would_block_and_clear_is_kept() {
        let r = Readiness::new();
        let mut cx = Context::from_waker(Waker::noop());
        r.set(READABLE);
        let Poll::Ready(seen) = r.poll_ready(Direction::Read, &mut cx) else {
            panic!("readable")
        };
        r.set(READABLE); // arrives after our read returned WouldBlock
        r.clear(seen, Direction::Read);
        assert!(
            r.poll_ready(Direction::Read, &mut cx).is_ready(),
            "the newer event survives the clear"
        );
    }

    #[test]
    fn clear_forgets_only_its_own_direction_and_never_closure() {
        let r = Readiness::new();
        let mut cx = Context::from_waker(Waker::noop());
        r.set(READABLE | WRITABLE);
        let Poll::Ready(seen) = r.poll_ready(Direction::Read, &mut cx) else {
            panic!()
        };
        r.clear(seen, Direction::Read);
        assert!(r.poll_ready(Direction::Read, &mut cx).is_pending());
        assert!(r.poll_ready(Direction::Write, &mut cx).is_ready());
        r.set(READ_CLOSED);
        let Poll::Ready(seen) = r.poll_ready(Direction::Read, &mut cx) else {
            panic!()
        };
        r.clear(seen, Direction::Read);
        assert!(
            r.poll_ready(Direction::Read, &mut cx).is_ready(),
            "closed stays closed"
        );
    }
}
