//! The executor's contract, through the public `turtles` API: block_on, spawn,
//! JoinHandle, panics, abort, spawn_local, yield fairness and shutdown.

use std::{
    future::Future,
    pin::Pin,
    rc::Rc,
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        mpsc, Arc, Mutex,
    },
    task::{Context, Poll, Waker},
    thread,
    time::Duration,
};

use turtles::{task, JoinHandle, Runtime};

/// Generous: CI shares two noisy cores.
const PATIENCE: Duration = Duration::from_secs(20);

/// The text of a caught panic, whether it was built with format arguments or not.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

fn runtime(workers: usize) -> Runtime {
    Runtime::builder()
        .worker_threads(workers)
        .build()
        .expect("runtime starts")
}

/// Returns `Pending` `pendings` times; before each, a helper thread is asked to wake
/// it once. Counts its polls.
struct WakeFromThread {
    polls: Arc<AtomicUsize>,
    pendings: usize,
}

impl Future for WakeFromThread {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.fetch_add(1, SeqCst);
        if self.pendings == 0 {
            return Poll::Ready(());
        }
        self.pendings -= 1;
        let waker = cx.waker().clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(5));
            waker.wake();
        });
        Poll::Pending
    }
}

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
fn spawn_from_inside_and_outside_the_runtime() {
    let rt = runtime(2);
    let outside = rt.spawn(async { 1 });
    let via_handle = {
        let handle = rt.handle();
        thread::spawn(move || handle.spawn(async { 2 }))
            .join()
            .unwrap()
    };
    let inside = rt.block_on(async {
        let nested = turtles::spawn(async { turtles::spawn(async { 3 }).await.unwrap() });
        nested.await.unwrap()
    });
    assert_eq!(rt.block_on(outside).unwrap(), 1);
    assert_eq!(rt.block_on(via_handle).unwrap(), 2);
    assert_eq!(inside, 3);
}

#[test]
fn spawn_outside_a_runtime_panics_with_the_fix() {
    let err = std::panic::catch_unwind(|| turtles::spawn(async {})).unwrap_err();
    let msg = panic_text(&*err);
    assert!(
        msg.contains("outside a runtime") && msg.contains("Fix:"),
        "{msg}"
    );
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

#[test]
fn a_hundred_thousand_tasks_from_two_threads_all_complete() {
    let rt = runtime(2);
    let done = Arc::new(AtomicUsize::new(0));
    let spawners: Vec<_> = (0..2)
        .map(|_| {
            let handle = rt.handle();
            let done = done.clone();
            thread::spawn(move || {
                let handles: Vec<JoinHandle<()>> = (0..50_000)
                    .map(|_| {
                        let done = done.clone();
                        handle.spawn(async move {
                            done.fetch_add(1, SeqCst);
                        })
                    })
                    .collect();
                handles
            })
        })
        .collect();
    for spawner in spawners {
        for handle in spawner.join().unwrap() {
            rt.block_on(handle).unwrap();
        }
    }
    assert_eq!(done.load(SeqCst), 100_000);
    let m = rt.metrics();
    assert_eq!(m.spawned(), 100_000);
    assert_eq!(m.completed(), 100_000);
    assert_eq!(m.live_tasks(), 0);
}

#[test]
fn a_task_woken_from_another_thread_runs_again() {
    let rt = runtime(2);
    let (tx, rx) = mpsc::channel::<Waker>();
    let mut woken = false;
    let task = rt.spawn(std::future::poll_fn(move |cx| {
        if woken {
            return Poll::Ready("woken");
        }
        woken = true;
        tx.send(cx.waker().clone()).unwrap();
        Poll::Pending
    }));
    let waker = rx.recv_timeout(PATIENCE).unwrap();
    thread::spawn(move || waker.wake()).join().unwrap();
    assert_eq!(rt.block_on(task).unwrap(), "woken");
}

#[test]
fn a_wake_during_poll_is_not_lost() {
    let rt = runtime(1);
    let polls = Arc::new(AtomicUsize::new(0));
    let counted = polls.clone();
    let task = rt.spawn(std::future::poll_fn(move |cx| {
        if counted.fetch_add(1, SeqCst) == 0 {
            cx.waker().wake_by_ref(); // wakes itself, then says Pending
            return Poll::Pending;
        }
        Poll::Ready(())
    }));
    rt.block_on(task).unwrap();
    assert_eq!(polls.load(SeqCst), 2);
}

async fn kaboom() {
    panic!("kaboom")
}

async fn nobody_listens() {
    panic!("nobody listens")
}

#[test]
fn a_panic_reaches_the_join_handle_with_the_tasks_name_and_location() {
    let rt = runtime(2);
    let (b, h) = (task::Builder::new().name("exploder"), rt.handle());
    let (handle, line) = (b.spawn_on(kaboom(), &h), line!());
    let err = rt.block_on(handle).unwrap_err();
    assert!(err.is_panic() && !err.is_cancelled());
    let text = err.to_string();
    assert!(text.contains("task 'exploder'"), "{text}");
    assert!(text.contains(&format!("{}:{line}:", file!())), "{text}");
    assert!(text.contains("kaboom"), "{text}");
    assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "kaboom");

    // The worker survived the panic.
    assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap(), 5);
}

#[test]
fn a_detached_panicking_task_reaches_the_unobserved_panic_hook() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let rt = Runtime::builder()
        .worker_threads(2)
        .on_unobserved_panic(move |report| {
            let line = (
                report.task_name().map(str::to_owned),
                report.message().to_owned(),
                report.location().line(),
            );
            tx.lock().unwrap().send(line).unwrap();
        })
        .build()
        .unwrap();
    let (b, h) = (task::Builder::new().name("orphan"), rt.handle());
    let (handle, line) = (b.spawn_on(nobody_listens(), &h), line!());
    handle.detach();
    let (name, message, at) = rx.recv_timeout(PATIENCE).expect("the hook was called");
    assert_eq!(name.as_deref(), Some("orphan"));
    assert_eq!(message, "nobody listens");
    assert_eq!(at, line);

    // A handle dropped after the panic, without looking at it, also reports it.
    let handle = rt.spawn(async { panic!("ignored") });
    while !handle.is_finished() {
        thread::yield_now();
    }
    drop(handle);
    let (_, message, _) = rx.recv_timeout(PATIENCE).expect("the hook was called");
    assert_eq!(message, "ignored");
}

#[test]
fn abort_before_and_after_completion() {
    let rt = runtime(2);
    let dropped = Arc::new(AtomicUsize::new(0));
    let guard = DropCounter(dropped.clone());
    let pending = rt.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    pending.abort();
    let err = rt.block_on(pending).unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    assert_eq!(dropped.load(SeqCst), 1, "abort drops the future");

    let done = rt.spawn(async { 9 });
    while !done.is_finished() {
        thread::yield_now();
    }
    done.abort();
    assert_eq!(
        rt.block_on(done).unwrap(),
        9,
        "abort after completion keeps the output"
    );
}

#[test]
fn spawn_local_runs_an_rc_future_on_the_block_on_thread() {
    let here = thread::current().id();
    let rt = runtime(2);
    let out = rt.block_on(async move {
        let shared = Rc::new(std::cell::Cell::new(0));
        let mine = shared.clone();
        let handle = turtles::spawn_local(async move {
            for _ in 0..3 {
                assert_eq!(thread::current().id(), here);
                mine.set(mine.get() + 1);
                task::yield_now().await;
            }
            mine.get()
        });
        let out = handle.await.unwrap();
        assert_eq!(shared.get(), 3);
        out
    });
    assert_eq!(out, 3);
}

#[test]
fn spawn_local_outside_block_on_panics_with_the_reason() {
    let rt = runtime(1);
    let err = rt
        .block_on(rt.spawn(async { turtles::spawn_local(async {}).detach() }))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("spawn_local was called outside block_on"),
        "{err}"
    );
}

#[test]
fn two_yielding_tasks_interleave() {
    let rt = runtime(1);
    let log = Arc::new(Mutex::new(String::new()));
    let log2 = log.clone();
    rt.block_on(rt.spawn(async move {
        let tasks: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|letter| {
                let log = log2.clone();
                turtles::spawn(async move {
                    for _ in 0..50 {
                        log.lock().unwrap().push_str(letter);
                        task::yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    }))
    .unwrap();
    assert_eq!(*log.lock().unwrap(), "ab".repeat(50));
}

struct DropCounter(Arc<AtomicUsize>);
impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn shutdown_drops_every_future_exactly_once_even_those_parked_on_outside_wakers() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let outside_wakers: Arc<Mutex<Vec<Waker>>> = Arc::default();
    let rt = runtime(2);
    let mut handles = Vec::new();
    for _ in 0..100 {
        let guard = DropCounter(dropped.clone());
        let wakers = outside_wakers.clone();
        let mut registered = false;
        // Parks forever; its only waker lives in `outside_wakers`, outside the runtime.
        handles.push(rt.spawn(std::future::poll_fn(move |cx| {
            let _ = &guard;
            if !registered {
                registered = true;
                wakers.lock().unwrap().push(cx.waker().clone());
            }
            Poll::<()>::Pending
        })));
    }
    while outside_wakers.lock().unwrap().len() < 100 {
        thread::yield_now();
    }
    for _ in 0..100 {
        let guard = DropCounter(dropped.clone());
        handles.push(rt.spawn(async move {
            let _guard = guard;
            loop {
                task::yield_now().await; // always runnable, never done
            }
        }));
    }
    drop(rt);
    assert_eq!(
        dropped.load(SeqCst),
        200,
        "every future dropped exactly once"
    );
    for handle in handles {
        assert!(handle.is_finished());
        assert!(turtles::block_on(handle).unwrap_err().is_cancelled());
    }
    // Wakers used after shutdown do nothing.
    for waker in outside_wakers.lock().unwrap().drain(..) {
        waker.wake();
    }
    assert_eq!(dropped.load(SeqCst), 200);
}

#[test]
fn spawning_on_a_dropped_runtime_yields_a_cancelled_task() {
    let rt = runtime(1);
    let handle = rt.handle();
    drop(rt);
    let dropped = Arc::new(AtomicUsize::new(0));
    let guard = DropCounter(dropped.clone());
    let task = handle.spawn(async move { drop(guard) });
    assert_eq!(dropped.load(SeqCst), 1);
    assert!(turtles::block_on(task).unwrap_err().is_cancelled());
}

#[test]
fn dropping_a_runtime_on_its_own_worker_panics_instead_of_deadlocking() {
    let rt = Arc::new(Mutex::new(Some(runtime(1))));
    let handle = rt.lock().unwrap().as_ref().unwrap().handle();
    let inside = rt.clone();
    let task = handle.spawn(async move {
        let rt = inside.lock().unwrap().take();
        drop(rt);
    });
    let err = turtles::block_on(task).unwrap_err();
    assert!(
        err.to_string()
            .contains("dropped on one of its own worker threads"),
        "{err}"
    );
}

#[test]
fn zero_worker_threads_is_an_error_not_a_panic() {
    let err = Runtime::builder().worker_threads(0).build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("at least one worker"));
}

#[test]
fn join_handle_polled_again_after_ready_panics_with_the_fix() {
    let rt = runtime(1);
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            let mut handle = turtles::spawn(async { 1 });
            (&mut handle).await.unwrap();
            let _ = (&mut handle).await;
        })
    }))
    .unwrap_err();
    assert!(panic_text(&*err).contains("already returned its output"));
}

#[test]
fn metrics_count_local_and_remote_schedules() {
    let rt = runtime(1);
    rt.block_on(rt.spawn(async {
        for _ in 0..10 {
            task::yield_now().await;
        }
    }))
    .unwrap();
    let m = rt.metrics();
    assert!(m.local_schedules() >= 10, "{m:?}");
    assert!(m.remote_schedules() >= 1, "{m:?}");
    assert!(m.polls() >= 11, "{m:?}");
    assert!(m.injector_pulls() >= 1, "{m:?}");
}
