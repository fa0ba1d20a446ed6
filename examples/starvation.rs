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
//! watchdog naming both hogs — then with the same loops under `spawn_blocking`: a
//! millisecond or so late, and no watchdog report. The loops take the same time in both.
//!
//! Run it: `cargo run --release --example starvation`
//!
//! Try next: spawn only one hog task — the ticker stays on time, because the other
//! worker is free (but the watchdog still reports the hog). Or keep the hogs as tasks
//! and put `turtles::task::yield_now().await` inside their loop: each poll is now short,
//! the watchdog stays quiet, and the ticker's lateness drops to the time between yields.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use turtles::{time::sleep_until, Runtime};

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

pub fn main() -> std::io::Result<()> {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    let rt = Runtime::builder()
        .worker_threads(2)
        .on_stall(move |report| {
            sink.lock().unwrap().push(format!(
                "task '{}' has held worker {} for {} ms{}",
                report.task_name().unwrap_or("?"),
                report.worker(),
                report.elapsed().as_millis(),
                if report.all_workers_blocked() {
                    "; now every worker is blocked: the runtime is starved"
                } else {
                    ""
                }
            ))
        })
        .build()?;

    println!("1. two CPU-bound loops as tasks, on a runtime of 2 workers, beside a 10 ms ticker:");
    let (worst, took) = rt.block_on(async {
        let ticker = turtles::spawn(ticker(50));
        sleep_until(Instant::now() + Duration::from_millis(50)).await; // the ticker runs on time
        let start = Instant::now();
        let hogs: Vec<_> = (0..2)
            .map(|i| {
                turtles::task::Builder::new()
                    .name(&format!("hog-{i}"))
                    .spawn(async { hog(HOG) })
            })
            .collect();
        for h in hogs {
            h.await.expect("a hog does not panic");
        }
        let took = start.elapsed();
        (ticker.await.expect("the ticker does not panic"), took)
    });
    print_run(worst, took, &reports);

    println!("2. the same loops with spawn_blocking:");
    let (worst, took) = rt.block_on(async {
        let ticker = turtles::spawn(ticker(50));
        sleep_until(Instant::now() + Duration::from_millis(50)).await;
        let start = Instant::now();
        let hogs: Vec<_> = (0..2)
            .map(|_| turtles::spawn_blocking(|| hog(HOG)))
            .collect();
        for h in hogs {
            h.await.expect("a hog does not panic");
        }
        let took = start.elapsed();
        (ticker.await.expect("the ticker does not panic"), took)
    });
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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
