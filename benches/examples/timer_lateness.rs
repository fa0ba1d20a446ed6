//! The timer tail: 100,000 tasks each sleep 1 ms at once, on 2 workers; how late did
//! each wake up? Prints p50, p99 and max lateness (time past the deadline until the
//! task ran again) for turtles and for tokio, three rounds each, alternating.
//!
//! `cargo run --release -p turtles-benches --example timer_lateness`
//!
//! A measurement, not a criterion benchmark: what matters is the distribution within
//! one round, not the mean over many.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

const TASKS: usize = 100_000;
const SLEEP: Duration = Duration::from_millis(1);

/// Sorted lateness of every task, one round on turtles.
fn turtles_round(rt: &turtles::Runtime) -> Vec<Duration> {
    let late = Arc::new(Mutex::new(Vec::with_capacity(TASKS)));
    rt.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let late = late.clone();
                turtles::spawn(async move {
                    let deadline = Instant::now() + SLEEP;
                    turtles::time::sleep_until(deadline).await;
                    late.lock().unwrap().push(deadline.elapsed());
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("a sleeper does not panic");
        }
    });
    sorted(late)
}

/// The same round on tokio.
fn tokio_round(rt: &tokio::runtime::Runtime) -> Vec<Duration> {
    let late = Arc::new(Mutex::new(Vec::with_capacity(TASKS)));
    rt.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let late = late.clone();
                tokio::spawn(async move {
                    let deadline = tokio::time::Instant::now() + SLEEP;
                    tokio::time::sleep_until(deadline).await;
                    late.lock().unwrap().push(deadline.elapsed());
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("a sleeper does not panic");
        }
    });
    sorted(late)
}

fn sorted(late: Arc<Mutex<Vec<Duration>>>) -> Vec<Duration> {
    let mut late = std::mem::take(&mut *late.lock().unwrap());
    late.sort();
    late
}

fn print(name: &str, late: &[Duration]) {
    let at = |q: f64| late[((late.len() - 1) as f64 * q) as usize];
    println!(
        "{name:8} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        late[late.len() - 1].as_secs_f64() * 1e3
    );
}

fn main() {
    let turtles = turtles::Runtime::builder()
        .worker_threads(2)
        .build()
        .expect("turtles starts");
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio starts");
    println!(
        "{TASKS} tasks each sleeping {SLEEP:?} at once, 2 workers; lateness past the deadline:"
    );
    for _ in 0..3 {
        print("turtles", &turtles_round(&turtles));
        print("tokio", &tokio_round(&tokio));
    }
}
