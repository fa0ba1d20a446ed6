//! Loom models of the async sync primitives (`turtles::sync`): invariant 7 of
//! ARCHITECTURE.md, one race per model. Each primitive only stores and wakes wakers,
//! so the models drive them with `loom::future::block_on` on loom threads, no runtime.
//!
//! Bound: the primitives keep their state behind one mutex, so each race below is a
//! matter of which critical section goes first; a preemption bound of 2 already
//! reaches every order of two or three threads' sections, and 3 (as the executor's
//! models) costs five seconds for all eleven. A model that deadlocks (a waiter never
//! woken) fails with loom's "deadlock" report; every model has a weakening in
//! `weakenings/run.py` that makes it fail.
#![cfg(loom)]

use std::{
    future::Future,
    pin::pin,
    task::{Context, Waker},
};

use loom::{
    future::block_on,
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        Arc,
    },
    thread,
};
use turtles_executor::sync::{
    broadcast, mpsc, oneshot, watch, Barrier, Mutex, Notify, RwLock, Semaphore,
};
use turtles_loom_tests::helpers::check;

/// Polls `future` once with a waker that does nothing (the future is then in line).
fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) {
    let _ = future.poll(&mut Context::from_waker(Waker::noop()));
}

#[test]
fn invariant_7_a_permit_is_held_by_one_task_at_a_time() {
    check(3, || {
        let semaphore = Arc::new(Semaphore::new(1));
        let inside = Arc::new(AtomicUsize::new(0));
        let worker = |semaphore: Arc<Semaphore>, inside: Arc<AtomicUsize>| {
            move || {
                block_on(async {
                    let _permit = semaphore.acquire().await.unwrap();
                    assert_eq!(inside.fetch_add(1, SeqCst), 0, "two holders of one permit");
                    inside.fetch_sub(1, SeqCst);
                })
            }
        };
        let other = thread::spawn(worker(semaphore.clone(), inside.clone()));
        worker(semaphore.clone(), inside)();
        other.join().unwrap();
        assert_eq!(semaphore.available_permits(), 1, "the permit came back");
    });
}

#[test]
fn invariant_7_a_cancelled_acquire_passes_its_permit_on() {
    check(3, || {
        let semaphore = Arc::new(Semaphore::new(0));
        let waiter = thread::spawn({
            let semaphore = semaphore.clone();
            move || block_on(semaphore.acquire()).unwrap().forget()
        });
        let releaser = thread::spawn({
            let semaphore = semaphore.clone();
            move || semaphore.add_permits(1)
        });
        {
            // In line, perhaps served by the release, then dropped unseen.
            let mut quitter = pin!(semaphore.acquire());
            poll_once(quitter.as_mut());
        }
        releaser.join().unwrap();
        waiter.join().unwrap(); // deadlocks if the permit stayed with the quitter
    });
}

#[test]
fn invariant_7_the_mutex_value_is_home_for_the_next_holder() {
    check(3, || {
        let mutex = Arc::new(Mutex::new(0u32));
        let other = thread::spawn({
            let mutex = mutex.clone();
            move || block_on(async { *mutex.lock().await += 1 })
        });
        block_on(async { *mutex.lock().await += 1 });
        other.join().unwrap();
        assert_eq!(block_on(mutex.lock()).clone(), 2);
    });
}

#[test]
fn invariant_7_a_writer_never_meets_a_reader() {
    check(3, || {
        let lock = Arc::new(RwLock::new((0u32, 0u32)));
        let writer = thread::spawn({
            let lock = lock.clone();
            move || {
                block_on(async {
                    let mut pair = lock.write().await;
                    pair.0 += 1;
                    pair.1 += 1;
                })
            }
        });
        let (a, b) = block_on(async {
            let pair = lock.read().await;
            (pair.0, pair.1)
        });
        assert_eq!(a, b, "a reader saw half a write");
        writer.join().unwrap();
    });
}

#[test]
fn invariant_7_notify_one_racing_the_waiter_is_not_lost() {
    check(3, || {
        let notify = Arc::new(Notify::new());
        let notifier = thread::spawn({
            let notify = notify.clone();
            move || notify.notify_one()
        });
        block_on(notify.notified()); // before or after the notify: it must return
        notifier.join().unwrap();
    });
}

#[test]
fn invariant_7_a_chosen_waiter_dropped_unseen_passes_the_notification_on() {
    check(3, || {
        let notify = Arc::new(Notify::new());
        let waiter = thread::spawn({
            let notify = notify.clone();
            move || block_on(notify.notified())
        });
        let mut quitter = Box::pin(notify.notified()); // boxed: `drop` below drops it
        poll_once(quitter.as_mut()); // in line: nobody has notified yet
        let notifier = thread::spawn({
            let notify = notify.clone();
            move || notify.notify_one()
        });
        drop(quitter); // racing the notify, which may have chosen it
        notifier.join().unwrap();
        waiter.join().unwrap(); // deadlocks if the quitter kept the notification
    });
}

#[test]
fn invariant_7_a_oneshot_receiver_learns_of_a_sender_dropped_unsent() {
    check(3, || {
        let (tx, rx) = oneshot::channel::<u8>();
        let dropper = thread::spawn(move || drop(tx));
        assert!(block_on(rx).is_err());
        dropper.join().unwrap();
    });
}

#[test]
fn invariant_7_bounded_mpsc_senders_get_room_back_from_the_receiver() {
    check(3, || {
        let (tx, mut rx) = mpsc::channel(1);
        let sender = |tx: mpsc::Sender<u8>, n: u8| move || block_on(tx.send(n)).unwrap();
        let a = thread::spawn(sender(tx.clone(), 1));
        let b = thread::spawn(sender(tx, 2));
        let mut sum = 0;
        block_on(async {
            while let Some(n) = rx.recv().await {
                sum += n;
            }
        });
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(sum, 3, "each message once");
    });
}

#[test]
fn invariant_7_a_broadcast_receiver_accounts_for_every_message_then_closes() {
    check(3, || {
        let (tx, mut rx) = broadcast::channel(1);
        let sender = thread::spawn(move || {
            tx.send(1u8).unwrap();
            tx.send(2u8).unwrap();
        });
        let mut accounted = 0;
        block_on(async {
            loop {
                match rx.recv().await {
                    Ok(_) => accounted += 1,
                    Err(broadcast::RecvError::Lagged(n)) => accounted += n,
                    Err(broadcast::RecvError::Closed) => break,
                }
            }
        });
        sender.join().unwrap();
        assert_eq!(accounted, 2, "received or counted as missed, each once");
    });
}

#[test]
fn invariant_7_a_watch_send_wakes_the_waiting_receiver() {
    check(3, || {
        let (tx, mut rx) = watch::channel(0u8);
        // The sender stays alive until the receiver is done: only the send can wake it.
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
            tx
        });
        block_on(rx.changed()).unwrap();
        assert_eq!(*rx.borrow(), 1, "a new version means the new value");
        drop(sender.join().unwrap());
    });
}

#[test]
fn invariant_7_a_barrier_round_releases_everyone_with_one_leader() {
    check(3, || {
        let barrier = Arc::new(Barrier::new(2));
        let other = thread::spawn({
            let barrier = barrier.clone();
            move || block_on(barrier.wait()).is_leader()
        });
        let mine = block_on(barrier.wait()).is_leader();
        let theirs = other.join().unwrap();
        assert!(mine != theirs, "exactly one leader");
    });
}
