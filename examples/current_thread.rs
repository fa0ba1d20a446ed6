//! # current_thread: a runtime is a loop, not a set of threads
//!
//! The idea: a runtime with *no* worker threads still runs tasks — on the thread that
//! calls `block_on`, between polls of its own future. `Builder::current_thread()`
//! builds one (tokio's `new_current_thread`). Everything else is the same: `spawn`,
//! `JoinHandle`, timers, sockets; a `Handle` may even spawn from another thread. The
//! difference is *when* tasks run: only while some thread is inside `block_on`.
//!
//! What you will see: 1,000 tasks that each sleep 10 ms all finish on `main`, in about
//! 10 ms (their waits overlap: one thread is enough to wait for many timers); a task
//! spawned from another thread while nobody is inside `block_on` has not run when
//! `block_on` starts, and runs inside it.
//!
//! Run it: `cargo run --release --example current_thread`
//!
//! Try next: replace `current_thread()` with `worker_threads(2)`: the tasks then run on
//! `turtles-worker-0` and `-1`, and the task from the other thread runs at once.

use std::{
    collections::BTreeSet,
    sync::{
        atomic::{AtomicBool, Ordering::SeqCst},
        Arc,
    },
    thread,
    time::{Duration, Instant},
};

#[path = "common/mod.rs"]
mod common;

fn here() -> String {
    thread::current().name().unwrap_or("unnamed").to_owned()
}

pub fn main() {
    let rt = turtles::Runtime::builder()
        .current_thread()
        .build()
        .unwrap();

    let start = Instant::now();
    let threads = rt.block_on(async {
        let tasks: Vec<_> = (0..1_000)
            .map(|_| {
                turtles::spawn(async {
                    turtles::time::sleep(Duration::from_millis(10)).await;
                    here()
                })
            })
            .collect();
        let mut threads = BTreeSet::new();
        for task in tasks {
            threads.insert(task.await.unwrap());
        }
        threads
    });
    println!(
        "1,000 tasks slept 10 ms each in {:.0} ms, on the thread(s) {threads:?}",
        common::ms(start.elapsed())
    );

    let ran = Arc::new(AtomicBool::new(false));
    let handle = rt.handle();
    let r = ran.clone();
    let from_elsewhere = thread::spawn(move || handle.spawn(async move { r.store(true, SeqCst) }))
        .join()
        .unwrap();
    println!(
        "spawned from another thread; ran before block_on? {}",
        ran.load(SeqCst)
    );
    rt.block_on(from_elsewhere).unwrap();
    println!(
        "after block_on:                       ran? {}",
        ran.load(SeqCst)
    );
}
