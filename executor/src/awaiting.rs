//! Where a task waits: the user's line of code at which it last returned `Pending`.
//!
//! Lesson: an `.await` that cannot finish yet leaves no trace in a stack — the task's
//! poll returns and the thread moves on. So "where is my task stuck?" has no answer
//! unless someone writes it down at the moment of waiting. turtles' own leaf futures
//! (`sleep`, `timeout`, socket reads, writes, connects and accepts) are made by
//! `#[track_caller]` functions, so each knows the user's line that created it; when it
//! returns `Pending` it calls [`record_awaiting`] with that line. A `JoinHandle` is made
//! at `spawn`, not at the line that awaits it, so it records which task it waits for
//! instead.
//!
//! The record goes to a thread-local, and the executor moves it into the task after the
//! poll: one thread-local store per `Pending` of a leaf future, one thread-local read
//! per poll, and a lock only when the task's record changes. The watchdog reads it when
//! a poll runs too long ("it last waited at src/main.rs:42").
//!
//! What it is, exactly: the last turtles leaf future that returned `Pending` during the
//! task's latest poll that returned `Pending`. Usually that is where the task waits.
//! Not always: a leaf that returned `Pending` and was then dropped or finished within
//! the same poll (the loser of a `select`, a sleep inside a nested
//! `futures::executor::block_on`) is still named, although the task now waits on
//! something else. Clearing the record whenever a leaf completes or is dropped would
//! cost every `Ready` a call into the executor; a watchdog hint does not need it.
//!
//! The thread-local is std's even under loom (see `shim.rs`): it is a diagnostic, part
//! of no synchronisation protocol.

use std::{cell::Cell, fmt, panic::Location};

use crate::shim::{lock, Mutex};

/// What a task waited on when it last returned `Pending`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Awaiting {
    /// A turtles leaf future made at this line of the user's code.
    At(&'static Location<'static>),
    /// The `JoinHandle` of another task.
    Task {
        id: u64,
        spawned_at: &'static Location<'static>,
    },
}

impl Awaiting {
    pub(crate) fn location(self) -> Option<&'static Location<'static>> {
        match self {
            Awaiting::At(location) => Some(location),
            Awaiting::Task { .. } => None,
        }
    }
}

/// `src/main.rs:42:9`, or `the JoinHandle of task #7 (spawned at src/main.rs:40:5)`.
impl fmt::Display for Awaiting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Awaiting::At(location) => write!(f, "{location}"),
            Awaiting::Task { id, spawned_at } => {
                write!(f, "the JoinHandle of task #{id} (spawned at {spawned_at})")
            }
        }
    }
}

std::thread_local! {
    static LAST: Cell<Option<Awaiting>> = const { Cell::new(None) };
    /// Whether `LAST` holds something: a one-byte look per poll instead of copying the
    /// whole record (callgrind: ~13 instructions per poll down to a few).
    static RECORDED: Cell<bool> = const { Cell::new(false) };
}

/// Notes that the future being polled on this thread returns `Pending`, waiting at
/// `location` (the user's line). Call it from a leaf future made by a `#[track_caller]`
/// function; outside a turtles task it does nothing useful and costs one store.
///
/// # Examples
///
/// A leaf future of your own can say where it waits, as turtles' `sleep` does:
///
/// ```
/// use std::{future::Future, panic::Location, pin::Pin, task::{Context, Poll}};
///
/// struct Never(&'static Location<'static>);
///
/// #[track_caller]
/// fn never() -> Never {
///     Never(Location::caller()) // the line that called `never()`
/// }
///
/// impl Future for Never {
///     type Output = ();
///     fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
///         turtles_executor::record_awaiting(self.0);
///         Poll::Pending
///     }
/// }
/// # drop(never());
/// ```
pub fn record_awaiting(location: &'static Location<'static>) {
    record(Awaiting::At(location));
}

/// A `JoinHandle` returns `Pending`: its task waits for task `id`.
pub(crate) fn record_join(id: u64, spawned_at: &'static Location<'static>) {
    record(Awaiting::Task { id, spawned_at });
}

fn record(awaiting: Awaiting) {
    LAST.set(Some(awaiting));
    RECORDED.set(true);
}

/// After a poll: what it recorded, if anything; the thread-local is empty again, so a
/// record never leaks into the next task polled on this thread.
#[inline]
pub(crate) fn take() -> Option<Awaiting> {
    if !RECORDED.get() {
        return None; // most polls: a one-byte read, no write
    }
    RECORDED.set(false);
    LAST.take()
}

/// A task's last [`Awaiting`], written by the thread that polls it, read by the
/// watchdog. A mutex because a `&'static Location` cannot live in an atomic without
/// `unsafe`; it is locked only when a poll changes it, and by the watchdog, so it is
/// never contended in practice.
///
/// `repr(C)`, `filled` first: after a poll that recorded nothing (most polls) only
/// `filled` is read, and it sits right behind the task's state (see `Header`).
#[derive(Debug, Default)]
#[repr(C)]
pub(crate) struct AwaitSlot {
    /// Whether `last` is `Some`: a poll that recorded nothing skips the lock unless it
    /// must clear an older record. Written only by the thread that owns the future
    /// (the task's state machine orders those threads), so `Relaxed` is enough.
    filled: std::sync::atomic::AtomicBool,
    last: Mutex<Option<Awaiting>>,
}

impl AwaitSlot {
    /// After a poll that returned `Pending`: what it recorded (from [`take`]) is now
    /// where the task waits. Nothing recorded means it waits on something turtles
    /// cannot name, so an older record is cleared rather than left to mislead.
    #[inline]
    pub(crate) fn update(&self, recorded: Option<Awaiting>) {
        use std::sync::atomic::Ordering::Relaxed;
        if recorded.is_some() || self.filled.load(Relaxed) {
            self.replace(recorded);
        }
    }

    /// The rare half of `update`, kept out of line so that the common one inlines.
    #[cold]
    fn replace(&self, recorded: Option<Awaiting>) {
        use std::sync::atomic::Ordering::Relaxed;
        *lock(&self.last) = recorded;
        self.filled.store(recorded.is_some(), Relaxed);
    }

    pub(crate) fn get(&self) -> Option<Awaiting> {
        *lock(&self.last)
    }
}
