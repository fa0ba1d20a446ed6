//! A turtles sleep awaited by another executor outlives the last turtles runtime: when
//! that runtime goes, the reactor's backup thread takes over driving. Alone in its
//! binary: it depends on which runtimes exist in the process.

use std::{
    future::Future,
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

/// Generous: CI shares two noisy cores.
const PATIENCE: Duration = Duration::from_secs(20);

#[test]
fn a_sleep_under_futures_executor_completes_after_the_last_runtime_is_dropped() {
    let rt = turtles::Runtime::builder()
        .worker_threads(1)
        .build()
        .unwrap();
    let (registered, wait_registered) = mpsc::channel();
    let (done, wait_done) = mpsc::channel();
    thread::spawn(move || {
        let start = Instant::now();
        let mut sleep = std::pin::pin!(turtles::time::sleep(Duration::from_millis(200)));
        futures_executor::block_on(std::future::poll_fn(|cx| {
            let polled = sleep.as_mut().poll(cx);
            let _ = registered.send(()); // the timer is registered after the first poll
            polled
        }));
        done.send(start.elapsed()).unwrap();
    });
    wait_registered.recv_timeout(PATIENCE).unwrap();
    drop(rt); // the runtime that was driving the reactor is gone
    let slept = wait_done
        .recv_timeout(PATIENCE)
        .expect("nobody drove the reactor after the runtime was dropped");
    assert!(slept >= Duration::from_millis(200));
}
