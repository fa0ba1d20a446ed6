//! `timeout`: race a future against a sleep; the loser is dropped, which cancels it.
//!
//! Lesson: in Rust, cancellation is `Drop`. There is no token to pass around: when the
//! deadline wins, the inner future is simply dropped at its current `.await`, and its
//! destructors release whatever it held (a timer entry, a socket registration).

use std::{
    fmt,
    future::{Future, IntoFuture},
    pin::{pin, Pin},
    task::Poll,
    time::{Duration, Instant},
};

use super::sleep::{deadline_after, sleep_until};

/// Runs `future`, giving up with [`Elapsed`] once `duration` has passed.
///
/// The future is polled first, so one that is already ready wins even with a zero timeout.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use turtles_reactor::time::{sleep, timeout};
///
/// turtles_reactor::drive(async {
///     assert_eq!(timeout(Duration::from_secs(5), async { 1 }).await, Ok(1));
///     let slow = sleep(Duration::from_secs(3600));
///     assert!(timeout(Duration::from_millis(10), slow).await.is_err());
/// });
/// ```
#[track_caller]
pub fn timeout<F: IntoFuture>(
    duration: Duration,
    future: F,
) -> impl Future<Output = Result<F::Output, Elapsed>> {
    timeout_at(deadline_after(duration), future)
}

/// Like [`timeout`], with a deadline instead of a duration.
///
/// # Examples
///
/// ```
/// use std::time::Instant;
/// let late = turtles_reactor::drive(
///     turtles_reactor::time::timeout_at(Instant::now(), std::future::pending::<()>()),
/// );
/// assert!(late.is_err());
/// ```
#[track_caller]
pub fn timeout_at<F: IntoFuture>(
    deadline: Instant,
    future: F,
) -> impl Future<Output = Result<F::Output, Elapsed>> {
    let future = future.into_future();
    let mut sleep = sleep_until(deadline);
    async move {
        let mut future = pin!(future);
        std::future::poll_fn(move |cx| {
            if let Poll::Ready(output) = future.as_mut().poll(cx) {
                return Poll::Ready(Ok(output));
            }
            match Pin::new(&mut sleep).poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(Elapsed(()))),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }
}

/// The error of a [`timeout`] whose deadline passed first.
///
/// # Examples
///
/// ```
/// let err = turtles_reactor::drive(turtles_reactor::time::timeout(
///     std::time::Duration::ZERO,
///     std::future::pending::<()>(),
/// ))
/// .unwrap_err();
/// assert_eq!(err.to_string(), "deadline has elapsed");
/// let io: std::io::Error = err.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(e: Elapsed) -> Self {
        std::io::Error::new(std::io::ErrorKind::TimedOut, e)
    }
}
