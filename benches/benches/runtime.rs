//! Criterion benchmarks: every workload on every runtime, in one run.
//!
//! Groups are `suite/workload` (suites: `tokio`, `smol`, `timers`), one benchmark per
//! runtime (`turtles_benches::Kind`); multi-threaded runtimes get one worker per CPU.
//! The workloads live in `turtles_benches::{tokio_shapes, smol_shapes, timer_shapes}`.
//!
//! Run: `cargo bench -p turtles-benches --bench runtime` (about 9 minutes on 2 cores);
//! a subset: `cargo bench -p turtles-benches --bench runtime -- tokio/yield_many`.
//! Table: `python3 benches/table.py` (reads target/criterion), for BENCHMARKS.md.

use std::{future::Future, time::Duration};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use turtles_benches::{smol_shapes, timer_shapes, tokio_shapes, Bench, Kind, Spawner};

fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// One group: `shape` on every runtime `which` admits.
fn compare<Fut>(c: &mut Criterion, name: &str, which: fn(Kind) -> bool, shape: fn(Spawner) -> Fut)
where
    Fut: Future<Output = ()>,
{
    let mut group = c.benchmark_group(name);
    for kind in Kind::ALL.into_iter().filter(|k| which(*k)) {
        let bench = Bench::new(kind, workers());
        group.bench_function(BenchmarkId::from_parameter(kind.name()), |b| {
            b.iter(|| bench.run(shape))
        });
    }
    group.finish();
}

fn every(_: Kind) -> bool {
    true
}

fn tokio(c: &mut Criterion) {
    compare(
        c,
        "tokio/spawn_many_local",
        every,
        tokio_shapes::spawn_many_local,
    );
    compare(
        c,
        "tokio/spawn_many_in_task",
        every,
        tokio_shapes::spawn_many_in_task,
    );
    let mut group = c.benchmark_group("tokio/spawn_many_remote_idle");
    for kind in Kind::ALL
        .into_iter()
        .filter(|k| k.spawns_outside_block_on())
    {
        let bench = Bench::new(kind, workers());
        group.bench_function(BenchmarkId::from_parameter(kind.name()), |b| {
            b.iter(|| tokio_shapes::spawn_many_remote(&bench))
        });
    }
    group.finish();
    // Busy workers only make sense where there are workers besides this thread. Not on
    // futures' ThreadPool: a task that wakes itself during its poll is polled again at
    // once on the same thread, so a task yielding in a loop never lets go of it, and
    // the busy tasks starve the spawned ones forever.
    let mut group = c.benchmark_group("tokio/spawn_many_remote_busy1");
    let busy_kinds = Kind::ALL.into_iter().filter(|k| k.is_multi_threaded());
    for kind in busy_kinds.filter(|k| *k != Kind::FuturesPool) {
        let bench = Bench::new(kind, workers());
        let busy = tokio_shapes::start_busy_tasks(&bench, workers());
        group.bench_function(BenchmarkId::from_parameter(kind.name()), |b| {
            b.iter(|| tokio_shapes::spawn_many_remote(&bench))
        });
        drop(busy);
    }
    group.finish();
    compare(c, "tokio/yield_many", every, tokio_shapes::yield_many);
    compare(c, "tokio/ping_pong", every, tokio_shapes::ping_pong);
    compare(c, "tokio/chained_spawn", every, tokio_shapes::chained_spawn);
}

fn smol(c: &mut Criterion) {
    compare(c, "smol/spawn_one", every, smol_shapes::spawn_one);
    compare(c, "smol/spawn_batch", every, smol_shapes::spawn_batch);
    compare(c, "smol/spawn_many", every, smol_shapes::spawn_many);
    compare(
        c,
        "smol/spawn_recursively",
        every,
        smol_shapes::spawn_recursively,
    );
    compare(c, "smol/yield_now", every, smol_shapes::yield_now);
    compare(c, "smol/channels", every, smol_shapes::channels);
    compare(c, "smol/web_server", every, smol_shapes::web_server);
}

fn timers(c: &mut Criterion) {
    compare(
        c,
        "timers/sleep_many",
        Kind::has_timers,
        timer_shapes::sleep_many,
    );
    compare(
        c,
        "timers/timeouts_early",
        Kind::has_timers,
        timer_shapes::timeouts_early,
    );
}

fn config() -> Criterion {
    // The machines are small and shared: fewer, longer samples.
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = tokio, smol, timers
}
criterion_main!(benches);
