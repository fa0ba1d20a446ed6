//! Two workers, one busy with a long poll, one idle: the idle one must keep watching
//! timers and I/O — the driver role is handed on when its holder leaves to run work: by
//! the watchdog once the poll outlasts one of its looks, or, on a runtime without a
//! watchdog, by the leaving worker at once.
//! Alone in its binary: the reactor is process-wide, and any other runtime's idle worker
//! would watch the timer and hide a lost hand-off.

mod common;

use std::{
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use common::PATIENCE;

/// The busy worker's poll: long enough that waiting for it is unmistakable.
const LONG_POLL: Duration = Duration::from_millis(700);

/// Waits until every worker of `rt` has parked once: the runtime is idle, one worker
/// sleeps in the driver and the other on its condvar.
fn settle(rt: &turtles::Runtime) {
    let deadline = Instant::now() + PATIENCE;
    while rt.metrics().parks() < 2 {
        assert!(Instant::now() < deadline, "the workers never parked");
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_timer_fires_on_time_while_one_worker_runs_a_long_poll_and_the_other_idles() {
    // Several rounds: which worker holds the driver role depends on the order of wakes.
    // One test, not two: two runtimes at once would watch each other's timers.
    for watchdog in [true, false] {
        for _ in 0..4 {
            one_round(watchdog);
        }
    }
}

fn one_round(watchdog: bool) {
    let rt = turtles::Runtime::builder()
        .worker_threads(2)
        .watchdog(watchdog)
        .on_stall(|_| {}) // the long poll is on purpose
        .build()
        .expect("runtime starts");
    settle(&rt);
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    rt.spawn(async move {
        turtles::time::sleep(Duration::from_millis(100)).await;
        tx.send(start.elapsed()).unwrap();
    })
    .detach();
    // A timer fires in the driver, so the task it wakes goes to the queue of the worker
    // sleeping there, which leaves the driver to run a 700 ms poll. Unless the driver
    // role passes to its idle colleague, nobody watches the 100 ms timer meanwhile.
    rt.spawn(async {
        turtles::time::sleep(Duration::from_millis(5)).await;
        thread::sleep(LONG_POLL);
    })
    .detach();
    let fired = rx.recv_timeout(PATIENCE).expect("the timer fired");
    assert!(fired >= Duration::from_millis(100));
    assert!(
        fired < Duration::from_millis(450),
        "the 100 ms timer waited for the busy worker (watchdog: {watchdog}): {fired:?}"
    );
}
