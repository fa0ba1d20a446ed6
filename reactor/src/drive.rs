//! `drive`: the smallest event loop — one future, one thread, the reactor in between.
//!
//! Lesson: with a reactor, an executor needs only one more trick. Poll the future; if
//! it is pending, sleep *in the reactor* until some event or timer wakes it; repeat.
//! The reactor crate knows nothing about tasks, so this is all it offers on its own
//! (the facade's `turtles::block_on` is the full version, with spawning). Its doc
//! examples and tests run on it.

use std::{
    future::Future,
    pin::pin,
    sync::{
        atomic::{AtomicBool, Ordering::SeqCst},
        Arc,
    },
    task::{Context, Poll, Wake, Waker},
};

use crate::reactor::Reactor;

struct Woken {
    flag: AtomicBool,
    reactor: &'static Reactor,
}

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.flag.store(true, SeqCst);
        self.reactor.unpark();
    }
}

/// Runs `future` to completion on this thread, serving I/O and timers meanwhile.
///
/// # Panics
///
/// If the reactor cannot start (the OS refused an epoll instance).
///
/// # Examples
///
/// ```
/// let n = turtles_reactor::drive(async { 2 + 2 });
/// assert_eq!(n, 4);
/// ```
pub fn drive<F: Future>(future: F) -> F::Output {
    let reactor = Reactor::global().unwrap_or_else(|e| panic!("{e}"));
    // This thread drives the reactor while it runs: the backup thread steps aside.
    let _attached = reactor.attach_driver();
    let woken = Arc::new(Woken {
        flag: AtomicBool::new(true),
        reactor,
    });
    let waker = Waker::from(woken.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if woken.flag.swap(false, SeqCst) {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
        }
        // The token first: a wake after this point makes `park` return at once.
        let token = reactor.token();
        if !woken.flag.load(SeqCst) {
            reactor.park(token, None);
        }
    }
}
