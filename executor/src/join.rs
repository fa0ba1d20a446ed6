//! `JoinHandle`, `JoinError`, and the slot through which a task's output travels.
//!
//! Lesson: a task's result is delivered *exactly once* (DESIGN.md invariant 3). The
//! [`JoinSlot`] is a tiny state machine behind a mutex — `Waiting`, `Ready`, `Taken`,
//! `Detached` — so that a task completing on one thread and its handle being polled,
//! dropped or aborted on another can never both drop, or both lose, the output.
//! Dropping a `JoinHandle` detaches the task (tokio's rule): it keeps running, and
//! if it then panics the panic goes to the unobserved-panic hook, never into the void.

use std::{
    any::Any,
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll, Waker},
};

use crate::{
    meta::TaskMeta,
    panic::{panic_message, report_unobserved, PanicHook},
    sync::{lock, Arc, Mutex},
};

/// Where a task's output waits for its `JoinHandle`.
#[derive(Debug)]
pub(crate) struct JoinSlot<T> {
    slot: Mutex<Slot<T>>,
}

#[derive(Debug)]
enum Slot<T> {
    /// The task has not finished; `waker` belongs to the handle, once it has polled.
    Waiting { waker: Option<Waker> },
    /// Finished, and the handle has not collected the output yet.
    Ready(Result<T, JoinError>),
    /// The handle collected the output. Terminal.
    Taken,
    /// The handle is gone: nobody can observe the output. Terminal.
    Detached,
}

impl<T> JoinSlot<T> {
    pub(crate) fn new() -> Self {
        JoinSlot {
            slot: Mutex::new(Slot::Waiting { waker: None }),
        }
    }

    /// The task side, exactly once: hand over the output.
    pub(crate) fn deliver(&self, output: Result<T, JoinError>, hook: &PanicHook) {
        let mut slot = lock(&self.slot);
        match &mut *slot {
            Slot::Waiting { waker } => {
                let waker = waker.take();
                *slot = Slot::Ready(output); // Waiting --> Ready
                drop(slot);
                // Never wake with the lock held: the waker may poll or drop this very handle.
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
            Slot::Detached => {
                drop(slot);
                if let Err(error) = &output {
                    error.report_if_panic(hook);
                }
                drop(output); // user Drop code runs outside our lock
            }
            Slot::Ready(_) | Slot::Taken => {
                unreachable!("a task's output is delivered exactly once")
            }
        }
    }

    /// The handle side: collect the output, or leave a waker for `deliver`.
    pub(crate) fn poll(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        let mut slot = lock(&self.slot);
        match &mut *slot {
            Slot::Waiting { waker } => {
                match waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
            Slot::Ready(_) => match std::mem::replace(&mut *slot, Slot::Taken) {
                Slot::Ready(output) => Poll::Ready(output), // Ready --> Taken
                _ => unreachable!(),
            },
            Slot::Taken => panic!(
                "a JoinHandle was polled after it already returned its output; \
                 a JoinHandle yields its task's output once: keep the value from the first `.await`"
            ),
            Slot::Detached => unreachable!("a detached slot has no handle left to poll it"),
        }
    }

    /// The handle side, once, when the handle is dropped or detached.
    pub(crate) fn detach(&self, hook: &PanicHook) {
        let previous = {
            let mut slot = lock(&self.slot);
            if let Slot::Taken = *slot {
                return;
            }
            std::mem::replace(&mut *slot, Slot::Detached) // Waiting | Ready --> Detached
        };
        // Whatever was inside (a waker, an uncollected output) is dropped here, outside the lock.
        if let Slot::Ready(Err(error)) = &previous {
            // Finished with a panic that the handle never looked at: still unobserved.
            error.report_if_panic(hook);
        }
    }
}

/// What a `JoinHandle` needs from its task, whatever the future's type and wherever
/// (worker pool or one thread's local set) the task lives.
pub(crate) trait Join<T>: Send + Sync {
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>>;
    fn abort(self: Arc<Self>);
    fn is_finished(&self) -> bool;
    fn detach(&self);
}

/// An owned permission to await a spawned task's output.
///
/// Awaiting it yields `Ok(output)`, or `Err(JoinError)` if the task panicked or was
/// aborted. Dropping it *detaches* the task: it keeps running, as in tokio.
///
/// # Examples
///
/// ```
/// let rt = turtles_executor::Runtime::new().unwrap();
/// let handle = rt.spawn(async { 6 * 7 });
/// assert_eq!(rt.block_on(handle).unwrap(), 42);
/// ```
pub struct JoinHandle<T> {
    task: Arc<dyn Join<T>>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: Arc<dyn Join<T>>) -> Self {
        JoinHandle { task }
    }

    /// Asks the task to stop. The next time a worker owns its future it drops it
    /// instead of polling it, and the handle then yields a cancelled `JoinError`.
    /// Aborting a task that has already finished does nothing: its output is kept.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let handle = rt.spawn(std::future::pending::<()>());
    /// handle.abort();
    /// assert!(rt.block_on(handle).unwrap_err().is_cancelled());
    /// ```
    pub fn abort(&self) {
        self.task.clone().abort();
    }

    /// Whether the task has finished (completed, panicked or been cancelled).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let handle = rt.spawn(async {});
    /// while !handle.is_finished() {
    ///     std::thread::yield_now();
    /// }
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Lets the task run on without anyone waiting for it; the same as dropping the
    /// handle, but says so. A panic in a detached task goes to the runtime's
    /// unobserved-panic hook.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// rt.spawn(async { /* fire and forget */ }).detach();
    /// ```
    pub fn detach(self) {
        drop(self)
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.task.poll_join(cx)
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.task.detach();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Why a task produced no output: it panicked, or it was cancelled.
///
/// Its `Display` names the task and the line that spawned it.
///
/// # Examples
///
/// ```
/// let rt = turtles_executor::Runtime::new().unwrap();
/// let err = rt.block_on(rt.spawn(async { panic!("boom") })).unwrap_err();
/// assert!(err.is_panic());
/// assert!(err.to_string().contains("panicked: boom"));
/// assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
/// ```
pub struct JoinError {
    meta: TaskMeta,
    repr: Repr,
}

enum Repr {
    /// A panic payload is `Send` but not `Sync`. Behind a mutex it becomes `Sync`, so
    /// `JoinError` can travel inside `io::Error` or `Box<dyn Error + Send + Sync>` —
    /// the safe-Rust price of what tokio does with an `unsafe impl Sync`.
    Panic(std::sync::Mutex<Box<dyn Any + Send>>),
    Cancelled,
}

impl JoinError {
    pub(crate) fn panic(meta: &TaskMeta, payload: Box<dyn Any + Send>) -> Self {
        JoinError {
            meta: meta.clone(),
            repr: Repr::Panic(std::sync::Mutex::new(payload)),
        }
    }

    pub(crate) fn cancelled(meta: &TaskMeta) -> Self {
        JoinError {
            meta: meta.clone(),
            repr: Repr::Cancelled,
        }
    }

    fn report_if_panic(&self, hook: &PanicHook) {
        if let Repr::Panic(payload) = &self.repr {
            let payload = payload.lock().unwrap_or_else(|p| p.into_inner());
            report_unobserved(hook, &self.meta, &**payload);
        }
    }

    /// The task panicked.
    ///
    /// # Examples
    ///
    /// See [`JoinError`].
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The task was aborted, or dropped when its runtime shut down.
    ///
    /// # Examples
    ///
    /// See [`JoinHandle::abort`].
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// The panic payload, to inspect or to resume with `std::panic::resume_unwind`.
    ///
    /// # Panics
    ///
    /// If the task was cancelled rather than panicking; check [`is_panic`](Self::is_panic)
    /// first, or use [`try_into_panic`](Self::try_into_panic).
    ///
    /// # Examples
    ///
    /// See [`JoinError`].
    pub fn into_panic(self) -> Box<dyn Any + Send> {
        self.try_into_panic().unwrap_or_else(|err| {
            panic!("JoinError::into_panic called on a cancellation ({err}); check is_panic() first")
        })
    }

    /// The panic payload, or the error back if the task was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let handle = rt.spawn(std::future::pending::<()>());
    /// handle.abort();
    /// let err = rt.block_on(handle).unwrap_err();
    /// assert!(err.try_into_panic().is_err());
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send>, JoinError> {
        match self.repr {
            Repr::Panic(payload) => Ok(payload.into_inner().unwrap_or_else(|p| p.into_inner())),
            Repr::Cancelled => Err(self),
        }
    }

    /// The id of the task that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let err = rt.block_on(rt.spawn(async { panic!() })).unwrap_err();
    /// assert!(err.task_id() > 0);
    /// ```
    pub fn task_id(&self) -> u64 {
        self.meta.id
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Panic(payload) => {
                let payload = payload.lock().unwrap_or_else(|p| p.into_inner());
                write!(f, "{} panicked: {}", self.meta, panic_message(&**payload))
            }
            Repr::Cancelled => write!(f, "{} was cancelled", self.meta),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for JoinError {}
