//! # when_all: three 100 ms waits take 100 ms, not 300 ms
//!
//! The idea: `.await` on one future after another waits for each in turn. `join!`
//! (and `join_all` for a run-time number of futures) polls them side by side in one
//! task, so their waits overlap: the total is the longest wait, not the sum. This is
//! .NET's `Task.WhenAll`. `try_join!` does the same for fallible futures and stops at the
//! first error, dropping (cancelling) the others.
//!
//! What you will see: the time taken by three 100 ms sleeps in sequence (~300 ms), with
//! `join!` (~100 ms) and with `join_all` (~100 ms); then `try_join!` returning the first
//! error after 20 ms although another future would take an hour.
//!
//! Run it: `cargo run --release --example when_all`
//!
//! Try next: give one of the joined sleeps 250 ms — the join now takes 250 ms, the
//! longest wait. Or make the *first* future of the `join!` a blocking one,
//! `async { std::thread::sleep(Duration::from_millis(100)); 100 }`: `join!` polls its
//! futures in order, so the other two only start their timers once the thread wakes —
//! 200 ms. (Made the last one instead, it blocks after the other two started their
//! timers, and the total stays 100 ms: the thread is frozen all the same, but the
//! timers ran meanwhile.)

use std::time::{Duration, Instant};

use turtles::{future::join_all, time::sleep};

#[path = "common/mod.rs"]
mod common;
use common::ms;

async fn wait(ms: u64) -> u64 {
    sleep(Duration::from_millis(ms)).await;
    ms
}

pub fn main() {
    turtles::block_on(async {
        let start = Instant::now();
        let (a, b, c) = (wait(100).await, wait(100).await, wait(100).await);
        let sequential = start.elapsed();
        println!(
            "one after another: {a} + {b} + {c} ms of waiting took {:>4.0} ms",
            ms(sequential)
        );

        let start = Instant::now();
        let (a, b, c) = turtles::join!(wait(100), wait(100), wait(100));
        let joined = start.elapsed();
        println!(
            "join!:             {a} + {b} + {c} ms of waiting took {:>4.0} ms",
            ms(joined)
        );

        let start = Instant::now();
        let all = join_all((0..3).map(|_| wait(100))).await;
        println!(
            "join_all:          {} waits of 100 ms took {:>4.0} ms",
            all.len(),
            ms(start.elapsed())
        );

        let start = Instant::now();
        let failed: Result<((), ()), String> = turtles::try_join!(
            async {
                sleep(Duration::from_secs(3600)).await;
                Ok(())
            },
            async {
                sleep(Duration::from_millis(20)).await;
                Err("the second future failed".to_owned())
            },
        );
        println!(
            "try_join!:         {:?} after {:>4.0} ms\n                   (the hour-long sleep was dropped)",
            failed.unwrap_err(),
            ms(start.elapsed())
        );

        assert!(joined < sequential / 2, "join! must overlap the waits");
    });
}
