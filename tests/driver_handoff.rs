//! Two workers, one busy for a long time, one idle: the idle one must keep watching
//! timers and I/O — the driver role is handed on when its holder leaves to run work: by
//! the watchdog once the role stays vacant across two of its looks, or, on a runtime
//! without a watchdog (or while the watchdog is inside a slow `on_stall` hook), by the
//! leaving worker at once.
//! Alone in its binary: the reactor is process-wide, and any other runtime's idle worker
//! would watch the timer and hide a lost hand-off.

mod common;

use std::{
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use common::PATIENCE;

/// How long the busy worker stays busy: long enough that waiting for it is unmistakable.
const LONG_POLL: Duration = Duration::from_millis(700);

/// What keeps the worker that left the driver busy.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Busy {
    /// One poll of [`LONG_POLL`].
    OnePoll,
    /// Polls of 8 ms with a yield between them (CPU work done as it should be), each
    /// shorter than the watchdog's 10 ms between looks, [`LONG_POLL`] in all. A busy
    /// worker looks at the driver itself every 61st task: ~490 ms here, past the
    /// test's bound.
    ShortPolls,
    /// One poll of [`LONG_POLL`] that begins while the watchdog is inside a slow
    /// `on_stall` hook, which another long poll set off.
    OnePollDuringSlowHook,
}

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
fn a_timer_fires_on_time_while_one_worker_is_busy_for_long_and_the_other_idles() {
    // One test, not several: two runtimes at once would watch each other's timers.
    // Several rounds each: which worker holds the driver role depends on the order of
    // wakes.
    let default = Duration::from_millis(100);
    for (busy, watchdog, threshold) in [
        (Busy::OnePoll, true, default),
        (Busy::OnePoll, false, default),
        (Busy::ShortPolls, true, default),
        (Busy::ShortPolls, false, default),
        (Busy::OnePollDuringSlowHook, true, default),
        // An idle watchdog naps half the threshold: a worker becoming busy must cut
        // the nap short, or the first look comes 2.5 s later.
        (Busy::OnePoll, true, Duration::from_secs(5)),
    ] {
        let rounds = if busy == Busy::OnePollDuringSlowHook {
            1
        } else {
            3
        };
        for _ in 0..rounds {
            one_round(busy, watchdog, threshold);
        }
    }
}

fn one_round(busy: Busy, watchdog: bool, threshold: Duration) {
    let slow_hook = busy == Busy::OnePollDuringSlowHook;
    let rt = turtles::Runtime::builder()
        .worker_threads(2)
        .watchdog(watchdog)
        .stall_threshold(threshold)
        // The long polls are on purpose: reports are only slow or silent.
        .on_stall(move |_| {
            if slow_hook {
                thread::sleep(Duration::from_millis(1500));
            }
        })
        .build()
        .expect("runtime starts");
    settle(&rt);
    if slow_hook {
        // A poll of 150 ms is reported at about 100 ms; the hook then runs for 1.5 s,
        // and the rest of the round happens inside it (from 400 ms on).
        rt.spawn(async {
            turtles::time::sleep(Duration::from_millis(5)).await;
            thread::sleep(Duration::from_millis(150));
        })
        .detach();
        thread::sleep(Duration::from_millis(400));
    }
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    rt.spawn(async move {
        turtles::time::sleep(Duration::from_millis(100)).await;
        tx.send(start.elapsed()).unwrap();
    })
    .detach();
    // A timer fires in the driver, so the task it wakes goes to the queue of the worker
    // sleeping there, which leaves the driver to run it for 700 ms. Unless the driver
    // role passes to its idle colleague, nobody watches the 100 ms timer meanwhile.
    rt.spawn(async move {
        turtles::time::sleep(Duration::from_millis(5)).await;
        match busy {
            Busy::OnePoll | Busy::OnePollDuringSlowHook => thread::sleep(LONG_POLL),
            Busy::ShortPolls => {
                let until = Instant::now() + LONG_POLL;
                while Instant::now() < until {
                    thread::sleep(Duration::from_millis(8));
                    turtles::task::yield_now().await;
                }
            }
        }
    })
    .detach();
    let fired = rx.recv_timeout(PATIENCE).expect("the timer fired");
    assert!(fired >= Duration::from_millis(100));
    // Handed on, the timer fires within a few looks (~100-120 ms); not handed on, it
    // waits for the busy worker (~700 ms). 450 ms leaves a wide margin both ways.
    assert!(
        fired < Duration::from_millis(450),
        "the 100 ms timer waited for the busy worker ({busy:?}, watchdog: {watchdog}): {fired:?}"
    );
}
