//! `join!` and `try_join!`: wait for several futures at once, in one task, without
//! allocating.
//!
//! Lesson: the macro pins each future on the stack of the enclosing `async` block, wraps
//! it in a [`MaybeDone`](crate::future::MaybeDone) slot, and awaits one `poll_fn` that
//! polls every unfinished slot each time the task is woken. All the futures' waits
//! overlap, so the total time is the longest wait, not the sum.
//!
//! How, without `unsafe`: a `macro_rules!` macro cannot invent a fresh name per
//! argument, but macro hygiene does it for us — the helper recurses once per future,
//! and the `slot` that each recursion level declares is a *different* variable, even
//! though they are all spelled `slot`. Each level pins its future with `pin!` and
//! passes the list of slots on; the last level polls them all.

/// Runs every future concurrently on the current task and returns all their outputs as
/// a tuple, once all have finished. Use it inside `async` code (it `.await`s).
///
/// Each future is polled until it finishes and never after; the outputs come in the
/// order of the arguments. No allocation: the futures live on the awaiting task's stack.
///
/// # Examples
///
/// Three waits side by side take as long as the longest:
///
/// ```
/// use std::{future::Future, pin::Pin, task::{Context, Poll}};
///
/// /// Pending `n` times (waking itself), then `n`.
/// struct Turns(u32, u32);
/// impl Future for Turns {
///     type Output = u32;
///     fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
///         if self.0 == self.1 { return Poll::Ready(self.1) }
///         self.0 += 1;
///         cx.waker().wake_by_ref();
///         Poll::Pending
///     }
/// }
///
/// let (a, b, c) = turtles_executor::block_on(async {
///     turtles_executor::join!(Turns(0, 3), Turns(0, 1), async { 7 })
/// });
/// assert_eq!((a, b, c), (3, 1, 7));
/// ```
#[macro_export]
macro_rules! join {
    ($($future:expr),+ $(,)?) => {
        $crate::__join_slots!(@pin [] $($future,)+)
    };
}

/// Like [`join!`], for futures that return `Result`s with one error type: `Ok` with the
/// tuple of values when all succeed, or the first `Err` as soon as one fails — the other
/// futures are then dropped unfinished (cancelled).
///
/// # Examples
///
/// ```
/// let out: Result<(u8, u8), &str> = turtles_executor::block_on(async {
///     turtles_executor::try_join!(async { Ok(1) }, async { Ok(2) })
/// });
/// assert_eq!(out, Ok((1, 2)));
///
/// let out: Result<(u8, u8), &str> = turtles_executor::block_on(async {
///     turtles_executor::try_join!(async { Err("first") }, std::future::pending())
/// });
/// assert_eq!(out, Err("first"), "no need to wait for the pending one");
/// ```
#[macro_export]
macro_rules! try_join {
    ($($future:expr),+ $(,)?) => {
        $crate::__try_join_slots!(@pin [] $($future,)+)
    };
}

/// The recursion behind [`join!`]: one level per future (see the module docs).
#[doc(hidden)]
#[macro_export]
macro_rules! __join_slots {
    (@pin [$($slot:ident)*] $head:expr, $($rest:expr,)*) => {{
        // `pin!` must be a `let`'s whole initializer for its temporary to live on.
        let mut pinned = ::core::pin::pin!($head);
        let slot = $crate::future::MaybeDone::new(pinned.as_mut());
        $crate::__join_slots!(@pin [$($slot)* slot] $($rest,)*)
    }};
    (@pin [$($slot:ident)*]) => {{
        $(let mut $slot = $slot;)*
        $crate::future::poll_fn(move |cx| {
            let mut all_done = true;
            // Poll every unfinished slot: each leaves this task's waker where it waits.
            $(all_done &= $slot.poll(cx).is_ready();)*
            if all_done {
                ::core::task::Poll::Ready(($($slot.take_output(),)*))
            } else {
                ::core::task::Poll::Pending
            }
        })
        .await
    }};
}

/// The recursion behind [`try_join!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __try_join_slots {
    (@pin [$($slot:ident)*] $head:expr, $($rest:expr,)*) => {{
        let mut pinned = ::core::pin::pin!($head);
        let slot = $crate::future::TryMaybeDone::new(pinned.as_mut());
        $crate::__try_join_slots!(@pin [$($slot)* slot] $($rest,)*)
    }};
    (@pin [$($slot:ident)*]) => {{
        $(let mut $slot = $slot;)*
        $crate::future::poll_fn(move |cx| {
            let mut all_done = true;
            $(
                match $slot.try_poll(cx) {
                    ::core::task::Poll::Ready(Ok(())) => {}
                    ::core::task::Poll::Ready(Err(e)) => return ::core::task::Poll::Ready(Err(e)),
                    ::core::task::Poll::Pending => all_done = false,
                }
            )*
            if all_done {
                ::core::task::Poll::Ready(Ok(($($slot.take_output(),)*)))
            } else {
                ::core::task::Poll::Pending
            }
        })
        .await
    }};
}
