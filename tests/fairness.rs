//! `yield_now` is fair: two yielding tasks on one worker take strict turns.

mod common;

use std::sync::{Arc, Mutex};

use common::runtime;
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
