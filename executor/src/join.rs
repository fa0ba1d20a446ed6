//! `JoinHandle`, `JoinError`, and the slot through which a task's output travels.
//!
//! Lesson: a task's result is delivered *exactly once* (invariant 3 of ARCHITECTURE.md).
//! The [`JoinSlot`] is a tiny state machine behind a mutex, so that a task completing on
//! one thread and its handle being polled, dropped or aborted on another can never both
//! drop, or both lose, the output (the same mutex also keeps the task's record of where
//! it waits, for a reason given at [`JoinSlot`]):
//!
//! ```text
//!   Waiting ──deliver──> Ready ──poll──> Taken        (terminal)
//!      │                   │
//!      └──────detach───────┴──────────> Detached      (terminal; a later deliver discards the output)
//! ```
//!
//! Dropping a `JoinHandle` detaches the task (tokio's rule): it keeps running, and if it
//! then panics the panic goes to the unobserved-panic hook, never into the void. A
//! handle dropped before its task completes marks the task's state, and the completion
//! path then discards the output without the slot; the handle takes the slot's lock
//! only to take out its own waker, if a poll left one there (`Header::detach`). Most
//! spawned tasks are dropped unawaited; for them that saves a lock on each side. A
//! handle that returned the output lets go of its task at once, and its drop does
//! nothing.
//!
//! Everything user-supplied that passes through here — the handle's `Waker`, the output,
//! a panic payload — is woken or dropped after the lock is released and under
//! `catch_unwind` (invariant 6): a slot is used by the completion path on a worker, and a
//! user's panic must not unwind through it.

use std::{
    any::Any,
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll, Waker},
};

use crate::{
    awaiting::{self, Awaiting},
    meta::TaskMeta,
    panic::{
        call_catching, drop_catching, panic_message, report_and_drop, report_unobserved, PanicHook,
    },
    shim::{lock, Arc, Mutex},
};

/// Where a task's output waits for its `JoinHandle`.
///
/// The same lock also keeps where the task last waited ([`Awaiting`]: written after a
/// `Pending` poll that recorded something or had an old record to clear, read by the
/// watchdog). It has nothing to do with the output; it shares this mutex because a
/// mutex of its own would take 24 bytes where sharing takes 16, and that difference is
/// one of the three 8-byte savings that keep an `Arc<Task>` within a 128-byte chunk
/// (the size test in `scheduler.rs`; BENCHMARKS.md, "Bytes per idle task"). The two
/// users of the lock are brief and rarely meet: the handle polls the slot once per
/// wake of its own task, the record is written by the task's own poller.
#[derive(Debug)]
pub(crate) struct JoinSlot<T> {
    shelf: Mutex<Shelf<T>>,
}

/// What the slot's lock guards.
#[derive(Debug)]
struct Shelf<T> {
    output: Slot<T>,
    awaiting: Option<Awaiting>,
}

#[derive(Debug)]
enum Slot<T> {
    /// The task has not finished; `waker` belongs to the handle, once it has polled.
    /// --> Ready (deliver), Detached (the handle is dropped).
    Waiting { waker: Option<Waker> },
    /// Finished, and the handle has not collected the output yet.
    /// --> Taken (the handle polls), Detached (the handle is dropped unread).
    Ready(Result<T, JoinError>),
    /// The handle collected the output. Terminal.
    Taken,
    /// The handle is gone: nobody can observe the output. Terminal.
    Detached,
}

impl<T> JoinSlot<T> {
    pub(crate) fn new() -> Self {
        JoinSlot {
            shelf: Mutex::new(Shelf {
                output: Slot::Waiting { waker: None },
                awaiting: None,
            }),
        }
    }

    /// The task side, exactly once: hand over the output. Never unwinds: a panic in the
    /// handle's waker, or in dropping an output nobody will read, goes to `hook`.
    pub(crate) fn deliver(&self, output: Result<T, JoinError>, meta: &TaskMeta, hook: &PanicHook) {
        let mut shelf = lock(&self.shelf);
        match &mut shelf.output {
            Slot::Waiting { waker } => {
                let waker = waker.take();
                shelf.output = Slot::Ready(output); // Waiting --> Ready
                drop(shelf);
                // Never wake with the lock held: the waker may poll or drop this very handle.
                if let Some(waker) = waker {
                    if let Err(panic) = call_catching(|| waker.wake()) {
                        report_and_drop(hook, meta, panic);
                    }
                }
            }
            Slot::Detached => {
                drop(shelf); // Waiting --> Detached happened first: nobody will read it
                discard(output, meta, hook);
            }
            Slot::Ready(_) | Slot::Taken => {
                unreachable!("a task's output is delivered exactly once")
            }
        }
    }

    /// The handle side: collect the output, or leave a waker for `deliver`;
    /// `first_waker` is called when the slot took the handle's first waker.
    pub(crate) fn poll(
        &self,
        cx: &mut Context<'_>,
        first_waker: impl FnOnce(),
    ) -> Poll<Result<T, JoinError>> {
        // Cloning a waker is user code, and a clone may look at this very handle
        // (`is_finished` through an `AbortHandle`): it is cloned with the lock let go,
        // and the slot looked at again. Declared before the guard, so it drops after it.
        // Dropping it is user code too, so a clone the slot did not take is dropped
        // before the output leaves the slot (`Ready` below).
        let mut fresh: Option<Waker> = None;
        loop {
            let mut shelf = lock(&self.shelf);
            match &mut shelf.output {
                Slot::Waiting { waker } => {
                    if waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                        return Poll::Pending; // polled again by the same task
                    }
                    let Some(new) = fresh.take() else {
                        drop(shelf);
                        fresh = Some(cx.waker().clone());
                        continue;
                    };
                    let replaced = waker.replace(new);
                    drop(shelf);
                    if replaced.is_none() {
                        first_waker();
                    }
                    // A waker's `Drop` is user code too. It belongs to whoever polls
                    // the handle, so its panic is theirs.
                    drop(replaced);
                    return Poll::Pending;
                }
                Slot::Ready(_) => {
                    if let Some(unused) = fresh.take() {
                        // The task finished while the clone was made. Dropped with the
                        // lock let go and the output still in the slot: a panic in
                        // this `Drop` reaches the poller and loses nothing (the hostile
                        // review: dropped after `Ready`, it took a task's panic with it).
                        drop(shelf);
                        drop(unused);
                        continue;
                    }
                    match std::mem::replace(&mut shelf.output, Slot::Taken) {
                        Slot::Ready(output) => return Poll::Ready(output), // Ready --> Taken
                        _ => unreachable!("matched Ready just above, under the same lock"),
                    }
                }
                // A handle lets go of its task once it returned the output; should a
                // poll ever come here all the same, it is that misuse.
                Slot::Taken => polled_after_output(),
                Slot::Detached => {
                    unreachable!("a detached slot has no handle left to poll it")
                }
            }
        }
    }

    /// Whether the handle's next poll returns `Ready`.
    pub(crate) fn is_ready(&self) -> bool {
        matches!(lock(&self.shelf).output, Slot::Ready(_) | Slot::Taken)
    }

    /// The handle side, once, when a handle that has not returned the output is
    /// dropped (`Header::detach` decides whether the slot must be told). Never unwinds.
    pub(crate) fn detach(&self, meta: &TaskMeta, hook: &PanicHook) {
        // Waiting | Ready --> Detached. (Never Taken: a handle that took the output
        // lets go of the task.)
        let previous = std::mem::replace(&mut lock(&self.shelf).output, Slot::Detached);
        // Whatever was inside (a waker, an uncollected output) goes outside the lock.
        match previous {
            Slot::Ready(output) => discard(output, meta, hook),
            Slot::Waiting { waker } => drop(waker), // the handle's own waker, dropped by its owner
            Slot::Taken | Slot::Detached => {}
        }
    }

    /// The owner of the future, after a `Pending` poll (see `Header::after_pending`).
    pub(crate) fn set_awaiting(&self, awaiting: Option<Awaiting>) {
        lock(&self.shelf).awaiting = awaiting;
    }

    /// Where the task last waited, for diagnostics.
    pub(crate) fn awaiting(&self) -> Option<Awaiting> {
        lock(&self.shelf).awaiting
    }
}

/// An output nobody will ever read: a panic in it is reported, then everything is dropped
/// with its `Drop` contained.
pub(crate) fn discard<T>(output: Result<T, JoinError>, meta: &TaskMeta, hook: &PanicHook) {
    if let Err(error) = &output {
        // Finished with a panic that no handle looked at: unobserved.
        error.report_if_panic(hook);
    }
    if let Err(panic) = drop_catching(output) {
        report_and_drop(hook, meta, panic);
    }
}

/// What a `JoinHandle` needs from its task, whatever the future's type and wherever
/// (worker pool or one thread's local set) the task lives.
pub(crate) trait Join<T>: Abort {
    /// `Header::poll_join`: the slot's `poll`, noting in the state when the slot takes the handle's waker.
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>>;
    /// The handle is gone before it returned the output: `Header::detach`, with the
    /// task's hook.
    fn detach(&self);
    /// The slot's `is_ready`: the handle's next poll returns `Ready`.
    fn is_ready(&self) -> bool;
    /// Who the task is: what a task awaiting this handle waits for.
    fn meta(&self) -> &TaskMeta;
}

/// What a task offers whoever may stop it without reading its output: the part of
/// [`Join`] that does not name the output type, so an [`AbortHandle`] needs no `T`.
pub(crate) trait Abort: Send + Sync {
    /// Request cancellation; schedules the task if that is what it takes to drop it.
    fn abort(self: Arc<Self>);
    /// The task is COMPLETE, whether or not anyone can read its output.
    fn is_finished(&self) -> bool;
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
    /// `None` once a poll returned the output: the handle has nothing left to do with
    /// the task, and its drop then takes no lock (every awaited handle ends so). An
    /// `Option` rather than a flag beside the `Arc`: the `None` fits in the pointer's
    /// niche and the handle stays 16 bytes, returned from `spawn` in two registers. A
    /// 24-byte handle is returned through memory, and `profile spawn_many_local
    /// turtles-local` ran ~7% slower with one.
    task: Option<Arc<dyn Join<T>>>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: Arc<dyn Join<T>>) -> Self {
        JoinHandle { task: Some(task) }
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
        if let Some(task) = &self.task {
            task.clone().abort();
        }
    }

    /// Whether the task has finished (completed, panicked or been cancelled) and its
    /// result is waiting: once this is `true`, awaiting the handle returns at once.
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
        self.task.as_ref().is_none_or(|task| task.is_ready())
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

    /// A handle that can abort the task but not await it; any number can exist, and
    /// they outlive this handle.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let handle = rt.spawn(std::future::pending::<()>());
    /// let stop = handle.abort_handle();
    /// stop.abort();
    /// assert!(rt.block_on(handle).unwrap_err().is_cancelled());
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle {
            task: self
                .task
                .as_ref()
                .map(|task| task.clone() as Arc<dyn Abort>),
        }
    }
}

/// Aborts a task without owning its [`JoinHandle`]: what [`JoinSet::spawn`] returns,
/// and what [`JoinHandle::abort_handle`] makes.
///
/// [`JoinSet::spawn`]: crate::JoinSet::spawn
///
/// # Examples
///
/// ```
/// let rt = turtles_executor::Runtime::new().unwrap();
/// let handle = rt.spawn(std::future::pending::<()>());
/// let abort = handle.abort_handle();
/// assert!(!abort.is_finished());
/// abort.abort();
/// assert!(rt.block_on(handle).unwrap_err().is_cancelled());
/// assert!(abort.is_finished());
/// ```
#[derive(Clone)]
pub struct AbortHandle {
    /// `None`: made from a handle that had already returned the output.
    task: Option<Arc<dyn Abort>>,
}

impl AbortHandle {
    /// Asks the task to stop, as [`JoinHandle::abort`]: does nothing once it finished.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let handle = rt.spawn(async { 1 });
    /// let abort = handle.abort_handle();
    /// assert_eq!(rt.block_on(handle).unwrap(), 1);
    /// abort.abort(); // too late: nothing happens
    /// ```
    pub fn abort(&self) {
        if let Some(task) = &self.task {
            task.clone().abort();
        }
    }

    /// Whether the task has finished (completed, panicked or been cancelled): its future
    /// is gone. What happens to its result comes just after: handing it to the
    /// `JoinHandle`, or, with the handle gone, dropping it and reporting a panic to the
    /// unobserved-panic hook. So a `true` here does not yet mean the hook has run.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let handle = rt.spawn(async {});
    /// let abort = handle.abort_handle();
    /// rt.block_on(handle).unwrap();
    /// assert!(abort.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(|task| task.is_finished())
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(task) = &self.task else {
            polled_after_output()
        };
        let poll = task.poll_join(cx);
        match poll {
            Poll::Pending => {
                // Awaited directly, a handle has no call of the user's to record: name
                // the task it waits for instead (`awaiting.rs`).
                let meta = task.meta();
                awaiting::record_join(meta.id, meta.location);
            }
            Poll::Ready(_) => self.task = None, // the slot is Taken: nothing to detach
        }
        poll
    }
}

/// Out of line: the message stays out of every handle's poll.
#[cold]
#[inline(never)]
fn polled_after_output() -> ! {
    panic!(
        "a JoinHandle was polled after it already returned its output; \
         a JoinHandle yields its task's output once: keep the value from the first `.await`"
    )
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.detach();
        }
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
    /// Boxed, because every task's output slot has room for a `Result<T, JoinError>`:
    /// unboxed it was 56 bytes, and the slot 72; boxed, every task is 40 bytes smaller
    /// (`Task` 192 -> 152 bytes with a `()` output), which the task-memory example and
    /// the spawn benchmarks measure. A failure is rare enough to pay an allocation.
    inner: Box<Failure>,
}

struct Failure {
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
            inner: Box::new(Failure {
                meta: meta.clone(),
                repr: Repr::Panic(std::sync::Mutex::new(payload)),
            }),
        }
    }

    pub(crate) fn cancelled(meta: &TaskMeta) -> Self {
        JoinError {
            inner: Box::new(Failure {
                meta: meta.clone(),
                repr: Repr::Cancelled,
            }),
        }
    }

    fn report_if_panic(&self, hook: &PanicHook) {
        if let Repr::Panic(payload) = &self.inner.repr {
            let payload = payload.lock().unwrap_or_else(|p| p.into_inner());
            report_unobserved(hook, &self.inner.meta, &**payload);
        }
    }

    /// The task panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// let err = rt.block_on(rt.spawn(async { panic!("boom") })).unwrap_err();
    /// assert!(err.is_panic());
    /// assert!(!err.is_cancelled());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.inner.repr, Repr::Panic(_))
    }

    /// The task was aborted, or dropped when its runtime shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// let handle = rt.spawn(std::future::pending::<()>());
    /// handle.abort();
    /// let err = rt.block_on(handle).unwrap_err();
    /// assert!(err.is_cancelled());
    /// assert!(!err.is_panic());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.inner.repr, Repr::Cancelled)
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
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// let err = rt.block_on(rt.spawn(async { std::panic::panic_any(7_u32) })).unwrap_err();
    /// let payload = err.into_panic(); // or `std::panic::resume_unwind(payload)`
    /// assert_eq!(*payload.downcast::<u32>().unwrap(), 7);
    /// ```
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
        if !self.is_panic() {
            return Err(self);
        }
        match self.inner.repr {
            Repr::Panic(payload) => Ok(payload.into_inner().unwrap_or_else(|p| p.into_inner())),
            Repr::Cancelled => unreachable!("checked above"),
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
        self.inner.meta.id
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.repr {
            Repr::Panic(payload) => {
                let payload = payload.lock().unwrap_or_else(|p| p.into_inner());
                write!(
                    f,
                    "{} panicked: {}",
                    self.inner.meta,
                    panic_message(&**payload)
                )
            }
            Repr::Cancelled => write!(f, "{} was cancelled", self.inner.meta),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for JoinError {}
