//! `watch`: one value that changes, and receivers that want only its latest state.
//!
//! Lesson: a channel does not have to be a queue. Here there is one value and a
//! *version* number; each receiver remembers the version it saw last.
//! `changed().await` returns as soon as the version moved, however many sends that
//! was: intermediate values are skipped on purpose (a config, a "shutting down" flag,
//! a progress counter). Nothing can lag and nothing piles up.
//!
//! The value sits in a `std::sync::RwLock` (its guard is the [`Ref`] that `borrow`
//! returns, so do not hold one across an `.await`); the version and the waiting
//! receivers sit in a mutex beside it. A send swaps the value first and moves the
//! version second, so a receiver that sees the new version always reads the new value.
//!
//! Invariant 7 (ARCHITECTURE.md): no receiver sleeps through a send or the sender
//! leaving.

use std::{
    fmt,
    future::Future,
    ops::Deref,
    pin::Pin,
    task::{Context, Poll, Waker},
};

use std::cell::RefCell;

use super::line::{wake_all, Line, Ticket};
use crate::shim::{lock, read, thread_local, write, Arc, Counter, Mutex, RwLock, RwLockReadGuard};

thread_local! {
    /// The channels this thread holds the value lock of, by id: reading (a live
    /// `Ref`) or writing (inside `send_modify`). A send while this thread reads, or a
    /// `borrow` while it writes, would wait for itself forever; with this list it
    /// panics and says why instead.
    // loom's thread_local! takes no `const {}` initializer.
    #[allow(clippy::missing_const_for_thread_local)]
    static HELD_HERE: RefCell<Vec<(u64, Access)>> = RefCell::new(Vec::new());
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

/// Channel ids for `HELD_HERE`: never reused, so an entry leaked with a `Ref`
/// (`mem::forget`) concerns only its own channel, not one later made at the same
/// address. A counter, no synchronisation: `Counter` is a std atomic even under loom.
static NEXT_ID: Counter = Counter::new(0);

/// This thread holds the value lock of the channel with this id while a `Hold` lives.
struct Hold(u64);

impl Hold {
    fn new<T>(shared: &Shared<T>, access: Access, what: &str) -> Hold {
        let id = shared.id;
        // `try_with`: during thread-local destruction (a `Ref` kept in another
        // thread-local) the list may be gone; then there is nothing to check.
        let clash = HELD_HERE
            .try_with(|held| {
                held.borrow().iter().any(|&(other, had)| {
                    other == id && (had == Access::Write || access == Access::Write)
                })
            })
            .unwrap_or(false);
        if clash {
            panic!(
                "watch: {what} on a channel whose value this thread holds (a Ref from \
                 borrow() still alive, or inside send_modify's closure): it would wait for \
                 itself forever. Drop the Ref first, or do not touch the channel from \
                 inside send_modify"
            );
        }
        let _ = HELD_HERE.try_with(|held| held.borrow_mut().push((id, access)));
        Hold(id)
    }

    /// Panics as `new` would, without holding anything.
    fn check<T>(shared: &Shared<T>, what: &str) {
        drop(Hold::new(shared, Access::Write, what));
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        let _ = HELD_HERE.try_with(|held| {
            let mut held = held.borrow_mut();
            if let Some(at) = held.iter().rposition(|&(id, _)| id == self.0) {
                held.swap_remove(at);
            }
        });
    }
}

/// A watched value: the sender replaces it, receivers see its latest state.
///
/// # Examples
///
/// ```
/// use turtles_executor::sync::watch;
///
/// let rt = turtles_executor::Runtime::new().unwrap();
/// let (tx, mut rx) = watch::channel("starting");
/// let observer = rt.spawn(async move {
///     while *rx.borrow_and_update() != "done" {
///         rx.changed().await.unwrap();
///     }
/// });
/// tx.send("working").unwrap();
/// tx.send("done").unwrap();
/// rt.block_on(observer).unwrap();
/// ```
pub fn channel<T>(initial: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        value: RwLock::new(initial),
        state: Mutex::new(State {
            version: 0,
            sender_gone: false,
            receivers: 1,
            line: Line::new(),
        }),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, seen: 0 },
    )
}

#[derive(Debug)]
struct Shared<T> {
    /// For `HELD_HERE` (see `Hold`).
    id: u64,
    value: RwLock<T>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Moves on with every send.
    version: u64,
    sender_gone: bool,
    receivers: usize,
    /// Receivers waiting for the version to move.
    line: Line<Waker>,
}

impl<T> Shared<T> {
    /// Bumps the version and wakes every waiting receiver.
    fn announce(&self) {
        let waiting: Vec<Waker> = {
            let mut state = lock(&self.state);
            state.version += 1;
            state.line.drain().collect()
        };
        wake_all(waiting);
    }
}

/// The sending end (there is one; it is not `Clone`).
///
/// # Examples
///
/// ```
/// let (tx, rx) = turtles_executor::sync::watch::channel(1);
/// tx.send(2).unwrap();
/// assert_eq!(*rx.borrow(), 2);
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Replaces the value and wakes the receivers waiting in `changed`.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value when no receiver is left (the value is not
    /// stored then; [`send_replace`](Self::send_replace) stores it anyway).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = turtles_executor::sync::watch::channel(0);
    /// drop(rx);
    /// assert_eq!(tx.send(1).unwrap_err().0, 1);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if lock(&self.shared.state).receivers == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Replaces the value whether or not anyone watches; returns the old one.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = turtles_executor::sync::watch::channel("a");
    /// assert_eq!(tx.send_replace("b"), "a");
    /// ```
    pub fn send_replace(&self, value: T) -> T {
        Hold::check(&self.shared, "send");
        let old = std::mem::replace(&mut *write(&self.shared.value), value);
        self.shared.announce();
        old
    }

    /// Changes the value in place, then wakes the receivers.
    ///
    /// `modify` runs with the value write-locked: calling `borrow` or a send on this
    /// channel from inside it panics (it would wait for itself). If it panics, the
    /// receivers are not told (whatever it changed before the panic stays).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = turtles_executor::sync::watch::channel(vec![1]);
    /// tx.send_modify(|v| v.push(2));
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// ```
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        let hold = Hold::new(&self.shared, Access::Write, "send_modify");
        modify(&mut write(&self.shared.value));
        drop(hold);
        self.shared.announce();
    }

    /// The current value. A `Ref` is a read lock: hold it briefly.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = turtles_executor::sync::watch::channel(5);
    /// assert_eq!(*tx.borrow(), 5);
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        let hold = Hold::new(&self.shared, Access::Read, "borrow");
        Ref {
            guard: read(&self.shared.value),
            _hold: hold,
        }
    }

    /// A new receiver that counts the current value as seen.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = turtles_executor::sync::watch::channel(0);
    /// drop(rx);
    /// let rx = tx.subscribe();
    /// assert!(tx.send(1).is_ok());
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        let mut state = lock(&self.shared.state);
        state.receivers += 1;
        Receiver {
            seen: state.version,
            shared: self.shared.clone(),
        }
    }

    /// How many receivers exist now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = turtles_executor::sync::watch::channel(());
    /// let rx2 = rx.clone();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared.state).receivers
    }

    /// Whether every receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = turtles_executor::sync::watch::channel(());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waiting: Vec<Waker> = {
            let mut state = lock(&self.shared.state);
            state.sender_gone = true;
            state.line.drain().collect()
        };
        wake_all(waiting);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Sender").finish_non_exhaustive()
    }
}

/// A receiving end; clone it for more (a clone has seen what the original saw).
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = turtles_executor::sync::watch::channel(0);
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// turtles_executor::block_on(rx.changed()).unwrap();
/// assert_eq!(*rx.borrow(), 2, "only the latest value");
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version this receiver saw last.
    seen: u64,
}

impl<T> Receiver<T> {
    /// The current value, without marking it seen. A `Ref` is a read lock: hold it
    /// briefly, never across an `.await`, and one at a time: with a send from another
    /// thread waiting for the lock, std's `RwLock` lets no second reader in, so a
    /// second `borrow` on the same thread would wait for the first.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = turtles_executor::sync::watch::channel("v");
    /// assert_eq!(*rx.borrow(), "v");
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        let hold = Hold::new(&self.shared, Access::Read, "borrow");
        Ref {
            guard: read(&self.shared.value),
            _hold: hold,
        }
    }

    /// The current value, marking it seen: `changed` then waits for the next send.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = turtles_executor::sync::watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert_eq!(*rx.borrow_and_update(), 1);
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        // The version before the value: a send in between is seen as a change next
        // time, never lost.
        self.seen = lock(&self.shared.state).version;
        self.borrow()
    }

    /// Whether a send happened since this receiver last marked the value seen.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = turtles_executor::sync::watch::channel(0);
    /// assert!(!rx.has_changed().unwrap());
    /// tx.send(1).unwrap();
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let state = lock(&self.shared.state);
        if state.sender_gone {
            return Err(RecvError(()));
        }
        Ok(state.version != self.seen)
    }

    /// Waits until a send happens that this receiver has not seen, and marks it
    /// seen. Returns at once if one already did.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the sender is gone (and no unseen send is left).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = turtles_executor::sync::watch::channel(());
    /// drop(tx);
    /// assert!(turtles_executor::block_on(rx.changed()).is_err());
    /// ```
    pub fn changed(&mut self) -> Changed<'_, T> {
        Changed {
            receiver: self,
            ticket: None,
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        lock(&self.shared.state).receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        lock(&self.shared.state).receivers -= 1;
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Receiver")
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

/// The future of [`Receiver::changed`].
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = turtles_executor::sync::watch::channel(0);
/// tx.send(1).unwrap();
/// let changed: turtles_executor::sync::watch::Changed<'_, i32> = rx.changed();
/// assert!(turtles_executor::block_on(changed).is_ok());
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Changed<'a, T> {
    receiver: &'a mut Receiver<T>,
    /// `Some` while in line for the next send.
    ticket: Option<Ticket>,
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let waker = cx.waker().clone(); // user code: outside the lock (line.rs)
        let mut state = lock(&this.receiver.shared.state);
        // A send empties the line, so a ticket may be stale: leave before looking.
        let stale = this
            .ticket
            .take()
            .and_then(|ticket| state.line.leave(ticket));
        let outcome = if state.version != this.receiver.seen {
            this.receiver.seen = state.version;
            Poll::Ready(Ok(()))
        } else if state.sender_gone {
            Poll::Ready(Err(RecvError(())))
        } else {
            this.ticket = Some(state.line.join(waker));
            drop(state);
            drop(stale);
            return Poll::Pending;
        };
        drop(state);
        drop((stale, waker));
        outcome
    }
}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket {
            // Every send wakes every waiter: no turn to pass on, just leave.
            let left = lock(&self.receiver.shared.state).line.leave(ticket);
            drop(left);
        }
    }
}

impl<T> fmt::Debug for Changed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Changed").finish_non_exhaustive()
    }
}

/// A read lock on the watched value; derefs to `&T`.
///
/// # Examples
///
/// ```
/// let (_tx, rx) = turtles_executor::sync::watch::channel(String::from("hi"));
/// let value: turtles_executor::sync::watch::Ref<'_, String> = rx.borrow();
/// assert_eq!(value.len(), 2);
/// ```
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    /// Marks the lock as held by this thread (declared after `guard`: released after
    /// it, never before).
    _hold: Hold,
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// No receiver is left; the value comes back in `.0`.
///
/// # Examples
///
/// ```
/// let (tx, rx) = turtles_executor::sync::watch::channel(0);
/// drop(rx);
/// assert_eq!(tx.send(1).unwrap_err().to_string(), "no receiver is watching");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no receiver is watching")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// The sender is gone.
///
/// # Examples
///
/// ```
/// let (tx, rx) = turtles_executor::sync::watch::channel(0);
/// drop(tx);
/// assert_eq!(rx.has_changed().unwrap_err().to_string(), "the watch sender is gone");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecvError(());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the watch sender is gone")
    }
}

impl std::error::Error for RecvError {}
