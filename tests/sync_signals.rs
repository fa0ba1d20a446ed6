//! Notify and Barrier: stored permits, who is woken, cancellation, rounds.

mod common;

use std::{pin::pin, sync::Arc, task::Poll};

use common::probe::{poll_with, Probe};
use turtles::sync::{Barrier, Notify};

#[test]
fn notify_one_before_anyone_waits_is_kept_as_one_permit() {
    let notify = Notify::new();
    notify.notify_one();
    notify.notify_one(); // permits do not add up
    let mut first = pin!(notify.notified());
    assert!(poll_with(first.as_mut(), &Probe::new()).is_ready());
    let mut second = pin!(notify.notified());
    assert!(poll_with(second.as_mut(), &Probe::new()).is_pending());
}

#[test]
fn notify_one_wakes_the_longest_waiting_task_only() {
    let notify = Notify::new();
    let (p1, p2) = (Probe::new(), Probe::new());
    let mut n1 = pin!(notify.notified());
    let mut n2 = pin!(notify.notified());
    assert!(poll_with(n1.as_mut(), &p1).is_pending());
    assert!(poll_with(n2.as_mut(), &p2).is_pending());
    notify.notify_one();
    assert_eq!((p1.wakes(), p2.wakes()), (1, 0));
    assert!(poll_with(n1.as_mut(), &p1).is_ready());
    assert!(poll_with(n2.as_mut(), &p2).is_pending());
}

#[test]
fn a_chosen_waiter_dropped_before_it_saw_the_notification_passes_it_on() {
    let notify = Notify::new();
    let next = Probe::new();
    let mut n2 = pin!(notify.notified());
    {
        let mut n1 = pin!(notify.notified());
        assert!(poll_with(n1.as_mut(), &Probe::new()).is_pending());
        assert!(poll_with(n2.as_mut(), &next).is_pending());
        notify.notify_one();
    }
    assert_eq!(next.wakes(), 1, "the notification went on");
    assert!(poll_with(n2.as_mut(), &next).is_ready());
}

#[test]
fn a_chosen_waiter_dropped_with_nobody_behind_it_leaves_the_permit() {
    let notify = Notify::new();
    {
        let mut n1 = pin!(notify.notified());
        assert!(poll_with(n1.as_mut(), &Probe::new()).is_pending());
        notify.notify_one();
    }
    let mut later = pin!(notify.notified());
    assert!(poll_with(later.as_mut(), &Probe::new()).is_ready());
}

#[test]
fn notify_waiters_reaches_everyone_who_asked_before_and_stores_nothing() {
    let notify = Notify::new();
    let (p1, p2) = (Probe::new(), Probe::new());
    let mut polled = pin!(notify.notified());
    let mut not_yet_polled = pin!(notify.notified());
    assert!(poll_with(polled.as_mut(), &p1).is_pending());
    notify.notify_waiters();
    assert_eq!(p1.wakes(), 1);
    assert!(poll_with(polled.as_mut(), &p1).is_ready());
    assert!(
        poll_with(not_yet_polled.as_mut(), &p2).is_ready(),
        "created before the call: notified too"
    );
    let mut after = pin!(notify.notified());
    assert!(
        poll_with(after.as_mut(), &Probe::new()).is_pending(),
        "no permit left"
    );
}

#[turtles::test(worker_threads = 4)]
async fn notify_one_wakes_waiting_tasks_on_many_workers_one_at_a_time() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    let notify = Arc::new(Notify::new());
    let woken = Arc::new(AtomicUsize::new(0));
    let mut set = turtles::task::JoinSet::new();
    for _ in 0..50 {
        let (notify, woken) = (notify.clone(), woken.clone());
        set.spawn(async move {
            notify.notified().await;
            woken.fetch_add(1, SeqCst);
        });
    }
    // Permits do not add up (at most one is kept for a task not yet waiting), so keep
    // notifying until everyone is through; each call lets at most one more go.
    let mut calls = 0;
    while woken.load(SeqCst) < 50 {
        notify.notify_one();
        calls += 1;
        assert!(woken.load(SeqCst) <= calls, "one notify_one woke two tasks");
        turtles::task::yield_now().await;
    }
    while let Some(done) = set.join_next().await {
        done.unwrap();
    }
}

#[turtles::test(worker_threads = 4)]
async fn a_barrier_releases_each_round_with_exactly_one_leader() {
    let barrier = Arc::new(Barrier::new(5));
    let mut set = turtles::task::JoinSet::new();
    for _ in 0..5 {
        let barrier = barrier.clone();
        set.spawn(async move {
            let mut led = 0;
            for _round in 0..10 {
                if barrier.wait().await.is_leader() {
                    led += 1;
                }
            }
            led
        });
    }
    let mut leaders = 0;
    while let Some(led) = set.join_next().await {
        leaders += led.unwrap();
    }
    assert_eq!(leaders, 10, "one leader in each of ten rounds");
}

#[test]
fn a_waiter_that_gives_up_takes_its_arrival_back() {
    let barrier = Barrier::new(2);
    {
        let mut quitter = pin!(barrier.wait());
        assert!(poll_with(quitter.as_mut(), &Probe::new()).is_pending());
    } // dropped: it no longer counts
    let mut a = pin!(barrier.wait());
    assert!(
        poll_with(a.as_mut(), &Probe::new()).is_pending(),
        "one arrival is not a round of two"
    );
    let mut b = pin!(barrier.wait());
    assert!(matches!(poll_with(b.as_mut(), &Probe::new()), Poll::Ready(r) if r.is_leader()));
}

#[test]
fn enabled_waiters_each_keep_their_notification() {
    // Without enable, two notify_one calls before the first poll leave one permit,
    // and one of the two waiters would wait forever.
    let notify = Notify::new();
    let mut a = pin!(notify.notified());
    let mut b = pin!(notify.notified());
    assert!(!a.as_mut().enable(), "nothing notified yet");
    assert!(!b.as_mut().enable());
    notify.notify_one();
    notify.notify_one();
    assert!(poll_with(a.as_mut(), &Probe::new()).is_ready());
    assert!(poll_with(b.as_mut(), &Probe::new()).is_ready());
}
