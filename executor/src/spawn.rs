//! Spawning: `spawn`, `spawn_local` and the task `Builder` that names tasks.
//!
//! Lesson: `ConfigureAwait` in Rust terms. A task made by [`spawn`] is `Send` and
//! continues on whichever worker is free after each `.await`; a task made by
//! [`spawn_local`] may hold `!Send` data (an `Rc`, a `RefCell`) and therefore always
//! continues on the one thread that spawned it. Every spawn is `#[track_caller]`,
//! so the task remembers the line that created it for error messages.

use std::{future::Future, panic::Location};

use crate::{handle::Handle, join::JoinHandle, local, meta::TaskMeta, shim::Arc};

/// Spawns a `Send` task onto the current runtime; it runs on any worker thread.
///
/// The task starts running right away, whether or not the handle is awaited.
/// Dropping the returned [`JoinHandle`] detaches the task.
///
/// # Panics
///
/// Outside a runtime (not on a worker, not inside `block_on`), with a message that
/// says how to get one.
///
/// # Examples
///
/// ```
/// let rt = turtles_executor::Runtime::new().unwrap();
/// let sum = rt.block_on(async {
///     let a = turtles_executor::spawn(async { 1 });
///     let b = turtles_executor::spawn(async { 2 });
///     a.await.unwrap() + b.await.unwrap()
/// });
/// assert_eq!(sum, 3);
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Builder::new().spawn(future)
}

/// Spawns a `!Send` task that is always polled on this thread, the one inside `block_on`.
///
/// The future may hold `Rc`, `RefCell` and other thread-bound data. Its output must be
/// `Send`, because the [`JoinHandle`] may be awaited on any thread. Local tasks still
/// unfinished when the `block_on` that runs them returns are cancelled.
///
/// # Panics
///
/// Outside `block_on` (for example on a worker thread), with a message that says why.
///
/// # Examples
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
///
/// let total = turtles_executor::block_on(async {
///     let shared = Rc::new(RefCell::new(0));
///     let counter = shared.clone();
///     turtles_executor::spawn_local(async move { *counter.borrow_mut() += 1 }).await.unwrap();
///     let total = *shared.borrow();
///     total
/// });
/// assert_eq!(total, 1);
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: Send + 'static,
{
    Builder::new().spawn_local(future)
}

/// Runs a blocking closure on the runtime's blocking pool, not on a worker, and returns
/// a handle to `.await` its result.
///
/// Use it for work that computes for a long time or blocks the thread (file I/O, a
/// blocking library call, `std::thread::sleep`): on a worker it would keep every other
/// task waiting. The pool starts threads on demand, up to
/// [`Builder::max_blocking_threads`](crate::Builder::max_blocking_threads), and idle
/// ones exit after a while. A panic in the closure reaches the handle. `abort` cancels a
/// closure that has not started yet; a running one cannot be interrupted.
///
/// # Panics
///
/// Outside a runtime, with a message that says how to get one.
///
/// # Examples
///
/// ```
/// let rt = turtles_executor::Runtime::new().unwrap();
/// let sum = rt.block_on(async {
///     turtles_executor::spawn_blocking(|| (1..=100u64).sum::<u64>()).await.unwrap()
/// });
/// assert_eq!(sum, 5050);
/// ```
#[track_caller]
pub fn spawn_blocking<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let Some(handle) = Handle::try_current() else {
        panic!(
            "spawn_blocking was called outside a runtime: the closure runs on the runtime's \
             blocking pool, and this thread belongs to no runtime. Fix: call it inside \
             `block_on` or from a task, or use `Handle::spawn_blocking`."
        )
    };
    handle.spawn_blocking(f)
}

/// Configures a task before spawning it; today, its name.
///
/// The name shows up in [`JoinError`](crate::JoinError)'s message and in
/// [`PanicReport`](crate::PanicReport).
///
/// # Examples
///
/// ```
/// let rt = turtles_executor::Runtime::new().unwrap();
/// let err = rt.block_on(async {
///     turtles_executor::TaskBuilder::new()
///         .name("parser")
///         .spawn(async { panic!("bad input") })
///         .await
///         .unwrap_err()
/// });
/// assert!(err.to_string().starts_with("task 'parser'"));
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder {
    name: Option<Arc<String>>,
}

impl Builder {
    /// A builder for an unnamed task.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// let task = turtles_executor::TaskBuilder::new().spawn_on(async { panic!() }, &rt.handle());
    /// let err = rt.block_on(task).unwrap_err();
    /// assert!(err.to_string().starts_with("task #")); // unnamed: known by its id
    /// ```
    pub fn new() -> Self {
        Builder::default()
    }

    /// Names the task.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// let task = turtles_executor::TaskBuilder::new().name("fetch").spawn_on(async { panic!("timeout") }, &rt.handle());
    /// let err = rt.block_on(task).unwrap_err();
    /// assert!(err.to_string().starts_with("task 'fetch'"));
    /// ```
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(Arc::new(name.to_owned()));
        self
    }

    /// Spawns onto the current runtime, like [`spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// let sum = rt.block_on(async {
    ///     turtles_executor::TaskBuilder::new().name("adder").spawn(async { 1 + 1 }).await.unwrap()
    /// });
    /// assert_eq!(sum, 2);
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let Some(handle) = Handle::try_current() else {
            panic!(
                "spawn was called outside a runtime: a spawned task needs worker threads to run on, \
                 and this thread belongs to no runtime. Fix: call it inside `block_on` or from a task, \
                 or spawn through `Runtime::spawn` / `Handle::spawn`."
            )
        };
        self.spawn_on(future, &handle)
    }

    /// Spawns onto the runtime behind `handle`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let task = turtles_executor::TaskBuilder::new().name("x").spawn_on(async { 5 }, &rt.handle());
    /// assert_eq!(rt.block_on(task).unwrap(), 5);
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(self, future: F, handle: &Handle) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        handle
            .scheduler
            .spawn(future, TaskMeta::new(self.name, Location::caller()))
    }

    /// Spawns a `!Send` task on this thread, like [`spawn_local`].
    ///
    /// # Examples
    ///
    /// ```
    /// let out = turtles_executor::block_on(async {
    ///     turtles_executor::TaskBuilder::new().name("local").spawn_local(async { 3 }).await
    /// });
    /// assert_eq!(out.unwrap(), 3);
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        local::spawn_local(future, TaskMeta::new(self.name, Location::caller()))
    }
}
