//! A timer added from another thread with an earlier deadline than the one the reactor's
//! poller sleeps towards interrupts that sleep. Alone in its binary: it watches the
//! process-wide reactor's turn count and needs to know which thread is the poller.

use std::time::{Duration, Instant};

use turtles::time::sleep;

#[test]
fn an_earlier_deadline_from_another_thread_wakes_the_sleeping_driver() {
    // Thread A becomes the reactor's poller and sleeps until its own 5 s deadline.
    let turns = turtles::reactor_metrics().unwrap().turns();
    let a = std::thread::spawn(|| turtles::block_on(sleep(Duration::from_secs(5))));
    while turtles::reactor_metrics().unwrap().turns() == turns {
        std::thread::yield_now();
    }
    // Thread B adds a 20 ms timer while A sleeps. Unless adding it interrupts A's
    // epoll_wait so A re-plans, B's timer would only fire when A wakes at 5 s.
    let start = Instant::now();
    turtles::block_on(sleep(Duration::from_millis(20)));
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(20));
    assert!(
        took < Duration::from_millis(2500),
        "the earlier deadline waited for the later one: {took:?}"
    );
    a.join().unwrap();
}
