//! `spawn_local` runs a `!Send` future on the `block_on` thread, and outside
//! `block_on` it panics with the reason.

mod common;

use std::{
    rc::Rc,
    sync::{
        atomic::{AtomicBool, Ordering::SeqCst},
        Arc,
    },
    thread,
};

use common::{runtime, wait_until};
use turtles::task;

#[test]
fn spawn_local_runs_an_rc_future_on_the_block_on_thread() {
    let here = thread::current().id();
    let rt = runtime(2);
    let out = rt.block_on(async move {
        let shared = Rc::new(std::cell::Cell::new(0));
        let mine = shared.clone();
        let handle = turtles::spawn_local(async move {
            for _ in 0..3 {
                assert_eq!(thread::current().id(), here);
                mine.set(mine.get() + 1);
                task::yield_now().await;
            }
            mine.get()
        });
        let out = handle.await.unwrap();
        assert_eq!(shared.get(), 3);
        out
    });
    assert_eq!(out, 3);
}

#[test]
fn spawn_local_outside_block_on_panics_with_the_reason() {
    let rt = runtime(1);
    let err = rt
        .block_on(rt.spawn(async { turtles::spawn_local(async {}).detach() }))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("spawn_local was called outside block_on"),
        "{err}"
    );
}

/// Runs `block_on` on a thread of its own and waits for it (`wait_until`), so that a
/// starved timer fails the test instead of hanging it.
fn finishes_in_time(what: &str, block_on: impl FnOnce() + Send + 'static) {
    let done = Arc::new(AtomicBool::new(false));
    let finished = done.clone();
    thread::spawn(move || {
        block_on();
        finished.store(true, SeqCst);
    });
    wait_until(what, || done.load(SeqCst));
}

async fn sleep_beside_a_spinning_local_task() {
    // A local task that never waits: the thread is always busy with it.
    turtles::spawn_local(async {
        loop {
            task::yield_now().await;
        }
    });
    turtles::time::sleep(std::time::Duration::from_millis(10)).await;
}

/// `turtles::block_on` starved before its loop looked at the reactor between batches
/// of local tasks; a current-thread runtime's worker loop already looked.
#[test]
fn a_local_task_yielding_in_a_loop_does_not_starve_timers() {
    finishes_in_time("turtles::block_on", || {
        turtles::block_on(sleep_beside_a_spinning_local_task())
    });
    finishes_in_time("a current-thread runtime's block_on", || {
        let rt = turtles::Runtime::builder()
            .current_thread()
            .build()
            .unwrap();
        rt.block_on(sleep_beside_a_spinning_local_task());
    });
}
