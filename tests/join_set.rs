//! JoinSet: completion order, abort on drop, panics as JoinError, shutdown.

mod common;

use common::DropCounter;

use std::sync::{
    atomic::{AtomicUsize, Ordering::SeqCst},
    Arc,
};

use turtles::{sync::oneshot, task::JoinSet};

#[turtles::test]
async fn tasks_come_out_in_the_order_they_finish() {
    let mut set = JoinSet::new();
    let mut gates = Vec::new();
    for id in 0..3 {
        let (open, gate) = oneshot::channel::<()>();
        gates.push(Some(open));
        set.spawn(async move {
            gate.await.unwrap();
            id
        });
    }
    // Finish them in the order 2, 0, 1.
    for id in [2, 0, 1] {
        gates[id].take().unwrap().send(()).unwrap();
        assert_eq!(set.join_next().await.unwrap().unwrap(), id);
    }
    assert!(set.join_next().await.is_none());
}

#[turtles::test(worker_threads = 2)]
async fn dropping_the_set_aborts_its_tasks() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = turtles::sync::mpsc::unbounded_channel::<()>();
    let mut set = JoinSet::new();
    for _ in 0..10 {
        // One value: its fields drop in order, the counter's bump before the sender,
        // whether the future was polled or not (two locals would drop in reverse
        // order, the sender first, and the receiver could see `None` before the last
        // bump: 2 runs in 300 failed that way).
        let guard = (DropCounter(dropped.clone()), tx.clone());
        set.spawn(async move {
            let _guard = guard; // dropped with the future
            std::future::pending::<()>().await
        });
    }
    drop(tx);
    drop(set);
    // Every clone of `tx` lives in a task's future: `None` means all were dropped.
    assert_eq!(rx.recv().await, None);
    assert_eq!(dropped.load(SeqCst), 10);
}

#[turtles::test]
async fn a_panic_comes_out_as_a_join_error() {
    let mut set = JoinSet::new();
    set.spawn(async { panic!("inside the set") });
    set.spawn(async { "fine" });
    let mut panics = 0;
    let mut outputs = Vec::new();
    while let Some(done) = set.join_next().await {
        match done {
            Ok(out) => outputs.push(out),
            Err(e) if e.is_panic() => panics += 1,
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!((panics, outputs), (1, vec!["fine"]));
}

#[turtles::test]
async fn abort_all_cancels_and_shutdown_empties_the_set() {
    let mut set = JoinSet::new();
    let abort = set.spawn(std::future::pending::<()>());
    set.spawn(std::future::pending::<()>());
    assert_eq!(set.len(), 2);
    set.abort_all();
    assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    assert!(abort.is_finished() || set.len() == 1);
    set.spawn(std::future::pending::<()>());
    set.shutdown().await;
    assert!(set.is_empty());
}

#[turtles::test]
async fn an_abort_handle_stops_one_member() {
    let mut set = JoinSet::new();
    let stop = set.spawn(std::future::pending::<u8>());
    set.spawn(async { 7 });
    stop.abort();
    let mut results: Vec<_> = Vec::new();
    while let Some(done) = set.join_next().await {
        results.push(done.map_err(|e| e.is_cancelled()));
    }
    results.sort();
    assert_eq!(results, [Ok(7), Err(true)]);
}

#[turtles::test(worker_threads = 4)]
async fn thousands_of_tasks_are_each_joined_once() {
    let mut set = JoinSet::new();
    for i in 0..5000u64 {
        set.spawn(async move {
            if i % 3 == 0 {
                turtles::task::yield_now().await;
            }
            i
        });
    }
    let mut sum = 0;
    let mut count = 0;
    while let Some(done) = set.join_next().await {
        sum += done.unwrap();
        count += 1;
    }
    assert_eq!((count, sum), (5000, 4999 * 5000 / 2));
}
