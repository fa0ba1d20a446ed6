//! The reactor's door to synchronisation primitives: std normally, loom under `--cfg loom`.
//!
//! Only the bookkeeping that loom models check ([`Readiness`](crate::readiness) and
//! [`Timers`](crate::timers)) goes through here; the mio event loop itself cannot run
//! under loom and uses std directly.

pub(crate) use std::sync::Arc;

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Mutex, MutexGuard,
};

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{AtomicUsize, Ordering},
    Mutex, MutexGuard,
};

/// Locks a mutex, ignoring poisoning: no user code runs while a reactor lock is held
/// (wakers are always woken after the lock is released).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
