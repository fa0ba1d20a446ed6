//! One workload, nine runtimes: the harness behind `benches/runtime.rs`.
//!
//! Each workload is written once, against [`Spawner`], and run on every [`Kind`]:
//! turtles (multi-threaded, current-thread, and `block_on` + `spawn_local`), tokio
//! (multi-threaded and current-thread), smol's `async-executor` (`Executor` on N threads
//! and `LocalExecutor`) and `futures-executor` (`ThreadPool` and `LocalPool`). A
//! workload is a future given to the runtime's own `block_on` ([`Bench::block_on`]):
//! on a multi-threaded runtime that thread only waits for the result, on a
//! single-threaded one it runs every task.
//!
//! The workloads live in [`tokio_shapes`] (tokio's own runtime benchmarks and
//! constants), [`smol_shapes`] (async-executor's) and [`timer_shapes`].

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

use std::{
    cell::RefCell,
    future::Future,
    pin::Pin,
    rc::Rc,
    sync::{
        atomic::{AtomicUsize, Ordering::AcqRel},
        Arc, Mutex,
    },
    task::{Context, Poll},
    thread,
    time::Duration,
};

use futures_channel::oneshot;
use futures_util::task::LocalSpawnExt;

pub mod smol_shapes;
pub mod timer_shapes;
pub mod tokio_shapes;

/// The runtimes under comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// turtles' multi-threaded runtime.
    Turtles,
    /// turtles' current-thread runtime (`Builder::current_thread`).
    TurtlesCurrent,
    /// `turtles::block_on` with `spawn_local`.
    TurtlesLocal,
    /// tokio's multi-threaded runtime.
    Tokio,
    /// tokio's current-thread runtime.
    TokioCurrent,
    /// smol's `async_executor::Executor`, one `run` loop per thread.
    Smol,
    /// smol's `async_executor::LocalExecutor` on the benchmark thread.
    SmolLocal,
    /// `futures-executor`'s `ThreadPool`.
    FuturesPool,
    /// `futures-executor`'s `LocalPool` on the benchmark thread.
    FuturesLocal,
}

impl Kind {
    /// Every runtime, in table order: the multi-threaded ones first.
    pub const ALL: [Kind; 9] = [
        Kind::Turtles,
        Kind::Tokio,
        Kind::Smol,
        Kind::FuturesPool,
        Kind::TurtlesCurrent,
        Kind::TurtlesLocal,
        Kind::TokioCurrent,
        Kind::SmolLocal,
        Kind::FuturesLocal,
    ];

    /// The name used in benchmark ids and tables.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Turtles => "turtles",
            Kind::TurtlesCurrent => "turtles-current",
            Kind::TurtlesLocal => "turtles-local",
            Kind::Tokio => "tokio",
            Kind::TokioCurrent => "tokio-current",
            Kind::Smol => "smol",
            Kind::SmolLocal => "smol-local",
            Kind::FuturesPool => "futures-pool",
            Kind::FuturesLocal => "futures-local",
        }
    }

    /// The kind named `name`, if any.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether its tasks run on worker threads (else on the thread in `block_on`).
    pub fn is_multi_threaded(self) -> bool {
        matches!(
            self,
            Kind::Turtles | Kind::Tokio | Kind::Smol | Kind::FuturesPool
        )
    }

    /// Whether tasks can be spawned outside `block_on` (`spawn_local` cannot).
    pub fn spawns_outside_block_on(self) -> bool {
        self != Kind::TurtlesLocal
    }

    /// Whether it has timers of its own (smol's live in another crate, futures has none).
    pub fn has_timers(self) -> bool {
        matches!(
            self,
            Kind::Turtles
                | Kind::TurtlesCurrent
                | Kind::TurtlesLocal
                | Kind::Tokio
                | Kind::TokioCurrent
        )
    }
}

thread_local! {
    /// The `LocalExecutor` of a `SmolLocal` bench on this thread.
    static SMOL_LOCAL: RefCell<Option<Rc<async_executor::LocalExecutor<'static>>>> =
        const { RefCell::new(None) };
    /// The spawner of a `FuturesLocal` bench on this thread.
    static FUTURES_LOCAL: RefCell<Option<futures_executor::LocalSpawner>> =
        const { RefCell::new(None) };
}

/// A running runtime of some kind; dropping it shuts it down.
#[allow(missing_debug_implementations)]
pub struct Bench {
    kind: Kind,
    spawner: Spawner,
    runtime: Runtime,
}

/// What a [`Bench`] owns, per kind.
enum Runtime {
    Turtles(turtles::Runtime),
    Tokio(tokio::runtime::Runtime),
    /// Held for its `Drop`, which stops the threads.
    Smol(#[allow(dead_code)] SmolThreads),
    SmolLocal(Rc<async_executor::LocalExecutor<'static>>),
    FuturesLocal(RefCell<futures_executor::LocalPool>),
    /// `turtles::block_on` and the `ThreadPool` (owned by its spawner) need nothing more.
    Nothing,
}

/// Stops smol's run loops when dropped: each loop runs until its oneshot is cancelled.
struct SmolThreads {
    stops: Vec<oneshot::Sender<()>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Drop for SmolThreads {
    fn drop(&mut self) {
        self.stops.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        // The thread-locals' clones go too, so that the executor itself is dropped.
        match self.kind {
            Kind::SmolLocal => drop(SMOL_LOCAL.with(|ex| ex.borrow_mut().take())),
            Kind::FuturesLocal => drop(FUTURES_LOCAL.with(|s| s.borrow_mut().take())),
            _ => {}
        }
    }
}

impl Bench {
    /// Starts a runtime of `kind`; the multi-threaded ones get `workers` threads.
    pub fn new(kind: Kind, workers: usize) -> Bench {
        let (spawner, runtime) = match kind {
            Kind::Turtles | Kind::TurtlesCurrent => {
                let builder = turtles::Runtime::builder();
                let builder = match kind {
                    Kind::Turtles => builder.worker_threads(workers),
                    _ => builder.current_thread(),
                };
                let rt = builder.build().expect("turtles starts");
                (Spawner::Turtles(rt.handle()), Runtime::Turtles(rt))
            }
            Kind::TurtlesLocal => (Spawner::TurtlesLocal, Runtime::Nothing),
            Kind::Tokio | Kind::TokioCurrent => {
                let mut builder = match kind {
                    Kind::Tokio => {
                        let mut b = tokio::runtime::Builder::new_multi_thread();
                        b.worker_threads(workers);
                        b
                    }
                    _ => tokio::runtime::Builder::new_current_thread(),
                };
                let rt = builder.enable_all().build().expect("tokio starts");
                (Spawner::Tokio(rt.handle().clone()), Runtime::Tokio(rt))
            }
            Kind::Smol => {
                let ex = Arc::new(async_executor::Executor::new());
                let mut smol = SmolThreads {
                    stops: Vec::new(),
                    threads: Vec::new(),
                };
                for _ in 0..workers {
                    let (stop, stopped) = oneshot::channel::<()>();
                    let ex = ex.clone();
                    smol.stops.push(stop);
                    smol.threads.push(thread::spawn(move || {
                        let _ = futures_lite::future::block_on(ex.run(stopped));
                    }));
                }
                (Spawner::Smol(ex), Runtime::Smol(smol))
            }
            Kind::SmolLocal => {
                let ex = Rc::new(async_executor::LocalExecutor::new());
                SMOL_LOCAL.with(|l| *l.borrow_mut() = Some(ex.clone()));
                (Spawner::SmolLocal, Runtime::SmolLocal(ex))
            }
            Kind::FuturesPool => {
                let pool = futures_executor::ThreadPool::builder()
                    .pool_size(workers)
                    .create()
                    .expect("pool starts");
                (Spawner::FuturesPool(pool), Runtime::Nothing)
            }
            Kind::FuturesLocal => {
                let pool = futures_executor::LocalPool::new();
                FUTURES_LOCAL.with(|l| *l.borrow_mut() = Some(pool.spawner()));
                (
                    Spawner::FuturesLocal,
                    Runtime::FuturesLocal(RefCell::new(pool)),
                )
            }
        };
        Bench {
            kind,
            spawner,
            runtime,
        }
    }

    /// Which runtime this is.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Spawns onto this runtime; cheap to clone into tasks.
    pub fn spawner(&self) -> Spawner {
        self.spawner.clone()
    }

    /// Runs `future` to completion with the runtime's own `block_on`.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        match &self.runtime {
            Runtime::Turtles(rt) => rt.block_on(future),
            Runtime::Nothing if self.kind == Kind::TurtlesLocal => turtles::block_on(future),
            Runtime::Tokio(rt) => rt.block_on(future),
            Runtime::Smol(_) | Runtime::Nothing => futures_lite::future::block_on(future),
            Runtime::SmolLocal(ex) => futures_lite::future::block_on(ex.run(future)),
            Runtime::FuturesLocal(pool) => pool.borrow_mut().run_until(future),
        }
    }

    /// One iteration of a workload: `shape` with this runtime's spawner, in `block_on`.
    pub fn run<Fut: Future<Output = ()>>(&self, shape: fn(Spawner) -> Fut) {
        self.block_on(shape(self.spawner()));
    }
}

/// Spawns onto whichever runtime it came from; `Send`, so it travels into tasks. The
/// single-threaded executors are found through a thread-local, since a task that holds
/// one runs on that same thread.
#[derive(Clone)]
#[allow(missing_debug_implementations)]
pub enum Spawner {
    /// `turtles::Handle::spawn` (multi-threaded and current-thread).
    Turtles(turtles::Handle),
    /// `turtles::spawn_local`.
    TurtlesLocal,
    /// `tokio::runtime::Handle::spawn` (multi-threaded and current-thread).
    Tokio(tokio::runtime::Handle),
    /// `async_executor::Executor::spawn`.
    Smol(Arc<async_executor::Executor<'static>>),
    /// `async_executor::LocalExecutor::spawn`, on this thread's executor.
    SmolLocal,
    /// `ThreadPool::spawn_ok`.
    FuturesPool(futures_executor::ThreadPool),
    /// `LocalSpawner::spawn_local`, on this thread's pool.
    FuturesLocal,
}

impl Spawner {
    /// Spawns a detached task.
    pub fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        match self {
            Spawner::Turtles(h) => h.spawn(future).detach(),
            Spawner::TurtlesLocal => turtles::spawn_local(future).detach(),
            Spawner::Tokio(h) => drop(h.spawn(future)),
            Spawner::Smol(ex) => ex.spawn(future).detach(),
            Spawner::SmolLocal => smol_local().spawn(future).detach(),
            Spawner::FuturesPool(pool) => pool.spawn_ok(future),
            Spawner::FuturesLocal => futures_local()
                .spawn_local(future)
                .expect("the LocalPool is alive"),
        }
    }

    /// Spawns a task and returns a handle to await its output. futures-executor has no
    /// join handles: its tasks send their output through a oneshot (one more allocation
    /// than the others pay).
    pub fn spawn_join<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
    ) -> Join<T> {
        match self {
            Spawner::Turtles(h) => Join::Turtles(h.spawn(future)),
            Spawner::TurtlesLocal => Join::Turtles(turtles::spawn_local(future)),
            Spawner::Tokio(h) => Join::Tokio(h.spawn(future)),
            Spawner::Smol(ex) => Join::Smol(ex.spawn(future)),
            Spawner::SmolLocal => Join::Smol(smol_local().spawn(future)),
            Spawner::FuturesPool(_) | Spawner::FuturesLocal => {
                let (tx, rx) = oneshot::channel();
                self.spawn(async move {
                    let _ = tx.send(future.await);
                });
                Join::Channel(rx)
            }
        }
    }

    /// This runtime's own `yield_now` (each has its own idea of fairness).
    pub async fn yield_now(&self) {
        match self {
            Spawner::Turtles(_) | Spawner::TurtlesLocal => turtles::task::yield_now().await,
            Spawner::Tokio(_) => tokio::task::yield_now().await,
            _ => futures_lite::future::yield_now().await,
        }
    }

    /// This runtime's own `sleep`, where it has one ([`Kind::has_timers`]).
    pub async fn sleep(&self, duration: Duration) {
        match self {
            Spawner::Turtles(_) | Spawner::TurtlesLocal => turtles::time::sleep(duration).await,
            Spawner::Tokio(_) => tokio::time::sleep(duration).await,
            _ => panic!("this runtime has no timers of its own"),
        }
    }

    /// `future`, or `None` if `duration` passes first, with this runtime's own timers.
    pub async fn timeout<F: Future>(&self, duration: Duration, future: F) -> Option<F::Output> {
        match self {
            Spawner::Turtles(_) | Spawner::TurtlesLocal => {
                turtles::time::timeout(duration, future).await.ok()
            }
            Spawner::Tokio(_) => tokio::time::timeout(duration, future).await.ok(),
            _ => panic!("this runtime has no timers of its own"),
        }
    }
}

fn smol_local() -> Rc<async_executor::LocalExecutor<'static>> {
    SMOL_LOCAL.with(|ex| {
        ex.borrow()
            .clone()
            .expect("a smol-local bench on this thread")
    })
}

fn futures_local() -> futures_executor::LocalSpawner {
    FUTURES_LOCAL.with(|s| {
        s.borrow()
            .clone()
            .expect("a futures-local bench on this thread")
    })
}

/// A spawned task's output, whichever runtime ran it.
#[allow(missing_debug_implementations)]
pub enum Join<T> {
    /// turtles' `JoinHandle`.
    Turtles(turtles::JoinHandle<T>),
    /// tokio's `JoinHandle`.
    Tokio(tokio::task::JoinHandle<T>),
    /// async-executor's `Task`.
    Smol(async_executor::Task<T>),
    /// The oneshot a futures-executor task sends its output through.
    Channel(oneshot::Receiver<T>),
}

impl<T> Future for Join<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.get_mut() {
            Join::Turtles(h) => Pin::new(h).poll(cx).map(|r| r.expect("the task finished")),
            Join::Tokio(h) => Pin::new(h).poll(cx).map(|r| r.expect("the task finished")),
            Join::Smol(t) => Pin::new(t).poll(cx),
            Join::Channel(rx) => Pin::new(rx).poll(cx).map(|r| r.expect("the task finished")),
        }
    }
}

/// The completion signal of a workload whose tasks are detached: the last one sends.
#[derive(Debug, Clone)]
pub struct Done(Arc<Mutex<Option<oneshot::Sender<()>>>>);

impl Done {
    /// The signal, and the receiver the workload awaits.
    pub fn new() -> (Done, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        (Done(Arc::new(Mutex::new(Some(tx)))), rx)
    }

    /// Signals that the workload finished.
    pub fn signal(&self) {
        if let Some(tx) = self.0.lock().expect("not poisoned").take() {
            let _ = tx.send(());
        }
    }
}

/// Counts down; the task that takes it to zero signals [`Done`].
#[derive(Debug, Clone)]
pub struct Countdown(Arc<(AtomicUsize, Done)>);

impl Countdown {
    /// A countdown from `n`, and the receiver that fires at zero.
    pub fn new(n: usize) -> (Countdown, oneshot::Receiver<()>) {
        let (done, rx) = Done::new();
        (Countdown(Arc::new((AtomicUsize::new(n), done))), rx)
    }

    /// One fewer; the last one signals.
    pub fn tick(&self) {
        if self.0 .0.fetch_sub(1, AcqRel) == 1 {
            self.0 .1.signal();
        }
    }
}

/// Awaits every handle in order.
pub async fn join_all<T>(handles: Vec<Join<T>>) {
    for h in handles {
        h.await;
    }
}
