//! A task's panic reaches its `JoinHandle` with the task's name and location, a
//! detached task's panic reaches the unobserved-panic hook, and a `JoinHandle` polled
//! again after `Ready` panics with the fix.

mod common;

use std::{
    future::Future,
    sync::{mpsc, Mutex},
    thread,
};

use common::{panic_text, runtime, PATIENCE};
use turtles::{task, Runtime};

async fn kaboom() {
    panic!("kaboom")
}

async fn nobody_listens() {
    panic!("nobody listens")
}

#[test]
fn a_panic_reaches_the_join_handle_with_the_tasks_name_and_location() {
    let rt = runtime(2);
    let (b, h) = (task::Builder::new().name("exploder"), rt.handle());
    let (handle, line) = (b.spawn_on(kaboom(), &h), line!());
    let err = rt.block_on(handle).unwrap_err();
    assert!(err.is_panic() && !err.is_cancelled());
    let text = err.to_string();
    assert!(text.contains("task 'exploder'"), "{text}");
    assert!(text.contains(&format!("{}:{line}:", file!())), "{text}");
    assert!(text.contains("kaboom"), "{text}");
    assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "kaboom");

    // The worker survived the panic.
    assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap(), 5);
}

#[test]
fn a_detached_panicking_task_reaches_the_unobserved_panic_hook() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let rt = Runtime::builder()
        .worker_threads(2)
        .on_unobserved_panic(move |report| {
            let line = (
                report.task_name().map(str::to_owned),
                report.message().to_owned(),
                report.location().line(),
            );
            tx.lock().unwrap().send(line).unwrap();
        })
        .build()
        .unwrap();
    let (b, h) = (task::Builder::new().name("orphan"), rt.handle());
    let (handle, line) = (b.spawn_on(nobody_listens(), &h), line!());
    handle.detach();
    let (name, message, at) = rx.recv_timeout(PATIENCE).expect("the hook was called");
    assert_eq!(name.as_deref(), Some("orphan"));
    assert_eq!(message, "nobody listens");
    assert_eq!(at, line);

    // A handle dropped after the panic, without looking at it, also reports it.
    let handle = rt.spawn(async { panic!("ignored") });
    while !handle.is_finished() {
        thread::yield_now();
    }
    drop(handle);
    let (_, message, _) = rx.recv_timeout(PATIENCE).expect("the hook was called");
    assert_eq!(message, "ignored");

    // A handle that waited once (its waker sits in the join slot), then was dropped
    // before the task panicked: the panic is reported, and the waker is dropped.
    let (go, wait) = turtles::sync::oneshot::channel::<()>();
    let mut handle = rt.spawn(async move {
        let _ = wait.await;
        panic!("after the wait")
    });
    let woken = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::new(Flag(woken.clone()));
    let waker = std::task::Waker::from(flag.clone());
    let polled = std::pin::Pin::new(&mut handle).poll(&mut std::task::Context::from_waker(&waker));
    assert!(polled.is_pending());
    drop(waker);
    assert_eq!(
        std::sync::Arc::strong_count(&flag),
        2,
        "the slot keeps a clone"
    );
    drop(handle);
    assert_eq!(
        std::sync::Arc::strong_count(&flag),
        1,
        "the handle's drop drops its waker, on the dropping thread"
    );
    go.send(()).unwrap();
    let (_, message, _) = rx.recv_timeout(PATIENCE).expect("the hook was called");
    assert_eq!(message, "after the wait");
    assert!(
        !woken.load(std::sync::atomic::Ordering::SeqCst),
        "a dropped handle is not woken"
    );
}

/// A waker that records being woken.
struct Flag(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl std::task::Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn join_handle_polled_again_after_ready_panics_with_the_fix() {
    let rt = runtime(1);
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            let mut handle = turtles::spawn(async { 1 });
            (&mut handle).await.unwrap();
            let _ = (&mut handle).await;
        })
    }))
    .unwrap_err();
    assert!(panic_text(&*err).contains("already returned its output"));
}
