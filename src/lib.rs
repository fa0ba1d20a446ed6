//! # turtles: async all the way down
//!
//! A small async runtime written from scratch in safe Rust — executor, reactor,
//! wakers — small enough to read in an evening. The lessons it is built to teach:
//!
//! * `async fn` compiles to a state machine that runs until its first unfinished
//!   `.await`, then returns `Pending`; it is polled again only after its `Waker` fires.
//! * An `.await` frees the thread, and I/O waits hold none: a waiting socket is a
//!   `Waker` in the reactor's table.
//! * Blocking on async work from an executor thread deadlocks; turtles refuses nested
//!   `block_on` with a message instead.
//! * A panic in a task nobody awaits is reported, never lost.
//! * Dropping a future cancels it.
//!
//! ```
//! use std::time::Duration;
//!
//! turtles::block_on(async {
//!     let listener = turtles::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     let server = turtles::spawn(async move {
//!         let (mut socket, _) = listener.accept().await.unwrap();
//!         let mut buf = [0; 5];
//!         socket.read_exact(&mut buf).await.unwrap();
//!         socket.write_all(&buf).await.unwrap(); // echo
//!     });
//!     let mut client = turtles::net::TcpStream::connect(addr).await.unwrap();
//!     client.write_all(b"hello").await.unwrap();
//!     let mut buf = [0; 5];
//!     client.read_exact(&mut buf).await.unwrap();
//!     assert_eq!(&buf, b"hello");
//!     server.await.unwrap();
//!     turtles::time::sleep(Duration::from_millis(1)).await;
//! });
//! ```
//!
//! The code lives in three crates: `turtles-executor` (tasks, queues, workers),
//! `turtles-reactor` (mio, timers, sockets) and this facade, which plugs the reactor into
//! the executor (`driver.rs`), wraps the executor's `Runtime` and `Builder` so that every
//! runtime and `block_on` drives the reactor (`runtime.rs`), and re-exports the rest.
//! Start reading at `ARCHITECTURE.md`.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

pub mod compat;
mod driver;
pub mod io;
mod runtime;

pub use runtime::{block_on, Builder, Runtime};
pub use turtles_executor::{
    future, join, spawn, spawn_blocking, spawn_local, try_join, Handle, JoinError, JoinHandle,
    Metrics, PanicReport, StallReport,
};
pub use turtles_macros::{main, test};

/// Tasks: spawning, naming, joining, yielding.
///
/// A task is a future handed to a runtime: the runtime polls it whenever it is woken,
/// on whichever thread is free, until it finishes. [`spawn`] returns a [`JoinHandle`]
/// to await its output; dropping the handle lets the task run on, detached.
///
/// # Examples
///
/// ```
/// let out = turtles::block_on(async {
///     let worker = turtles::task::Builder::new().name("worker").spawn(async {
///         turtles::task::yield_now().await; // let others run once
///         21 * 2
///     });
///     worker.await.unwrap()
/// });
/// assert_eq!(out, 42);
/// ```
pub mod task {
    pub use turtles_executor::{
        spawn, spawn_blocking, spawn_local, yield_now, AbortHandle, JoinError, JoinHandle, JoinSet,
        TaskBuilder as Builder, YieldNow,
    };
}
pub use turtles_executor::sync;
pub use turtles_reactor::{net, signal, time, ReactorMetrics};

/// Counters of the process-wide reactor: pending timers, registered sockets, turns.
///
/// # Errors
///
/// If the reactor could not be started.
///
/// # Examples
///
/// ```
/// let before = turtles::reactor_metrics().unwrap().timer_entries();
/// turtles::block_on(async {
///     let t = turtles::time::timeout(std::time::Duration::from_secs(60), std::future::pending::<()>());
///     drop(t); // never polled, never registered
/// });
/// assert_eq!(turtles::reactor_metrics().unwrap().timer_entries(), before);
/// ```
pub fn reactor_metrics() -> std::io::Result<ReactorMetrics> {
    Ok(turtles_reactor::Reactor::global()?.metrics())
}

/// The README's code blocks, compiled and run by `cargo test` so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
