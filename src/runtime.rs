//! The facade's `Runtime` and `Builder`: the executor's, with the reactor plugged in.
//!
//! Lesson: a runtime = executor + reactor. Everything here delegates to
//! `turtles-executor`; the one thing added is that idle workers sleep in the reactor,
//! so timers and sockets work on every turtles runtime. The default runtime that
//! `turtles::block_on` spawns onto lives here too.

use std::{fmt, future::Future, io, sync::OnceLock};

use turtles_executor::{CurrentHandle, Handle, JoinHandle, Metrics, PanicReport, StallReport};

use turtles_reactor::AttachedDriver;

use crate::driver::{attach, reactor_driver};

/// A runtime whose idle workers drive the reactor: multi-threaded, or — built with
/// [`Builder::current_thread`] — running every task on the thread inside
/// [`block_on`](Runtime::block_on).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let rt = turtles::Runtime::new().unwrap();
/// let out = rt.block_on(async {
///     let task = turtles::spawn(async {
///         turtles::time::sleep(Duration::from_millis(10)).await;
///         "slept"
///     });
///     task.await.unwrap()
/// });
/// assert_eq!(out, "slept");
/// ```
pub struct Runtime {
    /// Declared first, so dropped first: the workers stop before the promise below ends.
    inner: turtles_executor::Runtime,
    /// This runtime's idle workers drive the reactor (see the reactor's `backup.rs`).
    /// `None` on a current-thread runtime, whose only thread that drives is one inside
    /// `block_on`: each call attaches while it runs, so that between calls the backup
    /// thread fires the timers of tasks still waiting (they run at the next call).
    attached: Option<AttachedDriver>,
}

impl Runtime {
    /// One worker per available CPU.
    ///
    /// # Errors
    ///
    /// If the reactor or a worker thread cannot start.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles::Runtime::new().unwrap();
    /// assert!(rt.metrics().workers() >= 1); // one per available CPU
    /// assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A builder for workers, names, hooks.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles::Runtime::builder().worker_threads(2).build().unwrap();
    /// assert_eq!(rt.metrics().workers(), 2);
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Runs `future` on this thread until done; `spawn` inside uses this runtime. On a
    /// [current-thread](Builder::current_thread) runtime this thread also runs the
    /// runtime's tasks meanwhile.
    ///
    /// # Panics
    ///
    /// On a worker thread or inside another `block_on`: blocking there would deadlock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = turtles::Runtime::builder().worker_threads(1).build().unwrap();
    /// let out = rt.block_on(async {
    ///     turtles::time::sleep(Duration::from_millis(1)).await; // timers work here too
    ///     turtles::spawn(async { 20 }).await.unwrap() + 1 // spawns onto `rt`
    /// });
    /// assert_eq!((out, rt.metrics().spawned()), (21, 1));
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _attached = match self.attached {
            Some(_) => None,
            None => Some(attach()),
        };
        self.inner.block_on(future)
    }

    /// Spawns a task onto this runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles::Runtime::new().unwrap();
    /// assert_eq!(rt.block_on(rt.spawn(async { 3 })).unwrap(), 3);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future)
    }

    /// A `Clone + Send + Sync` handle for spawning from anywhere.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles::Runtime::new().unwrap();
    /// let h = rt.handle();
    /// let t = std::thread::spawn(move || h.spawn(async { 1 })).join().unwrap();
    /// assert_eq!(rt.block_on(t).unwrap(), 1);
    /// ```
    pub fn handle(&self) -> Handle {
        self.inner.handle()
    }

    /// A snapshot of the runtime's counters.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles::Runtime::builder().worker_threads(1).build().unwrap();
    /// rt.block_on(rt.spawn(async {})).unwrap();
    /// assert_eq!(rt.metrics().completed(), 1);
    /// ```
    pub fn metrics(&self) -> Metrics {
        self.inner.metrics()
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// Configures a [`Runtime`].
///
/// # Examples
///
/// ```
/// let rt = turtles::Runtime::builder()
///     .worker_threads(2)
///     .thread_name("web")
///     .on_unobserved_panic(|report| eprintln!("lost panic: {report}"))
///     .build()
///     .unwrap();
/// ```
#[derive(Debug, Default)]
pub struct Builder {
    inner: turtles_executor::Builder,
    /// Mirrors the inner builder's choice: a current-thread runtime attaches to the
    /// reactor per `block_on`, not for its whole life.
    current_thread: bool,
}

impl Builder {
    /// Defaults: a worker per CPU, threads named `turtles-worker-N`, unobserved panics
    /// printed to stderr.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles::Builder::new().build().unwrap();
    /// assert!(rt.metrics().workers() >= 1); // one per available CPU
    /// ```
    pub fn new() -> Builder {
        Builder {
            inner: turtles_executor::Builder::new(),
            current_thread: false,
        }
    }

    /// The number of worker threads; 0 makes `build` return an `InvalidInput` error.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = turtles::Runtime::builder().worker_threads(0).build().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn worker_threads(self, n: usize) -> Builder {
        Builder {
            inner: self.inner.worker_threads(n),
            current_thread: false,
        }
    }

    /// No worker threads: every task runs on the thread inside [`Runtime::block_on`],
    /// and only while one is inside it (tokio's `new_current_thread`). Timers and I/O
    /// work as on any runtime: that thread sleeps in the reactor. The last of
    /// `current_thread` and [`worker_threads`](Builder::worker_threads) wins.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = turtles::Runtime::builder().current_thread().build().unwrap();
    /// let main_thread = std::thread::current().id();
    /// let task = rt.spawn(async {
    ///     turtles::time::sleep(Duration::from_millis(1)).await;
    ///     std::thread::current().id()
    /// });
    /// assert_eq!(rt.block_on(task).unwrap(), main_thread); // it ran right here
    /// ```
    pub fn current_thread(self) -> Builder {
        Builder {
            inner: self.inner.current_thread(),
            current_thread: true,
        }
    }

    /// The name prefix of the runtime's threads: workers get `-N` appended, the
    /// blocking pool's threads `-blocking`, the watchdog `-watchdog`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles::Runtime::builder().thread_name("web").worker_threads(1).build().unwrap();
    /// let name = rt.block_on(rt.spawn(async { std::thread::current().name().unwrap().to_owned() }));
    /// assert_eq!(name.unwrap(), "web-0");
    /// ```
    pub fn thread_name(self, name: impl Into<String>) -> Builder {
        Builder {
            inner: self.inner.thread_name(name),
            ..self
        }
    }

    /// The most threads `spawn_blocking` may run at once (default 512); 0 makes `build`
    /// return an `InvalidInput` error.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles::Runtime::builder().max_blocking_threads(4).build().unwrap();
    /// let n = rt.block_on(rt.spawn(async { turtles::spawn_blocking(|| 6 * 7).await }));
    /// assert_eq!(n.unwrap().unwrap(), 42);
    /// ```
    pub fn max_blocking_threads(self, n: usize) -> Builder {
        Builder {
            inner: self.inner.max_blocking_threads(n),
            ..self
        }
    }

    /// How long an idle `spawn_blocking` thread waits for work before it exits
    /// (default 10 s).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles::Runtime::builder()
    ///     .thread_keep_alive(std::time::Duration::from_secs(1))
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn thread_keep_alive(self, keep_alive: std::time::Duration) -> Builder {
        Builder {
            inner: self.inner.thread_keep_alive(keep_alive),
            ..self
        }
    }

    /// Where panics go that no `JoinHandle` can observe; default: stderr.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let sink = seen.clone();
    /// let rt = turtles::Runtime::builder()
    ///     .on_unobserved_panic(move |report| sink.lock().unwrap().push(report.message().to_owned()))
    ///     .build()
    ///     .unwrap();
    /// let task = rt.spawn(async { panic!("lost") });
    /// while !task.is_finished() { std::thread::yield_now(); }
    /// drop(task); // nobody can observe the panic any more: the hook gets it
    /// assert_eq!(*seen.lock().unwrap(), ["lost"]);
    /// ```
    pub fn on_unobserved_panic(
        self,
        hook: impl Fn(&PanicReport) + Send + Sync + 'static,
    ) -> Builder {
        Builder {
            inner: self.inner.on_unobserved_panic(hook),
            ..self
        }
    }

    /// The watchdog reports a poll that runs longer than this (default 100 ms): such a
    /// poll blocks its worker. It looks every half threshold (at least every 10 ms while
    /// a worker is busy), so a poll that runs the threshold plus one look is always
    /// reported, and one shorter than the threshold never. Zero makes `build` return an
    /// `InvalidInput` error; to turn the watchdog off, use
    /// [`watchdog(false)`](Self::watchdog).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles::Runtime::builder()
    ///     .stall_threshold(std::time::Duration::from_millis(500))
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn stall_threshold(self, threshold: std::time::Duration) -> Builder {
        Builder {
            inner: self.inner.stall_threshold(threshold),
            ..self
        }
    }

    /// Whether the runtime has a watchdog thread (default: yes). Without one, `on_stall`
    /// is never called, and each worker leaving the reactor to run work wakes an idle
    /// colleague to watch timers and sockets in its place (with one, the watchdog does,
    /// only behind a long poll or a run of shorter ones).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles::Runtime::builder().watchdog(false).build().unwrap();
    /// ```
    pub fn watchdog(self, enabled: bool) -> Builder {
        Builder {
            inner: self.inner.watchdog(enabled),
            ..self
        }
    }

    /// Where the watchdog's [`StallReport`]s go, one per poll that runs longer than the
    /// [`stall_threshold`](Self::stall_threshold); default: stderr. The report names the
    /// task and the line where it last waited. The hook runs on the watchdog's thread,
    /// and dropping the runtime waits for it to return.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{sync::{Arc, Mutex}, time::Duration};
    /// let lines = Arc::new(Mutex::new(Vec::new()));
    /// let sink = lines.clone();
    /// let rt = turtles::Runtime::builder()
    ///     .worker_threads(1)
    ///     .stall_threshold(Duration::from_millis(50))
    ///     .on_stall(move |report| sink.lock().unwrap().push(report.awaiting().map(|at| at.line())))
    ///     .build()
    ///     .unwrap();
    /// let line = line!() + 2;
    /// rt.block_on(rt.spawn(async {
    ///     turtles::time::sleep(Duration::from_millis(1)).await;
    ///     std::thread::sleep(Duration::from_millis(300)); // blocks the worker after that line
    /// }))
    /// .unwrap();
    /// assert_eq!(*lines.lock().unwrap(), [Some(line)]);
    /// ```
    pub fn on_stall(self, hook: impl Fn(&StallReport) + Send + Sync + 'static) -> Builder {
        Builder {
            inner: self.inner.on_stall(hook),
            ..self
        }
    }

    /// Builds the runtime: starts its worker threads (none on a current-thread runtime)
    /// and its watchdog thread (unless turned off).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for `worker_threads(0)`, `max_blocking_threads(0)`, or
    /// `stall_threshold(ZERO)` with the watchdog on; the OS error if the reactor or a
    /// thread cannot start.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = turtles::Builder::new().worker_threads(1).build().unwrap();
    /// let task = rt.spawn(async {
    ///     turtles::time::sleep(Duration::from_millis(1)).await; // the reactor is plugged in
    ///     "woke"
    /// });
    /// assert_eq!(rt.block_on(task).unwrap(), "woke");
    /// ```
    pub fn build(self) -> io::Result<Runtime> {
        let (driver, attached) = reactor_driver()?;
        Ok(Runtime {
            inner: self.inner.driver(driver).build()?,
            attached: (!self.current_thread).then_some(attached),
        })
    }
}

/// The runtime that `spawn` uses inside [`block_on`], started on first use.
fn default_handle() -> Handle {
    static DEFAULT: OnceLock<Runtime> = OnceLock::new();
    DEFAULT
        .get_or_init(|| {
            Runtime::builder()
                .thread_name("turtles-default")
                .build()
                .unwrap_or_else(|e| panic!("turtles could not start its default runtime: {e}"))
        })
        .handle()
}

/// Runs `future` to completion on this thread, serving I/O and timers while it waits.
///
/// Inside, [`spawn`](crate::spawn) spawns onto a default multi-threaded runtime
/// (started the first time something is spawned, and kept for the life of the
/// process), and [`spawn_local`](crate::spawn_local) runs `!Send` tasks on this thread.
///
/// The future is polled only after it was woken: a wake left over from an earlier
/// `block_on` never causes a poll, and a waiting `block_on` burns no CPU.
///
/// # Panics
///
/// On a runtime worker or inside another `block_on`: blocking there would deadlock,
/// so the call is refused with a message naming the rule and the fix. Also if the
/// reactor cannot start (the OS refused an epoll instance).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// let sum = turtles::block_on(async {
///     let a = turtles::spawn(async { 1 });
///     turtles::time::sleep(Duration::from_millis(10)).await;
///     a.await.unwrap() + 1
/// });
/// assert_eq!(sum, 2);
/// assert!(start.elapsed() >= Duration::from_millis(10));
/// ```
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    let (driver, _attached) = reactor_driver().unwrap_or_else(|e| panic!("{e}"));
    turtles_executor::block_on_with(
        future,
        Some(CurrentHandle::Lazy(default_handle)),
        Some(driver),
    )
}
