//! Helpers shared by the executor's test binaries: the patience for waits, the text of
//! a caught panic, a runtime of `n` workers, and fixtures that count polls and drops.

// Every test binary compiles this module but uses only some of it.
#![allow(dead_code)]

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        Arc,
    },
    task::{Context, Poll},
    thread,
    time::Duration,
};

use turtles::Runtime;

/// Generous: CI shares two noisy cores.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The text of a caught panic, whether it was built with format arguments or not.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

pub fn runtime(workers: usize) -> Runtime {
    Runtime::builder()
        .worker_threads(workers)
        .build()
        .expect("runtime starts")
}

/// Returns `Pending` `pendings` times; before each, a helper thread is asked to wake
/// it once. Counts its polls.
pub struct WakeFromThread {
    pub polls: Arc<AtomicUsize>,
    pub pendings: usize,
}

impl Future for WakeFromThread {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.fetch_add(1, SeqCst);
        if self.pendings == 0 {
            return Poll::Ready(());
        }
        self.pendings -= 1;
        let waker = cx.waker().clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(5));
            waker.wake();
        });
        Poll::Pending
    }
}

pub struct DropCounter(pub Arc<AtomicUsize>);
impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}
