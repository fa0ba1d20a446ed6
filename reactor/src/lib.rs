//! The I/O half of turtles: a reactor that turns kernel events into `Waker::wake` calls.
//!
//! # What a reactor is
//!
//! A reactor is a table of "who is waiting for what" plus one system call that sleeps
//! until any of it happens. A task that reads a socket with no data does not block a
//! thread: it stores its `Waker` in the table and returns `Pending`. Some idle thread
//! sleeps in `epoll_wait` for *all* sockets and timers at once; when the kernel says
//! "socket 7 is readable", the reactor looks up entry 7 and calls its waker. That is
//! how thousands of connections are served by two threads.
//!
//! This crate knows nothing about tasks or executors — it only stores and wakes
//! `Waker`s. [`drive`] shows the smallest loop that uses it:
//!
//! ```
//! use std::time::{Duration, Instant};
//!
//! let start = Instant::now();
//! turtles_reactor::drive(turtles_reactor::time::sleep(Duration::from_millis(10)));
//! assert!(start.elapsed() >= Duration::from_millis(10));
//! ```
//!
//! # Map of the crate
//!
//! Files in reading order: each uses only files listed before it.
//!
//! | file | idea |
//! |---|---|
//! | `shim.rs` | the sync primitives loom checks, swapped for loom's under `--cfg loom` |
//! | `wake.rs` | waking a user's `Waker` without letting its panic take the reactor down |
//! | `awaiting.rs` | telling whoever runs a task the user's line where it waits |
//! | `readiness.rs` | one source's readiness and wakers; the lost-event race, solved |
//! | `sources.rs` | the token → source table, with generations against stale events |
//! | `timers.rs` | deadlines in order, each with a waker |
//! | `backup.rs` | the thread that drives the reactor when no turtles thread does |
//! | `poller.rs` | the poller's seat: one thread polls, the others stand by and take over |
//! | `reactor.rs` | the mio `Poll`, who polls it, and the event → waker dispatch |
//! | `registration.rs` | a socket attached to the reactor; the try / `WouldBlock` / wait loop |
//! | `net/` | `TcpListener`, `TcpStream`, `UdpSocket`, `UnixListener`, `UnixStream`, split halves |
//! | `time/` | `sleep`, `timeout`, `interval` |
//! | `signal.rs` | `ctrl_c`: a signal handler's self-pipe, watched like a socket |
//! | `drive.rs` | the smallest event loop: one future, this thread, the reactor |

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

mod shim;
mod wake;
mod awaiting;
mod readiness;
mod sources;
mod timers;
mod backup;
mod poller;
mod reactor;
mod registration;
pub mod net;
pub mod time;
pub mod signal;
mod drive;

pub use awaiting::{awaiting_hook, set_awaiting_hook, AwaitingHook};
pub use drive::drive;
pub use reactor::{AttachedDriver, Reactor, ReactorMetrics};

/// Internals that the loom models in `loom-tests/` check directly; only built under
/// `--cfg loom`, so they are no part of the public API.
#[cfg(loom)]
#[doc(hidden)]
pub mod loom_exports {
    pub use crate::poller::PollerSeat;
    pub use crate::readiness::{Direction, Readiness, ReadyEvent, READABLE, WRITABLE};
    pub use crate::sources::Sources;
    pub use crate::timers::{TimerKey, Timers};
}
