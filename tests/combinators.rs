//! The combinators run futures side by side in one task: the waits overlap (three
//! 100 ms sleeps take ~100 ms), outputs come in argument order, the `try_` forms stop at
//! the first error and drop the rest, `select` drops the loser, and no finished future
//! is polled again. Each runs under turtles and under another executor
//! (`futures::executor::block_on`): they only poll and pass wakers on.

mod common;

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        Arc,
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use common::DropCounter;
use turtles::{
    future::{join_all, race, select, try_join_all, Either},
    time::sleep,
};

/// A boxed fallible future, so that different async blocks fit in one `Vec`.
type Fallible = Pin<Box<dyn Future<Output = Result<u8, &'static str>>>>;

/// Runs `make()` under turtles' `block_on` and under futures-executor's.
fn on_both<F: Future>(make: impl Fn() -> F) -> [F::Output; 2] {
    [
        turtles::block_on(make()),
        futures_executor::block_on(make()),
    ]
}

/// Ready after `turns` polls (waking itself in between); panics if polled after that.
struct Turns {
    left: u32,
    done: bool,
}

fn turns(left: u32) -> Turns {
    Turns { left, done: false }
}

impl Future for Turns {
    type Output = u32;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        assert!(!self.done, "a finished future was polled again");
        if self.left == 0 {
            self.done = true;
            return Poll::Ready(7);
        }
        self.left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn join_runs_three_waits_side_by_side() {
    for took in on_both(|| async {
        let start = Instant::now();
        let (a, b, c) = turtles::join!(
            async {
                sleep(Duration::from_millis(100)).await;
                'a'
            },
            async {
                sleep(Duration::from_millis(100)).await;
                'b'
            },
            async {
                sleep(Duration::from_millis(100)).await;
                'c'
            },
        );
        assert_eq!((a, b, c), ('a', 'b', 'c'), "outputs in argument order");
        start.elapsed()
    }) {
        assert!(took >= Duration::from_millis(100));
        assert!(
            took < Duration::from_millis(250),
            "the waits did not overlap: {took:?}"
        );
    }
}

#[test]
fn join_never_polls_a_finished_future_again() {
    for out in on_both(|| async { turtles::join!(turns(0), turns(5), turns(2)) }) {
        assert_eq!(out, (7, 7, 7));
    }
}

#[test]
fn try_join_stops_at_the_first_error_and_drops_the_rest() {
    for (out, drops) in on_both(|| async {
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = DropCounter(drops.clone());
        let out: Result<(u32, ()), &str> = turtles::try_join!(
            async {
                let _guard = guard;
                std::future::pending::<()>().await;
                Ok(1)
            },
            async { Err("second failed") },
        );
        (out, drops.load(SeqCst))
    }) {
        assert_eq!(out, Err("second failed"));
        assert_eq!(drops, 1, "the pending future was dropped");
    }
    for out in on_both(|| async {
        turtles::try_join!(async { Ok::<_, ()>(1) }, async { Ok(turns(3).await) })
    }) {
        assert_eq!(out, Ok((1, 7)));
    }
}

#[test]
fn join_all_keeps_input_order_whatever_the_finishing_order() {
    for out in on_both(|| join_all((0..5u32).map(|i| turns(5 - i)))) {
        assert_eq!(out, vec![7; 5]);
    }
    for out in on_both(|| {
        join_all((0..4u64).map(|i| async move {
            sleep(Duration::from_millis(40 - i * 10)).await; // the last finishes first
            i
        }))
    }) {
        assert_eq!(out, [0, 1, 2, 3]);
    }
}

#[test]
fn try_join_all_drops_the_rest_at_the_first_error() {
    for (out, drops) in on_both(|| async {
        let drops = Arc::new(AtomicUsize::new(0));
        let futures: Vec<Fallible> =
            vec![Box::pin(async { Ok(1) }), Box::pin(async { Err("no") }), {
                let guard = DropCounter(drops.clone());
                Box::pin(async move {
                    let _guard = guard;
                    std::future::pending::<Result<u8, &str>>().await
                })
            }];
        let out = try_join_all(futures).await;
        (out, drops.load(SeqCst))
    }) {
        assert_eq!(out, Err("no"));
        assert_eq!(drops, 1, "dropped before try_join_all returned");
    }
}

#[test]
fn select_returns_the_winner_and_drops_the_loser_at_once() {
    for (won, drops) in on_both(|| async {
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = DropCounter(drops.clone());
        // Neither future is Unpin: async blocks holding a guard across an await.
        let loser = async move {
            let _guard = guard;
            sleep(Duration::from_secs(3600)).await;
            "loser"
        };
        let winner = async {
            sleep(Duration::from_millis(5)).await;
            1
        };
        let won = select(loser, winner).await;
        (won, drops.load(SeqCst))
    }) {
        assert_eq!(won, Either::Right(1));
        assert_eq!(drops, 1, "the loser was dropped when select returned");
    }
    for first in on_both(|| race(turns(3), async { 9 })) {
        assert_eq!(first, 9);
    }
}

#[test]
fn a_loser_waiting_on_an_hour_long_timer_does_not_delay_select() {
    let start = Instant::now();
    let won = turtles::block_on(select(sleep(Duration::from_secs(3600)), async {}));
    assert_eq!(won, Either::Right(()));
    assert!(start.elapsed() < Duration::from_secs(10));
}
