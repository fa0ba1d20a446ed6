//! The current-thread runtime: no worker threads at all; the thread inside
//! `Runtime::block_on` is the runtime's one worker while it waits.
//!
//! Lesson: a runtime is a loop, not a set of threads. This runtime's scheduler is the
//! multi-threaded one with a single worker slot — the same queues, wakers, timers and
//! shutdown — but no thread is spawned for the slot. A thread that calls
//! [`Runtime::block_on`](crate::Runtime::block_on) takes the slot (the *core*) and runs
//! the worker loop between polls of its own future, so every spawned task runs on that
//! thread (as do the `spawn_local` tasks of its `block_on` future), and tasks run only
//! while some thread is inside `block_on` (as in tokio's current-thread runtime). A wake from another thread lands in the injector and
//! unparks the core's parker, on which the holder sleeps, in the reactor when it holds
//! the driver role.
//!
//! Several threads may call `block_on` at once. One holds the core; the others poll
//! only their own futures and sleep listed among the scheduler's `block_on` waiters.
//! The holder, leaving, moves what is still queued to the injector and rings every
//! listed thread, so that one of them takes the core next (invariant 2, no lost
//! wake-up: a waiter is listed *before* it looks at the core, the holder frees the core
//! *before* it reads the list).
//!
//! Shutdown needs nothing new: `block_on` borrows the `Runtime`, so the runtime cannot
//! be dropped while a thread is inside it — not even by one of its own tasks, which
//! the multi-threaded runtime must guard against (`Runtime::drop`).

use std::{future::Future, pin::pin, task::Poll};

use crate::{
    block_on::{MainWake, LOCAL_BUDGET},
    context::{self, CurrentHandle, Role},
    handle::Handle,
    local::{self, LocalSet},
    park::{Alarm, Parker, Spin},
    run_queue::Queue,
    scheduler::Scheduler,
    shim::{lock, Arc, AtomicBool, Mutex, Ordering::SeqCst},
    worker::Worker,
};

/// Tasks run between two looks at the main future: a prime, so that the look does not
/// fall into step with tasks that do periodic work (the workers' look at the injector
/// uses 61 too); not measured.
const TASK_BUDGET: usize = LOCAL_BUDGET;

/// The one worker slot of a current-thread runtime: held by at most one thread.
#[derive(Debug, Default)]
pub(crate) struct Core {
    taken: AtomicBool,
    /// The run queue's buffer while no thread holds the core (its tasks went to the
    /// injector): the next holder queues into it instead of growing a new one. A queue
    /// grown from nothing and freed by every `block_on` cost `profile spawn_many_in_task
    /// turtles-current` (each round one `block_on` of 10,000 tasks) ~380 instructions
    /// per task: the growing copies, and freeing a large buffer makes glibc consolidate
    /// the small chunks the finished tasks left (BENCHMARKS.md, "Instructions per
    /// operation"). Like tokio's current-thread core, it keeps its largest size, and is
    /// freed with the runtime.
    buffer: Mutex<Queue>,
}

/// The core, held by this thread: it is worker 0 until this is dropped.
struct HeldCore<'a> {
    core: &'a Core,
    worker: Worker,
    scheduler: &'a Arc<Scheduler>,
}

impl Core {
    fn try_take<'a>(&'a self, scheduler: &'a Arc<Scheduler>) -> Option<HeldCore<'a>> {
        self.taken
            .compare_exchange(false, true, SeqCst, SeqCst)
            .ok()?;
        let buffer = std::mem::take(&mut *lock(&self.buffer));
        Some(HeldCore {
            core: self,
            worker: Worker::new(scheduler.clone(), 0, buffer),
            scheduler,
        })
    }

    fn is_free(&self) -> bool {
        !self.taken.load(SeqCst)
    }
}

impl HeldCore<'_> {
    /// Polls up to `budget` tasks; returns how many it ran.
    fn run(&self, budget: usize) -> usize {
        let (mut ran, watch) = (0, self.worker.watch());
        while ran < budget && self.worker.run_one(watch) {
            ran += 1;
        }
        ran
    }
}

impl Drop for HeldCore<'_> {
    fn drop(&mut self) {
        let buffer = self.worker.hand_back();
        *lock(&self.core.buffer) = buffer; // the core is still ours: nobody else locks it now
        self.core.taken.store(false, SeqCst);
        self.scheduler.wake_block_on_waiters();
    }
}

/// `Runtime::block_on` on a current-thread runtime.
#[track_caller]
pub(crate) fn block_on<F: Future>(core: &Core, handle: &Handle, future: F) -> F::Output {
    context::assert_may_block("block_on");
    let scheduler = &handle.scheduler;
    let _context = context::enter(Role::BlockOn, Some(CurrentHandle::Handle(handle.clone())));
    // Waiting for the core, the thread sleeps on its own parker; holding it, on the
    // core's. The alarm rings both.
    let own = Arc::new(Parker::new(scheduler.driver.clone()));
    let alarm = Alarm::new(own.clone(), Some(scheduler.parkers[0].clone()));
    let main = MainWake::new(alarm.clone());
    let local = LocalSet::enter(alarm, scheduler.panic_hook.clone());
    let mut future = pin!(future);
    let mut held = None;
    let spin = Spin::new();

    loop {
        if let Poll::Ready(output) = main.poll_if_woken(future.as_mut()) {
            return output; // the core, if held, is handed back on the way out
        }
        let mut ran = local.run_ready(LOCAL_BUDGET);
        if held.is_none() {
            held = core.try_take(scheduler);
        }
        match &held {
            Some(held) => {
                // Each `run` makes at least one `next_task` call, which counts towards
                // the worker's periodic look at the driver (`INJECTOR_INTERVAL`) even
                // when only local tasks keep this thread busy: timers stay served.
                ran += local::hidden(|| held.run(TASK_BUDGET));
                if ran > 0 {
                    continue;
                }
                // Not busy while asleep: the watchdog dozes instead of looking at an
                // idle core, and rings awake when this thread becomes busy again.
                held.worker.set_busy(false);
                held.worker.park();
            }
            None if ran > 0 => {}
            None => scheduler.park_block_on(&own, &spin, || core.is_free()),
        }
    }
}
