//! `select` and `race`: the first of two futures to finish wins; the other is dropped.
//!
//! Lesson: dropping a future cancels it. `select` polls both futures in turn from one
//! task; when one is ready, `select` returns — and as it returns, the loser, still
//! pinned in `select`'s own frame, is dropped: whatever it was waiting for (a timer, a
//! socket read) is cancelled by its `Drop`. Both are `async fn`s that pin their two
//! futures with `pin!` inside their own state machine, which is why they accept any
//! futures — no `Unpin` bound, unlike futures-util's `select`, which hands the loser
//! back and so must keep it movable.
//!
//! Both are biased: the first future is polled first on every wake-up, so if both are
//! ready at once the first wins.

use std::{future::Future, pin::pin, task::Poll};

use super::poll_fn;

/// The output of [`select`]: which future won, with its output.
///
/// # Examples
///
/// ```
/// use turtles_executor::future::Either;
///
/// let won: Either<u8, &str> = Either::Left(1);
/// assert!(matches!(won, Either::Left(1)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Either<L, R> {
    /// The first future finished first.
    Left(L),
    /// The second future finished first.
    Right(R),
}

/// Waits for the first of `a` and `b` to finish and drops the other.
///
/// # Examples
///
/// ```
/// use turtles_executor::future::{select, Either};
///
/// let won = turtles_executor::block_on(select(std::future::pending::<()>(), async { "b" }));
/// assert_eq!(won, Either::Right("b"));
/// ```
pub async fn select<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(out) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(out));
        }
        if let Poll::Ready(out) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(out));
        }
        Poll::Pending
    })
    .await
    // `a` and `b` are dropped here: the loser is cancelled.
}

/// Like [`select`] for two futures of the same output type: the winner's output.
///
/// # Examples
///
/// ```
/// let first = turtles_executor::block_on(turtles_executor::future::race(
///     std::future::pending::<u8>(),
///     async { 2 },
/// ));
/// assert_eq!(first, 2);
/// ```
pub async fn race<T, A, B>(a: A, b: B) -> T
where
    A: Future<Output = T>,
    B: Future<Output = T>,
{
    match select(a, b).await {
        Either::Left(out) | Either::Right(out) => out,
    }
}
