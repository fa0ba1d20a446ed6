//! Polling a future by hand, one step at a time, with a waker that counts its wakes:
//! the order in which waiters are served becomes a plain sequence of asserts.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        Arc,
    },
    task::{Context, Poll, Wake, Waker},
};

/// A waker that counts how often it was woken.
#[derive(Default)]
pub struct Probe {
    wakes: AtomicUsize,
}

impl Probe {
    pub fn new() -> Arc<Probe> {
        Arc::new(Probe::default())
    }

    pub fn wakes(&self) -> usize {
        self.wakes.load(SeqCst)
    }
}

impl Wake for Probe {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, SeqCst);
    }
}

/// Polls `future` once with `probe`'s waker.
pub fn poll_with<F: Future + ?Sized>(future: Pin<&mut F>, probe: &Arc<Probe>) -> Poll<F::Output> {
    let waker = Waker::from(probe.clone());
    future.poll(&mut Context::from_waker(&waker))
}

/// A waker whose `wake` panics: hostile user code.
pub struct PanickingWaker;

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic!("a waker that panics on purpose");
    }
}
