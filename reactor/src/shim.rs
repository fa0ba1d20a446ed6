//! The reactor's door to synchronisation primitives: std normally, loom under `--cfg loom`.
//!
//! Only the bookkeeping that loom models check — readiness (`readiness.rs`), timers
//! (`timers.rs`) and the poller's seat (`poller.rs`) — goes through here; mio itself
//! cannot run under loom.

pub(crate) use std::sync::Arc;

/// loom's `try_lock` returns std's error type.
pub(crate) use std::sync::TryLockError;

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{AtomicBool, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{AtomicBool, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};

/// Locks a mutex, ignoring poisoning: no user code but a waker's `clone` runs while a
/// reactor lock is held
/// (wakers are always woken after the lock is released).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
