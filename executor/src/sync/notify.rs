//! `Notify`: wake one waiting task, or all of them, with no data attached.
//!
//! Lesson: the smallest primitive there is, a line of wakers, and the question every
//! primitive must answer: what if the signal comes *before* anyone waits? Here, as in
//! tokio, [`notify_one`](Notify::notify_one) with nobody in line stores one permit, so
//! the next `notified().await` returns at once: a notification is never lost to a
//! task that was just about to wait. (Only one is kept, though: a task that must check
//! a condition first and then wait calls [`Notified::enable`] before the check, to be
//! in line already.) [`notify_waiters`](Notify::notify_waiters) stores
//! nothing; it wakes everyone who asked for a `notified()` future before the call,
//! polled yet or not.
//!
//! Invariant 7 (ARCHITECTURE.md): a `notify_one` reaches exactly one waiter (or is
//! kept as the permit), and a waiter dropped after `notify_one` chose it passes the
//! notification on.

use std::{
    collections::BTreeSet,
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll, Waker},
};

use super::line::{wake_all, Line, Ticket};
use crate::shim::{lock, Mutex};

/// A signal between tasks: `notified().await` waits for `notify_one` or
/// `notify_waiters`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use turtles_executor::sync::Notify;
///
/// let rt = turtles_executor::Runtime::new().unwrap();
/// let ready = Arc::new(Notify::new());
/// let waiter = rt.spawn({
///     let ready = ready.clone();
///     async move { ready.notified().await; "woken" }
/// });
/// ready.notify_one(); // before or after the waiter waits: never lost
/// assert_eq!(rt.block_on(waiter).unwrap(), "woken");
/// ```
pub struct Notify {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// A `notify_one` that found nobody in line, kept for the next waiter.
    permit: bool,
    line: Line<Waker>,
    /// Waiters `notify_one` took out of the line that have not yet seen it: if one is
    /// dropped first, its notification goes to the next.
    chosen: BTreeSet<Ticket>,
    /// How many times `notify_waiters` ran: a `Notified` created before a call is
    /// notified by it even if it never got in line.
    broadcasts: u64,
}

impl State {
    /// `notify_one`'s work: serve the front of the line or keep the permit.
    #[must_use = "the chosen waiter must be woken, after the lock is released"]
    fn notify_one(&mut self) -> Option<Waker> {
        match self.line.pop_front() {
            Some((ticket, waker)) => {
                self.chosen.insert(ticket);
                Some(waker)
            }
            None => {
                self.permit = true;
                None
            }
        }
    }
}

impl Notify {
    /// A `Notify` with no permit stored.
    ///
    /// # Examples
    ///
    /// ```
    /// let notify = turtles_executor::sync::Notify::new();
    /// notify.notify_one();
    /// turtles_executor::block_on(notify.notified()); // the stored permit
    /// ```
    pub fn new() -> Notify {
        Notify {
            state: Mutex::new(State::default()),
        }
    }

    /// A future that completes at the next notification meant for it: a
    /// `notify_one` (or the permit one left), or any `notify_waiters` called after
    /// this `notified()` call.
    ///
    /// # Examples
    ///
    /// ```
    /// let notify = turtles_executor::sync::Notify::new();
    /// let first = notify.notified();
    /// notify.notify_waiters(); // reaches `first`, created before, though not yet polled
    /// turtles_executor::block_on(first);
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            stage: Stage::Created {
                broadcasts: lock(&self.state).broadcasts,
            },
        }
    }

    /// Wakes the task that has waited longest; with nobody waiting, stores one permit
    /// (at most one: two calls with nobody waiting still leave one) for the next.
    ///
    /// # Examples
    ///
    /// ```
    /// let notify = turtles_executor::sync::Notify::new();
    /// notify.notify_one();
    /// notify.notify_one(); // permits do not add up
    /// turtles_executor::block_on(notify.notified());
    /// ```
    pub fn notify_one(&self) {
        let chosen = lock(&self.state).notify_one();
        wake_all(chosen);
    }

    /// Wakes every task waiting now, and every `Notified` created before this call;
    /// stores no permit.
    ///
    /// # Examples
    ///
    /// ```
    /// let go = turtles_executor::sync::Notify::new();
    /// // Three waiters that exist before the call, one of them not even polled yet:
    /// // all three are notified by it.
    /// let (a, b, c) = (go.notified(), go.notified(), go.notified());
    /// go.notify_waiters();
    /// turtles_executor::block_on(async { turtles_executor::join!(a, b, c) });
    /// // No permit is kept for a waiter that comes later.
    /// let mut later = std::pin::pin!(go.notified());
    /// let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// assert!(later.as_mut().poll(&mut cx).is_pending());
    /// # use std::future::Future;
    /// ```
    pub fn notify_waiters(&self) {
        let everyone: Vec<Waker> = {
            let mut state = lock(&self.state);
            state.broadcasts += 1;
            state.line.drain().collect()
        };
        wake_all(everyone);
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("Notify")
            .field("permit", &state.permit)
            .finish_non_exhaustive()
    }
}

/// The future of [`Notify::notified`].
///
/// # Examples
///
/// ```
/// let notify = turtles_executor::sync::Notify::new();
/// let notified: turtles_executor::sync::Notified<'_> = notify.notified();
/// notify.notify_one();
/// turtles_executor::block_on(notified);
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    notify: &'a Notify,
    stage: Stage,
}

#[derive(Debug, Clone, Copy)]
enum Stage {
    /// Not in line yet; `broadcasts` as it was at `notified()`.
    Created { broadcasts: u64 },
    /// In line under this ticket.
    Waiting(Ticket),
    /// Returned `Ready`.
    Done,
}

impl Notified<'_> {
    /// Joins the line now, before the first `.await`, and says whether a notification
    /// already came. The pattern it is for: *enable, check a condition, then await*.
    /// A `notify_one` between the check and the first poll would otherwise find
    /// nobody in line, keep it as the one permit, and a second notification in that
    /// gap would be lost (permits do not add up).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    /// let (notify, ready) = (turtles_executor::sync::Notify::new(), AtomicBool::new(false));
    /// let mut notified = std::pin::pin!(notify.notified());
    /// let already = notified.as_mut().enable(); // in line from here on
    /// ready.store(true, SeqCst); // (another task, in real code)
    /// notify.notify_one();
    /// if !already && !ready.load(SeqCst) {
    ///     unreachable!("the flag was set");
    /// }
    /// turtles_executor::block_on(notified); // returns at once: it was in line
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        // A poll with a waker that does nothing: it joins the line (or finds the
        // notification), and the real waker replaces it at the first `.await`.
        self.poll(&mut Context::from_waker(Waker::noop()))
            .is_ready()
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let state = &this.notify.state;
        match this.stage {
            Stage::Created { broadcasts } => {
                let waker = cx.waker().clone(); // user code: outside the lock (line.rs)
                let mut state = lock(state);
                if state.broadcasts != broadcasts || std::mem::take(&mut state.permit) {
                    this.stage = Stage::Done; // Created --> Done: notified before we waited
                    drop(state);
                    drop(waker);
                    return Poll::Ready(());
                }
                this.stage = Stage::Waiting(state.line.join(waker)); // --> Waiting
                Poll::Pending
            }
            Stage::Waiting(ticket) => {
                let waker = cx.waker().clone();
                let mut state = lock(state);
                match state.line.get_mut(ticket) {
                    Some(stored) => {
                        let old = std::mem::replace(stored, waker);
                        drop(state);
                        drop(old);
                        Poll::Pending // spurious poll: still in line
                    }
                    None => {
                        // Served: by notify_one (then we are in `chosen`) or by
                        // notify_waiters. Either way, seen now.
                        state.chosen.remove(&ticket);
                        this.stage = Stage::Done; // Waiting --> Done
                        drop(state);
                        drop(waker);
                        Poll::Ready(())
                    }
                }
            }
            Stage::Done => Poll::Ready(()),
        }
    }
}

impl Drop for Notified<'_> {
    /// A cancelled waiter passes its turn on (line.rs).
    fn drop(&mut self) {
        let Stage::Waiting(ticket) = self.stage else {
            return;
        };
        let mut state = lock(&self.notify.state);
        let left = state.line.leave(ticket);
        // Chosen by notify_one but never saw it: the notification goes to the next.
        let next = if left.is_none() && state.chosen.remove(&ticket) {
            state.notify_one()
        } else {
            None
        };
        drop(state);
        drop(left);
        wake_all(next);
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("stage", &self.stage)
            .finish()
    }
}
