//! `JoinHandle::abort` before completion cancels the task and drops its future; after
//! completion it keeps the output.

mod common;

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        Arc,
    },
    thread,
};

use common::{runtime, DropCounter};

#[test]
fn abort_before_and_after_completion() {
    let rt = runtime(2);
    let dropped = Arc::new(AtomicUsize::new(0));
    let guard = DropCounter(dropped.clone());
    let pending = rt.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    pending.abort();
    let err = rt.block_on(pending).unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    assert_eq!(dropped.load(SeqCst), 1, "abort drops the future");

    let done = rt.spawn(async { 9 });
    while !done.is_finished() {
        thread::yield_now();
    }
    done.abort();
    assert_eq!(
        rt.block_on(done).unwrap(),
        9,
        "abort after completion keeps the output"
    );
}

/// An `AbortHandle` outlives its `JoinHandle`, and still says when the task is over:
/// a detached task's output goes nowhere, but it does finish.
#[test]
fn an_abort_handle_sees_a_detached_task_finish() {
    let rt = runtime(2);
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = rt.spawn(async move { tx.send(()).unwrap() });
    let abort = handle.abort_handle();
    drop(handle);
    rx.recv().unwrap();
    // The send is the task's last act; its completion follows on the worker.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !abort.is_finished() {
        assert!(
            std::time::Instant::now() < deadline,
            "the task never finished"
        );
        thread::yield_now();
    }
}
