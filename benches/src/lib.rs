//! One workload, four runtimes: the harness behind `benches/runtime.rs`.
//!
//! Each benchmark shape is written once, against [`Spawner`], and run on turtles,
//! tokio (multi-threaded), smol's `async-executor` and `futures-executor`'s thread
//! pool, all with the same number of worker threads. Completion is signalled through
//! a std channel that the benchmark thread blocks on, so no runtime's `block_on`
//! is part of the measurement, and the futures-channel oneshot is the same on all.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

use std::{
    future::Future,
    sync::{
        atomic::{AtomicUsize, Ordering::AcqRel},
        mpsc, Arc,
    },
    thread,
};

/// The runtimes under comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// This project.
    Turtles,
    /// tokio's multi-threaded runtime.
    Tokio,
    /// smol's executor (`async-executor`), one `run` loop per thread.
    Smol,
    /// `futures-executor`'s `ThreadPool`.
    FuturesExecutor,
}

impl Kind {
    /// All of them, in table order.
    pub const ALL: [Kind; 4] = [
        Kind::Turtles,
        Kind::Tokio,
        Kind::Smol,
        Kind::FuturesExecutor,
    ];

    /// The name used in benchmark ids.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Turtles => "turtles",
            Kind::Tokio => "tokio",
            Kind::Smol => "smol",
            Kind::FuturesExecutor => "futures-executor",
        }
    }
}

/// A running runtime of some kind; dropping it shuts it down.
#[allow(missing_debug_implementations)]
pub struct Bench {
    spawner: Spawner,
    _keep: Keep,
}

#[allow(dead_code)]
enum Keep {
    Turtles(turtles::Runtime),
    Tokio(tokio::runtime::Runtime),
    Smol(SmolThreads),
    None,
}

/// Stops smol's run loops when dropped: each loop runs until its oneshot is cancelled.
struct SmolThreads {
    stops: Vec<futures_channel::oneshot::Sender<()>>,
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

/// Spawns onto whichever runtime it came from; cheap to clone into tasks.
#[derive(Clone)]
#[allow(missing_debug_implementations)]
pub enum Spawner {
    /// `turtles::Handle::spawn`.
    Turtles(turtles::Handle),
    /// `tokio::runtime::Handle::spawn`.
    Tokio(tokio::runtime::Handle),
    /// `async_executor::Executor::spawn`.
    Smol(Arc<async_executor::Executor<'static>>),
    /// `ThreadPool::spawn_ok`.
    FuturesExecutor(futures_executor::ThreadPool),
}

impl Spawner {
    /// Spawns a detached task.
    pub fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        match self {
            Spawner::Turtles(h) => h.spawn(future).detach(),
            Spawner::Tokio(h) => drop(h.spawn(future)),
            Spawner::Smol(ex) => ex.spawn(future).detach(),
            Spawner::FuturesExecutor(pool) => pool.spawn_ok(future),
        }
    }

    /// This runtime's own `yield_now` (each has its own idea of fairness).
    pub async fn yield_now(&self) {
        match self {
            Spawner::Turtles(_) => turtles::task::yield_now().await,
            Spawner::Tokio(_) => tokio::task::yield_now().await,
            Spawner::Smol(_) | Spawner::FuturesExecutor(_) => {
                futures_lite::future::yield_now().await
            }
        }
    }
}

impl Bench {
    /// Starts a runtime of `kind` with `workers` threads.
    pub fn new(kind: Kind, workers: usize) -> Bench {
        match kind {
            Kind::Turtles => {
                let rt = turtles::Runtime::builder()
                    .worker_threads(workers)
                    .build()
                    .expect("turtles starts");
                Bench {
                    spawner: Spawner::Turtles(rt.handle()),
                    _keep: Keep::Turtles(rt),
                }
            }
            Kind::Tokio => {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(workers)
                    .enable_all()
                    .build()
                    .expect("tokio starts");
                Bench {
                    spawner: Spawner::Tokio(rt.handle().clone()),
                    _keep: Keep::Tokio(rt),
                }
            }
            Kind::Smol => {
                let ex = Arc::new(async_executor::Executor::new());
                let mut smol = SmolThreads {
                    stops: Vec::new(),
                    threads: Vec::new(),
                };
                for _ in 0..workers {
                    let (stop, stopped) = futures_channel::oneshot::channel::<()>();
                    let ex = ex.clone();
                    smol.stops.push(stop);
                    smol.threads.push(thread::spawn(move || {
                        let _ = futures_lite::future::block_on(ex.run(stopped));
                    }));
                }
                Bench {
                    spawner: Spawner::Smol(ex),
                    _keep: Keep::Smol(smol),
                }
            }
            Kind::FuturesExecutor => {
                let pool = futures_executor::ThreadPool::builder()
                    .pool_size(workers)
                    .create()
                    .expect("pool starts");
                Bench {
                    spawner: Spawner::FuturesExecutor(pool),
                    _keep: Keep::None,
                }
            }
        }
    }

    /// Runs `root` as a task and blocks this thread until it signals completion.
    pub fn run<F, Fut>(&self, root: F)
    where
        F: FnOnce(Spawner, Done) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        self.spawner.spawn(root(self.spawner.clone(), Done(tx)));
        rx.recv().expect("the benchmark signals completion");
    }
}

/// Completion signal handed to a benchmark's root task.
#[derive(Debug, Clone)]
pub struct Done(mpsc::SyncSender<()>);

impl Done {
    /// Signals that the benchmark iteration finished.
    pub fn signal(&self) {
        let _ = self.0.send(());
    }
}

/// Counts down; the task that takes it to zero signals `done`.
#[derive(Debug, Clone)]
pub struct Countdown(Arc<AtomicUsize>, Done);

impl Countdown {
    /// A countdown from `n`.
    pub fn new(n: usize, done: Done) -> Self {
        Countdown(Arc::new(AtomicUsize::new(n)), done)
    }

    /// One fewer; the last one signals.
    pub fn tick(&self) {
        if self.0.fetch_sub(1, AcqRel) == 1 {
            self.1.signal();
        }
    }
}

/// The benchmark shapes, each the root task of one iteration (after tokio's own
/// runtime benchmarks). Shared by `benches/runtime.rs` and `examples/profile.rs`.
pub mod shapes {
    use futures_channel::oneshot;

    use super::{Countdown, Done, Spawner};

    /// Tasks spawned by `spawn_many`.
    pub const SPAWN: usize = 10_000;
    /// Tasks in `yield_many`.
    pub const YIELD_TASKS: usize = 200;
    /// Yields each of the [`YIELD_TASKS`] tasks makes in `yield_many`.
    pub const YIELDS: usize = 1_000;
    /// Pairs in `ping_pong`.
    pub const PINGS: usize = 1_000;
    /// Length of the `chained_spawn` chain.
    pub const CHAIN: usize = 1_000;

    /// One task spawns [`SPAWN`] tasks that each count down once.
    pub async fn spawn_many(spawner: Spawner, done: Done) {
        let countdown = Countdown::new(SPAWN, done);
        for _ in 0..SPAWN {
            let countdown = countdown.clone();
            spawner.spawn(async move { countdown.tick() });
        }
    }

    /// [`YIELD_TASKS`] tasks each yield [`YIELDS`] times.
    pub async fn yield_many(spawner: Spawner, done: Done) {
        let countdown = Countdown::new(YIELD_TASKS, done);
        for _ in 0..YIELD_TASKS {
            let (countdown, s) = (countdown.clone(), spawner.clone());
            spawner.spawn(async move {
                for _ in 0..YIELDS {
                    s.yield_now().await;
                }
                countdown.tick();
            });
        }
    }

    /// [`PINGS`] pairs of tasks each bounce a message through two oneshots.
    pub async fn ping_pong(spawner: Spawner, done: Done) {
        let countdown = Countdown::new(PINGS, done);
        for _ in 0..PINGS {
            let (countdown, s) = (countdown.clone(), spawner.clone());
            spawner.spawn(async move {
                let (ping_tx, ping_rx) = oneshot::channel::<()>();
                let (pong_tx, pong_rx) = oneshot::channel::<()>();
                s.spawn(async move {
                    ping_rx.await.expect("ping arrives");
                    pong_tx.send(()).expect("pong is awaited");
                });
                ping_tx.send(()).expect("ping is awaited");
                pong_rx.await.expect("pong arrives");
                countdown.tick();
            });
        }
    }

    /// A chain of [`CHAIN`] tasks, each spawning the next.
    pub async fn chained_spawn(spawner: Spawner, done: Done) {
        chain(spawner, CHAIN, Countdown::new(1, done))
    }

    fn chain(spawner: Spawner, left: usize, countdown: Countdown) {
        if left == 0 {
            return countdown.tick();
        }
        let next = spawner.clone();
        spawner.spawn(async move { chain(next, left - 1, countdown) });
    }
}
