//! Panics inside tasks: caught, kept, and never silently lost.
//!
//! Lesson: in .NET an exception in a task that nobody awaits simply vanishes. Here
//! every poll runs under `catch_unwind`, so a panic never kills a worker thread; the
//! panic travels to the task's `JoinHandle` as a [`JoinError`](crate::JoinError), and
//! if nobody can ever look at it (the handle was dropped or detached) it goes to the
//! runtime's unobserved-panic hook as a [`PanicReport`] instead. That is invariant 6 of
//! ARCHITECTURE.md, and the two helpers at the bottom of this file are how every piece
//! of user code the executor calls (a poll, a `Drop`, a `Waker`, a hook) is contained.

use std::{any::Any, fmt, panic::Location};

use crate::{meta::TaskMeta, shim::Arc};

/// A hook that receives reports of panics nobody can observe.
pub(crate) type PanicHook = Arc<dyn Fn(&PanicReport) + Send + Sync>;

/// The default hook: one line on stderr that names the task and where it was spawned.
pub(crate) fn default_panic_hook() -> PanicHook {
    Arc::new(|report: &PanicReport| eprintln!("turtles: {report}"))
}

/// A panic in a task whose `JoinHandle` was dropped or detached, handed to the
/// runtime's `on_unobserved_panic` hook.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// let rt = turtles_executor::Runtime::builder()
///     .worker_threads(1)
///     .on_unobserved_panic(move |report| {
///         sink.lock().unwrap().push(format!("{} {}", report.task_name().unwrap(), report.message()));
///     })
///     .build()
///     .unwrap();
/// let handle = turtles_executor::TaskBuilder::new()
///     .name("doomed")
///     .spawn_on(async { panic!("nobody is listening") }, &rt.handle());
/// drop(handle); // detach: the panic can no longer reach a JoinHandle
/// drop(rt);     // shutdown waits for the workers, so the report has been made
/// # // The task may not even have run before shutdown; only check what was reported.
/// for line in seen.lock().unwrap().iter() {
///     assert_eq!(line, "doomed nobody is listening");
/// }
/// ```
#[derive(Debug)]
pub struct PanicReport {
    meta: TaskMeta,
    message: String,
}

impl PanicReport {
    pub(crate) fn new(meta: &TaskMeta, payload: &(dyn Any + Send)) -> Self {
        PanicReport {
            meta: meta.clone(),
            message: panic_message(payload).to_owned(),
        }
    }

    /// The name given with `TaskBuilder::name`, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let sink = seen.clone();
    /// let rt = turtles_executor::Runtime::builder()
    ///     .on_unobserved_panic(move |report| sink.lock().unwrap().push(report.task_name().map(str::to_owned)))
    ///     .build()
    ///     .unwrap();
    /// let task = turtles_executor::TaskBuilder::new().name("doomed").spawn_on(async { panic!() }, &rt.handle());
    /// while !task.is_finished() { std::thread::yield_now(); }
    /// drop(task); // the panic is now unobservable, so it is reported right here
    /// assert_eq!(*seen.lock().unwrap(), [Some("doomed".to_owned())]);
    /// ```
    pub fn task_name(&self) -> Option<&str> {
        self.meta.name.as_deref().map(String::as_str)
    }

    /// The task's numeric id, unique in this process.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let sink = seen.clone();
    /// let rt = turtles_executor::Runtime::builder()
    ///     .on_unobserved_panic(move |report| sink.lock().unwrap().push((report.task_id(), report.to_string())))
    ///     .build()
    ///     .unwrap();
    /// let task = rt.spawn(async { panic!() });
    /// while !task.is_finished() { std::thread::yield_now(); }
    /// drop(task); // the panic is now unobservable, so it is reported right here
    /// let (id, text) = seen.lock().unwrap()[0].clone();
    /// assert!(text.starts_with(&format!("task #{id} ")));
    /// ```
    pub fn task_id(&self) -> u64 {
        self.meta.id
    }

    /// Where the task was spawned.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let sink = seen.clone();
    /// let rt = turtles_executor::Runtime::builder()
    ///     .on_unobserved_panic(move |report| sink.lock().unwrap().push(report.location()))
    ///     .build()
    ///     .unwrap();
    /// let task = rt.spawn(async { panic!() });
    /// while !task.is_finished() { std::thread::yield_now(); }
    /// drop(task); // the panic is now unobservable, so it is reported right here
    /// assert_eq!(seen.lock().unwrap()[0].file(), file!()); // this very example
    /// ```
    pub fn location(&self) -> &'static Location<'static> {
        self.meta.location
    }

    /// The panic message (`"Box<dyn Any>"` when the payload was not a string).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let sink = seen.clone();
    /// let rt = turtles_executor::Runtime::builder()
    ///     .on_unobserved_panic(move |report| sink.lock().unwrap().push(report.message().to_owned()))
    ///     .build()
    ///     .unwrap();
    /// let task = rt.spawn(async { panic!("disk {} is full", 3) });
    /// while !task.is_finished() { std::thread::yield_now(); }
    /// drop(task); // the panic is now unobservable, so it is reported right here
    /// assert_eq!(*seen.lock().unwrap(), ["disk 3 is full"]);
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PanicReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} panicked and nobody observed it: {}",
            self.meta, self.message
        )
    }
}

/// The text of a panic payload: `panic!("literal")` gives a `&str`, `panic!("{x}")` a `String`.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}

/// Calls a user hook without letting its own panic escape into a worker.
pub(crate) fn report_unobserved(hook: &PanicHook, meta: &TaskMeta, payload: &(dyn Any + Send)) {
    let report = PanicReport::new(meta, payload);
    if let Err(panic) = call_catching(|| hook(&report)) {
        eprintln!("turtles: the on_unobserved_panic hook panicked while reporting: {report}");
        if let Err(again) = drop_catching(panic) {
            std::mem::forget(again); // see `report_and_drop`
        }
    }
}

/// Reports a panic nobody can observe, then drops its payload — whose own `Drop` is
/// user code too. (If that panics again, the second payload is leaked: forgetting is
/// safe, and there is nobody left to tell.)
pub(crate) fn report_and_drop(hook: &PanicHook, meta: &TaskMeta, payload: Box<dyn Any + Send>) {
    report_unobserved(hook, meta, &*payload);
    if let Err(again) = drop_catching(payload) {
        std::mem::forget(again);
    }
}

/// Calls user code — a `Waker`, a closure — catching its panic so it can be reported
/// instead of unwinding through a worker.
///
/// `AssertUnwindSafe` is honest here: the executor's own state is never mid-update while
/// user code runs (no lock is held, every transition is already published).
pub(crate) fn call_catching(f: impl FnOnce()) -> Result<(), Box<dyn Any + Send>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
}

/// Drops `value` — a future, an output, a waker, a payload: user code — catching a panic
/// from its `Drop`.
pub(crate) fn drop_catching<T>(value: T) -> Result<(), Box<dyn Any + Send>> {
    call_catching(move || drop(value))
}
