//! The poller's seat: at most one thread polls the OS; the others wait as standbys and
//! take the seat when it is left. No mio in here, so loom can check it.
//!
//! Lesson: there is no reactor thread, only idle threads taking turns. A thread that
//! calls `park` takes the seat if it is free and polls; if it is taken, the thread waits
//! on a condvar as a *standby*. Two rules keep some idle thread watching I/O and timers
//! at all times, and no `unpark` lost:
//!
//! 1. The poller leaving the seat wakes the standbys (under the standby lock, after
//!    releasing the seat), and a standby looks at the seat once more under that same
//!    lock before it sleeps: either it sees the seat free, or it gets the notification.
//! 2. `unpark` bumps a generation under the standby lock and wakes the standbys; a
//!    `park` whose token is older returns at once. The poller announces `polling`
//!    *before* it reads the generation, and `unpark` reads `polling` *after* bumping it:
//!    either the poller sees the new generation and does not sleep, or `unpark` sees the
//!    flag and interrupts the OS wait.

use std::time::{Duration, Instant};

use crate::shim::{lock, AtomicBool, Condvar, Mutex, MutexGuard, Ordering::SeqCst, TryLockError};

/// The seat, guarding the poller's state `P` (mio's `Poll` and its event buffer).
#[derive(Debug)]
pub struct PollerSeat<P> {
    /// Held by the one thread polling.
    seat: Mutex<P>,
    /// Unpark generations and standby count; standbys sleep on `standby_cv`.
    standby: Mutex<Standby>,
    standby_cv: Condvar,
    /// The seat's holder is in (or about to enter) the OS wait.
    polling: AtomicBool,
}

#[derive(Debug, Default)]
struct Standby {
    /// Bumped by every `unpark`; a `park` whose token differs returns at once.
    generation: u64,
    /// Threads waiting on the condvar.
    waiting: usize,
}

/// What the poller's turn is told.
#[derive(Debug)]
pub struct Turn<'a> {
    /// `unpark` was called since the token was taken: collect what is ready, do not sleep.
    pub unparked: bool,
    polling: &'a AtomicBool,
}

impl Turn<'_> {
    /// The OS wait is over: from now on `unpark` need not interrupt it.
    pub fn left_os_wait(&self) {
        self.polling.store(false, SeqCst);
    }
}

impl<P> PollerSeat<P> {
    /// An empty seat around `poller`.
    pub fn new(poller: P) -> Self {
        PollerSeat {
            seat: Mutex::new(poller),
            standby: Mutex::new(Standby::default()),
            standby_cv: Condvar::new(),
            polling: AtomicBool::new(false),
        }
    }

    /// A token for `park`, taken before the caller announces its sleep.
    pub fn token(&self) -> u64 {
        lock(&self.standby).generation
    }

    /// Whether the seat's holder is in (or about to enter) the OS wait.
    pub fn is_polling(&self) -> bool {
        self.polling.load(SeqCst)
    }

    /// Takes the seat and runs one `turn` of polling, or waits as a standby until the
    /// seat is free, `unpark` is called after `token` was taken, or `max_wait` passes.
    pub fn park(
        &self,
        token: u64,
        max_wait: Option<Duration>,
        turn: impl FnOnce(&mut P, Turn<'_>),
    ) {
        let give_up_at = max_wait.and_then(|t| Instant::now().checked_add(t));
        loop {
            match self.seat.try_lock() {
                Ok(poller) => return self.take_turn(poller, token, turn),
                Err(TryLockError::Poisoned(p)) => {
                    return self.take_turn(p.into_inner(), token, turn)
                }
                Err(TryLockError::WouldBlock) => {}
            }
            // Someone else polls: wait as a standby.
            let mut standby = lock(&self.standby);
            if standby.generation != token {
                return; // unparked since the token was taken
            }
            // Rule 1: look at the seat again under the standby lock.
            if !matches!(self.seat.try_lock(), Err(TryLockError::WouldBlock)) {
                continue;
            }
            standby.waiting += 1;
            let mut standby = match give_up_at {
                None => self
                    .standby_cv
                    .wait(standby)
                    .unwrap_or_else(|p| p.into_inner()),
                Some(at) => match at.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => {
                        self.standby_cv
                            .wait_timeout(standby, left)
                            .unwrap_or_else(|p| p.into_inner())
                            .0
                    }
                    _ => {
                        standby.waiting -= 1;
                        return;
                    }
                },
            };
            standby.waiting -= 1;
            if standby.generation != token {
                return;
            }
        }
    }

    fn take_turn(
        &self,
        mut poller: MutexGuard<'_, P>,
        token: u64,
        turn: impl FnOnce(&mut P, Turn<'_>),
    ) {
        // Rule 2: announce, then read the generation.
        self.polling.store(true, SeqCst);
        let unparked = lock(&self.standby).generation != token;
        turn(
            &mut poller,
            Turn {
                unparked,
                polling: &self.polling,
            },
        );
        self.polling.store(false, SeqCst);
        drop(poller);
        // Rule 1: hand over — a standby may now take the seat.
        let standby = lock(&self.standby);
        if standby.waiting > 0 {
            self.standby_cv.notify_all();
        }
    }

    /// Makes every `park` return: wakes the standbys, and calls `interrupt` (which
    /// breaks the OS wait) if the seat's holder may be in it.
    pub fn unpark(&self, interrupt: impl FnOnce()) {
        let mut standby = lock(&self.standby);
        standby.generation += 1;
        if standby.waiting > 0 {
            self.standby_cv.notify_all();
        }
        drop(standby);
        // Rule 2: read `polling` after bumping the generation.
        if self.polling.load(SeqCst) {
            interrupt();
        }
    }
}
