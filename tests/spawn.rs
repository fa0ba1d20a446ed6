//! `spawn` works from inside and outside a runtime and panics with the fix outside
//! one; 100,000 tasks from two threads all complete; wakes from another thread or
//! during a poll are never lost.

mod common;

use std::{
    future::Future,
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        mpsc, Arc,
    },
    task::{Poll, Waker},
    thread,
};

use common::{panic_text, runtime, PATIENCE};
use turtles::JoinHandle;

#[test]
fn spawn_from_inside_and_outside_the_runtime() {
    let rt = runtime(2);
    let outside = rt.spawn(async { 1 });
    let via_handle = {
        let handle = rt.handle();
        thread::spawn(move || handle.spawn(async { 2 }))
            .join()
            .unwrap()
    };
    let inside = rt.block_on(async {
        let nested = turtles::spawn(async { turtles::spawn(async { 3 }).await.unwrap() });
        nested.await.unwrap()
    });
    assert_eq!(rt.block_on(outside).unwrap(), 1);
    assert_eq!(rt.block_on(via_handle).unwrap(), 2);
    assert_eq!(inside, 3);
}

#[test]
fn spawn_outside_a_runtime_panics_with_the_fix() {
    let err = std::panic::catch_unwind(|| turtles::spawn(async {})).unwrap_err();
    let msg = panic_text(&*err);
    assert!(
        msg.contains("outside a runtime") && msg.contains("Fix:"),
        "{msg}"
    );
}

#[test]
fn a_hundred_thousand_tasks_from_two_threads_all_complete() {
    let rt = runtime(2);
    let done = Arc::new(AtomicUsize::new(0));
    let spawners: Vec<_> = (0..2)
        .map(|_| {
            let handle = rt.handle();
            let done = done.clone();
            thread::spawn(move || {
                let handles: Vec<JoinHandle<()>> = (0..50_000)
                    .map(|_| {
                        let done = done.clone();
                        handle.spawn(async move {
                            done.fetch_add(1, SeqCst);
                        })
                    })
                    .collect();
                handles
            })
        })
        .collect();
    for spawner in spawners {
        for handle in spawner.join().unwrap() {
            rt.block_on(handle).unwrap();
        }
    }
    assert_eq!(done.load(SeqCst), 100_000);
    let m = rt.metrics();
    assert_eq!(m.spawned(), 100_000);
    assert_eq!(m.completed(), 100_000);
    assert_eq!(m.live_tasks(), 0);
}

#[test]
fn a_task_woken_from_another_thread_runs_again() {
    let rt = runtime(2);
    let (tx, rx) = mpsc::channel::<Waker>();
    let mut woken = false;
    let task = rt.spawn(std::future::poll_fn(move |cx| {
        if woken {
            return Poll::Ready("woken");
        }
        woken = true;
        tx.send(cx.waker().clone()).unwrap();
        Poll::Pending
    }));
    let waker = rx.recv_timeout(PATIENCE).unwrap();
    thread::spawn(move || waker.wake()).join().unwrap();
    assert_eq!(rt.block_on(task).unwrap(), "woken");
}

#[test]
fn a_wake_during_poll_is_not_lost() {
    let rt = runtime(1);
    let polls = Arc::new(AtomicUsize::new(0));
    let counted = polls.clone();
    let task = rt.spawn(std::future::poll_fn(move |cx| {
        if counted.fetch_add(1, SeqCst) == 0 {
            cx.waker().wake_by_ref(); // wakes itself, then says Pending
            return Poll::Pending;
        }
        Poll::Ready(())
    }));
    rt.block_on(task).unwrap();
    assert_eq!(polls.load(SeqCst), 2);
}

/// `is_finished()` is a promise: once it says `true`, the next poll of the handle is
/// `Ready` (it used to turn true before the output was stored).
#[test]
fn is_finished_means_the_next_poll_is_ready() {
    let rt = runtime(2);
    for i in 0..1_000 {
        let handle = rt.spawn(async move { i });
        while !handle.is_finished() {
            std::hint::spin_loop();
        }
        let mut handle = std::pin::pin!(handle);
        let polled = handle
            .as_mut()
            .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
        match polled {
            std::task::Poll::Ready(out) => assert_eq!(out.unwrap(), i),
            std::task::Poll::Pending => panic!("finished, yet not ready"),
        }
    }
}
