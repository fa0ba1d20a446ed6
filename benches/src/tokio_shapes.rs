//! tokio's own runtime benchmarks (`benches/rt_multi_threaded.rs` in tokio's repository),
//! with its constants, written against [`Spawner`]: what tokio's authors chose to measure
//! a scheduler with. Each `async fn` is one iteration, run inside the runtime's
//! `block_on`; the remote ones take the [`Bench`] and spawn from outside it.

use futures_channel::oneshot;

use crate::{join_all, Bench, Countdown, Spawner};

/// Tasks spawned by the `spawn_many_*` workloads.
pub const SPAWN: usize = 10_000;
/// Tasks in `yield_many`.
pub const YIELD_TASKS: usize = 200;
/// Yields each of the [`YIELD_TASKS`] tasks makes.
pub const YIELDS: usize = 1_000;
/// Pairs in `ping_pong`.
pub const PINGS: usize = 1_000;
/// Length of the `chained_spawn` chain.
pub const CHAIN: usize = 1_000;
/// How long each busy task of `spawn_many_remote_busy1` spins between its yields.
pub const STALL: std::time::Duration = std::time::Duration::from_micros(10);

/// [`SPAWN`] tasks spawned from the thread inside `block_on`, each counting down once.
pub async fn spawn_many_local(s: Spawner) {
    let (countdown, done) = Countdown::new(SPAWN);
    for _ in 0..SPAWN {
        let countdown = countdown.clone();
        s.spawn(async move { countdown.tick() });
    }
    done.await.expect("the last task signals");
}

/// One task spawns [`SPAWN`] tasks, each counting down once.
pub async fn spawn_many_in_task(s: Spawner) {
    let (countdown, done) = Countdown::new(SPAWN);
    let spawner = s.clone();
    s.spawn(async move {
        for _ in 0..SPAWN {
            let countdown = countdown.clone();
            spawner.spawn(async move { countdown.tick() });
        }
    });
    done.await.expect("the last task signals");
}

/// [`SPAWN`] empty tasks spawned from a thread outside the runtime, then awaited
/// from `block_on`. (Not on `turtles-local`: `spawn_local` needs `block_on`.)
pub fn spawn_many_remote(bench: &Bench) {
    let s = bench.spawner();
    let handles: Vec<_> = (0..SPAWN).map(|_| s.spawn_join(async {})).collect();
    bench.block_on(join_all(handles));
}

/// Starts `spawn_many_remote_busy1`'s background load: two tasks per worker, each
/// yielding and spinning [`STALL`] in a loop until the returned sender is dropped.
pub fn start_busy_tasks(bench: &Bench, workers: usize) -> Vec<oneshot::Sender<()>> {
    let s = bench.spawner();
    (0..2 * workers)
        .map(|_| {
            let (stop, mut stopped) = oneshot::channel::<()>();
            let s2 = s.clone();
            s.spawn(async move {
                while let Ok(None) = stopped.try_recv() {
                    s2.yield_now().await;
                    let start = std::time::Instant::now();
                    while start.elapsed() < STALL {
                        std::hint::spin_loop();
                    }
                }
            });
            stop
        })
        .collect()
}

/// [`YIELD_TASKS`] tasks each yield [`YIELDS`] times.
pub async fn yield_many(s: Spawner) {
    let (countdown, done) = Countdown::new(YIELD_TASKS);
    for _ in 0..YIELD_TASKS {
        let (countdown, s2) = (countdown.clone(), s.clone());
        s.spawn(async move {
            for _ in 0..YIELDS {
                s2.yield_now().await;
            }
            countdown.tick();
        });
    }
    done.await.expect("the last task signals");
}

/// [`PINGS`] pairs of tasks each bounce a message through two oneshots.
pub async fn ping_pong(s: Spawner) {
    let (countdown, done) = Countdown::new(PINGS);
    let spawner = s.clone();
    s.spawn(async move {
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
    });
    done.await.expect("the last task signals");
}

/// A chain of [`CHAIN`] tasks, each spawning the next.
pub async fn chained_spawn(s: Spawner) {
    let (countdown, done) = Countdown::new(1);
    chain(s, CHAIN, countdown);
    done.await.expect("the last task signals");
}

fn chain(s: Spawner, left: usize, countdown: Countdown) {
    if left == 0 {
        return countdown.tick();
    }
    let next = s.clone();
    s.spawn(async move { chain(next, left - 1, countdown) });
}
