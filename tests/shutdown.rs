//! Shutdown: dropping a runtime drops every future exactly once, spawning on a dropped
//! runtime gives a cancelled task, dropping it on its own worker panics instead of
//! deadlocking, and zero workers is an error.

mod common;

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        Arc, Mutex,
    },
    task::{Poll, Waker},
    thread,
};

use common::{runtime, DropCounter, PATIENCE};
use turtles::{task, Runtime};

#[test]
fn shutdown_drops_every_future_exactly_once_even_those_parked_on_outside_wakers() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let outside_wakers: Arc<Mutex<Vec<Waker>>> = Arc::default();
    let rt = runtime(2);
    let mut handles = Vec::new();
    for _ in 0..100 {
        let guard = DropCounter(dropped.clone());
        let wakers = outside_wakers.clone();
        let mut registered = false;
        // Parks forever; its only waker lives in `outside_wakers`, outside the runtime.
        handles.push(rt.spawn(std::future::poll_fn(move |cx| {
            let _ = &guard;
            if !registered {
                registered = true;
                wakers.lock().unwrap().push(cx.waker().clone());
            }
            Poll::<()>::Pending
        })));
    }
    while outside_wakers.lock().unwrap().len() < 100 {
        thread::yield_now();
    }
    for _ in 0..100 {
        let guard = DropCounter(dropped.clone());
        handles.push(rt.spawn(async move {
            let _guard = guard;
            loop {
                task::yield_now().await; // always runnable, never done
            }
        }));
    }
    drop(rt);
    assert_eq!(
        dropped.load(SeqCst),
        200,
        "every future dropped exactly once"
    );
    for handle in handles {
        assert!(handle.is_finished());
        assert!(turtles::block_on(handle).unwrap_err().is_cancelled());
    }
    // Wakers used after shutdown do nothing.
    for waker in outside_wakers.lock().unwrap().drain(..) {
        waker.wake();
    }
    assert_eq!(dropped.load(SeqCst), 200);
}

#[test]
fn spawning_on_a_dropped_runtime_yields_a_cancelled_task() {
    let rt = runtime(1);
    let handle = rt.handle();
    drop(rt);
    let dropped = Arc::new(AtomicUsize::new(0));
    let guard = DropCounter(dropped.clone());
    let task = handle.spawn(async move { drop(guard) });
    assert_eq!(dropped.load(SeqCst), 1);
    assert!(turtles::block_on(task).unwrap_err().is_cancelled());
}

#[test]
fn dropping_a_runtime_on_its_own_worker_panics_instead_of_deadlocking() {
    let rt = Arc::new(Mutex::new(Some(runtime(2))));
    let handle = rt.lock().unwrap().as_ref().unwrap().handle();
    // A task parked forever: only a shutdown that completes drops its future.
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = DropCounter(drops.clone());
    handle
        .spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        })
        .detach();
    let inside = rt.clone();
    let task = handle.spawn(async move {
        let rt = inside.lock().unwrap().take();
        drop(rt);
    });
    let err = turtles::block_on(task).unwrap_err();
    assert!(
        err.to_string()
            .contains("dropped on one of its own worker threads"),
        "{err}"
    );
    // The workers still stop, and the last one out finishes shutdown: the parked
    // task's future is dropped, and a late spawn is cancelled.
    let deadline = std::time::Instant::now() + PATIENCE;
    while drops.load(SeqCst) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the runtime never shut down"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(drops.load(SeqCst), 1);
    assert!(turtles::block_on(handle.spawn(async {}))
        .unwrap_err()
        .is_cancelled());
}

#[test]
fn zero_worker_threads_is_an_error_not_a_panic() {
    let err = Runtime::builder().worker_threads(0).build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("at least one worker"));
}
