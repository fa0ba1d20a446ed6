//! `oneshot`: one value, sent once, from one task to another.
//!
//! Lesson: the simplest channel is one slot and one stored waker. The receiver is a
//! future: polled before the value is there, it leaves its waker in the slot; `send`
//! puts the value in and wakes it. Either side may vanish first, and each end must
//! learn it: a dropped sender wakes the receiver with [`RecvError`], a dropped
//! receiver makes `send` hand the value back. This is exactly what a `JoinHandle` is,
//! with the task as the sender.
//!
//! Invariant 7 (ARCHITECTURE.md): the value is delivered exactly once, or handed back,
//! or dropped once if the receiver left; the receiver is never left waiting on a
//! sender that is gone.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll, Waker},
};

use super::line::wake_all;
use crate::shim::{lock, Arc, Mutex};

/// A sender and a receiver for one value.
///
/// # Examples
///
/// ```
/// use turtles_executor::sync::oneshot;
///
/// let rt = turtles_executor::Runtime::new().unwrap();
/// let (tx, rx) = oneshot::channel();
/// rt.spawn(async move { tx.send("done").unwrap() }).detach();
/// assert_eq!(rt.block_on(rx), Ok("done"));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Mutex::new(Slot {
        value: None,
        receiver: None,
        sender: None,
        sender_gone: false,
        receiver_gone: false,
    }));
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver {
            shared,
            done: false,
        },
    )
}

#[derive(Debug)]
struct Slot<T> {
    value: Option<T>,
    /// The receiver's waker, while it waits for the value.
    receiver: Option<Waker>,
    /// The sender's waker, while it waits in [`Sender::closed`].
    sender: Option<Waker>,
    sender_gone: bool,
    receiver_gone: bool,
}

/// The sending end: [`send`](Sender::send) consumes it.
///
/// # Examples
///
/// ```
/// let (tx, rx) = turtles_executor::sync::oneshot::channel();
/// tx.send(1).unwrap();
/// assert_eq!(turtles_executor::block_on(rx), Ok(1));
/// ```
pub struct Sender<T> {
    shared: Arc<Mutex<Slot<T>>>,
}

impl<T> Sender<T> {
    /// Sends the value and wakes the receiver.
    ///
    /// # Errors
    ///
    /// The value back, if the receiver was dropped or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = turtles_executor::sync::oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(5), Err(5), "nobody to receive it");
    /// ```
    pub fn send(self, value: T) -> Result<(), T> {
        let mut slot = lock(&self.shared);
        if slot.receiver_gone {
            return Err(value);
        }
        slot.value = Some(value);
        let receiver = slot.receiver.take();
        drop(slot);
        // `self` drops now; it finds the value sent and wakes nobody a second time.
        wake_all(receiver);
        Ok(())
    }

    /// Whether the receiver is gone (dropped or closed): a send would fail.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = turtles_executor::sync::oneshot::channel::<()>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        lock(&self.shared).receiver_gone
    }

    /// Waits until the receiver is gone: lets a producer stop work nobody wants.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, rx) = turtles_executor::sync::oneshot::channel::<()>();
    /// std::thread::spawn(move || drop(rx));
    /// turtles_executor::block_on(tx.closed());
    /// assert!(tx.is_closed());
    /// ```
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| {
            let waker = cx.waker().clone(); // user code: outside the lock (line.rs)
            let mut slot = lock(&self.shared);
            if slot.receiver_gone {
                return Poll::Ready(());
            }
            let old = slot.sender.replace(waker);
            drop(slot);
            drop(old);
            Poll::Pending
        })
        .await
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut slot = lock(&self.shared);
        slot.sender_gone = true;
        // Unsent: the receiver must not wait forever. (After a send, the waker was
        // taken already and this is `None`.)
        let receiver = slot.receiver.take();
        // Our own waker from `closed()`, if any: nobody will wake it now.
        let own = slot.sender.take();
        drop(slot);
        drop(own);
        wake_all(receiver);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender").finish_non_exhaustive()
    }
}

/// The receiving end: a future of the value.
///
/// # Examples
///
/// ```
/// use turtles_executor::sync::oneshot;
/// let (tx, rx) = oneshot::channel::<u8>();
/// drop(tx); // never sent
/// assert!(turtles_executor::block_on(rx).is_err());
/// ```
pub struct Receiver<T> {
    shared: Arc<Mutex<Slot<T>>>,
    /// The future returned `Ready`: polling it again is a bug (see `poll`).
    done: bool,
}

impl<T> Receiver<T> {
    /// Takes the value if it is there.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] while the sender may still send,
    /// [`TryRecvError::Closed`] once it cannot (dropped, or the value was taken).
    ///
    /// # Examples
    ///
    /// ```
    /// use turtles_executor::sync::oneshot::{channel, TryRecvError};
    /// let (tx, mut rx) = channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(3).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(3));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut slot = lock(&self.shared);
        match slot.value.take() {
            Some(value) => {
                // Taken: from now on the channel is spent, as if the sender had gone.
                slot.sender_gone = true;
                Ok(value)
            }
            None if slot.sender_gone => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Refuses the value from now on: a later `send` hands it back. A value sent
    /// before can still be taken with [`try_recv`](Self::try_recv).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = turtles_executor::sync::oneshot::channel();
    /// rx.close();
    /// assert_eq!(tx.send(1), Err(1));
    /// ```
    pub fn close(&mut self) {
        let sender = {
            let mut slot = lock(&self.shared);
            slot.receiver_gone = true;
            slot.sender.take()
        };
        wake_all(sender);
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(
            !this.done,
            "a oneshot::Receiver was polled after it returned; it yields its one value \
             (or error) once: keep the result of the first `.await`"
        );
        let poll = this.poll_value(cx);
        this.done = poll.is_ready();
        poll
    }
}

impl<T> Receiver<T> {
    fn poll_value(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        match self.try_recv() {
            Ok(value) => return Poll::Ready(Ok(value)),
            Err(TryRecvError::Closed) => return Poll::Ready(Err(RecvError(()))),
            Err(TryRecvError::Empty) => {}
        }
        let waker = cx.waker().clone(); // user code: outside the lock (line.rs)
        let mut slot = lock(&self.shared);
        // Look again: the lock was let go for the clone.
        if let Some(value) = slot.value.take() {
            slot.sender_gone = true;
            return Poll::Ready(Ok(value));
        }
        if slot.sender_gone {
            return Poll::Ready(Err(RecvError(())));
        }
        let old = slot.receiver.replace(waker);
        drop(slot);
        drop(old);
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (value, sender, waker) = {
            let mut slot = lock(&self.shared);
            slot.receiver_gone = true;
            (slot.value.take(), slot.sender.take(), slot.receiver.take())
        };
        // A value sent but never received is dropped here, outside the lock: its
        // `Drop` is user code.
        drop((value, waker));
        wake_all(sender);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver").finish_non_exhaustive()
    }
}

/// The sender was dropped without sending.
///
/// # Examples
///
/// ```
/// let (tx, rx) = turtles_executor::sync::oneshot::channel::<()>();
/// drop(tx);
/// let err = turtles_executor::block_on(rx).unwrap_err();
/// assert_eq!(err.to_string(), "the oneshot sender was dropped without sending");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecvError(());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the oneshot sender was dropped without sending")
    }
}

impl std::error::Error for RecvError {}

/// Why [`Receiver::try_recv`] got nothing.
///
/// # Examples
///
/// ```
/// use turtles_executor::sync::oneshot::{channel, TryRecvError};
/// let (tx, mut rx) = channel::<()>();
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing sent yet; the sender is still there.
    Empty,
    /// Nothing will come: the sender is gone or the value was taken.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "no value sent yet",
            TryRecvError::Closed => "the oneshot channel is closed",
        })
    }
}

impl std::error::Error for TryRecvError {}
