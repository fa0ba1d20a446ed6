//! Two workers, one busy with a long poll, one idle: the idle one must keep watching
//! timers and I/O — the driver role is handed on when its holder leaves to run work.
//! Alone in its binary: the reactor is process-wide, and any other runtime's idle worker
//! would watch the timer and hide a lost hand-off.

mod common;

use std::{
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use common::{runtime, PATIENCE};

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
    // Which worker holds the driver role depends on the order of wakes; a lost hand-off
    // shows in about one round of three, so run several.
    for _ in 0..4 {
        one_round();
    }
}

fn one_round() {
    let rt = runtime(2);
    settle(&rt);
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    rt.spawn(async move {
        turtles::time::sleep(Duration::from_millis(100)).await;
        tx.send(start.elapsed()).unwrap();
    })
    .detach();
    // A task that resumes from a timer runs on the worker sleeping in the driver (a
    // timer fires there), which then parks again — last — and takes the driver back.
    rt.block_on(rt.spawn(turtles::time::sleep(Duration::from_millis(5))))
        .unwrap();
    // Let it park.
    thread::sleep(Duration::from_millis(20));
    // So this remote spawn unparks the driver's sleeper (the last idle worker) for
    // injector work: it leaves the driver to run a 700 ms poll. Unless it hands the
    // driver role to its idle colleague, nobody watches the 100 ms timer meanwhile.
    rt.spawn(async { thread::sleep(LONG_POLL) }).detach();
    let fired = rx.recv_timeout(PATIENCE).expect("the timer fired");
    assert!(fired >= Duration::from_millis(100));
    assert!(
        fired < Duration::from_millis(450),
        "the 100 ms timer waited for the busy worker: {fired:?}"
    );
}
