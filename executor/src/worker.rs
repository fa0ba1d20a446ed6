//! A worker: pop a task, poll it, repeat; sleep when there is nothing to do. Run by a
//! worker thread, or by the thread inside a current-thread runtime's `block_on`.
//!
//! Lesson: this loop *is* the executor. Everything else is bookkeeping around it.
//!
//! The worker pops from its own [`RunQueue`] and, every [`INJECTOR_INTERVAL`] tasks, from
//! the runtime's injector first, so that remote wakes are never stuck behind a busy local
//! queue; with both empty it takes half of a colleague's inbox. When there is nothing
//! at all it parks: the worker holding the driver role sleeps inside the `Driver` (the
//! reactor's `epoll_wait`) — patrolling while a colleague is busy — the others on their
//! own condvars. Leaving the driver with work in hand, it shares half of what the turn
//! woke with an idle colleague; and timers and I/O stay watched however long it then
//! polls: the watchdog wakes an idle colleague to take the role over once it stays
//! vacant across two looks, or, without a watchdog, the worker does so at once.

use std::time::Duration;

use crate::{
    context::{self, Role},
    handle::Handle,
    metrics::{add_owned, bump_owned},
    run_queue::{Queue, RunQueue},
    scheduler::{Scheduler, PATROL},
    shim::{Arc, Ordering::SeqCst},
    task::{AfterRun, Runnable},
    watch::PollWatch,
};

/// Once every this many calls of `next_task` — a task found or not — look at the driver
/// without sleeping, then at the injector before the local queue. A prime, so it does
/// not fall into step with tasks that do periodic work; tokio uses 61 too. Calls that
/// find nothing count: a current-thread `block_on` kept busy by local tasks (which
/// this worker does not run) still reaches the look through them.
pub(crate) const INJECTOR_INTERVAL: u32 = 61;

/// The state one worker keeps for itself: a worker thread's, or, on a current-thread
/// runtime, that of the thread inside `block_on` holding the core (`current_thread.rs`).
pub(crate) struct Worker {
    scheduler: Arc<Scheduler>,
    queue: std::rc::Rc<RunQueue>,
    /// Tasks popped since the last look at the injector.
    since_injector: std::cell::Cell<u32>,
    /// Between finding a task and running out of them (mirrored in the scheduler's count).
    busy: std::cell::Cell<bool>,
}

/// The body of worker thread number `index`.
pub(crate) fn run(scheduler: Arc<Scheduler>, index: usize, handle: Handle) {
    let _context = context::enter(Role::Worker, Some(context::CurrentHandle::Handle(handle)));
    let worker = Worker::new(scheduler.clone(), index, Queue::new());
    // Leaving is a guard, so that it happens even if something unwinds out of the loop:
    // the busy count, the thread-local and an orphaned runtime's shutdown depend on it.
    let leaving = Leaving(worker);
    leaving.0.run_loop();
    drop(leaving);
}

/// Runs when a worker thread's loop is over, however it ends.
struct Leaving(Worker);

impl Drop for Leaving {
    fn drop(&mut self) {
        self.0.leave();
        self.0.scheduler.worker_left();
    }
}

impl Worker {
    /// Makes this thread worker number `index` of `scheduler` until [`leave`](Self::leave),
    /// queueing into `buffer` (empty).
    pub(crate) fn new(scheduler: Arc<Scheduler>, index: usize, buffer: Queue) -> Worker {
        Worker {
            queue: RunQueue::install(scheduler.id(), index, buffer),
            scheduler,
            since_injector: std::cell::Cell::new(0),
            busy: std::cell::Cell::new(false),
        }
    }

    /// This thread stops being a worker: no longer busy, its queue uninstalled.
    pub(crate) fn leave(&self) {
        self.set_busy(false);
        self.queue.uninstall();
    }

    /// A current-thread runtime's `block_on` gives the core up: what is still queued
    /// goes to the injector for the next holder, and this thread stops being a worker.
    /// Returns the emptied queue buffer, for the core to keep.
    pub(crate) fn hand_back(&self) -> Queue {
        let buffer = self.queue.hand_back(&self.scheduler.injector);
        self.leave();
        buffer
    }

    fn counters(&self) -> &crate::metrics::Counters {
        &self.scheduler.counters[self.queue.index]
    }

    fn run_loop(&self) {
        let watch = self.watch();
        loop {
            if self.run_one(watch) {
                continue;
            }
            // Out of work: no longer busy *before* the last look (in `park`), so that a
            // colleague's push from then on goes where that look finds it.
            self.set_busy(false);
            if self.scheduler.is_shutting_down() {
                return;
            }
            self.park();
        }
    }

    /// This worker's watch, looked up once by the caller rather than once per poll.
    pub(crate) fn watch(&self) -> &PollWatch {
        self.scheduler.watches.of(self.queue.index)
    }

    /// Polls the next task, if there is one; `false` if there was none. `watch` is
    /// [`watch`](Self::watch)'s.
    pub(crate) fn run_one(&self, watch: &PollWatch) -> bool {
        let Some(task) = self.next_task() else {
            return false;
        };
        self.set_busy(true);
        watch.begin(&task); // for the watchdog; it counts the poll, too
        self.queue.polling.set(true);
        let after = task.run();
        self.queue.polling.set(false);
        watch.end();
        self.scheduler.drain_inbox(&self.queue);
        match after {
            AfterRun::Done => {}
            AfterRun::Reschedule(task) => self.scheduler.push_local(&self.queue, task),
        }
        true
    }

    pub(crate) fn set_busy(&self, busy: bool) {
        if self.busy.replace(busy) != busy {
            self.scheduler.set_busy(busy);
            if busy {
                // We may run long: make sure the driver's sleeper patrols, so that what we
                // push into our inbox meanwhile is found.
                self.scheduler.ensure_patrol();
            }
        }
    }

    fn next_task(&self) -> Option<Arc<dyn Runnable>> {
        let n = self.since_injector.get() + 1;
        if n == INJECTOR_INTERVAL {
            self.since_injector.set(0);
            if self.scheduler.is_shutting_down() {
                return None;
            }
            self.poll_driver_without_blocking();
            if let Some(task) = self.pull_injector_batch() {
                return Some(task);
            }
        } else {
            self.since_injector.set(n);
        }
        self.queue
            .pop()
            .or_else(|| self.pull_injector())
            .or_else(|| self.scheduler.take_from_colleagues(&self.queue))
    }

    fn pull_injector(&self) -> Option<Arc<dyn Runnable>> {
        let task = self.scheduler.injector.recv()?;
        bump_owned(&self.counters().injector_pulls);
        Some(task)
    }

    /// The periodic look at the injector takes a batch: this worker's share of what
    /// waits there, but only enough to fill its queue up to one interval's worth of
    /// tasks. Taking one task per look, a worker whose own queue never empties (tasks
    /// that yield in a loop) drained the injector at one task per 61 polls: tokio's
    /// `spawn_many_remote_busy1` (10,000 remote spawns while two tasks per worker yield
    /// and spin) took 3.3 s per iteration instead of ~7 ms. Taking a fixed 128 made the
    /// queue outgrow what the worker runs between two looks, and every task woken into
    /// it waited behind the batches: the median lateness of `timer_lateness` (100,000
    /// sleeps of 1 ms) went from 0.1 ms to 21 ms.
    ///
    /// The price: the batch sits in the private queue, which colleagues cannot take
    /// from, so a task of the batch that blocks its worker holds the rest back even if
    /// a colleague goes idle meanwhile (ARCHITECTURE.md, known limitations). Sending
    /// yielded tasks behind the injector instead avoided that but sent every yield of
    /// `yield_many` through the injector (2.4× slower); a stealable queue would fix both.
    fn pull_injector_batch(&self) -> Option<Arc<dyn Runnable>> {
        let first = self.pull_injector()?;
        let share = self.scheduler.injector.len() / self.scheduler.parkers.len();
        let room = (INJECTOR_INTERVAL as usize).saturating_sub(self.queue.len() + 1);
        for _ in 0..share.min(room) {
            let Some(task) = self.pull_injector() else {
                break;
            };
            self.queue.push_private(task);
        }
        Some(first)
    }

    /// A busy runtime still needs someone to look at I/O now and then — unless nothing
    /// waits there (`Driver::nothing_registered`, which says what that saves). Tested
    /// in `runtime.rs`, with a driver that counts the looks.
    fn poll_driver_without_blocking(&self) {
        if self
            .scheduler
            .driver
            .as_ref()
            .is_none_or(|d| d.nothing_registered())
        {
            return;
        }
        if let Some(role) = self.scheduler.take_driver_role(self.queue.index) {
            let driver = role.driver();
            driver.park(driver.token(), Some(Duration::ZERO));
            drop(role);
            // Nobody held the role, so an idle colleague that tried to take it meanwhile
            // went to its condvar instead: wake one so that it re-parks in the driver.
            // With a watchdog, the watchdog does this if the role stays vacant, as when
            // a worker leaves the driver to work.
            if self.scheduler.hands_off_at_once() && self.scheduler.sleepers.idle() > 0 {
                self.scheduler.notify_one();
            }
        }
    }

    /// Sleeps until there may be work: in the driver if this worker takes the driver
    /// role, else on its condvar.
    pub(crate) fn park(&self) {
        let scheduler = &self.scheduler;
        let index = self.queue.index;
        scheduler.sleepers.register(index);
        // Re-check after announcing ourselves: a push that did not see us in the idle
        // list is visible here (see `sleepers`).
        if !scheduler.injector.is_empty()
            || scheduler.colleagues_have_work(index)
            || scheduler.is_shutting_down()
        {
            scheduler.sleepers.unregister(index);
            return;
        }
        bump_owned(&self.counters().parks);
        let parker = &scheduler.parkers[index];
        // One worker of this runtime sleeps in the driver, the others on their condvars:
        // an unpark then wakes one thread, not every thread in the reactor.
        let drove = match scheduler.take_driver_role(index) {
            Some(_role) => {
                // A colleague is busy: patrol, so that a task it pushes into its inbox
                // during a long poll is found without a wake-up.
                let patrol = scheduler.sleepers.idle() < scheduler.parkers.len();
                scheduler.patrolling.store(patrol, SeqCst);
                self.queue.in_driver.set(true);
                parker.park_in_driver(patrol.then_some(PATROL));
                self.queue.in_driver.set(false);
                scheduler.patrolling.store(false, SeqCst);
                true
            } // the role is released here
            None => {
                parker.park();
                false
            }
        };
        scheduler.sleepers.unregister(index);
        if drove && self.queue.len() >= 2 && scheduler.sleepers.idle() > 0 {
            // The turn woke several tasks while a colleague idles: the older half goes
            // to it (see `Scheduler::push_local`); it re-parks, in the driver, when done.
            let spilled = self.queue.spill_half(&scheduler.injector);
            add_owned(&self.counters().remote_schedules, spilled as u64);
            scheduler.notify_one();
        }
        let found_work = !self.queue.is_empty()
            || !scheduler.injector.is_empty()
            || scheduler.colleagues_have_work(index);
        if found_work && drove && scheduler.hands_off_at_once() {
            // We leave the driver to run what it woke. Hand the role on: an idle
            // colleague re-parks and takes it, so timers and I/O stay watched while we
            // are busy. (With a watchdog, only while it is inside its `on_stall` hook;
            // otherwise the watchdog hands the role on once it stays vacant across two
            // looks, `HandOff::ByWatchdog`.)
            // With no colleague idle, the busy workers look at the driver every 61st
            // task; should they all get stuck in long polls, the watchdog calls a thread
            // in `Runtime::block_on` to the driver (`Scheduler::rescue_driver`).
            scheduler.notify_one();
        }
    }
}
