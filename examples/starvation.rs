//! # starvation: CPU-bound work belongs on the blocking pool, not on the workers
//!
//! The idea: a worker runs one poll at a time, and a poll runs until the task reaches
//! an `.await` that is not ready. A CPU-bound loop has no such `.await`: it holds its
//! worker until it is done. Two of them on a 2-worker runtime hold every worker, and
//! every other task — here a ticker that should tick every 10 ms — waits until they
//! finish. (.NET's thread pool starves the same way when its threads block.)
//! `spawn_blocking` runs a closure on a separate pool of threads made for this, so the
//! workers stay free for the tasks that wait on I/O and timers.
//!
//! What you will see: the ticker's worst lateness (how long after its due time a tick
//! ran) with two 300 ms CPU-bound loops running as tasks — about 300 ms late, and the
//! watchdog naming both hogs — then with the same loops under `spawn_blocking`: a few
//! ms late (on a 2-core machine the two loops still take both cores, and the ticker's
//! worker must wait for the OS to give it one), and no watchdog report. The loops take
//! the same time in both.
//!
//! Run it: `cargo run --release --example starvation`
//!
//! Try next: spawn only one hog task — the ticker stays on time, because the other
//! worker is free (but the watchdog still reports the hog). Or keep the hogs as tasks
//! but cooperative: an `async fn` version of `hog` that calls
//! `turtles::task::yield_now().await` every millisecond or so. Each poll is then
//! short, the watchdog stays quiet, and the ticker is late by a few ms at most — but
//! the loops still occupy both workers, which is why `spawn_blocking` is the fix.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use turtles::{time::sleep_until, Runtime};

#[path = "common/mod.rs"]
mod common;
use common::ms;

/// A CPU-bound loop: burns `busy` of CPU time without ever awaiting.
fn hog(busy: Duration) -> u64 {
    let start = Instant::now();
    let mut spins = 0u64;
    while start.elapsed() < busy {
        spins = std::hint::black_box(spins + 1);
    }
    spins
}

/// Ticks every 10 ms for `ticks` ticks; returns the worst lateness of a tick.
async fn ticker(ticks: u32) -> Duration {
    let mut due = Instant::now();
    let mut worst = Duration::ZERO;
    for _ in 0..ticks {
        due += Duration::from_millis(10);
        sleep_until(due).await;
        worst = worst.max(due.elapsed());
    }
    worst
}

const HOG: Duration = Duration::from_millis(300);

/// Starts the ticker, lets it tick on time for 50 ms, then starts two hogs with
/// `start_hog` and waits for them. Returns the ticker's worst lateness and how long
/// the hogs took.
async fn hogs_beside_a_ticker(
    start_hog: impl Fn(usize) -> turtles::JoinHandle<u64>,
) -> (Duration, Duration) {
    let ticker = turtles::spawn(ticker(50));
    sleep_until(Instant::now() + Duration::from_millis(50)).await;
    let start = Instant::now();
    let hogs: Vec<_> = (0..2).map(start_hog).collect();
    for h in hogs {
        h.await.expect("a hog does not panic");
    }
    let took = start.elapsed();
    (ticker.await.expect("the ticker does not panic"), took)
}

pub fn main() -> std::io::Result<()> {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    let rt = Runtime::builder()
        .worker_threads(2)
        .on_stall(move |report| {
            sink.lock().unwrap().push(format!(
                "'{}' on worker {}: reported once, {} ms into its poll{}",
                report.task_name().unwrap_or("?"),
                report.worker(),
                report.elapsed().as_millis(),
                if report.all_workers_blocked() {
                    "\n       (every worker blocked: the runtime is starved)"
                } else {
                    ""
                }
            ))
        })
        .build()?;

    println!("1. two CPU-bound loops as tasks on 2 workers, beside a 10 ms ticker:");
    let (worst, took) = rt.block_on(hogs_beside_a_ticker(|i| {
        turtles::task::Builder::new()
            .name(&format!("hog-{i}"))
            .spawn(async { hog(HOG) })
    }));
    print_run(worst, took, &reports);

    println!("2. the same loops with spawn_blocking:");
    let (worst, took) = rt.block_on(hogs_beside_a_ticker(|_| {
        turtles::spawn_blocking(|| hog(HOG))
    }));
    print_run(worst, took, &reports);
    Ok(())
}

fn print_run(worst: Duration, took: Duration, reports: &Mutex<Vec<String>>) {
    println!(
        "   the hogs took {:.0} ms; the ticker's worst tick was {:.1} ms late",
        ms(took),
        ms(worst)
    );
    let mut reports = reports.lock().unwrap();
    println!("   watchdog reports: {}", reports.len());
    for report in reports.drain(..) {
        println!("     {report}");
    }
    println!();
}
