//! Loom models of the reactor's bookkeeping: readiness versus waker registration
//! (invariant 5), stale events for a reused slot, a timer cancelled while firing, and
//! the poller's seat handed to a standby.
//!
//! Bound 3: these structures are small (one atomic word and two mutexes), so three
//! preemptions stay fast and cover every ordering of the two or three steps that race.
#![cfg(loom)]

use std::{
    task::{Context, Poll},
    time::{Duration, Instant},
};

use loom::{
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        Arc, Mutex,
    },
    thread,
};
use turtles_loom_tests::helpers::{check, counting_waker};
use turtles_reactor::loom_exports::{Direction, PollerSeat, Readiness, Sources, Timers, READABLE};

/// Invariant 5: the kernel reports the socket readable while the task is between its
/// `WouldBlock` and storing its waker. The task must either see the readiness on its
/// next poll or be woken — never sleep through it.
#[test]
fn invariant_5_readiness_between_would_block_and_waker_registration_is_not_lost() {
    check(3, || {
        let readiness = Arc::new(Readiness::new());
        readiness.set(READABLE); // an old event: the task will read and hit WouldBlock
        let wakes = Arc::new(AtomicUsize::new(0));
        let waker = counting_waker(wakes.clone());
        let mut cx = Context::from_waker(&waker);

        let kernel = {
            let readiness = readiness.clone();
            thread::spawn(move || readiness.set(READABLE)) // new data arrives, any time
        };
        // The task: ready -> read() says WouldBlock -> clear -> poll again.
        let Poll::Ready(seen) = readiness.poll_ready(Direction::Read, &mut cx) else {
            panic!("old event")
        };
        readiness.clear(seen, Direction::Read);
        let again = readiness.poll_ready(Direction::Read, &mut cx);
        kernel.join().unwrap();
        assert!(
            again.is_ready() || wakes.load(SeqCst) == 1,
            "the new readiness was lost"
        );
    });
}

/// A source dropped while its event is being dispatched: the event for the old token
/// never reaches the new source that reuses the slot.
#[test]
fn a_stale_event_never_reaches_a_source_that_reuses_the_slot() {
    check(3, || {
        let sources = Arc::new(Mutex::new(Sources::default()));
        let (old_token, _old) = sources.lock().unwrap().insert();
        let new_wakes = Arc::new(AtomicUsize::new(0));

        let owner = {
            let (sources, new_wakes) = (sources.clone(), new_wakes.clone());
            thread::spawn(move || {
                // The socket is closed and a new one takes the same slot.
                sources.lock().unwrap().remove(old_token);
                let (_token, new) = sources.lock().unwrap().insert();
                let waker = counting_waker(new_wakes);
                assert!(new
                    .poll_ready(Direction::Read, &mut Context::from_waker(&waker))
                    .is_pending());
            })
        };
        // The poller dispatches an event that was read for the old token.
        let target = sources.lock().unwrap().get(old_token).cloned();
        if let Some(readiness) = target {
            readiness.set(READABLE); // reaches the old source only
        }
        owner.join().unwrap();
        assert_eq!(
            new_wakes.load(SeqCst),
            0,
            "a stale event woke the new source"
        );
    });
}

/// A timer cancelled (its `Sleep` dropped) while the driver is firing it: the task is
/// woken at most once, nothing panics, and no entry is left behind.
#[test]
fn a_timer_cancelled_while_firing_wakes_at_most_once_and_leaves_nothing() {
    check(3, || {
        let timers = Arc::new(Timers::new());
        let wakes = Arc::new(AtomicUsize::new(0));
        let now = Instant::now();
        let (key, _) = timers.insert(now, counting_waker(wakes.clone()));
        let canceller = {
            let timers = timers.clone();
            thread::spawn(move || timers.remove(key))
        };
        timers.fire_due(now + Duration::from_millis(1));
        canceller.join().unwrap();
        assert!(wakes.load(SeqCst) <= 1);
        assert_eq!(timers.len(), 0);
    });
}

/// The poller's seat: two idle threads park with the same token. One polls; the other
/// waits as a standby. When the poller leaves, the standby must take the seat and poll
/// in turn (a timer may have become due that only it is left to fire) — not sleep on.
#[test]
fn the_poller_leaving_hands_the_seat_to_a_standby() {
    check(3, || {
        let seat = Arc::new(PollerSeat::new(()));
        let turns = Arc::new(AtomicUsize::new(0));
        let token = seat.token();
        let other = {
            let (seat, turns) = (seat.clone(), turns.clone());
            thread::spawn(move || {
                seat.park(token, None, |_, _| {
                    turns.fetch_add(1, SeqCst);
                })
            })
        };
        // Each turn returns at once, as if an event had arrived.
        seat.park(token, None, |_, _| {
            turns.fetch_add(1, SeqCst);
        });
        other.join().unwrap();
        assert_eq!(turns.load(SeqCst), 2, "each thread polled once");
    });
}
