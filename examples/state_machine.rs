//! # state_machine: `async fn` is a state machine, polled until ready
//!
//! The idea: the compiler turns an `async fn` into an enum with one variant per
//! `.await` point (plus one for "not started" and one for "finished"), each holding the
//! variables that live across it, and a `poll` method
//! that runs from one `.await` to the next. Polling it either finishes it (`Ready`) or
//! stops at an `.await` whose inner future is not ready (`Pending`) — after that inner
//! future has handed the task's `Waker` to whoever will make it ready (here the
//! reactor's timer). Nobody polls it again until that waker is called. This file writes
//! the enum by hand beside the `async fn` the compiler turns into the same thing.
//!
//! What you will see: for each of the two, every poll (and what it returned) and every
//! wake (and the thread that called it), in ms since the start — the same two polls and
//! one wake for both.
//!
//! Run it: `cargo run --release --example state_machine`
//!
//! Try next: in `AddAfterDelay::poll`, return `Poll::Pending` from `Sleeping` without
//! polling the sleep. The sleep then never registers the waker, nobody ever wakes the
//! task, and the example hangs after poll #1 — press Ctrl-C. That is the contract: a
//! future may return `Pending` only after arranging a wake.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, Wake, Waker},
    time::{Duration, Instant},
};

use turtles::time::{sleep, Sleep};

/// The compiler turns this `async fn` into a state machine...
async fn add_after_delay(a: u32, b: u32) -> u32 {
    sleep(Duration::from_millis(20)).await;
    a + b
}

/// ...which, written by hand, is this enum: one variant per `.await` point, holding
/// the variables alive across it.
enum AddAfterDelay {
    Start { a: u32, b: u32 },
    Sleeping { a: u32, b: u32, sleep: Sleep },
    Done,
}

impl Future for AddAfterDelay {
    type Output = u32;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        // One poll may pass through several states: from `Start` it goes straight on to
        // `Sleeping` and polls the sleep, in the same call, as an `async fn` runs on
        // to its first `.await`. The loop is that "go straight on".
        loop {
            match &mut *self {
                AddAfterDelay::Start { a, b } => {
                    // Code before the first .await runs on the first poll.
                    let (a, b) = (*a, *b);
                    *self = AddAfterDelay::Sleeping {
                        a,
                        b,
                        sleep: sleep(Duration::from_millis(20)),
                    };
                }
                AddAfterDelay::Sleeping { a, b, sleep } => {
                    // An .await is a poll of the inner future; Pending bubbles up, and the
                    // inner future has already handed our waker to the reactor.
                    match Pin::new(sleep).poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(()) => {
                            let sum = *a + *b;
                            *self = AddAfterDelay::Done;
                            return Poll::Ready(sum);
                        }
                    }
                }
                AddAfterDelay::Done => panic!("AddAfterDelay polled after it completed"),
            }
        }
    }
}

/// Wraps a future and prints every poll of it and every wake of its waker.
struct Traced<F> {
    name: &'static str,
    inner: Pin<Box<F>>,
    polls: usize,
    start: Instant,
}

struct TracingWaker {
    name: &'static str,
    inner: Waker,
    start: Instant,
}

impl Wake for TracingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        println!(
            "    {:>6.1} ms  {}: wake (called on thread {:?})",
            self.start.elapsed().as_secs_f64() * 1e3,
            self.name,
            std::thread::current().name().unwrap_or("unnamed")
        );
        self.inner.wake_by_ref();
    }
}

impl<F: Future> Future for Traced<F>
where
    F::Output: std::fmt::Debug,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls += 1;
        let waker = Waker::from(Arc::new(TracingWaker {
            name: self.name,
            inner: cx.waker().clone(),
            start: self.start,
        }));
        let result = self.inner.as_mut().poll(&mut Context::from_waker(&waker));
        println!(
            "    {:>6.1} ms  {}: poll #{} -> {:?}",
            self.start.elapsed().as_secs_f64() * 1e3,
            self.name,
            self.polls,
            result
        );
        result
    }
}

fn traced<F: Future>(name: &'static str, future: F) -> Traced<F> {
    Traced {
        name,
        inner: Box::pin(future),
        polls: 0,
        start: Instant::now(),
    }
}

pub fn main() {
    println!("The same future twice: written by hand as an enum, and as an `async fn`.");
    println!("Each line: one poll (and what it returned) or one wake; ms since the start.\n");
    let by_hand = turtles::block_on(traced("by hand ", AddAfterDelay::Start { a: 2, b: 3 }));
    let compiled = turtles::block_on(traced("compiled", add_after_delay(2, 3)));
    assert_eq!(by_hand, compiled);
    println!(
        "\nBoth: poll #1 returned Pending after the sleep registered a timer holding the\n\
         waker; 20 ms later the reactor called that waker (on `main`: the thread inside\n\
         block_on sleeps in the reactor itself); poll #2 returned Ready(5). In between\n\
         this future was simply not polled: main slept in epoll_wait, waiting for any\n\
         event at all, not for this future in particular."
    );
}
