//! Fairness: two yielding tasks on one worker take strict turns, and a task never waits
//! behind a busy worker while another worker idles.

mod common;

use std::{
    sync::{mpsc, Arc, Mutex},
    thread,
    time::{Duration, Instant},
};

use common::{runtime, PATIENCE};
use turtles::task;

#[test]
fn two_yielding_tasks_interleave() {
    let rt = runtime(1);
    let log = Arc::new(Mutex::new(String::new()));
    let log2 = log.clone();
    rt.block_on(rt.spawn(async move {
        let tasks: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|letter| {
                let log = log2.clone();
                turtles::spawn(async move {
                    for _ in 0..50 {
                        log.lock().unwrap().push_str(letter);
                        task::yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    }))
    .unwrap();
    assert_eq!(*log.lock().unwrap(), "ab".repeat(50));
}

/// A task spawned by a busy task must not wait for the end of its parent's long poll
/// while another worker idles.
#[test]
fn a_child_spawned_by_a_busy_task_starts_on_the_idle_worker() {
    let rt = runtime(2);
    let deadline = Instant::now() + PATIENCE;
    while rt.metrics().parks() < 2 {
        assert!(Instant::now() < deadline, "the workers never parked");
        thread::sleep(Duration::from_millis(1));
    }
    let (tx, rx) = mpsc::channel();
    rt.spawn(async move {
        let spawned = Instant::now();
        turtles::spawn(async move { tx.send(spawned.elapsed()).unwrap() }).detach();
        thread::sleep(Duration::from_millis(700)); // the parent keeps its worker busy
    })
    .detach();
    let waited = rx.recv_timeout(PATIENCE).expect("the child ran");
    assert!(
        waited < Duration::from_millis(300),
        "the child waited for its parent's long poll: {waited:?}"
    );
}
