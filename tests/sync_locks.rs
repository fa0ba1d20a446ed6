//! Semaphore, Mutex and RwLock: fairness, cancellation, and many tasks at once.
//!
//! The order tests poll futures by hand (`common::probe`), so "who is served first" is
//! a sequence of asserts rather than a race.

mod common;

use std::{
    future::Future,
    panic::{self, AssertUnwindSafe},
    pin::pin,
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        Arc,
    },
    task::Poll,
};

use common::{
    panicking_waker,
    probe::{poll_with, Probe},
};
use turtles::sync::{Mutex, RwLock, Semaphore, TryAcquireError};

#[test]
fn semaphore_serves_waiters_in_arrival_order() {
    let s = Semaphore::new(0);
    let (p1, p2, p3) = (Probe::new(), Probe::new(), Probe::new());
    let mut a1 = pin!(s.acquire());
    let mut a2 = pin!(s.acquire());
    let mut a3 = pin!(s.acquire());
    assert!(poll_with(a1.as_mut(), &p1).is_pending());
    assert!(poll_with(a2.as_mut(), &p2).is_pending());
    assert!(poll_with(a3.as_mut(), &p3).is_pending());
    s.add_permits(1);
    assert_eq!((p1.wakes(), p2.wakes(), p3.wakes()), (1, 0, 0));
    let Poll::Ready(Ok(permit)) = poll_with(a1.as_mut(), &p1) else {
        panic!("the first in line gets the permit")
    };
    assert!(poll_with(a2.as_mut(), &p2).is_pending());
    drop(permit);
    assert_eq!((p2.wakes(), p3.wakes()), (1, 0), "then the second");
}

#[test]
fn a_big_request_in_front_is_not_overtaken_by_small_ones() {
    let s = Semaphore::new(1);
    let (big, small) = (Probe::new(), Probe::new());
    let mut two = pin!(s.acquire_many(2));
    let mut one = pin!(s.acquire());
    assert!(poll_with(two.as_mut(), &big).is_pending());
    assert!(
        poll_with(one.as_mut(), &small).is_pending(),
        "a permit is free, but the request for two came first"
    );
    assert_eq!(s.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    s.add_permits(1);
    assert_eq!((big.wakes(), small.wakes()), (1, 0));
    assert!(matches!(poll_with(two.as_mut(), &big), Poll::Ready(Ok(p)) if p.num_permits() == 2));
}

#[test]
fn a_waiter_dropped_after_it_was_served_passes_its_permit_on() {
    let s = Semaphore::new(0);
    let (p1, p2) = (Probe::new(), Probe::new());
    let mut a2 = pin!(s.acquire());
    {
        let mut a1 = pin!(s.acquire());
        assert!(poll_with(a1.as_mut(), &p1).is_pending());
        assert!(poll_with(a2.as_mut(), &p2).is_pending());
        s.add_permits(1);
        assert_eq!(p1.wakes(), 1, "served");
    } // ...but dropped before it saw the permit (a select! that took another branch)
    assert_eq!(p2.wakes(), 1, "the permit went on to the next in line");
    let Poll::Ready(Ok(permit)) = poll_with(a2.as_mut(), &p2) else {
        panic!("the second waiter holds the permit now")
    };
    assert_eq!(s.available_permits(), 0, "one permit, held once");
    drop(permit);
}

#[test]
fn a_big_waiter_leaving_the_front_lets_the_line_move() {
    let s = Semaphore::new(1);
    let small = Probe::new();
    let mut one = pin!(s.acquire());
    {
        let mut two = pin!(s.acquire_many(2));
        assert!(poll_with(two.as_mut(), &Probe::new()).is_pending());
        assert!(poll_with(one.as_mut(), &small).is_pending());
    }
    assert_eq!(
        small.wakes(),
        1,
        "the free permit goes to the one now in front"
    );
    assert!(matches!(
        poll_with(one.as_mut(), &small),
        Poll::Ready(Ok(_))
    ));
}

#[test]
fn closing_fails_every_waiter_and_every_later_acquire() {
    let s = Semaphore::new(0);
    let probe = Probe::new();
    let mut waiting = pin!(s.acquire());
    assert!(poll_with(waiting.as_mut(), &probe).is_pending());
    s.close();
    assert_eq!(probe.wakes(), 1);
    assert!(matches!(
        poll_with(waiting.as_mut(), &probe),
        Poll::Ready(Err(_))
    ));
    assert!(turtles::block_on(s.acquire()).is_err());
    assert_eq!(s.try_acquire().unwrap_err(), TryAcquireError::Closed);
}

#[test]
fn a_panicking_waker_does_not_stop_the_others_from_being_woken() {
    let s = Semaphore::new(0);
    let hostile = panicking_waker(Arc::new(AtomicUsize::new(0)));
    let fine = Probe::new();
    let mut first = pin!(s.acquire());
    let mut second = pin!(s.acquire());
    assert!(first
        .as_mut()
        .poll(&mut std::task::Context::from_waker(&hostile))
        .is_pending());
    assert!(poll_with(second.as_mut(), &fine).is_pending());
    let released = panic::catch_unwind(AssertUnwindSafe(|| s.add_permits(2)));
    assert!(
        released.is_err(),
        "the waker's panic reaches the caller whose code ran it"
    );
    assert_eq!(
        fine.wakes(),
        1,
        "but the second waiter was woken all the same"
    );
    assert_eq!(s.available_permits(), 0, "both were served");
}

#[test]
fn a_panicking_waker_woken_by_a_permit_dropped_in_an_unwind_does_not_abort() {
    let s = Semaphore::new(1);
    let held = s.try_acquire().unwrap();
    let hostile = panicking_waker(Arc::new(AtomicUsize::new(0)));
    let mut waiting = pin!(s.acquire());
    assert!(waiting
        .as_mut()
        .poll(&mut std::task::Context::from_waker(&hostile))
        .is_pending());
    // The permit is dropped by the unwind of another panic, and serves the waiter,
    // whose waker panics: a second panic during an unwind would abort the process.
    let unwound = panic::catch_unwind(AssertUnwindSafe(move || {
        let _held = held;
        panic!("the first panic");
    }));
    assert!(unwound.is_err());
    assert_eq!(
        s.available_permits(),
        0,
        "the waiter was served all the same"
    );
}

#[turtles::test(worker_threads = 4)]
async fn a_semaphore_limits_concurrency_across_workers() {
    let limit = Arc::new(Semaphore::new(3));
    let (inside, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut set = turtles::task::JoinSet::new();
    for _ in 0..200 {
        let (limit, inside, most) = (limit.clone(), inside.clone(), most.clone());
        set.spawn(async move {
            let _permit = limit.acquire().await.unwrap();
            let now = inside.fetch_add(1, SeqCst) + 1;
            most.fetch_max(now, SeqCst);
            turtles::task::yield_now().await;
            inside.fetch_sub(1, SeqCst);
        });
    }
    while let Some(done) = set.join_next().await {
        done.unwrap();
    }
    assert!(most.load(SeqCst) <= 3, "at most three inside at once");
    assert_eq!(limit.available_permits(), 3, "every permit came back");
}

#[test]
fn the_mutex_goes_to_waiters_in_arrival_order() {
    let m = Mutex::new(Vec::new());
    let held = m.try_lock().unwrap();
    let (p1, p2) = (Probe::new(), Probe::new());
    let (mut l1, mut l2) = (Box::pin(m.lock()), Box::pin(m.lock()));
    assert!(poll_with(l1.as_mut(), &p1).is_pending());
    assert!(poll_with(l2.as_mut(), &p2).is_pending());
    drop(held);
    assert_eq!((p1.wakes(), p2.wakes()), (1, 0));
    let Poll::Ready(mut first) = poll_with(l1.as_mut(), &p1) else {
        panic!("first in line")
    };
    first.push(1);
    assert!(poll_with(l2.as_mut(), &p2).is_pending());
    drop(first);
    let Poll::Ready(mut second) = poll_with(l2.as_mut(), &p2) else {
        panic!("second in line")
    };
    second.push(2);
    drop(second);
    drop((l1, l2));
    assert_eq!(m.into_inner(), [1, 2]);
}

#[test]
fn a_lock_future_dropped_after_it_was_chosen_passes_the_lock_on() {
    let m = Mutex::new(0);
    let held = m.try_lock().unwrap();
    let next = Probe::new();
    let mut l2 = pin!(m.lock());
    {
        let mut l1 = pin!(m.lock());
        assert!(poll_with(l1.as_mut(), &Probe::new()).is_pending());
        assert!(poll_with(l2.as_mut(), &next).is_pending());
        drop(held);
    }
    assert_eq!(next.wakes(), 1);
    assert!(poll_with(l2.as_mut(), &next).is_ready());
}

#[turtles::test(worker_threads = 4)]
async fn a_guard_held_across_awaits_keeps_increments_whole() {
    let count = Arc::new(Mutex::new(0u64));
    let mut set = turtles::task::JoinSet::new();
    for _ in 0..16 {
        let count = count.clone();
        set.spawn(async move {
            for _ in 0..100 {
                let mut n = count.lock().await;
                let seen = *n;
                turtles::task::yield_now().await; // another task would see a torn update
                *n = seen + 1;
            }
        });
    }
    while let Some(done) = set.join_next().await {
        done.unwrap();
    }
    assert_eq!(*count.lock().await, 1600);
}

#[turtles::test]
async fn a_panic_while_locked_gives_the_lock_and_the_value_back() {
    let m = Arc::new(Mutex::new(String::from("kept")));
    let task = turtles::spawn({
        let m = m.clone();
        async move {
            let _guard = m.lock().await;
            panic!("while holding the lock");
        }
    });
    assert!(task.await.unwrap_err().is_panic());
    assert_eq!(*m.lock().await, "kept");
}

#[test]
fn readers_share_and_a_writer_in_line_holds_back_later_readers() {
    let lock = RwLock::new(1);
    let r1 = turtles::block_on(lock.read());
    let r2 = turtles::block_on(lock.read());
    assert_eq!(*r1 + *r2, 2, "two readers at once");
    let (writer, late_reader) = (Probe::new(), Probe::new());
    let mut w = pin!(lock.write());
    let mut r3 = pin!(lock.read());
    assert!(
        poll_with(w.as_mut(), &writer).is_pending(),
        "readers hold it"
    );
    assert!(
        poll_with(r3.as_mut(), &late_reader).is_pending(),
        "a reader behind a waiting writer waits too: writers are not starved"
    );
    drop(r1);
    assert_eq!(writer.wakes(), 0, "one reader left");
    drop(r2);
    assert_eq!((writer.wakes(), late_reader.wakes()), (1, 0));
    let Poll::Ready(mut guard) = poll_with(w.as_mut(), &writer) else {
        panic!("the writer is served")
    };
    *guard += 1;
    drop(guard);
    assert_eq!(late_reader.wakes(), 1);
    assert!(matches!(poll_with(r3.as_mut(), &late_reader), Poll::Ready(g) if *g == 2));
}

#[turtles::test(worker_threads = 4)]
async fn readers_never_see_a_write_half_done() {
    let pair = Arc::new(RwLock::new((0u64, 0u64)));
    let mut set = turtles::task::JoinSet::new();
    for i in 0..20 {
        let pair = pair.clone();
        set.spawn(async move {
            for _ in 0..50 {
                if i % 4 == 0 {
                    let mut w = pair.write().await;
                    w.0 += 1;
                    turtles::task::yield_now().await;
                    w.1 += 1;
                } else {
                    let r = pair.read().await;
                    assert_eq!(r.0, r.1, "a reader saw half a write");
                }
            }
        });
    }
    while let Some(done) = set.join_next().await {
        done.unwrap();
    }
    assert_eq!(*pair.read().await, (250, 250));
}

#[turtles::test(worker_threads = 2)]
async fn an_owned_guard_moves_into_another_task_and_still_serves_in_order() {
    let m = Arc::new(Mutex::new(Vec::new()));
    let guard = m.clone().lock_owned().await;
    let waiter = turtles::spawn({
        let m = m.clone();
        async move { m.lock().await.push("waiter") }
    });
    let holder = turtles::spawn(async move {
        let mut guard = guard; // the lock travels with the task
        turtles::task::yield_now().await;
        guard.push("holder");
    });
    holder.await.unwrap();
    waiter.await.unwrap();
    assert_eq!(*m.lock().await, ["holder", "waiter"]);
}
