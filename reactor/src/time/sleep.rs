//! `Sleep`: a future that is ready once its deadline has passed — and never before.
//!
//! Lesson: a timer is a state machine with two states, "not registered" and
//! "registered as this entry". The first poll registers; later polls only refresh the
//! waker; `Drop` removes the entry, which is what makes dropping a timeout cancel it.
//! Readiness is decided by the clock, not by the wake: a wake is only a hint to look.

use std::{
    future::Future,
    panic::Location,
    pin::Pin,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use crate::{awaiting, reactor::Reactor, timers::TimerKey};

/// Deadlines that do not fit in an `Instant` (`Duration::MAX`) become "about 30 years
/// from now": far enough never to fire, near enough never to overflow.
pub(crate) fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(60 * 60 * 24 * 365 * 30)
}

pub(crate) fn deadline_after(duration: Duration) -> Instant {
    Instant::now()
        .checked_add(duration)
        .unwrap_or_else(far_future)
}

/// Waits until `duration` has passed.
///
/// `Duration::MAX` is fine: it just never completes.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// turtles_reactor::drive(async {
///     let start = Instant::now();
///     turtles_reactor::time::sleep(Duration::from_millis(20)).await;
///     assert!(start.elapsed() >= Duration::from_millis(20));
/// });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(deadline_after(duration))
}

/// Waits until `deadline`. A deadline in the past completes at the first poll.
///
/// # Examples
///
/// ```
/// use std::time::Instant;
///
/// turtles_reactor::drive(turtles_reactor::time::sleep_until(Instant::now()));
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        entry: None,
        made_at: Location::caller(),
    }
}

/// The future returned by [`sleep`] and [`sleep_until`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    /// `Some` while registered with the reactor's timers.
    entry: Option<TimerKey>,
    /// The user's line that made this sleep: where a task waiting on it waits.
    made_at: &'static Location<'static>,
}

impl Sleep {
    /// When this sleep completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let at = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(turtles_reactor::time::sleep_until(at).deadline(), at);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(turtles_reactor::time::sleep(std::time::Duration::ZERO).is_elapsed());
    /// ```
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline; the sleep can be awaited again afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let mut s = turtles_reactor::time::sleep(Duration::from_secs(3600));
    /// s.reset(Instant::now());
    /// turtles_reactor::drive(&mut s);
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.unregister();
        self.deadline = deadline;
    }

    fn unregister(&mut self) {
        if let Some(key) = self.entry.take() {
            if let Ok(reactor) = Reactor::global() {
                reactor.timers().remove(key);
            }
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_elapsed() {
            self.unregister(); // fired or not, the entry has served its purpose
            return Poll::Ready(());
        }
        let reactor = Reactor::global().unwrap_or_else(|e| {
            panic!("a timer needs the reactor, and it could not start: {e}. Check the process's file-descriptor limit.")
        });
        match self.entry {
            // Registered and not fired yet: just make sure the right task gets woken.
            Some(key) if reactor.timers().update_waker(key, cx.waker()) => {}
            // Never registered, or fired early by a coarse clock: (re-)register.
            _ => {
                let deadline = self.deadline;
                self.entry = Some(reactor.add_timer(deadline, cx.waker().clone()));
            }
        }
        awaiting::note(self.made_at, Poll::Pending)
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.unregister();
    }
}
