//! # cancellation: dropping a future cancels it
//!
//! The idea: a Rust future does nothing unless polled, so dropping it is all it takes to
//! cancel it — wherever it was waiting, it is never polled again, and its `Drop` runs at
//! once and releases what it held (a timer entry, a socket, a lock). .NET needs a
//! `CancellationToken` passed around; here the three everyday forms are: `timeout`
//! (drops the inner future when time is up), `JoinHandle::abort` (drops a spawned task's
//! future at its next turn), and simply dropping a future, as `select` does with the
//! loser.
//!
//! What you will see: three pieces of work that would each take an hour, each stopped
//! within milliseconds. Each line starts with the time since the example started; a
//! `released` line is the `Drop` of the resource that piece of work held, printed the
//! moment it ran.
//!
//! Run it: `cargo run --release --example cancellation`
//!
//! Try next: `abort` a task *after* it finished — its output is kept, `abort` does
//! nothing. Or keep the timed-out work alive instead of letting `timeout` drop it:
//! `let mut work = std::pin::pin!(an_hour_of_work(...));` then
//! `timeout(Duration::from_millis(30), &mut work).await` — the timeout still returns
//! after 30 ms, but nothing is released until `work` goes out of scope: a future that
//! is not dropped is only paused, never cancelled.

use std::time::{Duration, Instant};

use turtles::{
    future::{select, Either},
    time::{sleep, timeout},
};

/// Something a piece of work holds while it waits: says when it is released.
struct Resource {
    name: &'static str,
    start: Instant,
}

impl Drop for Resource {
    fn drop(&mut self) {
        println!(
            "    {:>5.1} ms  released: {}",
            self.start.elapsed().as_secs_f64() * 1e3,
            self.name
        );
    }
}

/// An hour of waiting, holding a resource.
async fn an_hour_of_work(resource: Resource) -> &'static str {
    let _held = resource;
    sleep(Duration::from_secs(3600)).await;
    "finished (never printed)"
}

pub fn main() {
    let start = Instant::now();
    let rt = turtles::Runtime::builder()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        println!("timeout(30 ms, an hour of work):");
        let name = "the connection held by the timed-out work";
        let out = timeout(
            Duration::from_millis(30),
            an_hour_of_work(Resource { name, start }),
        )
        .await;
        let out = match out {
            Ok(never) => never.to_owned(),
            Err(elapsed) => format!("Err: {elapsed}"),
        };
        println!("    {:>5.1} ms  result: {out}", ms(start));

        println!("JoinHandle::abort on a spawned task:");
        let name = "the file held by the aborted task";
        let task = turtles::spawn(an_hour_of_work(Resource { name, start }));
        sleep(Duration::from_millis(10)).await; // it is waiting now
        task.abort();
        let out = task.await;
        println!(
            "    {:>5.1} ms  result: cancelled = {}",
            ms(start),
            out.unwrap_err().is_cancelled()
        );

        println!("select: the loser is dropped:");
        let name = "the lock held by the losing future";
        let won = select(
            an_hour_of_work(Resource { name, start }),
            sleep(Duration::from_millis(10)),
        )
        .await;
        println!(
            "    {:>5.1} ms  winner: {}",
            ms(start),
            if let Either::Right(()) = won {
                "the 10 ms sleep"
            } else {
                "?"
            }
        );
    });
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "nothing waited for its hour"
    );
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}
