//! Telling whoever runs a task where it waits — without knowing who that is.
//!
//! Lesson: the reactor's leaf futures (`sleep`, `timeout`, socket reads, writes,
//! connects and accepts) are the places where a task actually stops and waits. Each
//! is made by a `#[track_caller]` function, so it knows the user's line that made it,
//! and when it returns `Pending` it passes that line to a hook. This crate knows no
//! executor (the one seam between the two halves is `Waker` plus the executor's driver
//! trait), so the hook is a plain function pointer that the facade installs once:
//! turtles' executor stores the line in the current task, and its watchdog prints it.
//! In a process where no turtles runtime or `block_on` ever started, nobody installs a
//! hook and a `Pending` costs one atomic load; once one has, a leaf polled by another
//! executor writes its line into a thread-local that nobody reads: one store.

use std::{
    future::Future,
    panic::Location,
    sync::OnceLock,
    task::{Context, Poll},
};

/// What a leaf future calls when it returns `Pending`.
pub type AwaitingHook = fn(&'static Location<'static>);

static HOOK: OnceLock<AwaitingHook> = OnceLock::new();

/// Installs the function that learns, each time a reactor future returns `Pending`,
/// the user's line that created it. The first call wins; later calls are ignored. The
/// `turtles` facade installs `turtles_executor::record_awaiting` when it starts.
///
/// # Examples
///
/// ```
/// use std::{panic::Location, sync::Mutex, time::Duration};
///
/// static LINES: Mutex<Vec<u32>> = Mutex::new(Vec::new());
/// fn note(at: &'static Location<'static>) {
///     LINES.lock().unwrap().push(at.line());
/// }
/// turtles_reactor::set_awaiting_hook(note);
/// let line = line!() + 1;
/// turtles_reactor::drive(turtles_reactor::time::sleep(Duration::from_millis(5)));
/// # // Another doctest in this process may have installed its hook first.
/// # if turtles_reactor::awaiting_hook() == Some(note as turtles_reactor::AwaitingHook) {
/// assert!(LINES.lock().unwrap().contains(&line));
/// # }
/// ```
pub fn set_awaiting_hook(hook: AwaitingHook) {
    let _ = HOOK.set(hook);
}

/// The hook [`set_awaiting_hook`] installed, if any.
///
/// # Examples
///
/// ```
/// fn ignore(_: &'static std::panic::Location<'static>) {}
/// turtles_reactor::set_awaiting_hook(ignore);
/// assert!(turtles_reactor::awaiting_hook().is_some());
/// ```
pub fn awaiting_hook() -> Option<AwaitingHook> {
    HOOK.get().copied()
}

/// What every leaf future returns its poll through: a `Pending` is reported, at the
/// line the leaf was made at, before it bubbles up.
pub(crate) fn note<T>(at: &'static Location<'static>, poll: Poll<T>) -> Poll<T> {
    if poll.is_pending() {
        if let Some(hook) = HOOK.get() {
            hook(at);
        }
    }
    poll
}

/// `std::future::poll_fn`, telling the hook where it waits.
pub(crate) fn poll_fn_at<T>(
    at: &'static Location<'static>,
    mut poll: impl FnMut(&mut Context<'_>) -> Poll<T>,
) -> impl Future<Output = T> {
    std::future::poll_fn(move |cx| note(at, poll(cx)))
}
