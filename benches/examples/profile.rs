//! One workload in a loop, for `perf record`, `valgrind --tool=callgrind` or a quick
//! before/after:
//! `cargo run --release -p turtles-benches --example profile -- WORKLOAD RUNTIME [ROUNDS]`
//! (workloads: tokio's `spawn_many_local`, `spawn_many_in_task`,
//! `spawn_many_remote_idle`, `yield_many`, `ping_pong`, `chained_spawn`, and
//! async-executor's `spawn_one`, `spawn_batch`, `spawn_many`, `yield_now`,
//! `spawn_recursively`, `channels`; the timers' `sleep_many`, `timeouts_early` on the
//! runtimes that have timers; runtimes: see `Kind::name`; ROUNDS
//! defaults to 200). Multi-threaded runtimes get 2 workers here, whatever the machine.
//! Prints the mean time per round.
//!
//! Per-operation instruction counts (BENCHMARKS.md): run callgrind at two round counts
//! and divide the difference by the operations in the extra rounds; setup cancels out.

use std::time::Instant;

use turtles_benches::{smol_shapes, timer_shapes, tokio_shapes, Bench, Kind};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shape = args.first().map_or("spawn_many_in_task", String::as_str);
    let kind = args
        .get(1)
        .map(|name| Kind::from_name(name).unwrap_or_else(|| panic!("no runtime named {name}")))
        .unwrap_or(Kind::Turtles);
    let rounds: u32 = args
        .get(2)
        .map_or(200, |r| r.parse().expect("ROUNDS is a number"));
    let bench = Bench::new(kind, 2);
    let start = Instant::now();
    for _ in 0..rounds {
        match shape {
            "spawn_many_local" => bench.run(tokio_shapes::spawn_many_local),
            "spawn_many_in_task" => bench.run(tokio_shapes::spawn_many_in_task),
            "yield_many" => bench.run(tokio_shapes::yield_many),
            "ping_pong" => bench.run(tokio_shapes::ping_pong),
            "chained_spawn" => bench.run(tokio_shapes::chained_spawn),
            "spawn_one" => bench.run(smol_shapes::spawn_one),
            "spawn_many" => bench.run(smol_shapes::spawn_many),
            "yield_now" => bench.run(smol_shapes::yield_now),
            "spawn_recursively" => bench.run(smol_shapes::spawn_recursively),
            "channels" => bench.run(smol_shapes::channels),
            "spawn_batch" => bench.run(smol_shapes::spawn_batch),
            "sleep_many" => bench.run(timer_shapes::sleep_many),
            "timeouts_early" => bench.run(timer_shapes::timeouts_early),
            // Spawns from this thread, outside any task, then awaits in `block_on`: it
            // drives the runtime itself rather than being one async shape.
            "spawn_many_remote_idle" => tokio_shapes::spawn_many_remote(&bench),
            other => panic!("no workload named {other}"),
        }
    }
    let per_round = start.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    println!("{shape} on {}: {per_round:.1} µs per round", kind.name());
}
