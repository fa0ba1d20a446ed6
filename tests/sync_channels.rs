//! oneshot, mpsc, broadcast and watch: order, close, cancellation, many tasks.

mod common;

use common::DropCounter;

use std::{
    future::Future,
    pin::pin,
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        Arc,
    },
    task::Poll,
};

use common::probe::{poll_with, Probe};
use turtles::sync::{broadcast, mpsc, oneshot, watch};

#[turtles::test(worker_threads = 2)]
async fn a_oneshot_carries_one_value_across_tasks() {
    let (tx, rx) = oneshot::channel();
    turtles::spawn(async move { tx.send(String::from("hello")).unwrap() });
    assert_eq!(rx.await.unwrap(), "hello");
}

#[test]
fn a_oneshot_receiver_learns_when_the_sender_is_dropped_unsent() {
    let (tx, rx) = oneshot::channel::<u8>();
    let probe = Probe::new();
    let mut rx = pin!(rx);
    assert!(poll_with(rx.as_mut(), &probe).is_pending());
    drop(tx);
    assert_eq!(probe.wakes(), 1, "woken, not left waiting forever");
    assert!(matches!(
        poll_with(rx.as_mut(), &probe),
        Poll::Ready(Err(_))
    ));
}

#[test]
fn a_value_sent_to_a_dropped_receiver_comes_back_or_is_dropped_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = oneshot::channel();
    drop(rx);
    let Err(back) = tx.send(DropCounter(drops.clone())) else {
        panic!("the receiver is gone")
    };
    assert_eq!(drops.load(SeqCst), 0, "handed back, not dropped");
    drop(back);
    let (tx, rx) = oneshot::channel();
    assert!(tx.send(DropCounter(drops.clone())).is_ok());
    drop(rx); // sent, never received
    assert_eq!(
        drops.load(SeqCst),
        2,
        "dropped exactly once with the receiver"
    );
}

#[turtles::test]
async fn mpsc_keeps_one_senders_order() {
    let (tx, mut rx) = mpsc::channel(4);
    turtles::spawn(async move {
        for i in 0..100 {
            tx.send(i).await.unwrap();
        }
    });
    let mut got = Vec::new();
    while let Some(i) = rx.recv().await {
        got.push(i);
    }
    assert_eq!(got, (0..100).collect::<Vec<_>>());
}

#[test]
fn a_full_channel_makes_senders_wait_and_serves_them_in_order() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    let (p1, p2) = (Probe::new(), Probe::new());
    let mut s1 = pin!(tx.send(1));
    let mut s2 = pin!(tx.send(2));
    assert!(poll_with(s1.as_mut(), &p1).is_pending(), "full");
    assert!(poll_with(s2.as_mut(), &p2).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(
        (p1.wakes(), p2.wakes()),
        (1, 0),
        "room goes to the first sender"
    );
    assert!(poll_with(s1.as_mut(), &p1).is_ready());
    assert!(poll_with(s2.as_mut(), &p2).is_pending());
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(poll_with(s2.as_mut(), &p2).is_ready());
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn a_send_dropped_while_waiting_for_room_passes_the_room_on() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    let next = Probe::new();
    let mut s2 = pin!(tx.send(2));
    {
        let mut s1 = pin!(tx.send(1));
        assert!(poll_with(s1.as_mut(), &Probe::new()).is_pending());
        assert!(poll_with(s2.as_mut(), &next).is_pending());
        assert_eq!(rx.try_recv(), Ok(0)); // room for s1...
    } // ...which gives up
    assert_eq!(next.wakes(), 1);
    assert!(poll_with(s2.as_mut(), &next).is_ready());
    assert_eq!(rx.try_recv(), Ok(2));
}

#[turtles::test]
async fn closing_the_receiver_fails_sends_but_keeps_what_was_queued() {
    let (tx, mut rx) = mpsc::channel(4);
    tx.send(1).await.unwrap();
    rx.close();
    assert_eq!(tx.send(2).await.unwrap_err().0, 2);
    assert!(tx.is_closed());
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(rx.recv().await, None);
}

#[test]
fn dropping_the_receiver_drops_each_queued_message_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::unbounded_channel();
    for _ in 0..3 {
        assert!(tx.send(DropCounter(drops.clone())).is_ok());
    }
    drop(rx);
    assert_eq!(drops.load(SeqCst), 3);
    assert!(tx.send(DropCounter(drops.clone())).is_err());
    assert_eq!(
        drops.load(SeqCst),
        4,
        "the refused message, handed back and dropped"
    );
}

#[turtles::test(worker_threads = 4)]
async fn many_producers_on_many_workers_lose_and_duplicate_nothing() {
    let (tx, mut rx) = mpsc::channel(8);
    for producer in 0..8u64 {
        let tx = tx.clone();
        turtles::spawn(async move {
            for i in 0..500u64 {
                tx.send(producer * 1000 + i).await.unwrap();
            }
        });
    }
    drop(tx);
    let mut seen = std::collections::HashSet::new();
    while let Some(message) = rx.recv().await {
        assert!(seen.insert(message), "{message} arrived twice");
    }
    assert_eq!(seen.len(), 8 * 500);
}

#[turtles::test]
async fn every_broadcast_receiver_gets_every_message() {
    let (tx, mut a) = broadcast::channel(16);
    let mut b = tx.subscribe();
    for i in 0..5 {
        assert_eq!(tx.send(i).unwrap(), 2);
    }
    drop(tx);
    for rx in [&mut a, &mut b] {
        let mut got = Vec::new();
        loop {
            match rx.recv().await {
                Ok(i) => got.push(i),
                Err(broadcast::RecvError::Closed) => break,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(got, [0, 1, 2, 3, 4]);
    }
}

#[turtles::test]
async fn a_slow_receiver_is_told_exactly_how_many_it_missed() {
    let (tx, mut rx) = broadcast::channel(4);
    for i in 0..10 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.recv().await, Err(broadcast::RecvError::Lagged(6)));
    for expected in 6..10 {
        assert_eq!(
            rx.recv().await,
            Ok(expected),
            "then the four kept, in order"
        );
    }
    assert_eq!(rx.try_recv(), Err(broadcast::TryRecvError::Empty));
}

#[test]
fn a_subscriber_sees_only_what_is_sent_after_it_subscribed() {
    let (tx, _keep) = broadcast::channel(4);
    tx.send("before").unwrap();
    let mut late = tx.subscribe();
    tx.send("after").unwrap();
    assert_eq!(late.try_recv(), Ok("after"));
}

#[test]
fn the_last_sender_leaving_wakes_waiting_receivers() {
    let (tx, mut rx) = broadcast::channel::<u8>(1);
    let probe = Probe::new();
    {
        let mut recv = pin!(rx.recv());
        assert!(poll_with(recv.as_mut(), &probe).is_pending());
        drop(tx);
        assert_eq!(probe.wakes(), 1);
        assert_eq!(
            poll_with(recv.as_mut(), &probe),
            Poll::Ready(Err(broadcast::RecvError::Closed))
        );
    }
}

#[turtles::test(worker_threads = 4)]
async fn broadcast_to_tasks_on_many_workers() {
    let (tx, _) = broadcast::channel(1000);
    let mut set = turtles::task::JoinSet::new();
    for _ in 0..10 {
        let mut rx = tx.subscribe();
        set.spawn(async move {
            let mut sum = 0u64;
            while let Ok(i) = rx.recv().await {
                sum += i;
            }
            sum
        });
    }
    for i in 0..1000u64 {
        tx.send(i).unwrap();
    }
    drop(tx);
    while let Some(sum) = set.join_next().await {
        assert_eq!(sum.unwrap(), 999 * 1000 / 2);
    }
}

#[turtles::test]
async fn watch_receivers_see_the_latest_value_only() {
    let (tx, mut rx) = watch::channel(0);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    rx.changed().await.unwrap();
    assert_eq!(*rx.borrow_and_update(), 2);
    assert!(!rx.has_changed().unwrap());
    drop(tx);
    assert!(rx.changed().await.is_err(), "the sender is gone");
    assert_eq!(*rx.borrow(), 2, "the last value stays readable");
}

#[test]
fn a_watch_send_wakes_every_waiting_receiver() {
    let (tx, mut a) = watch::channel(0);
    let mut b = a.clone();
    let (pa, pb) = (Probe::new(), Probe::new());
    let mut ca = pin!(a.changed());
    let mut cb = pin!(b.changed());
    assert!(poll_with(ca.as_mut(), &pa).is_pending());
    assert!(poll_with(cb.as_mut(), &pb).is_pending());
    tx.send(1).unwrap();
    assert_eq!((pa.wakes(), pb.wakes()), (1, 1));
    assert!(matches!(poll_with(ca.as_mut(), &pa), Poll::Ready(Ok(()))));
    assert!(matches!(poll_with(cb.as_mut(), &pb), Poll::Ready(Ok(()))));
}

#[turtles::test(worker_threads = 4)]
async fn watchers_on_many_workers_all_reach_the_final_value() {
    let (tx, rx) = watch::channel(0u32);
    let mut set = turtles::task::JoinSet::new();
    for _ in 0..8 {
        let mut rx = rx.clone();
        set.spawn(async move {
            while *rx.borrow_and_update() != 100 {
                rx.changed().await.unwrap();
            }
        });
    }
    for i in 1..=100 {
        tx.send(i).unwrap();
        turtles::task::yield_now().await;
    }
    while let Some(done) = set.join_next().await {
        done.unwrap();
    }
}

#[test]
fn touching_a_watch_channel_while_holding_its_value_panics_instead_of_hanging() {
    let (tx, rx) = watch::channel(0);
    let held = rx.borrow();
    let also = rx.borrow(); // two readers on one thread are fine
    let send = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tx.send(1)));
    let message = common::panic_text(&*send.unwrap_err());
    assert!(message.contains("Drop the Ref first"), "{message}");
    drop((held, also));
    let inside = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tx.send_modify(|v| *v += *rx.borrow())
    }));
    assert!(inside.is_err(), "borrow() inside send_modify panics");
    tx.send(2).unwrap(); // and the channel still works
    assert_eq!(*rx.borrow(), 2);
}

#[test]
fn a_sender_dropped_in_an_unwind_with_a_panicking_receiver_waker_does_not_abort() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    let hostile = common::panicking_waker(Arc::new(AtomicUsize::new(0)));
    assert!(rx
        .poll_recv(&mut std::task::Context::from_waker(&hostile))
        .is_pending());
    // The last sender's drop wakes the receiver; here it happens during another
    // panic's unwind, where a second panic would abort the process.
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _tx = tx;
        panic!("the first panic");
    }));
    assert!(unwound.is_err());
    assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected));
}

#[test]
fn a_leaked_ref_concerns_only_its_own_channel() {
    let (tx, rx) = watch::channel(0u64);
    std::mem::forget(rx.borrow()); // its lock stays read-held for good
    drop((tx, rx));
    let (tx, rx) = watch::channel(0u64); // perhaps at the same address
    tx.send(1).unwrap();
    assert_eq!(*rx.borrow(), 1);
}

#[test]
fn a_producer_waiting_in_closed_is_woken_when_the_receiver_goes() {
    let (tx, rx) = mpsc::channel::<u8>(1);
    let probe = Probe::new();
    let mut closed = pin!(tx.closed());
    assert!(poll_with(closed.as_mut(), &probe).is_pending());
    drop(rx);
    assert_eq!(probe.wakes(), 1);
    assert!(poll_with(closed.as_mut(), &probe).is_ready());
}

#[test]
fn closed_futures_dropped_turn_after_turn_leave_nothing_behind() {
    // A select! loop makes and drops one `closed()` per turn: each must leave the line.
    struct Abandoned(Arc<AtomicUsize>);
    impl std::task::Wake for Abandoned {
        fn wake(self: Arc<Self>) {}
    }
    impl Drop for Abandoned {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    let (tx, _rx) = mpsc::unbounded_channel::<u8>();
    let dropped = Arc::new(AtomicUsize::new(0));
    for _ in 0..1000 {
        let waker = std::task::Waker::from(Arc::new(Abandoned(dropped.clone())));
        let mut closed = pin!(tx.closed());
        assert!(closed
            .as_mut()
            .poll(&mut std::task::Context::from_waker(&waker))
            .is_pending());
    }
    assert_eq!(
        dropped.load(SeqCst),
        1000,
        "every waker left with its future"
    );
}
