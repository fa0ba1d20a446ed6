//! `mpsc`: many senders, one receiver, messages in order.
//!
//! Lesson: a channel is a queue plus two kinds of waiting. The receiver waits for a
//! message: it leaves one waker, and every send takes it and wakes it. A bounded
//! channel also makes senders wait for room, and that is a [`Semaphore`] with
//! `capacity` permits: a send takes a permit before it queues, a receive gives one
//! back. So the senders waiting for room are served in order, and a cancelled send
//! passes its turn on, for free. An unbounded channel skips the semaphore; its senders
//! never wait (and its memory is unbounded: choose it knowingly).
//!
//! Closing: the channel ends for the receiver when every sender is gone (after it has
//! received what was queued); for the senders when the receiver is dropped or calls
//! [`Receiver::close`], and then a send hands the message back in a [`SendError`].
//!
//! Invariant 7 (ARCHITECTURE.md): every message sent is received or dropped exactly
//! once; a receiver never sleeps through a send or the last sender leaving.

use std::{
    collections::VecDeque,
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll, Waker},
};

use super::line::{wake_all, Line, Ticket};
use super::semaphore::{Semaphore, TryAcquireError};
use crate::shim::{lock, Arc, Mutex};

/// A channel holding at most `capacity` messages: `send` waits while it is full.
///
/// # Panics
///
/// If `capacity` is 0 (a channel that can hold nothing cannot pass anything on).
///
/// # Examples
///
/// ```
/// use turtles_executor::sync::mpsc;
///
/// let rt = turtles_executor::Runtime::new().unwrap();
/// let (tx, mut rx) = mpsc::channel(2);
/// for id in 0..3 {
///     let tx = tx.clone();
///     rt.spawn(async move { tx.send(id).await.unwrap() }).detach();
/// }
/// drop(tx); // the channel ends once the three clones are gone
/// let mut got = rt.block_on(async {
///     let mut got = Vec::new();
///     while let Some(id) = rx.recv().await {
///         got.push(id);
///     }
///     got
/// });
/// got.sort();
/// assert_eq!(got, [0, 1, 2]);
/// ```
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "mpsc::channel(0): a bounded channel needs room for at least one message; \
         use a capacity of 1 or more (or oneshot for a single value)"
    );
    assert!(
        capacity <= Semaphore::MAX_PERMITS,
        "mpsc::channel({capacity}): a bounded channel holds at most \
         Semaphore::MAX_PERMITS ({}) messages; for no bound, use unbounded_channel()",
        Semaphore::MAX_PERMITS
    );
    let chan = Chan::new(Some(Semaphore::new(capacity)));
    (
        Sender {
            chan: SenderCount::new(chan.clone()),
        },
        Receiver { chan },
    )
}

/// A channel without a bound: `send` never waits.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = turtles_executor::sync::mpsc::unbounded_channel();
/// tx.send("a").unwrap();
/// tx.send("b").unwrap();
/// drop(tx);
/// turtles_executor::block_on(async {
///     assert_eq!(rx.recv().await, Some("a"));
///     assert_eq!(rx.recv().await, Some("b"));
///     assert_eq!(rx.recv().await, None);
/// });
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Chan::new(None);
    (
        UnboundedSender {
            chan: SenderCount::new(chan.clone()),
        },
        Receiver { chan },
    )
}

#[derive(Debug)]
struct Chan<T> {
    queue: Mutex<Queue<T>>,
    /// Room left, for a bounded channel.
    room: Option<Semaphore>,
}

#[derive(Debug)]
struct Queue<T> {
    messages: VecDeque<T>,
    /// The receiver's waker while it waits for a message.
    receiver: Option<Waker>,
    senders: usize,
    /// The receiver closed or dropped: sends fail.
    closed: bool,
    /// Senders waiting in `closed()` for that to happen.
    closing: Line<Waker>,
}

impl<T> Chan<T> {
    fn new(room: Option<Semaphore>) -> Arc<Chan<T>> {
        Arc::new(Chan {
            queue: Mutex::new(Queue {
                messages: VecDeque::new(),
                receiver: None,
                senders: 1,
                closed: false,
                closing: Line::new(),
            }),
            room,
        })
    }

    /// Queues a message (its room already taken, if bounded) and wakes the receiver.
    fn push(&self, message: T) -> Result<(), SendError<T>> {
        let mut queue = lock(&self.queue);
        if queue.closed {
            return Err(SendError(message));
        }
        queue.messages.push_back(message);
        let receiver = queue.receiver.take();
        drop(queue);
        wake_all(receiver);
        Ok(())
    }

    fn is_closed(&self) -> bool {
        lock(&self.queue).closed
    }

    /// What both kinds of sender's `closed()` wait on.
    fn closed(&self) -> Closed<'_, T> {
        Closed {
            chan: self,
            ticket: None,
        }
    }
}

/// The future of [`Sender::closed`] and [`UnboundedSender::closed`].
///
/// # Examples
///
/// ```
/// let (tx, rx) = turtles_executor::sync::mpsc::unbounded_channel::<()>();
/// drop(rx);
/// let closed: turtles_executor::sync::mpsc::Closed<'_, ()> = tx.closed();
/// turtles_executor::block_on(closed);
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Closed<'a, T> {
    chan: &'a Chan<T>,
    /// `Some` while in line. A `select!` loop makes and drops one of these per turn,
    /// so a dropped one must leave (see `Drop`), or the line would grow.
    ticket: Option<Ticket>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let waker = cx.waker().clone(); // user code: outside the lock (line.rs)
        let mut queue = lock(&this.chan.queue);
        // Closing empties the line, so a ticket may be stale: leave before looking.
        let stale = this
            .ticket
            .take()
            .and_then(|ticket| queue.closing.leave(ticket));
        if queue.closed {
            drop(queue);
            drop((stale, waker));
            return Poll::Ready(());
        }
        this.ticket = Some(queue.closing.join(waker));
        drop(queue);
        drop(stale);
        Poll::Pending
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket {
            let left = lock(&self.chan.queue).closing.leave(ticket);
            drop(left);
        }
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Closed").finish_non_exhaustive()
    }
}

/// Counts the senders of a channel: the last one to go wakes the receiver, which
/// would otherwise wait forever for a message nobody can send.
#[derive(Debug)]
struct SenderCount<T> {
    chan: Arc<Chan<T>>,
}

impl<T> SenderCount<T> {
    fn new(chan: Arc<Chan<T>>) -> Self {
        SenderCount { chan }
    }
}

impl<T> Clone for SenderCount<T> {
    fn clone(&self) -> Self {
        lock(&self.chan.queue).senders += 1;
        SenderCount {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for SenderCount<T> {
    fn drop(&mut self) {
        let mut queue = lock(&self.chan.queue);
        queue.senders -= 1;
        let receiver = if queue.senders == 0 {
            queue.receiver.take()
        } else {
            None
        };
        drop(queue);
        wake_all(receiver);
    }
}

/// The sending end of a bounded channel; clone it for more senders.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = turtles_executor::sync::mpsc::channel(1);
/// turtles_executor::block_on(async {
///     tx.send(1).await.unwrap();
///     assert_eq!(rx.recv().await, Some(1));
/// });
/// ```
pub struct Sender<T> {
    chan: SenderCount<T>,
}

impl<T> Sender<T> {
    /// Waits for room, then queues `message`. Senders waiting for room are served in
    /// order; dropping this future gives up its place (the message is dropped with it).
    ///
    /// # Errors
    ///
    /// [`SendError`] with the message, if the receiver is gone or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = turtles_executor::sync::mpsc::channel(1);
    /// drop(rx);
    /// let err = turtles_executor::block_on(tx.send("lost?")).unwrap_err();
    /// assert_eq!(err.0, "lost?", "handed back, not lost");
    /// ```
    pub async fn send(&self, message: T) -> Result<(), SendError<T>> {
        let room = self.room();
        match room.acquire().await {
            Ok(permit) => permit.forget(), // the receiver gives it back
            Err(_) => return Err(SendError(message)),
        }
        self.chan.chan.push(message)
    }

    /// Queues `message` if there is room now.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], with the message.
    ///
    /// # Examples
    ///
    /// ```
    /// use turtles_executor::sync::mpsc::{channel, TrySendError};
    /// let (tx, _rx) = channel(1);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// ```
    pub fn try_send(&self, message: T) -> Result<(), TrySendError<T>> {
        match self.room().try_acquire() {
            Ok(permit) => permit.forget(),
            Err(TryAcquireError::NoPermits) => return Err(TrySendError::Full(message)),
            Err(TryAcquireError::Closed) => return Err(TrySendError::Closed(message)),
        }
        self.chan
            .chan
            .push(message)
            .map_err(|SendError(message)| TrySendError::Closed(message))
    }

    /// Room left right now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = turtles_executor::sync::mpsc::channel::<u8>(4);
    /// tx.try_send(0).unwrap();
    /// assert_eq!(tx.capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        self.room().available_permits()
    }

    /// Whether the receiver is gone or closed: every send would fail.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = turtles_executor::sync::mpsc::channel::<u8>(1);
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.chan.is_closed()
    }

    /// Waits until the receiver is gone or closed: lets a producer stop work nobody
    /// will receive (in a `select` beside the work).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = turtles_executor::sync::mpsc::channel::<u8>(1);
    /// std::thread::spawn(move || drop(rx));
    /// turtles_executor::block_on(tx.closed());
    /// assert!(tx.is_closed());
    /// ```
    pub fn closed(&self) -> Closed<'_, T> {
        self.chan.chan.closed()
    }

    fn room(&self) -> &Semaphore {
        self.chan
            .chan
            .room
            .as_ref()
            .expect("a bounded channel has a semaphore")
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Sender").finish_non_exhaustive()
    }
}

/// The sending end of an unbounded channel; `send` never waits.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = turtles_executor::sync::mpsc::unbounded_channel();
/// tx.send(1).unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub struct UnboundedSender<T> {
    chan: SenderCount<T>,
}

impl<T> UnboundedSender<T> {
    /// Queues `message` at once.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the message, if the receiver is gone or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = turtles_executor::sync::mpsc::unbounded_channel();
    /// drop(rx);
    /// assert_eq!(tx.send(7).unwrap_err().0, 7);
    /// ```
    pub fn send(&self, message: T) -> Result<(), SendError<T>> {
        self.chan.chan.push(message)
    }

    /// Whether the receiver is gone or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = turtles_executor::sync::mpsc::unbounded_channel::<()>();
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.chan.is_closed()
    }

    /// Waits until the receiver is gone or closed (see [`Sender::closed`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = turtles_executor::sync::mpsc::unbounded_channel::<u8>();
    /// rx.close();
    /// turtles_executor::block_on(tx.closed());
    /// ```
    pub fn closed(&self) -> Closed<'_, T> {
        self.chan.chan.closed()
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        UnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::UnboundedSender")
            .finish_non_exhaustive()
    }
}

/// The receiving end, of a bounded or an unbounded channel.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = turtles_executor::sync::mpsc::channel(8);
/// tx.try_send("hi").unwrap();
/// drop(tx);
/// turtles_executor::block_on(async {
///     assert_eq!(rx.recv().await, Some("hi"));
///     assert_eq!(rx.recv().await, None, "every sender is gone");
/// });
/// ```
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

/// The receiving end of an [`unbounded_channel`]: the same type as a bounded
/// channel's (tokio has two; every method is the same).
pub type UnboundedReceiver<T> = Receiver<T>;

impl<T> Receiver<T> {
    /// The next message; `None` once every sender is gone (or the channel was closed)
    /// and the queue is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = turtles_executor::sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(turtles_executor::block_on(rx.recv()), Some(1));
    /// assert_eq!(turtles_executor::block_on(rx.recv()), None);
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// [`recv`](Self::recv) as a poll function, for hand-written futures and streams.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::Poll;
    /// let (tx, mut rx) = turtles_executor::sync::mpsc::unbounded_channel();
    /// tx.send(5).unwrap();
    /// let got = turtles_executor::block_on(turtles_executor::future::poll_fn(|cx| rx.poll_recv(cx)));
    /// assert_eq!(got, Some(5));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match self.try_recv() {
            Ok(message) => return Poll::Ready(Some(message)),
            Err(TryRecvError::Disconnected) => return Poll::Ready(None),
            Err(TryRecvError::Empty) => {}
        }
        let waker = cx.waker().clone(); // user code: outside the lock (line.rs)
        let mut queue = lock(&self.chan.queue);
        // Look again: the lock was let go for the clone.
        if !queue.messages.is_empty() || queue.senders == 0 || queue.closed {
            drop(queue);
            drop(waker);
            return self.poll_recv_ready();
        }
        let old = queue.receiver.replace(waker);
        drop(queue);
        drop(old);
        Poll::Pending
    }

    fn poll_recv_ready(&mut self) -> Poll<Option<T>> {
        match self.try_recv() {
            Ok(message) => Poll::Ready(Some(message)),
            Err(TryRecvError::Disconnected) => Poll::Ready(None),
            Err(TryRecvError::Empty) => unreachable!("only this receiver takes messages"),
        }
    }

    /// Takes the next message if one is queued.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] while senders remain; [`TryRecvError::Disconnected`]
    /// once none do (or the channel was closed) and the queue is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use turtles_executor::sync::mpsc::{unbounded_channel, TryRecvError};
    /// let (tx, mut rx) = unbounded_channel::<u8>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut queue = lock(&self.chan.queue);
        match queue.messages.pop_front() {
            Some(message) => {
                drop(queue);
                if let Some(room) = &self.chan.room {
                    room.add_permits(1); // a sender waiting for room goes on
                }
                Ok(message)
            }
            None if queue.senders == 0 || queue.closed => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Refuses new messages (sends fail from now on, waiting senders included) while
    /// what is queued can still be received.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = turtles_executor::sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// rx.close();
    /// assert!(tx.send(2).is_err());
    /// assert_eq!(turtles_executor::block_on(rx.recv()), Some(1));
    /// assert_eq!(turtles_executor::block_on(rx.recv()), None);
    /// ```
    pub fn close(&mut self) {
        let closing: Vec<Waker> = {
            let mut queue = lock(&self.chan.queue);
            queue.closed = true;
            queue.closing.drain().collect()
        };
        if let Some(room) = &self.chan.room {
            room.close();
        }
        wake_all(closing);
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.close();
        // Messages nobody will receive are dropped here, outside the lock (their
        // `Drop` is user code). A send racing this one finds `closed` and keeps its
        // message, so nothing queued afterwards is stranded.
        let (unreceived, own) = {
            let mut queue = lock(&self.chan.queue);
            (std::mem::take(&mut queue.messages), queue.receiver.take())
        };
        drop((unreceived, own)); // our own waker too: nobody will wake it now
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Receiver").finish_non_exhaustive()
    }
}

/// The receiver is gone or closed; the message comes back in `.0`.
///
/// # Examples
///
/// ```
/// let (tx, rx) = turtles_executor::sync::mpsc::unbounded_channel();
/// drop(rx);
/// let err = tx.send(1).unwrap_err();
/// assert_eq!((err.0, err.to_string()), (1, "the channel is closed".to_string()));
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
        f.write_str("the channel is closed")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Why [`Sender::try_send`] did not queue the message (which comes back inside).
///
/// # Examples
///
/// ```
/// use turtles_executor::sync::mpsc::{channel, TrySendError};
/// let (tx, rx) = channel(1);
/// drop(rx);
/// assert_eq!(tx.try_send(1), Err(TrySendError::Closed(1)));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// No room now.
    Full(T),
    /// The receiver is gone or closed.
    Closed(T),
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "Full(..)",
            TrySendError::Closed(_) => "Closed(..)",
        })
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "the channel is full",
            TrySendError::Closed(_) => "the channel is closed",
        })
    }
}

impl<T> std::error::Error for TrySendError<T> {}

/// Why [`Receiver::try_recv`] got nothing.
///
/// # Examples
///
/// ```
/// use turtles_executor::sync::mpsc::TryRecvError;
/// assert_eq!(TryRecvError::Empty.to_string(), "the channel is empty");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing queued; senders remain.
    Empty,
    /// Nothing queued and nothing can come.
    Disconnected,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "the channel is empty",
            TryRecvError::Disconnected => "the channel is empty and closed",
        })
    }
}

impl std::error::Error for TryRecvError {}
