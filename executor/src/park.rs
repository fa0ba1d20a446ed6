//! Parking: how an idle thread sleeps without burning CPU and without missing a wake.
//!
//! Lesson: "no lost wake-up" (DESIGN.md invariant 2) is decided here. A thread that
//! finds nothing to do announces that it is about to sleep *before* it sleeps; an
//! `unpark` that arrives in between is remembered ([`NOTIFIED`]) and makes the next
//! `park` return at once. A thread never sleeps through a wake.
//!
//! A parked thread sleeps in one of two places:
//! * on its own condition variable, or
//! * inside the [`Driver`] — the reactor's `epoll_wait` — so that an idle thread is
//!   also the thread that waits for I/O and timers. Then `unpark` must interrupt the
//!   driver instead of signalling the condvar, which is why the parker remembers *where*
//!   it sleeps.
//!
//! Each parker has its own condvar rather than using `std::thread::park`, so that a
//! future which calls `thread::park`/`unpark` itself can never steal the executor's wake.

use std::time::Duration;

use crate::sync::{lock, Arc, AtomicUsize, Condvar, Mutex, Ordering::SeqCst};

/// What an idle executor thread blocks in when it may wait for I/O and timers too.
///
/// The executor knows nothing about I/O: the facade crate implements this trait for the
/// reactor, and any thread that runs out of work calls [`try_park`](Driver::try_park)
/// instead of simply sleeping.
///
/// # Examples
///
/// A driver with no I/O at all: it just sleeps for the timeout.
///
/// ```
/// use std::{sync::{Arc, Condvar, Mutex}, time::Duration};
/// use turtles_executor::Driver;
///
/// #[derive(Default)]
/// struct Sleeper { woken: Mutex<bool>, cv: Condvar }
///
/// impl Driver for Sleeper {
///     fn try_park(&self, timeout: Option<Duration>) -> bool {
///         let woken = self.woken.lock().unwrap();
///         let mut woken = match timeout {
///             Some(t) => self.cv.wait_timeout_while(woken, t, |w| !*w).unwrap().0,
///             None => self.cv.wait_while(woken, |w| !*w).unwrap(),
///         };
///         *woken = false;
///         true
///     }
///     fn unpark(&self) {
///         *self.woken.lock().unwrap() = true;
///         self.cv.notify_all();
///     }
/// }
///
/// let rt = turtles_executor::Runtime::builder()
///     .driver(Arc::new(Sleeper::default()))
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
/// ```
pub trait Driver: Send + Sync + 'static {
    /// Blocks the calling thread until an I/O event or timer fires, `timeout` passes, or
    /// [`unpark`](Driver::unpark) is called, and wakes the `Waker`s of whatever became
    /// ready. May return early. Returns `false` at once, without blocking, if another
    /// thread is driving right now.
    fn try_park(&self, timeout: Option<Duration>) -> bool;

    /// Makes the thread blocked in `try_park` return soon. If no thread is blocked, the
    /// next `try_park` returns at once.
    fn unpark(&self);
}

/// Nothing to report: awake, or about to check for work.
const EMPTY: usize = 0;
/// Sleeping on the condvar: `unpark` must signal it.
const PARKED_CONDVAR: usize = 1;
/// Sleeping in the driver: `unpark` must interrupt the driver.
const PARKED_DRIVER: usize = 2;
/// An `unpark` arrived while awake: the next `park` consumes it and returns at once.
const NOTIFIED: usize = 3;

/// One sleeping place per thread; `unpark` may be called from anywhere.
#[derive(Debug)]
pub(crate) struct Parker {
    state: AtomicUsize,
    lock: Mutex<()>,
    condvar: Condvar,
    driver: Option<Arc<dyn Driver>>,
}

impl std::fmt::Debug for dyn Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Driver")
    }
}

impl Parker {
    pub(crate) fn new(driver: Option<Arc<dyn Driver>>) -> Self {
        Parker { state: AtomicUsize::new(EMPTY), lock: Mutex::new(()), condvar: Condvar::new(), driver }
    }

    pub(crate) fn driver(&self) -> Option<&Arc<dyn Driver>> {
        self.driver.as_ref()
    }

    /// Sleeps inside the driver. Returns `false` (after consuming any notification)
    /// if another thread was already driving; the caller then sleeps on the condvar.
    pub(crate) fn park_in_driver(&self, timeout: Option<Duration>) -> bool {
        let driver = self.driver.as_ref().expect("park_in_driver needs a parker with a driver");
        if self.state.compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst).is_err() {
            self.state.swap(EMPTY, SeqCst); // NOTIFIED --> EMPTY: the wake came first
            return true;
        }
        let drove = driver.try_park(timeout);
        // PARKED_DRIVER or NOTIFIED --> EMPTY. An unpark that raced us has already
        // interrupted the driver (or will make its next try_park return at once).
        let was_notified = self.state.swap(EMPTY, SeqCst) == NOTIFIED;
        drove || was_notified
    }

    /// Sleeps on the condvar until `unpark` or the timeout.
    pub(crate) fn park_timeout(&self, timeout: Option<Duration>) {
        if self.state.compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst).is_ok() {
            return; // fast path: a wake is waiting for us
        }
        let mut guard = lock(&self.lock);
        if self.state.compare_exchange(EMPTY, PARKED_CONDVAR, SeqCst, SeqCst).is_err() {
            self.state.swap(EMPTY, SeqCst); // NOTIFIED --> EMPTY
            return;
        }
        loop {
            guard = match timeout {
                None => self.condvar.wait(guard).unwrap_or_else(|p| p.into_inner()),
                Some(t) => {
                    let (guard, _) = self.condvar.wait_timeout(guard, t).unwrap_or_else(|p| p.into_inner());
                    self.state.swap(EMPTY, SeqCst); // woken or timed out: either way, awake
                    drop(guard);
                    return;
                }
            };
            if self.state.compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst).is_ok() {
                return; // PARKED_CONDVAR --> NOTIFIED --> EMPTY
            }
            // spurious wake-up: still PARKED_CONDVAR, sleep again
        }
    }

    /// Wakes the thread, wherever it sleeps; remembered if it is awake.
    pub(crate) fn unpark(&self) {
        match self.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED_CONDVAR => {
                // Taking the lock orders us after the sleeper's check-then-wait, so the
                // notification cannot fall between the two.
                drop(lock(&self.lock));
                self.condvar.notify_one();
            }
            PARKED_DRIVER => self.driver.as_ref().expect("parked in a driver it has").unpark(),
            s => unreachable!("parker state {s}"),
        }
    }
}
