//! A timer due after the poller's planned wake-up does not interrupt the poller: 10,000
//! request timeouts armed on another thread cost no reactor turns. (A timer list
//! sharded per CPU, tried and reverted, once woke the poller for each: its shards knew
//! only "earliest of this shard". On a 1-CPU machine it would have had one shard.)
//! Alone in its binary: it counts the process's reactor turns.

use std::{
    future::Future,
    pin::pin,
    task::{Context, Waker},
    thread,
    time::Duration,
};

use turtles::time::{sleep, timeout};

#[test]
fn later_timeouts_leave_the_sleeping_poller_asleep() {
    let turns = || turtles::reactor_metrics().unwrap().turns();
    let start = turns();
    // The poller: a thread asleep in the reactor towards its own deadline.
    let poller = thread::spawn(|| turtles::block_on(sleep(Duration::from_millis(800))));
    while turns() == start {
        thread::yield_now();
    }
    let before = turns();
    // Another thread arms and drops 10,000 timeouts of 30 s, one per "request".
    thread::spawn(|| {
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..10_000 {
            let request = pin!(timeout(
                Duration::from_secs(30),
                std::future::pending::<()>()
            ));
            assert!(request.poll(&mut cx).is_pending());
        }
    })
    .join()
    .unwrap();
    let during = turns() - before;
    poller.join().unwrap();
    // 0 here; 1,800-3,700 when every one interrupted the poller (checked by forcing
    // `Timers::insert` to report every timer as the earliest). The margin covers
    // the poller's own deadline and a turn that had not begun its sleep yet.
    assert!(
        during < 100,
        "{during} reactor turns for 10,000 later timeouts"
    );
}
