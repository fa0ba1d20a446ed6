//! `Interval`: a sleep that re-arms itself one period later, every time it fires.
//!
//! The first tick completes at once. A tick that comes late (the task was busy) is
//! delivered as soon as possible, and the following ticks keep the original schedule,
//! so they catch up in a burst — tokio's default, chosen for the same reason: the
//! number of ticks over a long run equals elapsed time divided by the period.

use std::{
    future::{poll_fn, Future},
    pin::Pin,
    task::{ready, Context, Poll},
    time::{Duration, Instant},
};

use super::sleep::{far_future, sleep_until, Sleep};

/// Ticks now, then every `period`.
///
/// # Panics
///
/// If `period` is zero: that would tick in a busy loop. Use `task::yield_now` to
/// give other tasks a turn instead.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// turtles_reactor::drive(async {
///     let start = Instant::now();
///     let mut every = turtles_reactor::time::interval(Duration::from_millis(10));
///     for _ in 0..3 {
///         every.tick().await;
///     }
///     assert!(start.elapsed() >= Duration::from_millis(20));
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks at `start`, then every `period`.
///
/// # Panics
///
/// If `period` is zero, as for [`interval`].
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// let mut later = turtles_reactor::time::interval_at(Instant::now(), Duration::from_secs(1));
/// turtles_reactor::drive(later.tick());
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "interval period must be non-zero: a zero period would tick in a busy loop. \
         Fix: pick a positive period, or use task::yield_now() to let other tasks run"
    );
    Interval {
        period,
        next: start,
        sleep: sleep_until(start),
    }
}

/// The stream of ticks made by [`interval`].
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    /// When the next tick is due.
    next: Instant,
    sleep: Sleep,
}

impl Interval {
    /// Waits for the next tick; returns when it was scheduled.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// turtles_reactor::drive(async {
    ///     let mut every = turtles_reactor::time::interval(Duration::from_millis(5));
    ///     let first = every.tick().await; // at once
    ///     let second = every.tick().await;
    ///     // The schedule, not the moment the task woke up.
    ///     assert_eq!(second - first, Duration::from_millis(5));
    /// });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// The poll-level form of [`tick`](Self::tick).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut i = turtles_reactor::time::interval(Duration::from_secs(1));
    /// turtles_reactor::drive(std::future::poll_fn(|cx| i.poll_tick(cx)));
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        ready!(Pin::new(&mut self.sleep).poll(cx));
        let this_tick = self.next;
        self.next = this_tick
            .checked_add(self.period)
            .unwrap_or_else(far_future);
        self.sleep.reset(self.next);
        Poll::Ready(this_tick)
    }

    /// The time between ticks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(turtles_reactor::time::interval(Duration::from_secs(2)).period(), Duration::from_secs(2));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }
}
