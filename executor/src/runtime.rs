//! `Runtime` and its `Builder`: worker threads that run spawned tasks (or, on a
//! current-thread runtime, the thread inside `block_on`), until dropped.
//!
//! Lesson: a runtime is a loop over run queues ([`worker`](crate::worker)) — on a
//! handful of threads of its own, or on the thread in `block_on`
//! ([`current_thread`](crate::current_thread)) — plus a way to put futures into those
//! queues ([`Handle`]). Dropping the runtime is the only way to stop it, and it is thorough:
//! every task is cancelled and every future dropped, including tasks that only a
//! stray `Waker` still remembers (invariant 4 of ARCHITECTURE.md).

use std::{fmt, future::Future, io, time::Duration};

use crate::{
    block_on::{block_on_in, SleepIn},
    blocking::{BlockingPool, DEFAULT_KEEP_ALIVE, DEFAULT_MAX_THREADS},
    context::CurrentHandle,
    current_thread::{self, Core},
    handle::Handle,
    join::JoinHandle,
    metrics::Metrics,
    panic::{default_panic_hook, PanicHook, PanicReport},
    park::Driver,
    scheduler::{HandOff, Scheduler},
    shim::{thread, Arc},
    watchdog::{self, default_stall_hook, StallHook, StallReport, DEFAULT_STALL_THRESHOLD},
    worker,
};

/// A runtime: N worker threads sharing an injector queue, or — built with
/// [`Builder::current_thread`] — none, every task running on the thread inside
/// [`block_on`](Runtime::block_on).
///
/// # Examples
///
/// ```
/// let rt = turtles_executor::Runtime::new().unwrap();
/// let answer = rt.block_on(async {
///     turtles_executor::spawn(async { 42 }).await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// drop(rt); // cancels whatever is still running and joins the workers
/// ```
pub struct Runtime {
    handle: Handle,
    workers: Vec<thread::JoinHandle<()>>,
    /// A current-thread runtime's one worker slot, taken by a thread in `block_on`.
    core: Option<Core>,
    /// The watchdog's thread, unless it was turned off.
    watchdog: Option<std::thread::JoinHandle<()>>,
}

impl Runtime {
    /// A runtime with one worker per available CPU.
    ///
    /// # Errors
    ///
    /// If a worker thread cannot be started.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// assert!(rt.metrics().workers() >= 1); // one per available CPU
    /// assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A builder to configure workers, names and hooks.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder()
    ///     .worker_threads(2)
    ///     .thread_name("my-worker")
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(rt.metrics().workers(), 2);
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Runs `future` to completion on the current thread; `spawn` inside it uses this runtime.
    ///
    /// On a [current-thread](Builder::current_thread) runtime, this thread also runs the
    /// runtime's tasks while its future waits (one thread at a time does; others
    /// calling `block_on` meanwhile wait for their own futures, and take over when it
    /// returns).
    ///
    /// On a multi-threaded runtime, this thread sleeps while its future waits. But when the watchdog
    /// (on by default) sees every worker stuck in one long poll, one thread inside
    /// `block_on` takes over the runtime's driver (with the facade: the reactor), so
    /// that timers and I/O are still served.
    ///
    /// # Panics
    ///
    /// When called on a worker thread or inside another `block_on` (that would deadlock).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// let out = rt.block_on(async {
    ///     // `spawn` inside `block_on` spawns onto `rt`.
    ///     turtles_executor::spawn(async { 20 }).await.unwrap() + 1
    /// });
    /// assert_eq!(out, 21);
    /// assert_eq!(rt.metrics().spawned(), 1);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        if let Some(core) = &self.core {
            return current_thread::block_on(core, &self.handle, future);
        }
        // While every worker runs a long poll nobody watches timers and I/O, and the
        // future waiting here on a timer would wake late by as long as the longest poll:
        // then this thread serves the driver (`Scheduler::park_block_on`).
        block_on_in(
            future,
            Some(CurrentHandle::Handle(self.handle.clone())),
            SleepIn::RuntimeDriver(self.handle.scheduler.clone()),
        )
    }

    /// Spawns a task onto this runtime; see [`spawn`](crate::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let task = rt.spawn(async { 2 + 2 });
    /// assert_eq!(rt.block_on(task).unwrap(), 4);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// A handle to this runtime, to spawn from other threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// let handle = rt.handle();
    /// let task = std::thread::spawn(move || handle.spawn(async { 7 })).join().unwrap();
    /// assert_eq!(rt.block_on(task).unwrap(), 7);
    /// ```
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// A snapshot of the runtime's counters.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).build().unwrap();
    /// rt.block_on(rt.spawn(async {})).unwrap();
    /// let m = rt.metrics();
    /// assert_eq!((m.workers(), m.spawned(), m.completed()), (1, 1, 1));
    /// ```
    pub fn metrics(&self) -> Metrics {
        self.handle.metrics()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let scheduler = &self.handle.scheduler;
        if scheduler.is_current_worker() {
            // Shutdown joins every worker, this one included: it would wait for itself.
            // Stop them all instead (this one after the poll that is dropping us), let
            // the last one out finish shutdown, and tell the task why.
            scheduler.orphan();
            scheduler.watches.stop();
            self.workers.clear(); // detached: they end by themselves
            self.watchdog = None; // so is the watchdog
            if std::thread::panicking() {
                return; // dropped while unwinding: a second panic would abort the process
            }
            panic!(
                "a Runtime was dropped on one of its own worker threads (a task owned it); \
                 shutdown joins the workers, so this thread would wait for itself forever. \
                 The runtime is shut down without joining them. \
                 Fix: drop the Runtime on the thread that built it, or keep only a Handle in tasks"
            );
        }
        scheduler.begin_shutdown();
        for worker in self.workers.drain(..) {
            // A worker never unwinds (every poll is under catch_unwind); if the thread
            // died anyway there is nothing left to join.
            let _ = worker.join();
        }
        // The watchdog stops only now, so that a poll holding up shutdown is reported
        // too; and it is joined only after every task is finished, because its hook
        // (user code) may wait for one of them.
        scheduler.watches.stop();
        scheduler.finish_shutdown();
        if let Some(watchdog) = self.watchdog.take() {
            // The hook may even be what dropped the runtime: a thread cannot join itself
            // (it ends by itself once the hook returns).
            if watchdog.thread().id() != std::thread::current().id() {
                let _ = watchdog.join(); // it never unwinds: the hook is called catching
            }
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.workers.len())
            .field("current_thread", &self.core.is_some())
            .finish()
    }
}

/// Configures a [`Runtime`].
///
/// # Examples
///
/// ```
/// let err = turtles_executor::Runtime::builder().worker_threads(0).build().unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
/// ```
pub struct Builder {
    workers: Workers,
    max_blocking_threads: usize,
    keep_alive: Duration,
    thread_name: String,
    panic_hook: PanicHook,
    driver: Option<Arc<dyn Driver>>,
    /// Whether to start a watchdog thread at all.
    watchdog: bool,
    stall_threshold: Duration,
    stall_hook: StallHook,
}

impl Builder {
    /// Defaults: one worker per CPU, threads named `turtles-worker-N`, unobserved
    /// panics printed to stderr, no driver.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Builder::new().build().unwrap();
    /// ```
    pub fn new() -> Builder {
        Builder {
            workers: Workers::PerCpu,
            max_blocking_threads: DEFAULT_MAX_THREADS,
            keep_alive: DEFAULT_KEEP_ALIVE,
            thread_name: "turtles-worker".to_owned(),
            panic_hook: default_panic_hook(),
            driver: None,
            // Under loom the models build runtimes, and a watchdog thread would only
            // multiply the interleavings they explore.
            watchdog: !cfg!(loom),
            stall_threshold: DEFAULT_STALL_THRESHOLD,
            stall_hook: default_stall_hook(),
        }
    }

    /// The number of worker threads; must be at least 1, else `build` returns an error.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().worker_threads(3).build().unwrap();
    /// assert_eq!(rt.metrics().workers(), 3);
    /// ```
    pub fn worker_threads(mut self, n: usize) -> Builder {
        self.workers = Workers::Threads(n);
        self
    }

    /// No worker threads: every task runs on the thread inside
    /// [`Runtime::block_on`], and only while one is inside it — tokio's current-thread
    /// runtime. Tasks are still `Send` (a `Handle` may spawn from any thread; the task
    /// waits for the next `block_on`); [`spawn_local`](crate::spawn_local) works inside
    /// `block_on` as on any runtime. The last of `current_thread` and
    /// [`worker_threads`](Builder::worker_threads) wins.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().current_thread().build().unwrap();
    /// let here = std::thread::current().id();
    /// let ran_on = rt.block_on(rt.spawn(async { std::thread::current().id() })).unwrap();
    /// assert_eq!(ran_on, here);
    /// ```
    pub fn current_thread(mut self) -> Builder {
        self.workers = Workers::CurrentThread;
        self
    }

    /// The most threads `spawn_blocking` may run at once (default 512); further
    /// closures wait in a queue. Must be at least 1, else `build` returns an error.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().max_blocking_threads(2).build().unwrap();
    /// let sum = rt.block_on(async {
    ///     let a = turtles_executor::spawn_blocking(|| 1);
    ///     let b = turtles_executor::spawn_blocking(|| 2);
    ///     a.await.unwrap() + b.await.unwrap()
    /// });
    /// assert_eq!(sum, 3);
    /// ```
    pub fn max_blocking_threads(mut self, n: usize) -> Builder {
        self.max_blocking_threads = n;
        self
    }

    /// How long a `spawn_blocking` thread waits for more work before it exits
    /// (default 10 s).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = turtles_executor::Runtime::builder()
    ///     .thread_keep_alive(Duration::from_millis(100))
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn thread_keep_alive(mut self, keep_alive: Duration) -> Builder {
        self.keep_alive = keep_alive;
        self
    }

    /// The name prefix of the runtime's threads: workers get `-N` appended, the
    /// blocking pool's threads `-blocking`, the watchdog `-watchdog` (on a
    /// current-thread runtime only the last two exist).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().thread_name("pool").worker_threads(1).build().unwrap();
    /// let name = rt.block_on(rt.spawn(async { std::thread::current().name().unwrap().to_owned() }));
    /// assert_eq!(name.unwrap(), "pool-0");
    /// ```
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.thread_name = name.into();
        self
    }

    /// Where panics go that no `JoinHandle` can observe (the handle was dropped or
    /// detached). The default prints the report to stderr.
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
    /// let task = rt.spawn(async { panic!("lost") });
    /// while !task.is_finished() { std::thread::yield_now(); }
    /// drop(task); // nobody can observe the panic any more: the hook gets it
    /// assert_eq!(*seen.lock().unwrap(), ["lost"]);
    /// ```
    pub fn on_unobserved_panic(
        mut self,
        hook: impl Fn(&PanicReport) + Send + Sync + 'static,
    ) -> Builder {
        self.panic_hook = Arc::new(hook);
        self
    }

    /// The watchdog reports a poll that runs longer than this (default 100 ms): it
    /// blocks its worker. The watchdog looks every half threshold (at least every 10 ms
    /// while a worker is busy), so a poll that runs the threshold plus one look is
    /// always reported, a shorter one may be, and one shorter than the threshold never
    /// is. Must be more than zero, else `build` returns an error; see
    /// [`watchdog`](Self::watchdog) to turn it off.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = turtles_executor::Runtime::builder()
    ///     .stall_threshold(Duration::from_secs(1)) // only the really long ones
    ///     .build()
    ///     .unwrap();
    /// let err = turtles_executor::Runtime::builder().stall_threshold(Duration::ZERO).build().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn stall_threshold(mut self, threshold: Duration) -> Builder {
        self.stall_threshold = threshold;
        self
    }

    /// Whether the runtime has a watchdog (default: yes). Without one, no thread looks
    /// for blocked workers and `on_stall` is never called; and a worker that leaves the
    /// driver to run work wakes an idle colleague to take its place there at once,
    /// since nobody would notice its poll running long (with a watchdog, the watchdog
    /// does that once the driver stays vacant across two of its looks: behind a long
    /// poll, or a run of shorter ones).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::builder().watchdog(false).build().unwrap();
    /// ```
    pub fn watchdog(mut self, enabled: bool) -> Builder {
        self.watchdog = enabled;
        self
    }

    /// Where the watchdog's reports go, once per poll that runs longer than
    /// [`stall_threshold`](Self::stall_threshold). The default prints the report to
    /// stderr. The hook runs on the watchdog's thread; a panic in it is caught and
    /// printed. While it runs the watchdog sees nothing else, and dropping the runtime
    /// waits for it to return.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{sync::{Arc, Mutex}, time::Duration};
    /// let stalls = Arc::new(Mutex::new(0));
    /// let count = stalls.clone();
    /// let rt = turtles_executor::Runtime::builder()
    ///     .worker_threads(1)
    ///     .stall_threshold(Duration::from_millis(50))
    ///     .on_stall(move |_| *count.lock().unwrap() += 1)
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(rt.spawn(async { std::thread::sleep(Duration::from_millis(300)) })).unwrap();
    /// assert_eq!(*stalls.lock().unwrap(), 1, "one poll, one report");
    /// ```
    pub fn on_stall(mut self, hook: impl Fn(&StallReport) + Send + Sync + 'static) -> Builder {
        self.stall_hook = Arc::new(hook);
        self
    }

    /// What idle workers sleep in, so that they serve I/O and timers (the facade crate
    /// passes the reactor here).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{sync::Arc, time::Duration};
    /// /// No I/O: sleeps at most a millisecond, so an `unpark` is never missed for long.
    /// struct Nap;
    /// impl turtles_executor::Driver for Nap {
    ///     fn token(&self) -> u64 { 0 }
    ///     fn park(&self, _: u64, max: Option<Duration>) {
    ///         std::thread::sleep(max.map_or(Duration::from_millis(1), |m| m.min(Duration::from_millis(1))));
    ///     }
    ///     fn unpark(&self) {}
    /// }
    /// let rt = turtles_executor::Runtime::builder().worker_threads(1).driver(Arc::new(Nap)).build().unwrap();
    /// assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    /// ```
    pub fn driver(mut self, driver: Arc<dyn Driver>) -> Builder {
        self.driver = Some(driver);
        self
    }

    /// Builds the runtime: starts its worker threads (none on a current-thread runtime)
    /// and its watchdog thread (unless turned off).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for `worker_threads(0)`, `max_blocking_threads(0)`, or
    /// `stall_threshold(ZERO)` with the watchdog on; the OS error if a thread cannot be
    /// spawned.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Builder::new().worker_threads(1).build().unwrap();
    /// assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    /// let err = turtles_executor::Builder::new().worker_threads(0).build().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn build(self) -> io::Result<Runtime> {
        // (slots: worker slots in the scheduler; threads: how many get a thread)
        let (slots, threads) =
            match self.workers {
                Workers::Threads(0) => return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "worker_threads(0): a runtime needs at least one worker thread to run tasks; \
                 use worker_threads(1) or more, or current_thread() to run them inside block_on",
                )),
                Workers::Threads(n) => (n, n),
                Workers::PerCpu => {
                    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
                    (n, n)
                }
                Workers::CurrentThread => (1, 0),
            };
        if self.watchdog && self.stall_threshold.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "stall_threshold(0): every poll takes some time, so the watchdog would report \
                 them all; use a threshold above zero (the default is 100 ms), or \
                 watchdog(false) to turn the watchdog off",
            ));
        }
        if self.max_blocking_threads == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "max_blocking_threads(0): spawn_blocking needs at least one thread to run \
                 closures on; use max_blocking_threads(1) or more",
            ));
        }
        let blocking = BlockingPool::new(
            self.max_blocking_threads,
            self.keep_alive,
            format!("{}-blocking", self.thread_name),
            self.panic_hook.clone(),
        );
        let scheduler = Arc::new(Scheduler::new(
            slots,
            self.panic_hook,
            self.driver,
            blocking,
            match self.watchdog {
                true => HandOff::ByWatchdog,
                false => HandOff::AtOnce,
            },
        ));
        let handle = Handle { scheduler };
        let mut runtime = Runtime {
            handle: handle.clone(),
            workers: Vec::with_capacity(threads),
            core: (threads == 0).then(Core::default),
            watchdog: None,
        };
        for index in 0..threads {
            let (scheduler, handle) = (handle.scheduler.clone(), handle.clone());
            let spawned = thread::Builder::new()
                .name(format!("{}-{index}", self.thread_name))
                .spawn(move || worker::run(scheduler, index, handle));
            // On failure, dropping `runtime` shuts down the workers already started.
            runtime.workers.push(spawned?);
        }
        if self.watchdog {
            runtime.watchdog = Some(watchdog::start(
                handle.scheduler.clone(),
                self.stall_threshold,
                self.stall_hook,
                format!("{}-watchdog", self.thread_name),
            )?);
        }
        Ok(runtime)
    }
}

/// How many worker threads a [`Builder`] starts.
#[derive(Debug, Clone, Copy)]
enum Workers {
    /// One per available CPU (the default).
    PerCpu,
    /// Exactly this many (zero is refused by `build`).
    Threads(usize),
    /// None: the thread inside `block_on` runs the tasks.
    CurrentThread,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("workers", &self.workers)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("thread_name", &self.thread_name)
            .field("driver", &self.driver.is_some())
            .field("watchdog", &self.watchdog)
            .field("stall_threshold", &self.stall_threshold)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::{
        sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst},
        time::Duration,
    };

    use super::Runtime;
    use crate::{shim::Arc, worker::INJECTOR_INTERVAL, Driver};

    /// Counts the zero-wait looks of busy workers; says nothing is registered when told.
    #[derive(Default)]
    struct Looks {
        empty: AtomicBool,
        zero_waits: AtomicUsize,
    }

    impl Driver for Looks {
        fn token(&self) -> u64 {
            0
        }
        fn park(&self, _: u64, max_wait: Option<Duration>) {
            if max_wait == Some(Duration::ZERO) {
                self.zero_waits.fetch_add(1, SeqCst);
            } else {
                std::thread::sleep(Duration::from_millis(1)); // no unpark to wait for
            }
        }
        fn unpark(&self) {}
        fn nothing_registered(&self) -> bool {
            self.empty.load(SeqCst)
        }
    }

    fn zero_waits_over_busy_polls(empty: bool) -> usize {
        let looks = Arc::new(Looks::default());
        looks.empty.store(empty, SeqCst);
        let rt = Runtime::builder()
            .current_thread()
            .driver(looks.clone())
            .build()
            .unwrap();
        rt.block_on(rt.spawn(async {
            for _ in 0..10 * INJECTOR_INTERVAL {
                crate::yield_now().await;
            }
        }))
        .unwrap();
        looks.zero_waits.load(SeqCst)
    }

    #[test]
    fn a_busy_worker_looks_at_its_driver_unless_nothing_waits_there() {
        assert!(zero_waits_over_busy_polls(false) >= 5, "no periodic look");
        assert_eq!(
            zero_waits_over_busy_polls(true),
            0,
            "looked at a driver with nothing registered"
        );
    }
}
