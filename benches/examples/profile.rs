//! A workload loop for `perf record`: `cargo run --release -p turtles-benches --example profile -- SHAPE RUNTIME`.
use std::time::Instant;
use turtles_benches::{Bench, Countdown, Kind};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shape = args.first().map(String::as_str).unwrap_or("spawn_many");
    let kind = match args.get(1).map(String::as_str).unwrap_or("turtles") {
        "tokio" => Kind::Tokio,
        "smol" => Kind::Smol,
        "futures-executor" => Kind::FuturesExecutor,
        _ => Kind::Turtles,
    };
    let bench = Bench::new(kind, 2);
    let start = Instant::now();
    let rounds = 200;
    for _ in 0..rounds {
        match shape {
            "yield_many" => bench.run(|spawner, done| async move {
                let countdown = Countdown::new(200, done);
                for _ in 0..200 {
                    let (countdown, s) = (countdown.clone(), spawner.clone());
                    spawner.spawn(async move {
                        for _ in 0..1000 {
                            s.yield_now().await;
                        }
                        countdown.tick();
                    });
                }
            }),
            _ => bench.run(|spawner, done| async move {
                let countdown = Countdown::new(10_000, done);
                for _ in 0..10_000 {
                    let countdown = countdown.clone();
                    spawner.spawn(async move { countdown.tick() });
                }
            }),
        }
    }
    println!(
        "{shape} on {}: {:.2} ms per round",
        kind.name(),
        start.elapsed().as_secs_f64() * 1e3 / rounds as f64
    );
}
