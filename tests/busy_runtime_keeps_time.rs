//! A runtime whose every worker is stuck in a long poll still keeps time for the future
//! in `Runtime::block_on`: the watchdog sees the workers stuck and calls that thread in
//! to serve the timers nobody else is watching (within about a threshold, 100 ms).
//! Alone in its binary: it keeps both workers spinning, and other tests' threads would
//! compete with its ticker for the CPU.

mod common;

use std::{
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst},
        Arc,
    },
    time::{Duration, Instant},
};

#[test]
fn a_ticker_in_block_on_stays_on_time_while_every_worker_is_busy() {
    const WORKERS: usize = 2;
    let rt = common::runtime(WORKERS);
    let started = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let spinners: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (started, stop) = (started.clone(), stop.clone());
            rt.spawn(async move {
                started.fetch_add(1, SeqCst);
                // CPU-bound, never yields: this worker is gone until `stop` (or the
                // safety bound, so that a regression fails instead of hanging).
                let give_up = Instant::now() + common::PATIENCE;
                while !stop.load(SeqCst) && Instant::now() < give_up {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    common::wait_until("both workers spin", || started.load(SeqCst) == WORKERS);

    let worst = rt.block_on(async {
        let mut worst = Duration::ZERO;
        for _ in 0..20 {
            let asked = Instant::now();
            turtles::time::sleep(Duration::from_millis(10)).await;
            worst = worst.max(asked.elapsed().saturating_sub(Duration::from_millis(10)));
        }
        worst
    });
    stop.store(true, SeqCst);
    for spinner in spinners {
        rt.block_on(spinner).unwrap();
    }
    // Without the rescue the first tick waits for a worker to finish its poll: the whole
    // PATIENCE. With it, the first tick is late by the watchdog's detection (one or two
    // looks, 50 ms apart), the others by scheduling noise.
    assert!(
        worst < Duration::from_millis(500),
        "the worst tick was {worst:?} late while every worker was busy"
    );
}
