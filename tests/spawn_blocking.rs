//! `spawn_blocking` runs closures on a pool beside the workers: a panic reaches the
//! handle, a thousand calls all complete on a bounded pool, the worker stays free while
//! a closure blocks, a queued closure can be aborted or is cancelled by shutdown without
//! ever starting, and idle pool threads exit.

mod common;

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicBool, Ordering::SeqCst},
        mpsc, Arc, Mutex,
    },
    thread,
    time::{Duration, Instant},
};

use common::{panic_text, PATIENCE};
use turtles::Runtime;

fn runtime_with_pool(max: usize) -> Runtime {
    Runtime::builder()
        .worker_threads(1)
        .max_blocking_threads(max)
        .build()
        .unwrap()
}

#[test]
fn a_panic_in_the_closure_reaches_the_handle() {
    let rt = runtime_with_pool(2);
    let err = rt
        .block_on(
            rt.spawn(async { turtles::spawn_blocking(|| -> u8 { panic!("blocking boom") }).await }),
        )
        .unwrap()
        .unwrap_err();
    assert!(err.is_panic());
    assert_eq!(panic_text(&*err.into_panic()), "blocking boom");
}

#[test]
fn a_thousand_calls_complete_on_eight_threads() {
    let rt = runtime_with_pool(8);
    let threads = Arc::new(Mutex::new(HashSet::new()));
    let seen = threads.clone();
    let sum = rt.block_on(rt.spawn(async move {
        let handles: Vec<_> = (0..1_000u64)
            .map(|i| {
                let seen = seen.clone();
                turtles::spawn_blocking(move || {
                    seen.lock().unwrap().insert(thread::current().id());
                    thread::sleep(Duration::from_micros(200));
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    }));
    assert_eq!(sum.unwrap(), (0..1_000).sum::<u64>());
    let used = threads.lock().unwrap().len();
    assert!(
        (1..=8).contains(&used),
        "{used} pool threads for a limit of 8"
    );
}

#[test]
fn the_worker_stays_free_while_a_closure_blocks() {
    let rt = runtime_with_pool(2);
    let (tx, rx) = mpsc::channel::<()>();
    let blocked = rt.spawn(async move {
        turtles::spawn_blocking(move || rx.recv_timeout(PATIENCE))
            .await
            .unwrap()
    });
    // The one worker still runs other tasks while the closure waits.
    assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap(), 5);
    tx.send(()).unwrap();
    assert!(rt.block_on(blocked).unwrap().is_ok());
}

#[test]
fn an_aborted_queued_closure_never_runs() {
    let rt = runtime_with_pool(1);
    let (release, gate) = mpsc::channel::<()>();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let (first, second) = rt.block_on(async move {
        let first = turtles::spawn_blocking(move || gate.recv_timeout(PATIENCE).is_ok());
        let second = turtles::spawn_blocking(move || r.store(true, SeqCst)); // queued: one thread
        second.abort();
        release.send(()).unwrap();
        (first.await, second.await)
    });
    assert!(first.unwrap());
    assert!(second.unwrap_err().is_cancelled());
    assert!(!ran.load(SeqCst));
}

#[test]
fn shutdown_cancels_queued_closures_and_waits_for_running_ones() {
    let rt = runtime_with_pool(1);
    let (release, gate) = mpsc::channel::<()>();
    let (started, running) = mpsc::channel::<()>();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let (first, second) = rt.block_on(async move {
        let first = turtles::spawn_blocking(move || {
            started.send(()).unwrap();
            gate.recv_timeout(PATIENCE).is_ok()
        });
        let second = turtles::spawn_blocking(move || r.store(true, SeqCst));
        (first, second)
    });
    // Shutdown cancels what is still queued: wait until the first closure really runs
    // (under load the pool thread may not have picked it up yet).
    running
        .recv_timeout(PATIENCE)
        .expect("the first closure starts");
    let releaser = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        release.send(()).unwrap();
    });
    drop(rt); // waits for the running closure, cancels the queued one
    releaser.join().unwrap();
    assert!(
        turtles::block_on(first).unwrap(),
        "the running closure finished"
    );
    assert!(turtles::block_on(second).unwrap_err().is_cancelled());
    assert!(
        !ran.load(SeqCst),
        "a queued closure never starts after shutdown"
    );
}

#[test]
fn idle_pool_threads_exit_after_the_keep_alive() {
    let rt = Runtime::builder()
        .worker_threads(1)
        .thread_keep_alive(Duration::from_millis(50))
        .build()
        .unwrap();
    let on = |rt: &Runtime| {
        rt.block_on(rt.spawn(async { turtles::spawn_blocking(|| thread::current().id()).await }))
            .unwrap()
            .unwrap()
    };
    let first = on(&rt);
    let deadline = Instant::now() + PATIENCE;
    loop {
        thread::sleep(Duration::from_millis(100));
        // Thread ids are never reused: a new id means the idle thread exited.
        if on(&rt) != first {
            break;
        }
        assert!(Instant::now() < deadline, "the idle thread never exited");
    }
}

#[test]
fn spawn_blocking_outside_a_runtime_panics_with_the_fix() {
    let err = std::panic::catch_unwind(|| turtles::spawn_blocking(|| ())).unwrap_err();
    let msg = panic_text(&*err);
    assert!(
        msg.contains("outside a runtime") && msg.contains("Fix:"),
        "{msg}"
    );
}
