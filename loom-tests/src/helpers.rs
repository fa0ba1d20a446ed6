//! Futures and counters the models share.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc as StdArc,
    task::{Context, Poll, Waker},
};

use loom::sync::{
    atomic::{AtomicUsize, Ordering::SeqCst},
    Arc, Mutex,
};

/// The message of panics that models provoke on purpose; not printed.
pub const EXPECTED_PANIC: &str = "a panic the model provokes on purpose";

/// Explores every interleaving with at most `bound` preemptions (see each model for
/// why), prints how many executions that was, and fails if there was only one: a
/// model that explores nothing checks nothing.
pub fn check(bound: usize, model: impl Fn() + Sync + Send + 'static) {
    let executions = StdArc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = executions.clone();
    // The std panic hook would print the panic a model provokes on purpose once per
    // execution; pass everything else (a failing assertion above all) through.
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| {
        let print = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&EXPECTED_PANIC) {
                print(info);
            }
        }));
    });
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    builder.check(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        model()
    });
    let n = executions.load(std::sync::atomic::Ordering::Relaxed);
    let name = std::thread::current().name().unwrap_or("model").to_owned();
    eprintln!("{name}: {n} executions explored (preemption bound {bound})");
    assert!(
        n > 1,
        "the model explored a single execution: it races nothing"
    );
}

/// Counts its drops; the models assert "exactly once".
#[derive(Debug)]
pub struct DropCounter(pub Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A future that counts its polls, parks its waker in `slot` on the first poll, and
/// completes on the poll after that.
#[derive(Debug)]
pub struct WaitOnce {
    /// Polls so far.
    pub polls: Arc<AtomicUsize>,
    /// Where the first poll leaves its waker for another thread.
    pub slot: Arc<Mutex<Option<Waker>>>,
    /// Dropped with the future.
    pub guard: Option<DropCounter>,
}

impl Future for WaitOnce {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let n = self.polls.fetch_add(1, SeqCst) + 1;
        if n == 1 {
            *self.slot.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        } else {
            Poll::Ready(n)
        }
    }
}

/// Wakes whatever waker is in `slot`, if any.
pub fn wake_slot(slot: &Mutex<Option<Waker>>) {
    let waker = slot.lock().unwrap().take();
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// A thread that waits until a waker lands in `slot`, then wakes it.
pub fn wake_once_parked(slot: Arc<Mutex<Option<Waker>>>) -> loom::thread::JoinHandle<()> {
    loom::thread::spawn(move || loop {
        if slot.lock().unwrap().is_some() {
            return wake_slot(&slot);
        }
        loom::thread::yield_now();
    })
}

/// A `Waker` that counts its wakes in a loom atomic.
pub fn counting_waker(count: Arc<AtomicUsize>) -> Waker {
    struct Counting(Arc<AtomicUsize>);
    impl std::task::Wake for Counting {
        fn wake(self: StdArc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    Waker::from(StdArc::new(Counting(count)))
}
