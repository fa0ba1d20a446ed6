//! `poll_fn`: a future whose `poll` is a closure.
//!
//! Lesson: a future is nothing but a `poll` function that returns `Ready` or, after
//! arranging a wake-up, `Pending`. `poll_fn` lets you write that function inline — the
//! shortest way to see the contract of `Future` at work, and the building block of the
//! combinators in this module.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

/// A future that calls `f` each time it is polled.
///
/// The closure must be `Unpin` (closures that capture references, pinned references or
/// `Unpin` values are): polling needs `&mut F`, and safe Rust gets that from a pin only
/// for `Unpin` types.
///
/// # Examples
///
/// ```
/// use std::task::Poll;
///
/// let mut polls = 0;
/// let out = turtles_executor::block_on(turtles_executor::future::poll_fn(|cx| {
///     polls += 1;
///     if polls < 3 {
///         cx.waker().wake_by_ref(); // ask to be polled again
///         Poll::Pending
///     } else {
///         Poll::Ready(polls)
///     }
/// }));
/// assert_eq!(out, 3);
/// ```
pub fn poll_fn<T, F>(f: F) -> PollFn<F>
where
    F: FnMut(&mut Context<'_>) -> Poll<T> + Unpin,
{
    PollFn { f }
}

/// The future returned by [`poll_fn`].
#[must_use = "futures do nothing unless awaited"]
pub struct PollFn<F> {
    f: F,
}

impl<F> std::fmt::Debug for PollFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PollFn")
    }
}

impl<T, F> Future for PollFn<F>
where
    F: FnMut(&mut Context<'_>) -> Poll<T> + Unpin,
{
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        (self.get_mut().f)(cx)
    }
}
