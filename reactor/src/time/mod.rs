//! Time: `sleep`, `timeout`, `interval`, all built on the reactor's timer list.
//!
//! Lesson: three 100 ms sleeps polled side by side take 100 ms, not 300 ms, because a
//! sleep is not a blocked thread — it is an entry in the reactor's timer list (`timers.rs`)
//! and a `Pending`. The three entries wait side by side; one thread's `epoll_wait` times
//! out at the nearest deadline and wakes them.

mod interval;
mod sleep;
mod timeout;

pub use interval::{interval, interval_at, Interval};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Elapsed};
