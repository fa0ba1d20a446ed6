//! Polling a future by hand, one step at a time, with a waker that counts its wakes:
//! the order in which waiters are served becomes a plain sequence of asserts.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        Arc,
    },
    task::{Context, Poll, Waker},
};

/// A waker that counts how often it was woken (`counting_waker`), kept with its count.
pub struct Probe {
    wakes: Arc<AtomicUsize>,
    waker: Waker,
}

impl Probe {
    pub fn new() -> Probe {
        let wakes = Arc::new(AtomicUsize::new(0));
        Probe {
            waker: super::counting_waker(wakes.clone()),
            wakes,
        }
    }

    pub fn wakes(&self) -> usize {
        self.wakes.load(SeqCst)
    }
}

/// Polls `future` once with `probe`'s waker.
pub fn poll_with<F: Future + ?Sized>(future: Pin<&mut F>, probe: &Probe) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(&probe.waker))
}
