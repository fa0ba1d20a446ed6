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
//! per poll, and a lock only after a poll that recorded something or has an old record
//! to clear (the task keeps the record under its join slot's lock, `join.rs`; the state
//! word's HAS_AWAITING flag says whether there is one, `state.rs`). The watchdog reads it when
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

use std::{cell::Cell, fmt, num::NonZeroU64, panic::Location};

/// What a task waited on when it last returned `Pending`: a line of the user's code,
/// or the `JoinHandle` of another task.
///
/// A struct rather than an enum `At(line) | Task { id, spawned_at }`: that enum needs a
/// tag and takes 24 bytes as an `Option`, this takes 16 (the reference's niche is the
/// `None`), and every task keeps one (the size test in `scheduler.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Awaiting {
    /// The line of a turtles leaf future; for a `JoinHandle`, the awaited task's spawn.
    at: &'static Location<'static>,
    /// `Some(id)`: the task waits for the `JoinHandle` of task `id` (ids start at 1).
    task: Option<NonZeroU64>,
}

impl Awaiting {
    /// The user's line it waits at, unless it waits for a `JoinHandle`.
    pub(crate) fn location(self) -> Option<&'static Location<'static>> {
        self.task.is_none().then_some(self.at)
    }
}

/// `src/main.rs:42:9`, or `the JoinHandle of task #7 (spawned at src/main.rs:40:5)`.
impl fmt::Display for Awaiting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.task {
            None => write!(f, "{}", self.at),
            Some(id) => write!(f, "the JoinHandle of task #{id} (spawned at {})", self.at),
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
    record(Awaiting {
        at: location,
        task: None,
    });
}

/// A `JoinHandle` returns `Pending`: its task waits for task `id`.
pub(crate) fn record_join(id: u64, spawned_at: &'static Location<'static>) {
    record(Awaiting {
        at: spawned_at,
        task: NonZeroU64::new(id), // never 0: ids start at 1 (`meta.rs`)
    });
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
