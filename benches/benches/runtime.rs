//! Criterion benchmarks: the same workloads on turtles, tokio, smol and futures-executor.
//!
//! The shapes live in `turtles_benches::shapes` (see there, or BENCHMARKS.md):
//! `spawn_many`, `yield_many`, `ping_pong`, `chained_spawn`.
//!
//! Run: `cargo bench -p turtles-benches --bench runtime`
//! Table: `python3 benches/table.py` (reads target/criterion), for BENCHMARKS.md.

use std::{future::Future, time::Duration};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use turtles_benches::{shapes, Bench, Done, Kind, Spawner};

fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// One benchmark group: `root` on every runtime, each with the same worker count.
fn compare<Fut>(c: &mut Criterion, name: &str, root: fn(Spawner, Done) -> Fut)
where
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut group = c.benchmark_group(name);
    for kind in Kind::ALL {
        let bench = Bench::new(kind, workers());
        group.bench_function(BenchmarkId::from_parameter(kind.name()), |b| {
            b.iter(|| bench.run(root))
        });
    }
    group.finish();
}

fn all(c: &mut Criterion) {
    compare(c, "spawn_many", shapes::spawn_many);
    compare(c, "yield_many", shapes::yield_many);
    compare(c, "ping_pong", shapes::ping_pong);
    compare(c, "chained_spawn", shapes::chained_spawn);
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
    targets = all
}
criterion_main!(benches);
