//! `MaybeDone`: one future's slot in a join — still running, or done with its output
//! kept until every other future is done too.
//!
//! Lesson: a join cannot hand out outputs as they arrive, so each future's output waits
//! in its slot. The slot is a three-state machine, and it is what guarantees that a
//! finished future is never polled again (polling a future after `Ready` is a bug the
//! `Future` contract allows to panic).
//!
//! ```text
//!   Running(f) ──poll: Ready(out)──> Done(out) ──take_output──> Taken
//!      │  └─poll: Pending──┘ (stays)
//!      └─(TryMaybeDone) poll: Ready(Err(e)) ──> Taken, and the join returns Err(e)
//! ```

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

/// A future's slot in a join: running, done (output kept), or emptied.
///
/// `F` must be `Unpin`; `join!` gives it a `Pin<&mut _>` to a future pinned on the stack.
///
/// # Examples
///
/// ```
/// use std::task::{Context, Poll, Waker};
/// use turtles_executor::future::MaybeDone;
///
/// let mut slot = MaybeDone::new(std::future::ready(5));
/// assert!(slot.poll(&mut Context::from_waker(Waker::noop())).is_ready());
/// assert!(slot.poll(&mut Context::from_waker(Waker::noop())).is_ready(), "never polled again");
/// assert_eq!(slot.take_output(), 5);
/// ```
#[derive(Debug)]
pub enum MaybeDone<F: Future> {
    /// Still running. --> Done
    Running(F),
    /// Finished; the output waits for the others. --> Taken
    Done(F::Output),
    /// The output was handed out. Terminal.
    Taken,
}

impl<F: Future + Unpin> MaybeDone<F> {
    /// A slot for a future that has not run yet.
    ///
    /// # Examples
    ///
    /// See [`MaybeDone`].
    pub fn new(future: F) -> Self {
        MaybeDone::Running(future)
    }

    /// Polls the future if it is still running; `Ready` once its output is here.
    ///
    /// # Examples
    ///
    /// See [`MaybeDone`].
    pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let MaybeDone::Running(future) = self {
            match Pin::new(future).poll(cx) {
                Poll::Ready(output) => *self = MaybeDone::Done(output), // Running --> Done
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(())
    }

    /// Hands out the output.
    ///
    /// # Panics
    ///
    /// If the future is not done, or its output was already taken: a join takes each
    /// output once, after every future is done.
    ///
    /// # Examples
    ///
    /// See [`MaybeDone`].
    pub fn take_output(&mut self) -> F::Output {
        match std::mem::replace(self, MaybeDone::Taken) {
            MaybeDone::Done(output) => output, // Done --> Taken
            _ => panic!("MaybeDone::take_output: the future is not done, or its output was taken"),
        }
    }
}

/// A fallible future's slot in a `try_join!`: an `Err` ends the whole join at once.
///
/// # Examples
///
/// ```
/// use std::task::{Context, Poll, Waker};
/// use turtles_executor::future::TryMaybeDone;
///
/// let mut ok = TryMaybeDone::new(std::future::ready(Ok::<_, ()>(1)));
/// let mut err = TryMaybeDone::new(std::future::ready(Err::<u8, _>("no")));
/// let cx = &mut Context::from_waker(Waker::noop());
/// assert_eq!(ok.try_poll(cx), Poll::Ready(Ok(())));
/// assert_eq!(err.try_poll(cx), Poll::Ready(Err("no")));
/// assert_eq!(ok.take_output(), 1);
/// ```
#[derive(Debug)]
pub enum TryMaybeDone<F: Future<Output = Result<T, E>>, T, E> {
    /// Still running. --> Done, or Taken on an error
    Running(F),
    /// Finished with `Ok`; the value waits for the others. --> Taken
    Done(T),
    /// The value (or the error) was handed out. Terminal.
    Taken,
}

impl<F, T, E> TryMaybeDone<F, T, E>
where
    F: Future<Output = Result<T, E>> + Unpin,
{
    /// A slot for a future that has not run yet.
    ///
    /// # Examples
    ///
    /// See [`TryMaybeDone`].
    pub fn new(future: F) -> Self {
        TryMaybeDone::Running(future)
    }

    /// Polls the future if it is still running: `Ready(Ok(()))` once its value is here,
    /// `Ready(Err(e))` if it failed (then the slot is emptied).
    ///
    /// # Examples
    ///
    /// See [`TryMaybeDone`].
    pub fn try_poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), E>> {
        if let TryMaybeDone::Running(future) = self {
            match Pin::new(future).poll(cx) {
                Poll::Ready(Ok(value)) => *self = TryMaybeDone::Done(value), // Running --> Done
                Poll::Ready(Err(e)) => {
                    *self = TryMaybeDone::Taken; // Running --> Taken: the join stops here
                    return Poll::Ready(Err(e));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Hands out the value.
    ///
    /// # Panics
    ///
    /// If the future is not done with `Ok`, or its value was already taken.
    ///
    /// # Examples
    ///
    /// See [`TryMaybeDone`].
    pub fn take_output(&mut self) -> T {
        match std::mem::replace(self, TryMaybeDone::Taken) {
            TryMaybeDone::Done(value) => value, // Done --> Taken
            _ => {
                panic!("TryMaybeDone::take_output: the future is not done, or its value was taken")
            }
        }
    }
}
