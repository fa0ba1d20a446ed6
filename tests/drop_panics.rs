//! A panic in a future's `Drop` is the task's panic — for `Send` and local tasks, and
//! whether the task finished, was aborted, or was cancelled by shutdown or by the end
//! of its `block_on`. Every task ends through the same completion path, so each row of
//! this file must come out the same way: `JoinError::is_panic()` carrying the drop's
//! message, and the runtime still runs tasks afterwards.

mod common;

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use common::{panic_text, runtime};

const IN_DROP: &str = "a panic in the future's Drop";

/// Wraps a future; panics when dropped.
struct PanicsWhenDropped<F>(Pin<Box<F>>);

impl<F: Future> Future for PanicsWhenDropped<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl<F> Drop for PanicsWhenDropped<F> {
    fn drop(&mut self) {
        panic!("{IN_DROP}");
    }
}

fn panics_when_dropped<F: Future>(future: F) -> PanicsWhenDropped<F> {
    PanicsWhenDropped(Box::pin(future))
}

fn assert_drop_panic(result: Result<impl std::fmt::Debug, turtles::JoinError>) {
    let err = result.expect_err("a panic in Drop is no success");
    assert!(err.is_panic(), "a panic in Drop is a panic, not {err}");
    assert_eq!(panic_text(&*err.into_panic()), IN_DROP);
}

#[test]
fn a_send_task_that_returns_and_then_panics_in_drop() {
    let rt = runtime(1);
    assert_drop_panic(rt.block_on(rt.spawn(panics_when_dropped(async { 7 }))));
    assert_eq!(
        rt.block_on(rt.spawn(async { 1 })).unwrap(),
        1,
        "the worker lives"
    );
}

#[test]
fn a_send_task_aborted_while_waiting_and_then_panics_in_drop() {
    let rt = runtime(1);
    let handle = rt.spawn(panics_when_dropped(std::future::pending::<()>()));
    handle.abort();
    assert_drop_panic(rt.block_on(handle));
    assert_eq!(
        rt.block_on(rt.spawn(async { 1 })).unwrap(),
        1,
        "the worker lives"
    );
}

#[test]
fn a_send_task_cancelled_by_shutdown_that_panics_in_drop() {
    let rt = runtime(1);
    let handle = rt.spawn(panics_when_dropped(std::future::pending::<()>()));
    drop(rt);
    assert_drop_panic(turtles_block_on_foreign(handle));
}

#[test]
fn a_detached_task_whose_drop_panics_reaches_the_hook() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let rt = turtles::Runtime::builder()
        .worker_threads(1)
        .on_unobserved_panic(move |report| sink.lock().unwrap().push(report.message().to_owned()))
        .build()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    rt.spawn(panics_when_dropped(async move { tx.send(()).unwrap() }))
        .detach();
    rx.recv().unwrap();
    // The completion (and its report) happens right after the send, on the worker; a
    // task spawned later on the one worker runs after it.
    rt.block_on(rt.spawn(async {})).unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![IN_DROP.to_owned()]);
}

#[test]
fn a_local_task_that_returns_and_then_panics_in_drop() {
    let result =
        turtles::block_on(async { turtles::spawn_local(panics_when_dropped(async { 7 })).await });
    assert_drop_panic(result);
}

#[test]
fn a_local_task_aborted_while_waiting_and_then_panics_in_drop() {
    let result = turtles::block_on(async {
        let handle = turtles::spawn_local(panics_when_dropped(std::future::pending::<()>()));
        handle.abort();
        handle.await
    });
    assert_drop_panic(result);
}

#[test]
fn a_local_task_cancelled_by_the_end_of_its_block_on_that_panics_in_drop() {
    // The handle leaves its block_on unawaited on purpose: the end of the block_on is
    // what cancels the task.
    #[allow(clippy::async_yields_async)]
    let handle = turtles::block_on(async {
        turtles::spawn_local(panics_when_dropped(std::future::pending::<()>()))
    });
    assert_drop_panic(turtles_block_on_foreign(handle));
}

/// Awaits a handle whose runtime is gone, with no turtles executor involved.
fn turtles_block_on_foreign<T>(handle: turtles::JoinHandle<T>) -> Result<T, turtles::JoinError> {
    // The handle is already resolved; any executor will do. A plain poll with a no-op
    // waker proves it needs none.
    let mut handle = std::pin::pin!(handle);
    match handle
        .as_mut()
        .poll(&mut Context::from_waker(std::task::Waker::noop()))
    {
        Poll::Ready(result) => result,
        Poll::Pending => panic!("a task finished by shutdown resolves its handle at once"),
    }
}
