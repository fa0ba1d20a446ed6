//! Timers through the public API: order, never early, `timeout` both ways, `interval`,
//! and the edges (`Duration::MAX`, deadlines in the past).

use std::{
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use turtles::time::{interval, sleep, sleep_until, timeout};

#[test]
fn timers_fire_in_deadline_order_and_never_early() {
    // One worker: woken tasks then run in the order they were woken (FIFO queues), so
    // the order they log in is the order their timers fired.
    let rt = turtles::Runtime::builder()
        .worker_threads(1)
        .build()
        .unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let delays_ms = [70u64, 10, 50, 30, 90, 20, 60, 40, 80, 0];
    let tasks: Vec<_> = delays_ms
        .iter()
        .map(|&ms| {
            let order = order.clone();
            rt.spawn(async move {
                let deadline = start + Duration::from_millis(ms);
                sleep_until(deadline).await;
                let now = Instant::now();
                assert!(now >= deadline, "fired {:?} early", deadline - now);
                order.lock().unwrap().push(ms);
            })
        })
        .collect();
    for t in tasks {
        rt.block_on(t).unwrap();
    }
    let order = order.lock().unwrap().clone();
    // Timers due in the same turn fire in deadline order; later ones fire in later turns.
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
}

#[turtles::test]
async fn join_of_three_sleeps_takes_one_sleep_not_three() {
    let start = Instant::now();
    let a = turtles::spawn(sleep(Duration::from_millis(100)));
    let b = turtles::spawn(sleep(Duration::from_millis(100)));
    let c = turtles::spawn(sleep(Duration::from_millis(100)));
    a.await.unwrap();
    b.await.unwrap();
    c.await.unwrap();
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(100), "{took:?}");
    assert!(
        took < Duration::from_millis(250),
        "ran one after the other: {took:?}"
    );
}

#[turtles::test]
async fn timeout_both_ways() {
    assert_eq!(timeout(Duration::from_secs(10), async { 7 }).await, Ok(7));
    let start = Instant::now();
    let late = timeout(Duration::from_millis(30), sleep(Duration::from_secs(3600))).await;
    assert!(late.is_err());
    assert!(start.elapsed() >= Duration::from_millis(30));
    let quick = timeout(Duration::from_secs(3600), sleep(Duration::from_millis(10))).await;
    assert_eq!(quick, Ok(()));
}

#[turtles::test]
async fn interval_ticks_on_schedule() {
    let start = Instant::now();
    let mut every = interval(Duration::from_millis(20));
    let first = every.tick().await;
    assert!(
        first.duration_since(start) < Duration::from_millis(20),
        "the first tick is immediate"
    );
    let mut ticks = vec![first];
    for _ in 0..4 {
        ticks.push(every.tick().await);
    }
    for pair in ticks.windows(2) {
        assert_eq!(
            pair[1] - pair[0],
            Duration::from_millis(20),
            "scheduled a period apart"
        );
    }
    assert!(start.elapsed() >= Duration::from_millis(80));
}

#[test]
fn interval_of_zero_is_refused_with_the_fix() {
    let err = std::panic::catch_unwind(|| interval(Duration::ZERO)).unwrap_err();
    let msg = err.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(msg.contains("non-zero") && msg.contains("Fix:"), "{msg}");
}

#[turtles::test]
async fn extreme_deadlines_neither_panic_nor_overflow() {
    // In the past: ready at once.
    sleep_until(Instant::now() - Duration::from_secs(1)).await;
    sleep(Duration::ZERO).await;
    // Duration::MAX: pending, never ready, and a timeout around it still works.
    assert!(timeout(Duration::from_millis(10), sleep(Duration::MAX))
        .await
        .is_err());
    assert_eq!(timeout(Duration::MAX, async { 1 }).await, Ok(1));
    let never = sleep(Duration::MAX);
    assert!(!never.is_elapsed());
}

#[test]
fn timers_work_when_created_outside_any_runtime() {
    let made_in_main = sleep(Duration::from_millis(10));
    let rt = turtles::Runtime::builder()
        .worker_threads(1)
        .build()
        .unwrap();
    rt.block_on(rt.spawn(made_in_main)).unwrap();
}

#[test]
fn timers_with_one_deadline_wake_their_tasks_in_registration_order() {
    // All five fire in the same reactor turn, in the order they were registered; on
    // one worker the tasks must then run in that order too (FIFO all the way).
    let rt = turtles::Runtime::builder()
        .worker_threads(1)
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_millis(50);
    let order = Arc::new(Mutex::new(Vec::new()));
    let registered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tasks: Vec<_> = (0..5)
        .map(|i| {
            let (order, registered) = (order.clone(), registered.clone());
            rt.spawn(async move {
                let mut sleep = std::pin::pin!(sleep_until(deadline));
                // Register (first poll) strictly in spawn order.
                while registered.load(std::sync::atomic::Ordering::SeqCst) != i {
                    turtles::task::yield_now().await;
                }
                let first =
                    std::future::poll_fn(|cx| std::task::Poll::Ready(sleep.as_mut().poll(cx)))
                        .await;
                assert!(first.is_pending(), "registered before the deadline");
                registered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                sleep.await;
                order.lock().unwrap().push(i);
            })
        })
        .collect();
    for t in tasks {
        rt.block_on(t).unwrap();
    }
    assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
}
