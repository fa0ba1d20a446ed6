//! Async synchronisation: channels, locks and signals between tasks.
//!
//! Lesson: every primitive here is a piece of state behind a short-lived `std` mutex,
//! plus the wakers of the tasks waiting for that state to change. A task that cannot
//! go on leaves its waker and returns `Pending`, so its thread is free to run other
//! tasks; whoever changes the state wakes the right waiters. That is the whole trick,
//! and it needs nothing from the executor: these types only store and wake `Waker`s,
//! so they work under any executor (tokio's, `futures::executor::block_on`, turtles').
//!
//! Read `line.rs` first (the waiting line and its three rules), then the primitives
//! from the simplest up:
//!
//! | file | idea |
//! |---|---|
//! | `line.rs` | waiters in arrival order; serving is leaving; a cancelled waiter passes its turn on |
//! | `notify.rs` | [`Notify`]: a wake-up with no data; a permit when nobody waits yet |
//! | `oneshot.rs` | [`oneshot`]: one value, one slot, one waker per side |
//! | `semaphore.rs` | [`Semaphore`]: permits and a fair line |
//! | `mutex.rs` | [`Mutex`]: a semaphore of one, and the value it guards |
//! | `rwlock.rs` | [`RwLock`]: readers take one permit, writers take them all |
//! | `barrier.rs` | [`Barrier`]: `n` arrivals release a round |
//! | `mpsc.rs` | [`mpsc`]: a queue; room for a bounded one is a semaphore |
//! | `broadcast.rs` | [`broadcast`]: a ring every receiver reads; `Lagged` for the slow |
//! | `watch.rs` | [`watch`]: one value and a version; only the latest matters |
//!
//! Names and semantics follow `tokio::sync`, so code moves between the two by its
//! imports. One difference to know: none of these guards or futures borrow through
//! `unsafe`; where tokio lends `&mut T` out of an `UnsafeCell`, turtles' `Mutex` moves
//! the value into the guard and back (`mutex.rs`), and its `RwLock` shares it through an
//! `Arc` (`rwlock.rs`).
//!
//! # Examples
//!
//! ```
//! use turtles_executor::sync::{mpsc, oneshot};
//!
//! let rt = turtles_executor::Runtime::new().unwrap();
//! // A tiny actor: requests come over mpsc, each answered over its own oneshot.
//! let (requests, mut inbox) = mpsc::channel::<(u32, oneshot::Sender<u32>)>(8);
//! rt.spawn(async move {
//!     while let Some((n, reply)) = inbox.recv().await {
//!         let _ = reply.send(n * 2);
//!     }
//! })
//! .detach();
//! let doubled = rt.block_on(async {
//!     let (tx, rx) = oneshot::channel();
//!     requests.send((21, tx)).await.unwrap();
//!     rx.await.unwrap()
//! });
//! assert_eq!(doubled, 42);
//! ```

mod line;

mod notify;
pub mod oneshot;
mod semaphore;
mod mutex;
mod rwlock;
mod barrier;
pub mod mpsc;
pub mod broadcast;
pub mod watch;

pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use mutex::{Mutex, MutexGuard, OwnedMutexGuard, TryLockError};
pub use notify::{Notified, Notify};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{
    Acquire, AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};
