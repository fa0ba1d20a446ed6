//! One benchmark shape in a loop, for `perf record` or a quick before/after:
//! `cargo run --release -p turtles-benches --example profile -- SHAPE RUNTIME`
//! (shapes: spawn_many, yield_many, ping_pong, chained_spawn; runtimes: turtles, tokio,
//! smol, futures-executor). Prints the mean time per round in ms.

use std::time::Instant;

use turtles_benches::{shapes, Bench, Kind};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shape = args.first().map_or("spawn_many", String::as_str);
    let kind = Kind::ALL
        .into_iter()
        .find(|k| Some(k.name()) == args.get(1).map(String::as_str))
        .unwrap_or(Kind::Turtles);
    let bench = Bench::new(kind, 2);
    let rounds = 200;
    let start = Instant::now();
    for _ in 0..rounds {
        match shape {
            "yield_many" => bench.run(shapes::yield_many),
            "ping_pong" => bench.run(shapes::ping_pong),
            "chained_spawn" => bench.run(shapes::chained_spawn),
            _ => bench.run(shapes::spawn_many),
        }
    }
    let per_round = start.elapsed().as_secs_f64() * 1e3 / f64::from(rounds);
    println!("{shape} on {}: {per_round:.2} ms per round", kind.name());
}
