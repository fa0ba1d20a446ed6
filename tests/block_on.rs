//! `block_on` polls once per wake: a leftover wake from an earlier call or the user's
//! own `thread::park` causes no extra poll, and a nested `block_on` is refused.

mod common;

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        mpsc, Arc, Mutex,
    },
    task::{Poll, Waker},
    thread,
    time::Duration,
};

use common::{panic_text, runtime, WakeFromThread};

#[test]
fn block_on_polls_once_per_wake() {
    let polls = Arc::new(AtomicUsize::new(0));
    turtles::block_on(WakeFromThread {
        polls: polls.clone(),
        pendings: 3,
    });
    assert_eq!(polls.load(SeqCst), 4, "3 wakes + the first poll");

    let polls = Arc::new(AtomicUsize::new(0));
    runtime(1).block_on(WakeFromThread {
        polls: polls.clone(),
        pendings: 3,
    });
    assert_eq!(polls.load(SeqCst), 4);
}

#[test]
fn a_leftover_wake_from_an_earlier_block_on_causes_no_extra_poll() {
    let stale: Arc<Mutex<Option<Waker>>> = Arc::default();
    let keep = stale.clone();
    turtles::block_on(std::future::poll_fn(move |cx| {
        *keep.lock().unwrap() = Some(cx.waker().clone());
        Poll::Ready(())
    }));

    let polls = Arc::new(AtomicUsize::new(0));
    let counted = polls.clone();
    let (tx, rx) = mpsc::channel::<Waker>();
    let helper = thread::spawn(move || {
        let waker = rx.recv().unwrap();
        // The stale waker fires while the second block_on waits, then the real one.
        stale.lock().unwrap().take().unwrap().wake();
        thread::sleep(Duration::from_millis(50));
        waker.wake();
    });
    let mut sent = false;
    turtles::block_on(std::future::poll_fn(move |cx| {
        counted.fetch_add(1, SeqCst);
        if sent {
            return Poll::Ready(());
        }
        sent = true;
        tx.send(cx.waker().clone()).unwrap();
        Poll::Pending
    }));
    helper.join().unwrap();
    assert_eq!(
        polls.load(SeqCst),
        2,
        "the stale wake must not cause a poll"
    );
}

#[test]
fn a_future_using_thread_park_does_not_steal_the_executors_wake() {
    let polls = Arc::new(AtomicUsize::new(0));
    let counted = polls.clone();
    let me = thread::current();
    let mut step = 0;
    turtles::block_on(std::future::poll_fn(move |cx| {
        counted.fetch_add(1, SeqCst);
        step += 1;
        match step {
            1 => {
                // The user's own park/unpark, on the block_on thread.
                me.unpark();
                thread::park_timeout(Duration::from_millis(1));
                let waker = cx.waker().clone();
                thread::spawn(move || waker.wake());
                Poll::Pending
            }
            _ => Poll::Ready(()),
        }
    }));
    assert_eq!(polls.load(SeqCst), 2);
}

#[test]
fn nested_block_on_is_refused_with_the_rule_and_the_fix() {
    let rt = runtime(1);
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { turtles::block_on(async {}) })
    }))
    .unwrap_err();
    let msg = panic_text(&*err);
    assert!(msg.contains("deadlock") && msg.contains("Fix:"), "{msg}");

    // On a worker thread the refusal arrives as the task's panic.
    let inner = rt
        .block_on(rt.spawn(async { turtles::block_on(async {}) }))
        .unwrap_err();
    assert!(
        inner.to_string().contains("on a runtime worker thread"),
        "{inner}"
    );
}
