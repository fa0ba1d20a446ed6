//! `Barrier`: `n` tasks wait until all `n` have arrived, then all go on together.
//!
//! Lesson: a rendezvous is a count plus a line. Each arrival counts itself and joins
//! the line; the `n`-th arrival does not wait at all: it empties the line, wakes
//! everyone, and is told it was the *leader* (one task, to do the once-per-round work).
//! A *generation* number tells a woken task that its round is over, and lets the
//! barrier be used again at once for the next round.
//!
//! Decided (tokio leaves a cancelled arrival counted): a task whose `wait()` future is
//! dropped before its round completes takes its arrival back, so a round never
//! releases with one of its `n` gone.
//!
//! Invariant 7 (ARCHITECTURE.md): each round releases exactly `n` waiters with
//! exactly one leader.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll, Waker},
};

use super::line::{wake_all, Line, Ticket};
use crate::shim::{lock, Mutex};

/// A meeting point for `n` tasks, reusable round after round.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use turtles_executor::sync::Barrier;
///
/// let rt = turtles_executor::Runtime::new().unwrap();
/// let barrier = Arc::new(Barrier::new(3));
/// let tasks: Vec<_> = (0..3)
///     .map(|_| {
///         let barrier = barrier.clone();
///         rt.spawn(async move { barrier.wait().await.is_leader() })
///     })
///     .collect();
/// let leaders = tasks.into_iter().map(|t| rt.block_on(t).unwrap());
/// assert_eq!(leaders.filter(|&leader| leader).count(), 1, "one leader per round");
/// ```
pub struct Barrier {
    n: usize,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Arrivals in the current round.
    arrived: usize,
    /// Rounds completed.
    generation: u64,
    line: Line<Waker>,
}

impl Barrier {
    /// A barrier for `n` tasks; `0` acts as `1` (as in tokio): every wait returns at
    /// once, as leader.
    ///
    /// # Examples
    ///
    /// ```
    /// let barrier = turtles_executor::sync::Barrier::new(1);
    /// assert!(turtles_executor::block_on(barrier.wait()).is_leader());
    /// ```
    pub fn new(n: usize) -> Barrier {
        Barrier {
            n: n.max(1),
            state: Mutex::new(State {
                arrived: 0,
                generation: 0,
                line: Line::new(),
            }),
        }
    }

    /// Arrives and waits until `n` tasks have arrived in this round.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let barrier = std::sync::Arc::new(turtles_executor::sync::Barrier::new(2));
    /// let other = rt.spawn({
    ///     let barrier = barrier.clone();
    ///     async move { barrier.wait().await }
    /// });
    /// let mine = rt.block_on(barrier.wait());
    /// let theirs = rt.block_on(other).unwrap();
    /// assert!(mine.is_leader() != theirs.is_leader());
    /// ```
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            stage: Stage::Away,
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &lock(&self.state).arrived)
            .finish()
    }
}

/// The future of [`Barrier::wait`].
///
/// # Examples
///
/// ```
/// let barrier = turtles_executor::sync::Barrier::new(1);
/// let wait: turtles_executor::sync::BarrierWait<'_> = barrier.wait();
/// assert!(turtles_executor::block_on(wait).is_leader());
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    stage: Stage,
}

#[derive(Debug, Clone, Copy)]
enum Stage {
    /// Not counted yet.
    Away,
    /// Counted in round `generation`, in line under `ticket`.
    Arrived { generation: u64, ticket: Ticket },
    /// The round is over and this future returned.
    Done,
}

impl Future for BarrierWait<'_> {
    type Output = BarrierWaitResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let this = &mut *self;
        let barrier = this.barrier;
        let waker = cx.waker().clone(); // user code: outside the lock (line.rs)
        let mut state = lock(&barrier.state);
        match this.stage {
            Stage::Away => {
                state.arrived += 1;
                if state.arrived == barrier.n {
                    // The last arrival: release the round, lead it, never wait.
                    state.arrived = 0;
                    state.generation += 1;
                    let everyone: Vec<Waker> = state.line.drain().collect();
                    drop(state);
                    drop(waker);
                    this.stage = Stage::Done; // Away --> Done, as leader
                    wake_all(everyone);
                    return Poll::Ready(BarrierWaitResult { leader: true });
                }
                let generation = state.generation;
                let ticket = state.line.join(waker);
                this.stage = Stage::Arrived { generation, ticket }; // Away --> Arrived
                Poll::Pending
            }
            Stage::Arrived { generation, ticket } => {
                if state.generation != generation {
                    this.stage = Stage::Done; // Arrived --> Done: the round completed
                    drop(state);
                    drop(waker);
                    return Poll::Ready(BarrierWaitResult { leader: false });
                }
                let old = state
                    .line
                    .get_mut(ticket)
                    .map(|stored| std::mem::replace(stored, waker));
                drop(state);
                drop(old);
                Poll::Pending
            }
            Stage::Done => panic!(
                "a BarrierWait was polled after it completed; call Barrier::wait() again \
                 for the next round"
            ),
        }
    }
}

impl Drop for BarrierWait<'_> {
    /// A cancelled waiter takes its arrival back (see the module docs).
    fn drop(&mut self) {
        let Stage::Arrived { generation, ticket } = self.stage else {
            return;
        };
        let mut state = lock(&self.barrier.state);
        if state.generation == generation {
            state.arrived -= 1;
            let left = state.line.leave(ticket);
            drop(state);
            drop(left);
        }
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("stage", &self.stage)
            .finish_non_exhaustive()
    }
}

/// What [`Barrier::wait`] returns: whether this task was the round's leader.
///
/// # Examples
///
/// ```
/// let barrier = turtles_executor::sync::Barrier::new(1);
/// let result = turtles_executor::block_on(barrier.wait());
/// assert!(result.is_leader());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// `true` for exactly one task per round: the last to arrive.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = turtles_executor::sync::Barrier::new(1);
    /// assert!(turtles_executor::block_on(b.wait()).is_leader());
    /// ```
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}
