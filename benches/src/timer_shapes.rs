//! Timers, on the runtimes that have their own ([`Kind::has_timers`](crate::Kind::has_timers)).

use std::time::Duration;

use crate::{join_all, Spawner};

/// Tasks in `sleep_many`.
pub const SLEEPERS: usize = 10_000;
/// Timeouts in `timeouts_early`.
pub const TIMEOUTS: usize = 100_000;

/// [`SLEEPERS`] tasks each sleep 1 ms, all at once.
pub async fn sleep_many(s: Spawner) {
    let handles = (0..SLEEPERS)
        .map(|_| {
            let s2 = s.clone();
            s.spawn_join(async move { s2.sleep(Duration::from_millis(1)).await })
        })
        .collect();
    join_all(handles).await;
}

/// [`TIMEOUTS`] timeouts of 10 s around a future that finishes at its second poll: each
/// arms a timer (the first poll is `Pending`) and cancels it.
pub async fn timeouts_early(s: Spawner) {
    let s2 = s.clone();
    s.spawn_join(async move {
        for _ in 0..TIMEOUTS {
            let finished = s2.timeout(Duration::from_secs(10), s2.yield_now()).await;
            assert!(finished.is_some());
        }
    })
    .await;
}
