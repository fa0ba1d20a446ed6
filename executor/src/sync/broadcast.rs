//! `broadcast`: every receiver gets every message, and a slow one learns what it
//! missed.
//!
//! Lesson: fan-out without waiting for the slowest. The channel keeps the last
//! `capacity` messages in a ring, numbered in order; each receiver remembers the
//! number of the next message it wants. A send never waits: when the ring is full it
//! drops the oldest message, and a receiver that still wanted it is told
//! [`RecvError::Lagged`]`(n)`, the count it missed, then goes on from the oldest kept.
//! Every waiting receiver is woken by each send (they all want it).
//!
//! Messages are stored as `Arc<T>`: a receiver clones the `Arc` under the lock and
//! `T` itself after it, because `T::clone` is user code (see `line.rs`).
//!
//! Invariant 7 (ARCHITECTURE.md): each receiver sees each message once, in order, or
//! counts it in a `Lagged`; no receiver sleeps through a send or the last sender
//! leaving.

use std::{
    collections::VecDeque,
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll, Waker},
};

use super::line::{wake_all, Line, Ticket};
use crate::shim::{lock, Arc, Mutex};

/// A channel where every [`Receiver`] gets every message sent after it subscribed.
///
/// The ring keeps the last `capacity` messages, read or not (a message is dropped when
/// a newer one overwrites it, or when the last receiver goes); tokio drops a message
/// as soon as every receiver has read it. Mind it for large messages.
///
/// # Panics
///
/// If `capacity` is 0 or more than `usize::MAX / 2`.
///
/// # Examples
///
/// ```
/// use turtles_executor::sync::broadcast;
///
/// let (tx, mut a) = broadcast::channel(16);
/// let mut b = tx.subscribe();
/// tx.send("news").unwrap();
/// turtles_executor::block_on(async {
///     assert_eq!(a.recv().await, Ok("news"));
///     assert_eq!(b.recv().await, Ok("news"));
/// });
/// ```
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "broadcast::channel(0): the channel must keep at least one message for its \
         receivers; use a capacity of 1 or more"
    );
    assert!(
        capacity <= usize::MAX / 2,
        "broadcast::channel({capacity}): the capacity is at most usize::MAX / 2; the \
         ring grows only as messages arrive, so a large bound costs nothing until used"
    );
    let shared = Arc::new(Mutex::new(Ring {
        // Grown as messages arrive: a large capacity allocates nothing up front.
        messages: VecDeque::new(),
        first: 0,
        capacity,
        senders: 1,
        receivers: 1,
        line: Line::new(),
    }));
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, next: 0 },
    )
}

#[derive(Debug)]
struct Ring<T> {
    messages: VecDeque<Arc<T>>,
    /// The number of `messages[0]`; message numbers count every send ever made.
    first: u64,
    capacity: usize,
    senders: usize,
    receivers: usize,
    /// Receivers waiting for the next send.
    line: Line<Waker>,
}

impl<T> Ring<T> {
    /// The number the next send will get.
    fn end(&self) -> u64 {
        self.first + self.messages.len() as u64
    }

    /// Reads the ring for a receiver whose next wanted message is `*next`, moving it
    /// on; clones only the `Arc`.
    fn look(&self, next: &mut u64) -> Look<T> {
        if *next < self.first {
            let missed = self.first - *next;
            *next = self.first;
            return Look::Lagged(missed);
        }
        if *next < self.end() {
            let index = (*next - self.first) as usize;
            *next += 1;
            return Look::Message(self.messages[index].clone());
        }
        if self.senders == 0 {
            Look::Closed
        } else {
            Look::Empty
        }
    }
}

/// The sending end; clone it for more senders.
///
/// # Examples
///
/// ```
/// let (tx, _rx) = turtles_executor::sync::broadcast::channel(4);
/// assert_eq!(tx.send(1).unwrap(), 1, "one receiver got it");
/// ```
pub struct Sender<T> {
    shared: Arc<Mutex<Ring<T>>>,
}

impl<T> Sender<T> {
    /// Sends to every receiver; returns how many there are. Never waits: with the
    /// ring full, the oldest message is dropped.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the message when there is no receiver at all.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = turtles_executor::sync::broadcast::channel(4);
    /// drop(rx);
    /// assert_eq!(tx.send("x").unwrap_err().0, "x");
    /// ```
    pub fn send(&self, message: T) -> Result<usize, SendError<T>> {
        let mut ring = lock(&self.shared);
        if ring.receivers == 0 {
            return Err(SendError(message));
        }
        ring.messages.push_back(Arc::new(message));
        let overwritten = if ring.messages.len() > ring.capacity {
            ring.first += 1;
            ring.messages.pop_front()
        } else {
            None
        };
        let receivers = ring.receivers;
        let waiting: Vec<Waker> = ring.line.drain().collect();
        drop(ring);
        drop(overwritten); // maybe the last `Arc`: `T::drop` is user code
        wake_all(waiting);
        Ok(receivers)
    }

    /// A new receiver that gets every message sent from now on.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = turtles_executor::sync::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// let mut late = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(late.try_recv(), Ok(2), "1 was before it subscribed");
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        let mut ring = lock(&self.shared);
        ring.receivers += 1;
        Receiver {
            next: ring.end(),
            shared: self.shared.clone(),
        }
    }

    /// How many receivers exist now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = turtles_executor::sync::broadcast::channel::<()>(1);
    /// let _rx2 = tx.subscribe();
    /// assert_eq!(tx.receiver_count(), 2);
    /// drop(rx);
    /// assert_eq!(tx.receiver_count(), 1);
    /// ```
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared).receivers
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        lock(&self.shared).senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut ring = lock(&self.shared);
        ring.senders -= 1;
        // The last sender: waiting receivers must learn the channel is closed.
        let waiting: Vec<Waker> = if ring.senders == 0 {
            ring.line.drain().collect()
        } else {
            Vec::new()
        };
        drop(ring);
        wake_all(waiting);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Sender").finish_non_exhaustive()
    }
}

/// A receiving end; each gets its own copy of every message.
///
/// # Examples
///
/// ```
/// use turtles_executor::sync::broadcast::{channel, TryRecvError};
/// let (tx, mut rx) = channel(2);
/// for n in 0..5 {
///     tx.send(n).unwrap();
/// }
/// // Only the last two were kept; the three before them are reported missed.
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(3)));
/// assert_eq!(rx.try_recv(), Ok(3));
/// ```
pub struct Receiver<T> {
    shared: Arc<Mutex<Ring<T>>>,
    /// The number of the next message this receiver wants.
    next: u64,
}

/// What one look at the ring found for a receiver.
enum Look<T> {
    Message(Arc<T>),
    Lagged(u64),
    Closed,
    Empty,
}

impl<T: Clone> Receiver<T> {
    /// The next message, waiting if there is none yet.
    ///
    /// # Errors
    ///
    /// [`RecvError::Lagged`]`(n)` when `n` messages were overwritten before this
    /// receiver read them (the next `recv` returns the oldest kept);
    /// [`RecvError::Closed`] when every sender is gone and everything was read.
    ///
    /// # Examples
    ///
    /// ```
    /// use turtles_executor::sync::broadcast::{channel, RecvError};
    /// let (tx, mut rx) = channel(4);
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// turtles_executor::block_on(async {
    ///     assert_eq!(rx.recv().await, Ok(1));
    ///     assert_eq!(rx.recv().await, Err(RecvError::Closed));
    /// });
    /// ```
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv {
            receiver: self,
            ticket: None,
        }
    }

    /// The next message if one is there.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`], [`TryRecvError::Lagged`] or [`TryRecvError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use turtles_executor::sync::broadcast::{channel, TryRecvError};
    /// let (_tx, mut rx) = channel::<u8>(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let ring = lock(&self.shared);
        let look = ring.look(&mut self.next);
        drop(ring);
        match look {
            Look::Message(message) => Ok(T::clone(&message)),
            Look::Lagged(n) => Err(TryRecvError::Lagged(n)),
            Look::Closed => Err(TryRecvError::Closed),
            Look::Empty => Err(TryRecvError::Empty),
        }
    }

    /// A new receiver starting from now, as [`Sender::subscribe`] would make.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = turtles_executor::sync::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// let mut fresh = rx.resubscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(fresh.try_recv(), Ok(2));
    /// ```
    pub fn resubscribe(&self) -> Receiver<T> {
        let mut ring = lock(&self.shared);
        ring.receivers += 1;
        Receiver {
            next: ring.end(),
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut ring = lock(&self.shared);
        ring.receivers -= 1;
        // The last receiver: nobody can read what is kept. A later `subscribe` starts
        // at the end anyway, so the messages go now (outside the lock: user `Drop`s).
        let unread = if ring.receivers == 0 {
            let kept = ring.messages.len() as u64;
            ring.first += kept;
            std::mem::take(&mut ring.messages)
        } else {
            VecDeque::new()
        };
        drop(ring);
        drop(unread);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// The future of [`Receiver::recv`].
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = turtles_executor::sync::broadcast::channel(1);
/// tx.send(()).unwrap();
/// let recv: turtles_executor::sync::broadcast::Recv<'_, ()> = rx.recv();
/// assert_eq!(turtles_executor::block_on(recv), Ok(()));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
    /// `Some` while in line for the next send.
    ticket: Option<Ticket>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let waker = cx.waker().clone(); // user code: outside the lock (line.rs)
        let mut ring = lock(&this.receiver.shared);
        // In line or not, a send or the last sender leaving empties the line: a stale
        // ticket is simply gone. Leave it (if still there) before looking.
        let stale = this
            .ticket
            .take()
            .and_then(|ticket| ring.line.leave(ticket));
        let look = ring.look(&mut this.receiver.next);
        let result = match look {
            Look::Message(message) => Ok(message),
            Look::Lagged(n) => Err(RecvError::Lagged(n)),
            Look::Closed => Err(RecvError::Closed),
            Look::Empty => {
                this.ticket = Some(ring.line.join(waker));
                drop(ring);
                drop(stale);
                return Poll::Pending;
            }
        };
        drop(ring);
        drop((stale, waker));
        Poll::Ready(result.map(|message| T::clone(&message)))
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket {
            // Every send wakes every waiting receiver, so there is no turn to pass
            // on: just leave the line.
            let left = lock(&self.receiver.shared).line.leave(ticket);
            drop(left);
        }
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Recv").finish_non_exhaustive()
    }
}

/// There is no receiver; the message comes back in `.0`.
///
/// # Examples
///
/// ```
/// let (tx, rx) = turtles_executor::sync::broadcast::channel(1);
/// drop(rx);
/// assert_eq!(tx.send(3).unwrap_err().to_string(), "no receiver to send to");
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
        f.write_str("no receiver to send to")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Why [`Receiver::recv`] returned no message.
///
/// # Examples
///
/// ```
/// use turtles_executor::sync::broadcast::RecvError;
/// assert_eq!(RecvError::Lagged(3).to_string(), "the receiver lagged behind and missed 3 messages");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecvError {
    /// Every sender is gone and every kept message was read.
    Closed,
    /// This many messages were overwritten before this receiver read them.
    Lagged(u64),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("the channel is closed"),
            RecvError::Lagged(n) => {
                write!(f, "the receiver lagged behind and missed {n} messages")
            }
        }
    }
}

impl std::error::Error for RecvError {}

/// Why [`Receiver::try_recv`] returned no message.
///
/// # Examples
///
/// ```
/// use turtles_executor::sync::broadcast::TryRecvError;
/// assert_eq!(TryRecvError::Empty.to_string(), "no message yet");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TryRecvError {
    /// No new message yet; senders remain.
    Empty,
    /// Every sender is gone and every kept message was read.
    Closed,
    /// This many messages were overwritten before this receiver read them.
    Lagged(u64),
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("no message yet"),
            TryRecvError::Closed => f.write_str("the channel is closed"),
            TryRecvError::Lagged(n) => {
                write!(f, "the receiver lagged behind and missed {n} messages")
            }
        }
    }
}

impl std::error::Error for TryRecvError {}
