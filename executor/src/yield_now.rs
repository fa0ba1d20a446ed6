//! `yield_now`: give the thread back to the other tasks for one turn.
//!
//! Lesson: a future "yields" by returning `Pending` — but it must first arrange to be
//! woken, or it would never run again. `yield_now` wakes itself and returns `Pending`
//! once; the worker sees the wake that arrived *during* the poll (state NOTIFIED) and
//! puts the task at the back of its queue, behind everyone who was waiting.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

/// Returns `Pending` once, after waking itself, so other tasks get a turn.
///
/// # Examples
///
/// ```
/// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
/// let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
/// let (a, b) = (order.clone(), order.clone());
/// // Spawned from a task, both land in the same worker's queue and take turns.
/// let parent = rt.spawn(async move {
///     let x = turtles_executor::spawn(async move {
///         for _ in 0..3 {
///             a.lock().unwrap().push('a');
///             turtles_executor::yield_now().await;
///         }
///     });
///     let y = turtles_executor::spawn(async move {
///         for _ in 0..3 {
///             b.lock().unwrap().push('b');
///             turtles_executor::yield_now().await;
///         }
///     });
///     x.await.unwrap();
///     y.await.unwrap();
/// });
/// rt.block_on(parent).unwrap();
/// assert_eq!(order.lock().unwrap().iter().collect::<String>(), "ababab");
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
