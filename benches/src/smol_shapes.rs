//! async-executor's own benchmarks (`benches/executor.rs` in smol's repository), with
//! its constants and its seeded random choices, written against [`Spawner`]. Each is
//! one iteration, run inside the runtime's `block_on`.
//!
//! One difference: async-executor's `spawn_batch` drops its 250 handles unawaited
//! (cancelling what has not run); here they are awaited, so every runtime does the
//! same work.

use std::{future::Future, hint::black_box, pin::Pin};

use crate::{join_all, Spawner};

/// Tasks in `spawn_recursively`, `yield_now`, `channels` and `web_server`.
pub const TASKS: usize = 300;
/// Steps per task in the same.
pub const STEPS: usize = 300;
/// Tasks in `spawn_many`.
pub const LIGHT_TASKS: usize = 25_000;
/// Tasks in `spawn_batch`.
pub const BATCH: usize = 250;

/// Spawns one empty task and awaits it.
pub async fn spawn_one(s: Spawner) {
    s.spawn_join(async {}).await;
}

/// Spawns [`BATCH`] tasks that each yield once, then awaits them.
pub async fn spawn_batch(s: Spawner) {
    let s2 = s.clone();
    let handles = (0..BATCH)
        .map(|_| {
            let s3 = s2.clone();
            s.spawn_join(async move { s3.yield_now().await })
        })
        .collect();
    join_all(handles).await;
}

/// Spawns [`LIGHT_TASKS`] empty tasks, then awaits them.
pub async fn spawn_many(s: Spawner) {
    let handles = (0..LIGHT_TASKS).map(|_| s.spawn_join(async {})).collect();
    join_all(handles).await;
}

/// [`TASKS`] chains of [`STEPS`] tasks, each spawning the next and awaiting it.
pub async fn spawn_recursively(s: Spawner) {
    fn go(s: Spawner, i: usize) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move {
            if i != 0 {
                let next = s.clone();
                s.spawn_join(async move { go(next, i - 1).await }).await;
            }
        })
    }
    let handles = (0..TASKS)
        .map(|_| s.spawn_join(go(s.clone(), STEPS)))
        .collect();
    join_all(handles).await;
}

/// [`TASKS`] tasks each yield [`STEPS`] times.
pub async fn yield_now(s: Spawner) {
    let handles = (0..TASKS)
        .map(|_| {
            let s2 = s.clone();
            s.spawn_join(async move {
                for _ in 0..STEPS {
                    s2.yield_now().await;
                }
            })
        })
        .collect();
    join_all(handles).await;
}

/// A ring of [`TASKS`] tasks joined by `bounded(1)` channels; a token goes round it
/// [`STEPS`] times.
pub async fn channels(s: Spawner) {
    let (first_send, first_recv) = async_channel::bounded::<()>(1);
    let mut recv = first_recv;
    let mut handles = Vec::with_capacity(TASKS);
    for _ in 0..TASKS {
        let (next_send, next_recv) = async_channel::bounded(1);
        let this_recv = std::mem::replace(&mut recv, next_recv);
        handles.push(s.spawn_join(async move {
            for _ in 0..STEPS {
                this_recv.recv().await.expect("the ring is intact");
                next_send.send(()).await.expect("the ring is intact");
            }
        }));
    }
    for _ in 0..STEPS {
        first_send.send(()).await.expect("the ring is intact");
        recv.recv().await.expect("the ring is intact");
    }
    join_all(handles).await;
}

/// A simulated web server: [`TASKS`] requests, half served from cache, the rest making
/// database calls through channels to a database task; every choice drawn from the
/// same seeded generator as async-executor's benchmark.
pub async fn web_server(s: Spawner) {
    let (db_send, db_recv) = async_channel::bounded::<async_channel::Sender<usize>>(TASKS / 5);
    let mut db_rng = fastrand::Rng::with_seed(0x1234_5678);
    let mut web_rng = db_rng.fork();

    let s_db = s.clone();
    let database = s.spawn_join(async move {
        while let Ok(respond) = db_recv.recv().await {
            for _ in 0..db_rng.usize(..10) {
                s_db.yield_now().await; // a slow query
            }
            respond.send(db_rng.usize(..)).await.ok();
        }
    });

    let s_web = s.clone();
    let server = s.spawn_join(async move {
        for i in 0..TASKS {
            if web_rng.usize(..=16) == 16 {
                s_web.yield_now().await; // waiting for a connection
            }
            let mut rng = web_rng.fork();
            let (db_send, s_req) = (db_send.clone(), s_web.clone());
            s_web.spawn(async move {
                if rng.bool() {
                    s_req.yield_now().await; // cached
                    return;
                }
                for _ in 0..rng.usize(STEPS / 2..STEPS) {
                    let (respond, response) = async_channel::bounded(1);
                    db_send.send(respond).await.expect("the database runs");
                    black_box(response.recv().await.expect("the database answers"));
                }
                for _ in 0..rng.usize(3..16) {
                    s_req.yield_now().await; // sending the reply
                }
            });
            if i & 16 == 0 {
                s_web.yield_now().await;
            }
        }
    });
    server.await;
    database.await; // ends once every request task dropped its sender
}
