//! Loom models of the executor's protocols: task state, wakes, join, park, spill,
//! shutdown, block_on. Each model names the invariant of ARCHITECTURE.md it checks.
//!
//! Bound: a preemption bound of 3 explores every interleaving in which the scheduler
//! interrupts threads at most three times. Each race below needs one or two
//! interruptions to show up (a wake landing inside a poll, a push landing between a
//! worker's last look and its sleep), so 3 leaves a margin; the largest models (the
//! spill, ~890,000 executions, and the hand-off, ~340,000 at bound 2) keep the whole
//! suite around four minutes on two cores. Bound 4 multiplies that by roughly ten for
//! no race we know of.
#![cfg(loom)]

use std::{
    collections::HashSet,
    future::Future,
    pin::Pin,
    sync::{Arc as StdArc, Mutex as StdMutex},
    task::{Poll, Waker},
};

use loom::{
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        Arc, Mutex,
    },
    thread,
};
use turtles_executor::{
    loom_exports::{OnWake, State},
    Runtime,
};
use turtles_loom_tests::helpers::{
    check, wake_once_parked, wake_slot, DropCounter, WaitOnce, EXPECTED_PANIC,
};

fn runtime(workers: usize) -> Runtime {
    Runtime::builder().worker_threads(workers).build().unwrap()
}

/// Invariant 1: two threads wake an idle task at once; exactly one of them gets to
/// schedule it, so it sits in one queue once.
#[test]
fn invariant_1_two_concurrent_wakes_schedule_an_idle_task_once() {
    check(3, || {
        let state = Arc::new(State::new_scheduled());
        let _ = state.start();
        let _ = state.after_pending(false); // now IDLE
        let scheduled = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (state, scheduled) = (state.clone(), scheduled.clone());
                thread::spawn(move || {
                    if state.wake() == OnWake::Schedule {
                        scheduled.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(scheduled.load(SeqCst), 1);
    });
}

/// Invariant 2: a wake from another thread while the task is being polled (or just
/// before, or just after) leads to exactly one more poll.
#[test]
fn invariant_2_a_wake_during_the_poll_leads_to_exactly_one_more_poll() {
    check(3, || {
        let rt = runtime(1);
        let polls = Arc::new(AtomicUsize::new(0));
        let slot = Arc::new(Mutex::new(None::<Waker>));
        let task = rt.spawn(WaitOnce {
            polls: polls.clone(),
            slot: slot.clone(),
            guard: None,
        });
        let waker_thread = wake_once_parked(slot.clone());
        assert_eq!(rt.block_on(task).unwrap(), 2);
        waker_thread.join().unwrap();
        assert_eq!(polls.load(SeqCst), 2);
        drop(rt);
    });
}

/// Invariant 3: a wake racing the task's completion never causes a poll after
/// completion, and the output arrives.
#[test]
fn invariant_3_a_wake_racing_completion_causes_no_poll_after_it() {
    check(3, || {
        let rt = runtime(1);
        let polls = Arc::new(AtomicUsize::new(0));
        let slot = Arc::new(Mutex::new(None::<Waker>));
        let (p, s) = (polls.clone(), slot.clone());
        // Polled once: leaves its waker for the other thread and completes at once.
        let task = rt.spawn(std::future::poll_fn(move |cx| {
            p.fetch_add(1, SeqCst);
            *s.lock().unwrap() = Some(cx.waker().clone());
            Poll::Ready(7)
        }));
        let waker_thread = {
            let slot = slot.clone();
            thread::spawn(move || wake_slot(&slot))
        };
        assert_eq!(rt.block_on(task).unwrap(), 7);
        waker_thread.join().unwrap();
        drop(rt); // joins the worker: any stray poll would have happened by now
        assert_eq!(polls.load(SeqCst), 1);
        wake_slot(&slot); // a wake after everything is over is a no-op
    });
}

/// Invariant 3: dropping the JoinHandle concurrently with completion neither leaks
/// (loom's leak check) nor double-drops the output.
#[test]
fn invariant_3_join_handle_dropped_concurrently_with_completion() {
    check(3, || {
        let rt = runtime(1);
        let drops = Arc::new(AtomicUsize::new(0));
        let output = DropCounter(drops.clone());
        let handle = rt.spawn(async move { output });
        let dropper = thread::spawn(move || drop(handle));
        dropper.join().unwrap();
        drop(rt);
        assert_eq!(drops.load(SeqCst), 1, "the output is dropped exactly once");
    });
}

/// Invariant 3 with a handle that waited: a poll of the handle left its waker in the
/// join slot (the state's JOIN_WAKER), then the handle is dropped while the worker
/// completes the task. Whichever wins (the drop marks DETACHED and takes its
/// waker out of the slot, or the delivery takes it and wakes it), the output is
/// dropped exactly once.
#[test]
fn invariant_3_a_handle_that_waited_dropped_concurrently_with_completion() {
    check(3, || {
        let rt = runtime(1);
        let drops = Arc::new(AtomicUsize::new(0));
        let output = DropCounter(drops.clone());
        let slot = Arc::new(Mutex::new(None));
        let wait = WaitOnce {
            polls: Arc::new(AtomicUsize::new(0)),
            slot: slot.clone(),
            guard: None,
        };
        let mut handle = rt.spawn(async move {
            wait.await;
            output
        });
        // One poll, inside `block_on`, which clears the thread's record of where a
        // poll waits (polled bare, the record outlives loom's execution and the next
        // one goes differently). The task cannot finish before `wake_once_parked`
        // wakes it: this is `Pending`.
        let polled = rt.block_on(std::future::poll_fn(|cx| {
            Poll::Ready(Pin::new(&mut handle).poll(cx).is_pending())
        }));
        assert!(polled);
        let waker_thread = wake_once_parked(slot);
        drop(handle); // racing the worker, which completes the task once woken
        waker_thread.join().unwrap();
        drop(rt);
        assert_eq!(drops.load(SeqCst), 1, "the output is dropped exactly once");
    });
}

/// Invariant 3: abort racing completion. Both outcomes must be possible — the task
/// completes first (the output is kept) or the abort wins (cancelled) — and in each
/// the future and the output are dropped exactly once.
#[test]
fn invariant_3_abort_racing_completion_keeps_exactly_one_outcome() {
    static OUTCOMES: StdMutex<Option<HashSet<&'static str>>> = StdMutex::new(None);
    check(3, || {
        let rt = runtime(1);
        let future_drops = Arc::new(AtomicUsize::new(0));
        let output_drops = Arc::new(AtomicUsize::new(0));
        let (guard, out) = (
            DropCounter(future_drops.clone()),
            DropCounter(output_drops.clone()),
        );
        let handle = Arc::new(Mutex::new(Some(rt.spawn(async move {
            let _guard = guard;
            out
        }))));
        let aborter = {
            let handle = handle.clone();
            thread::spawn(move || handle.lock().unwrap().as_ref().unwrap().abort())
        };
        aborter.join().unwrap();
        let handle = handle.lock().unwrap().take().unwrap();
        let outcome = match rt.block_on(handle) {
            Ok(out) => {
                drop(out);
                "completed"
            }
            Err(e) if e.is_cancelled() => "cancelled",
            Err(e) => panic!("unexpected {e}"),
        };
        drop(rt);
        assert_eq!(
            future_drops.load(SeqCst),
            1,
            "the future is dropped exactly once"
        );
        assert!(output_drops.load(SeqCst) <= 1);
        if outcome == "completed" {
            assert_eq!(output_drops.load(SeqCst), 1);
        }
        OUTCOMES
            .lock()
            .unwrap()
            .get_or_insert_with(HashSet::new)
            .insert(outcome);
    });
    let seen = OUTCOMES.lock().unwrap().take().unwrap();
    assert!(
        seen.contains("completed") && seen.contains("cancelled"),
        "explored: {seen:?}"
    );
}

/// Invariant 6 with 3: a task panics while its JoinHandle is dropped on another thread.
/// Whichever comes first, the panic reaches the unobserved-panic hook exactly once.
#[test]
fn invariant_6_a_panic_racing_the_handle_drop_is_reported_exactly_once() {
    check(3, || {
        let reports = Arc::new(AtomicUsize::new(0));
        let counted = reports.clone();
        let rt = Runtime::builder()
            .worker_threads(1)
            .on_unobserved_panic(move |_| {
                counted.fetch_add(1, SeqCst);
            })
            .build()
            .unwrap();
        let handle = rt.spawn(async { std::panic::panic_any(EXPECTED_PANIC) });
        let dropper = thread::spawn(move || drop(handle));
        // One worker pops FIFO: once this second task ran, the panicking one has
        // finished (and was reported, if its handle was already gone).
        rt.block_on(rt.spawn(async {})).unwrap();
        dropper.join().unwrap();
        assert_eq!(reports.load(SeqCst), 1);
        drop(rt);
    });
}

/// Invariant 2: a worker going to park while another thread spawns: the task runs
/// (the push sees the sleeper, or the sleeper sees the push).
#[test]
fn invariant_2_a_spawn_racing_a_parking_worker_is_not_lost() {
    check(3, || {
        let rt = runtime(1);
        let ran = Arc::new(AtomicUsize::new(0));
        let handle = rt.handle();
        let r = ran.clone();
        let spawner = thread::spawn(move || handle.spawn(async move { r.fetch_add(1, SeqCst) }));
        let task = spawner.join().unwrap();
        rt.block_on(task).unwrap();
        assert_eq!(ran.load(SeqCst), 1);
        drop(rt);
    });
}

/// Invariant 1: the local queue spills into the injector (capacity 2 under loom) while
/// a second worker pulls from it: every task runs exactly once.
#[test]
fn invariant_1_local_queue_spill_loses_no_task_and_runs_none_twice() {
    check(3, || {
        let rt = runtime(2);
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let parent = rt.spawn(async move {
            let children: Vec<_> = (0..3)
                .map(|_| {
                    let r = r.clone();
                    turtles_executor::spawn(async move {
                        r.fetch_add(1, SeqCst);
                    })
                })
                .collect();
            for child in children {
                child.await.unwrap();
            }
        });
        rt.block_on(parent).unwrap();
        assert_eq!(runs.load(SeqCst), 3);
        drop(rt);
    });
}

/// Invariant 4: shutdown racing a wake from another thread: the future is dropped
/// exactly once, the task does not leak, and the late wake does nothing.
#[test]
fn invariant_4_shutdown_racing_a_wake_drops_every_future_once() {
    check(3, || {
        let rt = runtime(1);
        let drops = Arc::new(AtomicUsize::new(0));
        let slot = Arc::new(Mutex::new(None::<Waker>));
        let polls = Arc::new(AtomicUsize::new(0));
        let parked = WaitOnce {
            polls: polls.clone(),
            slot: slot.clone(),
            guard: Some(DropCounter(drops.clone())),
        };
        // Wait until the task has parked its waker, so shutdown races a *wake*.
        let handle = rt.spawn(parked);
        while slot.lock().unwrap().is_none() {
            thread::yield_now();
        }
        let waker_thread = {
            let slot = slot.clone();
            thread::spawn(move || wake_slot(&slot))
        };
        drop(rt);
        waker_thread.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1);
        drop(handle);
    });
}

/// Invariant 2 for `block_on`: a wake from another thread is never lost, and causes
/// exactly one more poll.
#[test]
fn invariant_2_block_on_woken_from_another_thread() {
    check(3, || {
        let polls = Arc::new(AtomicUsize::new(0));
        let slot = Arc::new(Mutex::new(None::<Waker>));
        let waker_thread = wake_once_parked(slot.clone());
        let n = turtles_executor::block_on(WaitOnce {
            polls: polls.clone(),
            slot,
            guard: None,
        });
        assert_eq!(n, 2);
        waker_thread.join().unwrap();
        assert_eq!(polls.load(SeqCst), 2);
    });
}

/// Invariant 3: abort racing a poll that returns `Pending` (before it, during it, after
/// it). Whatever the order, the task ends cancelled, its future is dropped exactly once
/// and polled at most once, and a late wake does nothing.
#[test]
fn invariant_3_abort_racing_a_pending_poll_cancels_exactly_once() {
    check(3, || {
        let rt = runtime(1);
        let drops = Arc::new(AtomicUsize::new(0));
        let polls = Arc::new(AtomicUsize::new(0));
        let slot = Arc::new(Mutex::new(None::<Waker>));
        let parked = WaitOnce {
            polls: polls.clone(),
            slot: slot.clone(),
            guard: Some(DropCounter(drops.clone())),
        };
        let handle = Arc::new(Mutex::new(Some(rt.spawn(parked))));
        let aborter = {
            let handle = handle.clone();
            thread::spawn(move || handle.lock().unwrap().as_ref().unwrap().abort())
        };
        aborter.join().unwrap();
        let handle = handle.lock().unwrap().take().unwrap();
        let err = rt.block_on(handle).expect_err("aborted before any wake");
        assert!(err.is_cancelled());
        wake_slot(&slot); // a late wake finds the task complete
        drop(rt);
        assert_eq!(drops.load(SeqCst), 1, "the future is dropped exactly once");
        assert!(
            polls.load(SeqCst) <= 1,
            "no poll after the abort took effect"
        );
    });
}

/// Invariant 4 without shutdown's help: once every handle has resolved, the registry
/// is already empty — a task leaves it before its output is handed over, so a task
/// that is over can never be found live (or leaked until shutdown sweeps it).
#[test]
fn invariant_4_the_registry_is_empty_once_every_handle_resolved() {
    check(3, || {
        // One worker completes the task while this thread awaits the handle and then
        // looks at the registry: the race is between the two.
        let rt = runtime(1);
        assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
        assert_eq!(
            rt.metrics().live_tasks(),
            0,
            "a finished task is still registered"
        );
        drop(rt);
    });
}

/// A `Driver` for loom: a generation counter and a condvar, plus how many threads
/// sleep in it right now. It ignores `max_wait` (loom has no clock): a patrol is
/// modelled as a sleep until the next unpark. A task may arm it (`armed`): the next
/// thread to leave `park` wakes that task from inside the driver, as an I/O event or a
/// timer would.
#[derive(Debug, Default)]
struct StandInDriver {
    generation: Mutex<u64>,
    woken: loom::sync::Condvar,
    sleeping: AtomicUsize,
    armed: Mutex<Option<Waker>>,
}

impl StandInDriver {
    /// Pending until the driver fired: the task's next poll runs on the worker that
    /// woke it inside the driver.
    async fn event(&self) {
        let mut fired = false;
        std::future::poll_fn(|cx| {
            if std::mem::replace(&mut fired, true) {
                return Poll::Ready(());
            }
            *self.armed.lock().unwrap() = Some(cx.waker().clone());
            turtles_executor::Driver::unpark(self);
            Poll::Pending
        })
        .await
    }
}

impl turtles_executor::Driver for StandInDriver {
    fn token(&self) -> u64 {
        *self.generation.lock().unwrap()
    }
    fn park(&self, token: u64, _max_wait: Option<std::time::Duration>) {
        let mut generation = self.generation.lock().unwrap();
        self.sleeping.fetch_add(1, SeqCst);
        while *generation == token {
            generation = self.woken.wait(generation).unwrap();
        }
        self.sleeping.fetch_sub(1, SeqCst);
        drop(generation);
        // Woken outside the lock, as the reactor does.
        let armed = self.armed.lock().unwrap().take();
        if let Some(waker) = armed {
            waker.wake();
        }
    }
    fn unpark(&self) {
        *self.generation.lock().unwrap() += 1;
        self.woken.notify_all();
    }
}

/// Driver hand-off: two idle workers, one sleeping in the driver. A task arms the
/// driver and, woken from inside it (so on the worker that was sleeping there), blocks
/// that worker; the driver role must end up with the other one while the task still
/// runs — or timers and I/O go unwatched although a worker idles. (Loom runtimes have
/// no watchdog: this is the leaving worker's own hand-off, `HandOff::AtOnce`.)
#[test]
fn the_driver_role_passes_on_when_its_holder_leaves_to_run_work() {
    check(2, || {
        // std's Arc: the executor takes an `Arc<dyn Driver>`, which loom's cannot coerce to.
        let driver = StdArc::new(StandInDriver::default());
        let rt = Runtime::builder()
            .worker_threads(2)
            .driver(driver.clone())
            .build()
            .unwrap();
        // Both workers park: one in the driver, one on its condvar.
        while rt.metrics().parks() < 2 || driver.sleeping.load(SeqCst) == 0 {
            thread::yield_now();
        }
        let (running, released) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (r, rel, d) = (running.clone(), released.clone(), driver.clone());
        let blocker = rt.spawn(async move {
            d.event().await;
            r.store(1, SeqCst);
            while rel.load(SeqCst) == 0 {
                thread::yield_now(); // a long poll: this worker is busy
            }
        });
        while running.load(SeqCst) == 0 {
            thread::yield_now();
        }
        // The other worker must (re)enter the driver while the blocker runs.
        while driver.sleeping.load(SeqCst) == 0 {
            thread::yield_now();
        }
        released.store(1, SeqCst);
        // Not `rt.block_on`: this model is about the workers' hand-off alone (a thread in
        // `block_on` adds a parker and a list, and loom exceeds its branch limit).
        while !blocker.is_finished() {
            thread::yield_now();
        }
        drop(rt);
    });
}

/// Invariant 2 for the current-thread runtime: two threads in `block_on` at once, each
/// awaiting a task that only the thread holding the core can run. When the holder
/// returns, the other must take the core over (it is listed before it looks at the
/// core, and the holder rings every listed thread after freeing it), or its task is
/// stranded in the injector with nobody to run it.
#[test]
fn invariant_2_the_core_passes_to_a_block_on_waiting_for_it() {
    check(2, || {
        let rt = StdArc::new(Runtime::builder().current_thread().build().unwrap());
        let other = {
            let rt = rt.clone();
            thread::spawn(move || rt.block_on(async { turtles_executor::spawn(async { 1 }).await }))
        };
        let mine = rt.block_on(async { turtles_executor::spawn(async { 2 }).await });
        assert_eq!(mine.unwrap() + other.join().unwrap().unwrap(), 3);
    });
}
