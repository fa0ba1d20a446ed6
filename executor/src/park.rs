//! Parking: how an idle thread sleeps without missing a wake — and, for the one thread
//! that waits on the workers' results, when a short spin beats sleeping ([`Spin`]).
//!
//! Lesson: "no lost wake-up" (invariant 2 of ARCHITECTURE.md) is decided here. A thread
//! that finds nothing to do announces that it is about to sleep *before* it sleeps; an
//! `unpark` that arrives in between is remembered ([`UNPARKED`]) and makes the next
//! `park` return at once. A thread never sleeps through a wake.
//!
//! ```text
//!   EMPTY ──park()──> PARKED_CONDVAR ──unpark()──> UNPARKED ──(the sleeper wakes)──> EMPTY
//!     │  └park_in_driver()─> PARKED_DRIVER ──unpark()──┘  ^
//!     └──────────────────────unpark() while awake─────────┘  (the next park returns at once;
//!                                                             a spinning thread sees it
//!                                                             in spin_until_unparked)
//! ```
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

use std::{
    cell::Cell,
    time::{Duration, Instant},
};

use crate::shim::{lock, Arc, AtomicUsize, Condvar, Mutex, Ordering::SeqCst};

/// What an idle executor thread blocks in when it may wait for I/O and timers too.
///
/// The executor knows nothing about I/O: the facade crate implements this trait for the
/// reactor, and a thread that runs out of work sleeps in [`park`](Driver::park) instead
/// of on its own condvar. Several threads may be in `park` at once (two runtimes, or a
/// runtime and a `block_on`); the driver decides which of them actually polls.
///
/// The token closes the classic race of sleeping: the executor takes a token, *then*
/// announces that it sleeps in the driver, then calls `park(token, ..)`. An `unpark`
/// that lands between the announcement and the sleep has already moved the driver past
/// that token, so `park` returns at once instead of sleeping through it.
///
/// # Examples
///
/// A driver with no I/O at all: a generation counter and a condvar.
///
/// ```
/// use std::{sync::{Arc, Condvar, Mutex}, time::Duration};
/// use turtles_executor::Driver;
///
/// #[derive(Default)]
/// struct Sleeper { generation: Mutex<u64>, cv: Condvar }
///
/// impl Driver for Sleeper {
///     fn token(&self) -> u64 {
///         *self.generation.lock().unwrap()
///     }
///     fn park(&self, token: u64, max_wait: Option<Duration>) {
///         let g = self.generation.lock().unwrap();
///         let still = |g: &mut u64| *g == token;
///         let _g = match max_wait {
///             Some(t) => self.cv.wait_timeout_while(g, t, still).unwrap().0,
///             None => self.cv.wait_while(g, still).unwrap(),
///         };
///     }
///     fn unpark(&self) {
///         *self.generation.lock().unwrap() += 1;
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
    /// A token to pass to the next [`park`](Driver::park); taken *before* the thread
    /// announces that it sleeps.
    fn token(&self) -> u64;

    /// Blocks the calling thread until an I/O event or timer fires, `max_wait` passes
    /// (`None`: no limit; `Some(Duration::ZERO)`: only collect what is ready), or
    /// [`unpark`](Driver::unpark) was called after `token` was taken — and wakes the
    /// `Waker`s of whatever became ready. May return early.
    fn park(&self, token: u64, max_wait: Option<Duration>);

    /// Makes every thread blocked in `park` return soon, and every `park` whose token
    /// was taken before this call return at once.
    fn unpark(&self);

    /// Whether nothing waits in this driver (no I/O source, no timer), so that a
    /// `park` with `Some(Duration::ZERO)` could collect nothing. A busy worker (every
    /// 61 tasks) and a `turtles::block_on` busy with local tasks skip their zero-wait
    /// look then. May be stale by the time it returns: a look skipped on a stale
    /// `true` comes again 61 tasks later. By default `false`: always look.
    fn nothing_registered(&self) -> bool {
        false
    }
}

/// Nothing to report: awake, or about to check for work.
/// --> PARKED_CONDVAR or PARKED_DRIVER (the owner parks), UNPARKED (an unpark comes first).
const EMPTY: usize = 0;
/// Sleeping on the condvar: `unpark` must signal it. --> UNPARKED.
const PARKED_CONDVAR: usize = 1;
/// Sleeping in the driver: `unpark` must interrupt the driver. --> UNPARKED, or EMPTY
/// when the driver returns by itself (an event, a timer).
const PARKED_DRIVER: usize = 2;
/// An `unpark` arrived: the sleeper is waking, or the next `park` consumes it and
/// returns at once. --> EMPTY (only the owner's park clears it).
const UNPARKED: usize = 3;

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
        Parker {
            state: AtomicUsize::new(EMPTY),
            lock: Mutex::new(()),
            condvar: Condvar::new(),
            driver,
        }
    }

    /// Sleeps inside the driver until an event, a timer, `unpark`, or `max_wait` passes
    /// (`None`: no limit).
    pub(crate) fn park_in_driver(&self, max_wait: Option<Duration>) {
        let driver = self
            .driver
            .as_ref()
            .expect("park_in_driver needs a parker with a driver");
        let token = driver.token(); // before the announcement: see `Driver`
        if self
            .state
            .compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst)
            .is_err()
        {
            self.state.swap(EMPTY, SeqCst); // UNPARKED --> EMPTY: the wake came first
            return;
        }
        driver.park(token, max_wait);
        self.state.swap(EMPTY, SeqCst); // PARKED_DRIVER or UNPARKED --> EMPTY
    }

    /// Sleeps on the condvar until `unpark`.
    pub(crate) fn park(&self) {
        if self
            .state
            .compare_exchange(UNPARKED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return; // fast path: a wake is waiting for us
        }
        let mut guard = lock(&self.lock);
        if self
            .state
            .compare_exchange(EMPTY, PARKED_CONDVAR, SeqCst, SeqCst)
            .is_err()
        {
            self.state.swap(EMPTY, SeqCst); // UNPARKED --> EMPTY
            return;
        }
        loop {
            guard = self.condvar.wait(guard).unwrap_or_else(|p| p.into_inner());
            if self
                .state
                .compare_exchange(UNPARKED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return; // PARKED_CONDVAR --> UNPARKED --> EMPTY
            }
            // spurious wake-up: still PARKED_CONDVAR, sleep again
        }
    }

    /// Spins waiting for an `unpark`, for as long as `spin` says (counted from `start`,
    /// when the wait began) and `busy()` — how many of the runtime's workers are running
    /// tasks — leaves a CPU free for this thread; whether the `unpark` came. A spin that
    /// sees it consumes it exactly as `park`'s fast path does (UNPARKED --> EMPTY), so
    /// the states and their races are those of `park`; the caller sleeps with `park`
    /// if not. Under loom it does not spin: waiting there is a schedule to explore.
    pub(crate) fn spin_until_unparked(
        &self,
        spin: &Spin,
        start: Instant,
        busy: impl Fn() -> usize,
    ) -> bool {
        if cfg!(loom) {
            return false;
        }
        if spin.cpus < 2 {
            return false; // the thread that would wake us needs the only CPU
        }
        let limit = spin.next.get();
        while busy() < spin.cpus {
            // A clock read per 64 looks keeps the spin cheap and its bound honest.
            for _ in 0..64 {
                if self.state.load(SeqCst) == UNPARKED
                    && self
                        .state
                        .compare_exchange(UNPARKED, EMPTY, SeqCst, SeqCst)
                        .is_ok()
                {
                    return true; // UNPARKED --> EMPTY: woken while we spun
                }
                std::hint::spin_loop();
            }
            if start.elapsed() >= limit {
                return false;
            }
        }
        false
    }

    /// Wakes the thread, wherever it sleeps; remembered if it is awake.
    pub(crate) fn unpark(&self) {
        match self.state.swap(UNPARKED, SeqCst) {
            EMPTY | UNPARKED => {}
            PARKED_CONDVAR => {
                // Taking the lock orders us after the sleeper's check-then-wait, so the
                // notification cannot fall between the two.
                drop(lock(&self.lock));
                self.condvar.notify_one();
            }
            PARKED_DRIVER => self
                .driver
                .as_ref()
                .expect("parked in a driver it has")
                .unpark(),
            s => unreachable!("parker state {s}"),
        }
    }
}

/// How long a thread spins before it sleeps ([`Parker::spin_until_unparked`]), learned
/// from how soon its last wakes came. Owned by one thread: one inside a
/// `Runtime::block_on` (or waiting for a current-thread runtime's core), which spins
/// only while it waits for work it handed to the workers itself
/// (`Scheduler::park_block_on` says when exactly).
///
/// Why spin at all: on a virtual machine like the one BENCHMARKS.md ran on, waking a
/// thread that sleeps on a `futex` takes tens of microseconds, more than the work it
/// waits for often takes. Why learn: a spin is CPU burnt for nothing when the wait is
/// long. So the spin is [`SHORTEST_SPIN`] after a long wait and, after a wait that a
/// longer spin would have caught, twice that wait (at most [`LONGEST_SPIN`]): the
/// thread spins through the short waits of a busy exchange and goes straight to sleep
/// in a quiet one. Only this thread spins (a spin in every condvar park, workers
/// included, doubled `tcp_echo`'s server CPU per round trip), only while a CPU is free
/// for it (busy workers + this thread ≤ CPUs: otherwise it takes a CPU from the
/// workers it waits for, which made `spawn_many_remote_idle` 1.17× tokio's time), and
/// never on a machine with one CPU. What it saves, `smol/spawn_one` and
/// `smol/channels` above all: BENCHMARKS.md, "The block_on spin".
#[derive(Debug)]
pub(crate) struct Spin {
    next: Cell<Duration>,
    /// CPUs this process may use: a spin takes one only while another is free.
    cpus: usize,
}

/// A spin after a long wait: 20 µs, about one `futex` wake-up there.
const SHORTEST_SPIN: Duration = Duration::from_micros(20);
/// The longest spin: 200 µs. Waits longer than this go to sleep after the shortest.
const LONGEST_SPIN: Duration = Duration::from_micros(200);

impl Spin {
    pub(crate) fn new() -> Spin {
        static CPUS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        Spin {
            next: Cell::new(SHORTEST_SPIN),
            cpus: *CPUS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        }
    }

    /// After a wait that took `waited` in all, spun or not.
    pub(crate) fn learn(&self, waited: Duration) {
        self.next.set(if waited <= LONGEST_SPIN {
            (waited * 2).clamp(SHORTEST_SPIN, LONGEST_SPIN)
        } else {
            SHORTEST_SPIN
        });
    }
}

/// What wakes a thread inside `block_on`: its own parker and, on a current-thread
/// runtime, the parker of the runtime's one worker slot, on which the thread sleeps
/// while it holds the core (`current_thread.rs`). Ringing both costs at worst a spurious
/// wake-up (the sleeper looks, finds nothing, sleeps again); ringing only one could miss
/// the thread sleeping on the other.
#[derive(Debug, Clone)]
pub(crate) struct Alarm {
    own: Arc<Parker>,
    core: Option<Arc<Parker>>,
}

impl Alarm {
    pub(crate) fn new(own: Arc<Parker>, core: Option<Arc<Parker>>) -> Alarm {
        Alarm { own, core }
    }

    pub(crate) fn ring(&self) {
        self.own.unpark();
        if let Some(core) = &self.core {
            core.unpark();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn spin_on(cpus: usize) -> Spin {
        Spin {
            next: Cell::new(LONGEST_SPIN),
            cpus,
        }
    }

    /// A waiting unpark is seen by a spin, and consumed as `park` would.
    #[test]
    fn a_spin_consumes_an_unpark() {
        let parker = Parker::new(None);
        parker.unpark();
        assert!(parker.spin_until_unparked(&spin_on(2), Instant::now(), || 0));
        assert!(!parker.spin_until_unparked(&spin_on(2), Instant::now(), || 0));
    }

    /// No spin at all on one CPU, nor while the busy workers take every CPU: the
    /// unpark is left for `park`, which returns at once.
    #[test]
    fn no_spin_on_one_cpu_or_when_every_cpu_is_busy() {
        let parker = Parker::new(None);
        parker.unpark();
        assert!(!parker.spin_until_unparked(&spin_on(1), Instant::now(), || 0));
        assert!(!parker.spin_until_unparked(&spin_on(2), Instant::now(), || 2));
        parker.park(); // returns at once: the unpark is still there
    }

    /// The spin grows to twice a short wait, and falls back after a long one.
    #[test]
    fn the_spin_learns_from_the_last_wait() {
        let spin = Spin::new();
        spin.learn(Duration::from_micros(60));
        assert_eq!(spin.next.get(), Duration::from_micros(120));
        spin.learn(Duration::from_micros(150));
        assert_eq!(spin.next.get(), LONGEST_SPIN);
        spin.learn(Duration::from_millis(5));
        assert_eq!(spin.next.get(), SHORTEST_SPIN);
        spin.learn(Duration::from_micros(2));
        assert_eq!(spin.next.get(), SHORTEST_SPIN);
    }
}
