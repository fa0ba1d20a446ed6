//! `Semaphore`: a count of permits and a fair line of tasks waiting for some.
//!
//! Lesson: waiting for a resource without holding a thread. A task that finds too few
//! permits joins the [`Line`] with its waker and returns `Pending`; whoever gives
//! permits back serves the line from the front, as far as the permits go, and wakes
//! those it served. The line is FIFO: a task asking for many permits is not overtaken
//! by later ones asking for few, so nobody starves. [`Mutex`](super::Mutex),
//! [`RwLock`](super::RwLock) and the bounded [`mpsc`](super::mpsc) channel are built on
//! it.
//!
//! Invariant 7 (ARCHITECTURE.md): a permit is handed to exactly one waiter; a waiter
//! dropped after it was served gives its permits back to the line; no release is lost.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll, Waker},
};

use super::line::{wake_all, Line, Ticket};
use crate::shim::{lock, Arc, Mutex};

/// A count of permits that tasks acquire and give back, served first come, first
/// served.
///
/// # Examples
///
/// At most two of five tasks run their critical part at once:
///
/// ```
/// use std::sync::{Arc, atomic::{AtomicUsize, Ordering::SeqCst}};
/// use turtles_executor::sync::Semaphore;
///
/// let rt = turtles_executor::Runtime::new().unwrap();
/// let limit = Arc::new(Semaphore::new(2));
/// let inside = Arc::new(AtomicUsize::new(0));
/// let tasks: Vec<_> = (0..5)
///     .map(|_| {
///         let (limit, inside) = (limit.clone(), inside.clone());
///         rt.spawn(async move {
///             let _permit = limit.acquire().await.unwrap();
///             assert!(inside.fetch_add(1, SeqCst) < 2, "never more than two inside");
///             turtles_executor::yield_now().await;
///             inside.fetch_sub(1, SeqCst);
///         })
///     })
///     .collect();
/// for task in tasks {
///     rt.block_on(task).unwrap();
/// }
/// assert_eq!(limit.available_permits(), 2);
/// ```
pub struct Semaphore {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    permits: usize,
    closed: bool,
    line: Line<Waiter>,
}

#[derive(Debug)]
struct Waiter {
    needed: usize,
    waker: Waker,
}

impl State {
    /// Serves the line from the front while the permits last; returns whom to wake.
    /// Stops at the first waiter that needs more than is left: serving a later, smaller
    /// one first would let a big request starve.
    #[must_use = "the served waiters must be woken, after the lock is released"]
    fn serve(&mut self) -> Vec<Waker> {
        let mut served = Vec::new();
        while let Some(front) = self.line.front() {
            if self.closed || front.needed > self.permits {
                break;
            }
            self.permits -= front.needed;
            let (_, waiter) = self.line.pop_front().expect("the front exists");
            served.push(waiter.waker);
        }
        served
    }

    /// Takes `needed` permits if nobody waits ahead and enough are there.
    fn try_take(&mut self, needed: usize) -> bool {
        let fits = self.line.is_empty() && self.permits >= needed;
        if fits {
            self.permits -= needed;
        }
        fits
    }
}

impl Semaphore {
    /// The most permits a semaphore can hold (tokio's limit too: the top bits are
    /// left free so that adding permits can never overflow).
    pub const MAX_PERMITS: usize = usize::MAX >> 3;

    /// A semaphore holding `permits` permits.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`MAX_PERMITS`](Self::MAX_PERMITS).
    ///
    /// # Examples
    ///
    /// ```
    /// let s = turtles_executor::sync::Semaphore::new(3);
    /// assert_eq!(s.available_permits(), 3);
    /// ```
    pub fn new(permits: usize) -> Semaphore {
        assert!(
            permits <= Self::MAX_PERMITS,
            "Semaphore::new({permits}): a semaphore holds at most Semaphore::MAX_PERMITS \
             ({}) permits; ask for fewer",
            Self::MAX_PERMITS
        );
        Semaphore {
            state: Mutex::new(State {
                permits,
                closed: false,
                line: Line::new(),
            }),
        }
    }

    /// Permits free right now (a snapshot: other threads may take them next).
    ///
    /// # Examples
    ///
    /// ```
    /// let s = turtles_executor::sync::Semaphore::new(2);
    /// let p = s.try_acquire().unwrap();
    /// assert_eq!(s.available_permits(), 1);
    /// drop(p);
    /// assert_eq!(s.available_permits(), 2);
    /// ```
    pub fn available_permits(&self) -> usize {
        lock(&self.state).permits
    }

    /// Adds `n` permits, serving waiting tasks first.
    ///
    /// # Panics
    ///
    /// If the total would exceed [`MAX_PERMITS`](Self::MAX_PERMITS).
    ///
    /// # Examples
    ///
    /// ```
    /// let s = turtles_executor::sync::Semaphore::new(0);
    /// assert!(s.try_acquire().is_err());
    /// s.add_permits(1);
    /// assert!(s.try_acquire().is_ok());
    /// ```
    pub fn add_permits(&self, n: usize) {
        self.release(n);
    }

    /// Waits for one permit; it goes back when the [`SemaphorePermit`] drops.
    ///
    /// Dropping the future while it waits leaves the line; if the permit had been
    /// handed to it already, it goes to the next in line.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] once the semaphore is [closed](Self::close).
    ///
    /// # Examples
    ///
    /// ```
    /// let s = turtles_executor::sync::Semaphore::new(1);
    /// turtles_executor::block_on(async {
    ///     let permit = s.acquire().await.unwrap();
    ///     assert_eq!(s.available_permits(), 0);
    ///     drop(permit);
    /// });
    /// assert_eq!(s.available_permits(), 1);
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Waits for `n` permits at once, in line like everyone else.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] once the semaphore is [closed](Self::close).
    ///
    /// # Examples
    ///
    /// ```
    /// let s = turtles_executor::sync::Semaphore::new(5);
    /// let three = turtles_executor::block_on(s.acquire_many(3)).unwrap();
    /// assert_eq!((three.num_permits(), s.available_permits()), (3, 2));
    /// ```
    pub fn acquire_many(&self, n: u32) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            needed: n as usize,
            ticket: None,
            done: false,
        }
    }

    /// Like [`acquire`](Self::acquire), for a semaphore in an `Arc`: the permit owns a
    /// clone, so it can move into a spawned task.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] once the semaphore is [closed](Self::close).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let s = Arc::new(turtles_executor::sync::Semaphore::new(1));
    /// let permit = turtles_executor::block_on(s.clone().acquire_owned()).unwrap();
    /// std::thread::spawn(move || drop(permit)).join().unwrap();
    /// assert_eq!(s.available_permits(), 1);
    /// ```
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire().await?.forget();
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: 1,
        })
    }

    /// Takes one permit if one is free and nobody waits ahead.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use turtles_executor::sync::{Semaphore, TryAcquireError};
    /// let s = Semaphore::new(1);
    /// let _p = s.try_acquire().unwrap();
    /// assert_eq!(s.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody waits ahead.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// let s = turtles_executor::sync::Semaphore::new(3);
    /// assert!(s.try_acquire_many(4).is_err());
    /// assert_eq!(s.try_acquire_many(3).unwrap().num_permits(), 3);
    /// ```
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        let mut state = lock(&self.state);
        if state.closed {
            Err(TryAcquireError::Closed)
        } else if state.try_take(n as usize) {
            Ok(SemaphorePermit::new(self, n as usize))
        } else {
            Err(TryAcquireError::NoPermits)
        }
    }

    /// Closes the semaphore: every waiting and later `acquire` fails with
    /// [`AcquireError`]. Permits already held stay valid.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = turtles_executor::sync::Semaphore::new(1);
    /// s.close();
    /// assert!(s.is_closed());
    /// assert!(turtles_executor::block_on(s.acquire()).is_err());
    /// ```
    pub fn close(&self) {
        let wakers: Vec<Waker> = {
            let mut state = lock(&self.state);
            state.closed = true;
            // Woken but left in line: each finds its ticket still there, sees
            // `closed`, and leaves with the error. The wakers are taken out (a no-op
            // one stays behind) so that they are woken and dropped after the lock.
            state
                .line
                .iter_mut()
                .map(|waiter| std::mem::replace(&mut waiter.waker, Waker::noop().clone()))
                .collect()
        };
        wake_all(wakers);
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = turtles_executor::sync::Semaphore::new(0);
    /// assert!(!s.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    /// Gives `n` permits back and serves the line.
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let served = {
            let mut state = lock(&self.state);
            state.permits = state
                .permits
                .checked_add(n)
                .filter(|&total| total <= Self::MAX_PERMITS)
                .unwrap_or_else(|| {
                    panic!(
                        "Semaphore::add_permits: more than Semaphore::MAX_PERMITS permits; \
                         a permit was added twice, or add fewer"
                    )
                });
            state.serve()
        };
        wake_all(served);
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("Semaphore")
            .field("permits", &state.permits)
            .field("closed", &state.closed)
            .finish_non_exhaustive()
    }
}

/// The future of [`Semaphore::acquire`] and [`Semaphore::acquire_many`].
///
/// # Examples
///
/// ```
/// let s = turtles_executor::sync::Semaphore::new(1);
/// let acquire: turtles_executor::sync::Acquire<'_> = s.acquire();
/// assert!(turtles_executor::block_on(acquire).is_ok());
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    needed: usize,
    /// `Some` while in line. `None` before the first poll, and after the permits were
    /// taken (then `Drop` has nothing to give back: the permit guard owns them).
    ticket: Option<Ticket>,
    /// Returned `Ready`: a later poll is a bug, not a second acquisition.
    done: bool,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        assert!(
            !this.done,
            "an Acquire future was polled after it completed; call acquire() again for \
             another permit"
        );
        let poll = this.poll_acquire(cx);
        this.done = poll.is_ready();
        poll
    }
}

impl<'a> Acquire<'a> {
    fn poll_acquire(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<SemaphorePermit<'a>, AcquireError>> {
        let semaphore = self.semaphore;
        // A closure, not a value: a permit made and not returned would give its
        // permits back when dropped.
        let needed = self.needed;
        let granted = || Poll::Ready(Ok(SemaphorePermit::new(semaphore, needed)));
        let Some(ticket) = self.ticket else {
            // First poll: the fast path takes the permits without touching a waker.
            let mut state = lock(&semaphore.state);
            if state.closed {
                return Poll::Ready(Err(AcquireError(())));
            }
            if state.try_take(self.needed) {
                return granted();
            }
            drop(state);
            let waker = cx.waker().clone(); // user code: outside the lock (line.rs)
            let mut state = lock(&semaphore.state);
            // The lock was let go for the clone: look again before joining the line.
            if state.closed {
                return Poll::Ready(Err(AcquireError(())));
            }
            if state.try_take(self.needed) {
                drop(state);
                drop(waker);
                return granted();
            }
            self.ticket = Some(state.line.join(Waiter {
                needed: self.needed,
                waker,
            }));
            return Poll::Pending;
        };
        let waker = cx.waker().clone();
        let mut state = lock(&semaphore.state);
        let closed = state.closed;
        match state.line.get_mut(ticket) {
            // Served: the permits were taken for us when we left the line.
            None => {
                drop(state);
                self.ticket = None;
                granted()
            }
            Some(_) if closed => {
                let left = state.line.leave(ticket);
                drop(state);
                drop(left);
                self.ticket = None;
                Poll::Ready(Err(AcquireError(())))
            }
            Some(waiter) => {
                let old = std::mem::replace(&mut waiter.waker, waker);
                drop(state);
                drop(old);
                Poll::Pending
            }
        }
    }
}

impl Drop for Acquire<'_> {
    /// A cancelled waiter passes its turn on (line.rs).
    fn drop(&mut self) {
        let Some(ticket) = self.ticket else { return };
        let mut state = lock(&self.semaphore.state);
        let left = state.line.leave(ticket);
        if left.is_none() {
            // Served, but dropped before it saw so: the permits go back.
            state.permits += self.needed;
        }
        // Either way the line may move: our permits came back, or we were the big
        // request at the front that the ones behind were waiting on.
        let served = state.serve();
        drop(state);
        drop(left);
        wake_all(served);
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("needed", &self.needed)
            .field("in_line", &self.ticket.is_some())
            .finish()
    }
}

/// Permits taken from a [`Semaphore`]; dropping it gives them back.
///
/// # Examples
///
/// ```
/// let s = turtles_executor::sync::Semaphore::new(1);
/// {
///     let _permit = s.try_acquire().unwrap();
///     assert_eq!(s.available_permits(), 0);
/// }
/// assert_eq!(s.available_permits(), 1);
/// ```
#[must_use = "the permit goes back as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: usize,
}

impl<'a> SemaphorePermit<'a> {
    fn new(semaphore: &'a Semaphore, permits: usize) -> Self {
        SemaphorePermit { semaphore, permits }
    }

    /// How many permits this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = turtles_executor::sync::Semaphore::new(2);
    /// assert_eq!(s.try_acquire_many(2).unwrap().num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// Keeps the permits out of the semaphore for good (the count shrinks).
    ///
    /// # Examples
    ///
    /// ```
    /// let s = turtles_executor::sync::Semaphore::new(2);
    /// s.try_acquire().unwrap().forget();
    /// assert_eq!(s.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.release(self.permits);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}

/// A permit that owns an `Arc` of its [`Semaphore`]: `'static`, so it can move into
/// a spawned task. See [`Semaphore::acquire_owned`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// let s = Arc::new(turtles_executor::sync::Semaphore::new(1));
/// let permit = turtles_executor::block_on(s.clone().acquire_owned()).unwrap();
/// assert_eq!(permit.num_permits(), 1);
/// ```
#[must_use = "the permit goes back as soon as it is dropped"]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    permits: usize,
}

impl OwnedSemaphorePermit {
    /// How many permits this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let s = Arc::new(turtles_executor::sync::Semaphore::new(1));
    /// let p = turtles_executor::block_on(s.acquire_owned()).unwrap();
    /// assert_eq!(p.num_permits(), 1);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.semaphore.release(self.permits);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}

/// [`Semaphore::acquire`] failed: the semaphore was closed.
///
/// # Examples
///
/// ```
/// let s = turtles_executor::sync::Semaphore::new(1);
/// s.close();
/// let err = turtles_executor::block_on(s.acquire()).unwrap_err();
/// assert_eq!(err.to_string(), "the semaphore is closed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquireError(());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the semaphore is closed")
    }
}

impl std::error::Error for AcquireError {}

/// Why [`Semaphore::try_acquire`] took nothing.
///
/// # Examples
///
/// ```
/// use turtles_executor::sync::{Semaphore, TryAcquireError};
/// assert_eq!(Semaphore::new(0).try_acquire().unwrap_err(), TryAcquireError::NoPermits);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    Closed,
    /// Too few permits are free, or others wait ahead.
    NoPermits,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryAcquireError::Closed => "the semaphore is closed",
            TryAcquireError::NoPermits => "no permits available",
        })
    }
}

impl std::error::Error for TryAcquireError {}
