//! `join_all` and `try_join_all`: `join!` for a number of futures known only at run time.
//!
//! Lesson: the same slots as `join!`, in a `Vec`. Each future is boxed so it can be
//! pinned without `unsafe` (a pinned `Vec` of unpinned futures would need pin
//! projection); that is one allocation per future, the price of any length.

use std::{future::Future, pin::Pin};

use super::{poll_fn, MaybeDone, TryMaybeDone};

/// One boxed fallible future's slot.
type TrySlot<F, T, E> = TryMaybeDone<Pin<Box<F>>, T, E>;

/// Runs every future of `futures` concurrently and returns their outputs in input order.
///
/// # Examples
///
/// ```
/// let squares = turtles_executor::block_on(turtles_executor::future::join_all(
///     (1..=4).map(|n| async move { n * n }),
/// ));
/// assert_eq!(squares, [1, 4, 9, 16]);
/// ```
pub async fn join_all<I>(futures: I) -> Vec<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future,
{
    let mut slots: Vec<MaybeDone<Pin<Box<I::Item>>>> = futures
        .into_iter()
        .map(|future| MaybeDone::new(Box::pin(future)))
        .collect();
    poll_fn(|cx| {
        let mut all_done = true;
        for slot in &mut slots {
            all_done &= slot.poll(cx).is_ready();
        }
        if all_done {
            std::task::Poll::Ready(slots.iter_mut().map(MaybeDone::take_output).collect())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}

/// Like [`join_all`] for futures returning `Result`: all the values in input order, or
/// the first error as soon as one fails — the others are dropped unfinished at once.
///
/// # Examples
///
/// ```
/// use turtles_executor::future::try_join_all;
///
/// let ok = turtles_executor::block_on(try_join_all((1..=2).map(|n| async move { Ok::<_, ()>(n) })));
/// assert_eq!(ok, Ok(vec![1, 2]));
/// let parsed = turtles_executor::block_on(try_join_all(
///     ["1", "x", "3"].map(|s| async move { s.parse::<u8>() }),
/// ));
/// assert!(parsed.is_err());
/// ```
pub async fn try_join_all<I, T, E>(futures: I) -> Result<Vec<T>, E>
where
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>>,
{
    let mut slots: Vec<TrySlot<I::Item, T, E>> = futures
        .into_iter()
        .map(|future| TryMaybeDone::new(Box::pin(future)))
        .collect();
    let outcome = poll_fn(|cx| {
        let mut all_done = true;
        for slot in &mut slots {
            match slot.try_poll(cx) {
                std::task::Poll::Ready(Ok(())) => {}
                std::task::Poll::Ready(Err(e)) => return std::task::Poll::Ready(Err(e)),
                std::task::Poll::Pending => all_done = false,
            }
        }
        if all_done {
            std::task::Poll::Ready(Ok(()))
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    match outcome {
        Ok(()) => Ok(slots.iter_mut().map(TryMaybeDone::take_output).collect()),
        Err(e) => {
            drop(slots); // the unfinished futures are cancelled now, not when we are dropped
            Err(e)
        }
    }
}
