//! The one door through which every synchronisation primitive enters the executor.
//!
//! Under `--cfg loom` this module swaps in loom's mutexes, condvars, atomics, threads
//! and thread-locals, so that the loom models in `loom-tests/` explore every
//! interleaving of the real executor code, not of a copy of it. Every primitive that
//! takes part in a synchronisation protocol comes from here.
//!
//! What deliberately does not, written down here so nobody "fixes" it:
//!
//! * [`Arc`] is always `std::sync::Arc`. A task is shared as `Arc<Task<F, S>>` *and* as
//!   `Arc<dyn Runnable>`, and safe code can only make that unsizing coercion with the
//!   standard `Arc` (loom's mock cannot be coerced). Wakers also need a standard `Arc`.
//!   To keep loom's leak checker in the game, every task carries a [`LeakTracker`]: under
//!   loom it is a loom `Arc<()>`, so a leaked task is a leaked loom object and fails the
//!   model; otherwise it is a zero-sized nothing.
//! * [`Counter`] (metrics, task ids in `meta.rs`) is always a std atomic: counters order
//!   nothing, and letting loom branch on every `polls += 1` would only multiply the
//!   states it explores.
//! * `JoinError` keeps a panic payload in a `std::sync::Mutex` only to make it `Sync`;
//!   it is never contended and guards no protocol.
//! * `std::thread::available_parallelism` is a query, not a primitive.

pub(crate) use std::sync::Arc;

#[cfg(not(loom))]
pub(crate) use std::{
    sync::{
        atomic::{fence, AtomicBool, AtomicU32, AtomicUsize, Ordering},
        Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
    },
    thread, thread_local,
};

#[cfg(loom)]
pub(crate) use loom::{
    sync::{
        atomic::{fence, AtomicBool, AtomicU32, AtomicUsize, Ordering},
        Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
    },
    thread, thread_local,
};

/// A statistics counter: never part of a synchronisation protocol (see the module docs).
pub(crate) type Counter = std::sync::atomic::AtomicU64;

/// Locks a mutex, ignoring poisoning.
///
/// No executor lock is held while user code runs (a poll, a `Drop`, a waker), so a
/// poisoned lock can only mean a bug in turtles itself; the data is still consistent
/// because every critical section is a few plain assignments.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Read-locks an `RwLock`, ignoring poisoning (`sync::watch` keeps its value in one; a
/// closure passed to `send_modify` that panics poisons it, and the value it left is
/// what the channel holds, as in tokio).
pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Write-locks an `RwLock`, ignoring poisoning (see [`read`]).
pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A marker that makes loom's leak checker see leaked tasks (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct LeakTracker {
    #[cfg(loom)]
    _tracked: loom::sync::Arc<()>,
}

impl LeakTracker {
    pub(crate) fn new() -> Self {
        Self::default()
    }
}

/// The injector channel: a multi-producer multi-consumer FIFO that can be closed.
///
/// Normally this is crossbeam-channel; loom cannot see inside crossbeam, so under loom
/// it is a `Mutex<VecDeque>` with the same three operations. Closing discards what is
/// queued and makes later sends hand their message back, which is how shutdown makes
/// sure a task woken by a stray waker after the runtime is gone is dropped at once
/// instead of sitting in a dead queue forever.
pub(crate) mod channel {
    #[cfg(not(loom))]
    pub(crate) use crossbeam_real::Injector;
    #[cfg(loom)]
    pub(crate) use loom_stand_in::Injector;

    #[cfg(not(loom))]
    mod crossbeam_real {
        use super::super::{AtomicBool, Ordering::SeqCst};

        #[derive(Debug)]
        pub(crate) struct Injector<T> {
            tx: crossbeam_channel::Sender<T>,
            rx: crossbeam_channel::Receiver<T>,
            closed: AtomicBool,
        }

        impl<T> Injector<T> {
            pub(crate) fn new() -> Self {
                let (tx, rx) = crossbeam_channel::unbounded();
                Self {
                    tx,
                    rx,
                    closed: AtomicBool::new(false),
                }
            }

            /// Queues `value`; after `close` the value is dropped instead.
            pub(crate) fn send(&self, value: T) {
                self.tx
                    .send(value)
                    .expect("the channel owns its receiver, so it cannot be disconnected");
                // Closing and sending race: `close` sets the flag, then drains. If this
                // load still sees `false`, the drain comes later and takes our value;
                // if it sees `true`, the drain may have missed us, so drain ourselves.
                if self.closed.load(SeqCst) {
                    self.drain();
                }
            }

            pub(crate) fn recv(&self) -> Option<T> {
                self.rx.try_recv().ok()
            }

            pub(crate) fn is_empty(&self) -> bool {
                self.rx.is_empty()
            }

            pub(crate) fn len(&self) -> usize {
                self.rx.len()
            }

            pub(crate) fn close(&self) {
                self.closed.store(true, SeqCst);
                self.drain();
            }

            fn drain(&self) {
                while self.rx.try_recv().is_ok() {}
            }
        }
    }

    #[cfg(loom)]
    mod loom_stand_in {
        use super::super::{lock, Mutex};
        use std::collections::VecDeque;

        #[derive(Debug)]
        struct State<T> {
            queue: VecDeque<T>,
            closed: bool,
        }

        #[derive(Debug)]
        pub(crate) struct Injector<T> {
            state: Mutex<State<T>>,
        }

        impl<T> Injector<T> {
            pub(crate) fn new() -> Self {
                Self {
                    state: Mutex::new(State {
                        queue: VecDeque::new(),
                        closed: false,
                    }),
                }
            }

            pub(crate) fn send(&self, value: T) {
                let mut state = lock(&self.state);
                if state.closed {
                    drop(state);
                    drop(value); // outside the lock: dropping a task may run user code
                } else {
                    state.queue.push_back(value);
                }
            }

            pub(crate) fn recv(&self) -> Option<T> {
                lock(&self.state).queue.pop_front()
            }

            pub(crate) fn is_empty(&self) -> bool {
                lock(&self.state).queue.is_empty()
            }

            pub(crate) fn len(&self) -> usize {
                lock(&self.state).queue.len()
            }

            pub(crate) fn close(&self) {
                let drained: Vec<T> = {
                    let mut state = lock(&self.state);
                    state.closed = true;
                    state.queue.drain(..).collect()
                };
                drop(drained);
            }
        }
    }
}
