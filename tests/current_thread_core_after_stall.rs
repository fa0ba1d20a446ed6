//! A thread waiting for a current-thread runtime's core may be serving the reactor
//! (the watchdog found the holder stuck in a long poll, see `Scheduler::park_block_on`).
//! When the holder leaves, that thread must still be rung and take the core, or tasks
//! spawned or woken afterwards wait for it forever.
//!
//! Alone in its binary: any other test's timer or socket would wake the reactor, and so
//! the sleeping thread, by accident, hiding the lost wake-up this test is about.

mod common;

use std::{
    sync::{mpsc, Arc},
    thread,
    time::Duration,
};

use common::PATIENCE;
use futures_channel::oneshot;
use turtles::Runtime;

#[test]
fn a_waiter_serving_the_reactor_takes_the_core_when_it_is_freed() {
    let rt = Arc::new(
        Runtime::builder()
            .current_thread()
            .stall_threshold(Duration::from_millis(50))
            .on_stall(|_| {})
            .build()
            .unwrap(),
    );
    // The holder: its task blocks the thread long enough for the watchdog to find the
    // core stuck.
    let (stalling_tx, stalling) = mpsc::channel();
    let (release_tx, release) = mpsc::channel::<()>();
    let holder = {
        let rt = rt.clone();
        thread::spawn(move || {
            rt.block_on(async move {
                turtles::spawn(async move {
                    stalling_tx.send(()).unwrap();
                    release.recv_timeout(PATIENCE).unwrap(); // blocks the core
                })
                .await
                .unwrap();
            })
        })
    };
    stalling.recv_timeout(PATIENCE).unwrap();
    thread::sleep(Duration::from_millis(300)); // several watchdog looks: "stuck"

    // The waiter arrives while the core is stuck, so it waits in the reactor.
    let (value_tx, value) = oneshot::channel::<u32>();
    let (done_tx, done) = mpsc::channel();
    let waiter = {
        let rt = rt.clone();
        thread::spawn(move || done_tx.send(rt.block_on(value).unwrap()).unwrap())
    };
    thread::sleep(Duration::from_millis(100));
    release_tx.send(()).unwrap();
    holder.join().unwrap();

    // Only the waiter can run this task now.
    let handle = rt.handle();
    handle
        .spawn(async move { value_tx.send(9).unwrap() })
        .detach();
    assert_eq!(done.recv_timeout(PATIENCE), Ok(9));
    waiter.join().unwrap();
}
