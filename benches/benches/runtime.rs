//! Criterion benchmarks: the same workloads on turtles, tokio, smol and futures-executor.
//!
//! Shapes follow tokio's own runtime benchmarks:
//! * `spawn_many` — a task spawns 10,000 tasks that each count down once;
//! * `yield_many` — 200 tasks each `yield_now` 1,000 times;
//! * `ping_pong` — 1,000 pairs of tasks each bounce a message through two oneshots;
//! * `chained_spawn` — a chain of 1,000 tasks, each spawning the next.
//!
//! Run: `cargo bench -p turtles-benches --bench runtime`
//! Table: `python3 benches/table.py` (reads target/criterion), for BENCHMARKS.md.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use futures_channel::oneshot;
use turtles_benches::{Bench, Countdown, Kind, Spawner};

const SPAWN: usize = 10_000;
const YIELD_TASKS: usize = 200;
const YIELDS: usize = 1_000;
const PINGS: usize = 1_000;
const CHAIN: usize = 1_000;

fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn spawn_many(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_many");
    for kind in Kind::ALL {
        let bench = Bench::new(kind, workers());
        group.bench_function(BenchmarkId::from_parameter(kind.name()), |b| {
            b.iter(|| {
                bench.run(|spawner, done| async move {
                    let countdown = Countdown::new(SPAWN, done);
                    for _ in 0..SPAWN {
                        let countdown = countdown.clone();
                        spawner.spawn(async move { countdown.tick() });
                    }
                })
            })
        });
    }
    group.finish();
}

fn yield_many(c: &mut Criterion) {
    let mut group = c.benchmark_group("yield_many");
    for kind in Kind::ALL {
        let bench = Bench::new(kind, workers());
        group.bench_function(BenchmarkId::from_parameter(kind.name()), |b| {
            b.iter(|| {
                bench.run(|spawner, done| async move {
                    let countdown = Countdown::new(YIELD_TASKS, done);
                    for _ in 0..YIELD_TASKS {
                        let (countdown, s) = (countdown.clone(), spawner.clone());
                        spawner.spawn(async move {
                            for _ in 0..YIELDS {
                                s.yield_now().await;
                            }
                            countdown.tick();
                        });
                    }
                })
            })
        });
    }
    group.finish();
}

fn ping_pong(c: &mut Criterion) {
    let mut group = c.benchmark_group("ping_pong");
    for kind in Kind::ALL {
        let bench = Bench::new(kind, workers());
        group.bench_function(BenchmarkId::from_parameter(kind.name()), |b| {
            b.iter(|| {
                bench.run(|spawner, done| async move {
                    let countdown = Countdown::new(PINGS, done);
                    for _ in 0..PINGS {
                        let (countdown, s) = (countdown.clone(), spawner.clone());
                        spawner.spawn(async move {
                            let (ping_tx, ping_rx) = oneshot::channel::<()>();
                            let (pong_tx, pong_rx) = oneshot::channel::<()>();
                            s.spawn(async move {
                                ping_rx.await.expect("ping arrives");
                                pong_tx.send(()).expect("pong is awaited");
                            });
                            ping_tx.send(()).expect("ping is awaited");
                            pong_rx.await.expect("pong arrives");
                            countdown.tick();
                        });
                    }
                })
            })
        });
    }
    group.finish();
}

fn chain(spawner: Spawner, left: usize, countdown: Countdown) {
    if left == 0 {
        return countdown.tick();
    }
    let next = spawner.clone();
    spawner.spawn(async move { chain(next, left - 1, countdown) });
}

fn chained_spawn(c: &mut Criterion) {
    let mut group = c.benchmark_group("chained_spawn");
    for kind in Kind::ALL {
        let bench = Bench::new(kind, workers());
        group.bench_function(BenchmarkId::from_parameter(kind.name()), |b| {
            b.iter(|| {
                bench.run(
                    |spawner, done| async move { chain(spawner, CHAIN, Countdown::new(1, done)) },
                )
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    // The machines are small and shared: fewer, longer samples.
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = spawn_many, yield_many, ping_pong, chained_spawn
}
criterion_main!(benches);
