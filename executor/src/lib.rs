//! The task half of turtles: an executor written in safe Rust, small enough to read.
//!
//! # What an executor is
//!
//! An executor is a queue of woken tasks and a loop that polls them. A task is a
//! future plus the bookkeeping to put it back in the queue: its [`Waker`]. Polling a
//! future runs it until its next unfinished `.await`, where it returns `Pending` after
//! handing its waker to whatever it waits for (a timer, a socket, another task). When
//! that thing is ready it calls `wake()`, the task goes back into the queue, and the
//! loop polls it again. That is all "async" is; the rest is doing it fast and safely.
//!
//! The smallest useful executor runs one future on the current thread:
//!
//! ```
//! use std::{future::Future, pin::pin, sync::{Arc, Condvar, Mutex}, task::{Context, Poll, Wake, Waker}};
//!
//! /// A waker that flips a flag and signals a condvar.
//! struct Signal { woken: Mutex<bool>, cv: Condvar }
//! impl Wake for Signal {
//!     fn wake(self: Arc<Self>) {
//!         *self.woken.lock().unwrap() = true;
//!         self.cv.notify_one();
//!     }
//! }
//!
//! fn tiny_block_on<F: Future>(future: F) -> F::Output {
//!     let signal = Arc::new(Signal { woken: Mutex::new(false), cv: Condvar::new() });
//!     let waker = Waker::from(signal.clone());
//!     let mut cx = Context::from_waker(&waker);
//!     let mut future = pin!(future);
//!     loop {
//!         if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
//!             return out;
//!         }
//!         let mut woken = signal.woken.lock().unwrap();
//!         while !*woken { woken = signal.cv.wait(woken).unwrap(); }
//!         *woken = false;
//!     }
//! }
//!
//! assert_eq!(tiny_block_on(async { 1 + 1 }), 2);
//! ```
//!
//! [`block_on`] is that loop made exact (no extra polls, no stolen wakes); a
//! [`Runtime`] is the same loop on N threads sharing queues.
//!
//! # Reading order
//!
//! The modules form layers: each file uses only files listed before it, so the crate
//! reads from top to bottom with nothing forward-referenced (`python3
//! tools/import_graph.py` checks it, and CI runs it).
//!
//! | file | idea |
//! |---|---|
//! | `shim.rs` | every sync primitive, swapped for loom's under `--cfg loom`; the injector queue |
//! | `state.rs` | the task state machine: one atomic word, one winner per race |
//! | `meta.rs` | who a task is: id, name, the line that spawned it |
//! | `awaiting.rs` | where a task waits: the user's line of its last `Pending` |
//! | `panic.rs` | panics caught, reported, never lost; containing user code |
//! | `metrics.rs` | counters: single-writer per worker, shared ones with `fetch_add` |
//! | `park.rs` | sleeping without missing a wake; the [`Driver`] seam to the reactor |
//! | `sleepers.rs` | which workers are idle, so a new task wakes exactly one |
//! | `join.rs` | `JoinHandle`, `JoinError`, and the exactly-once output slot |
//! | `header.rs` | what every task has, and the one path by which every task ends |
//! | `task.rs` | a `Send` task, its waker, and the `Schedule` trait it runs through |
//! | `registry.rs` | every live task, so shutdown can finish them all |
//! | `watch.rs` | what each worker polls right now, visible without a lock: the watchdog's eyes |
//! | `blocking.rs` | `spawn_blocking`'s pool: threads for work that would block a worker |
//! | `run_queue.rs` | a worker's own queue, its inbox for pushes made during a poll, and the thread-local that finds them |
//! | `scheduler.rs` | the multi-threaded scheduler: where a woken task goes; the driver role and its patrol; spawning; shutdown |
//! | `handle.rs` | [`Handle`]: the runtime's shared state, cloneable, for spawning anywhere |
//! | `watchdog.rs` | the thread that reports a poll blocking its worker ([`StallReport`]) and hands on a driver role left vacant behind one |
//! | `context.rs` | which runtime this thread spawns onto; refusing to block where it would deadlock |
//! | `worker.rs` | the worker loop: pop, poll, park; sharing a driver turn's work; handing the driver role on (without a watchdog) |
//! | `local.rs` | `spawn_local`: `!Send` tasks in a thread-owned slab |
//! | `block_on.rs` | run one future on this thread |
//! | `current_thread.rs` | the current-thread runtime: the thread inside `block_on` is its only worker |
//! | `spawn.rs` | [`spawn`], [`spawn_local`], [`TaskBuilder`] |
//! | `join_set.rs` | [`JoinSet`]: many tasks, joined in the order they finish |
//! | `yield_now.rs` | wake yourself, return `Pending` once |
//! | `future/` | combinators that run futures side by side in one task: `join!`, `try_join!`, `join_all`, `select`, `race`, `poll_fn` (runtime-agnostic) |
//! | `sync/` | async channels, locks and signals: state plus parked wakers (runtime-agnostic); its own table inside |
//! | `runtime.rs` | [`Runtime`] and its [`Builder`]: threads, hooks, shutdown |
//!
//! [`Waker`]: std::task::Waker

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

mod shim;
mod state;
mod meta;
mod awaiting;
mod panic;
mod metrics;
mod park;
mod sleepers;
mod join;
mod header;
mod task;
mod registry;
mod watch;
mod blocking;
mod run_queue;
mod scheduler;
mod handle;
mod watchdog;
mod context;
mod worker;
mod local;
mod block_on;
mod current_thread;
mod spawn;
mod join_set;
mod yield_now;
pub mod future;
pub mod sync;
mod runtime;

pub use awaiting::record_awaiting;
pub use block_on::{block_on, block_on_with};
pub use context::CurrentHandle;
pub use handle::Handle;
pub use join::{AbortHandle, JoinError, JoinHandle};
pub use join_set::JoinSet;
pub use metrics::Metrics;
pub use panic::PanicReport;
pub use park::Driver;
pub use runtime::{Builder, Runtime};
pub use spawn::{spawn, spawn_blocking, spawn_local, Builder as TaskBuilder};
pub use watchdog::StallReport;
pub use yield_now::{yield_now, YieldNow};

/// Internals that the loom models in `loom-tests/` check directly; only built under
/// `--cfg loom`, so they are no part of the public API.
#[cfg(loom)]
#[doc(hidden)]
pub mod loom_exports {
    pub use crate::state::{AfterPending, OnStart, OnWake, State};
}
