//! Time: `sleep`, `timeout`, `interval`, all built on the reactor's timer list.
//!
//! Lesson: `join!` of three 100 ms sleeps takes 100 ms, not 300 ms, because a sleep is
//! not a blocked thread — it is an entry in [`Timers`](crate::timers::Timers) and a
//! `Pending`. The three entries wait side by side; one thread's `epoll_wait` times out
//! at the nearest deadline and wakes them.

mod interval;
mod sleep;
mod timeout;

pub use interval::{interval, interval_at, Interval};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Elapsed};
