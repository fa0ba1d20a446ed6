//! A worker's own run queue, and the thread-local that tells a waker "you are on a
//! worker of this task's runtime: push here".
//!
//! Lesson: the cheapest schedule is a push onto a plain `VecDeque` that only one thread
//! ever touches — no lock, no atomic, warm caches. A wake that happens on a worker (a
//! task waking another, an I/O event the worker itself saw in the driver) goes there.
//! Three rules keep the other workers from starving or idling while one queue grows:
//! * a queue past [`LOCAL_CAPACITY`] spills its older half into the injector, where
//!   idle workers can take it — if the injector is empty: behind a backlog the spilled
//!   tasks would only wait longer;
//! * while a colleague is idle, a push onto a non-empty queue hands the older half (at
//!   least one task) to the injector and the caller wakes that colleague — work stealing
//!   turned around: the busy worker pushes instead of the idle one stealing, because
//!   only the owner can touch a plain `VecDeque`. Not so for the wakes a worker makes
//!   in a *turn* (one stay in the driver, sleeping and then dispatching what the
//!   kernel and the timers report): it shares half of them once the turn is over
//!   ([`RunQueue::spill_half`]). Before, this rule handed one task to a colleague at the
//!   turn's second wake and woke it again at the next turn (BENCHMARKS.md, "TCP echo").
//!   A busy worker's zero-wait look at the driver keeps the general rule: it has its
//!   own work queued, and what it wakes is worth sharing at once;
//! * while a colleague is free (idle, or awake and looking for work), a push from inside a poll (a spawn, a wake of another
//!   task) goes to the worker's [`Inbox`] instead, a shared queue behind a mutex,
//!   because that poll may run for a long time and a task in the private queue would
//!   wait for all of it. When the poll returns, the worker moves its inbox into the
//!   private queue; while the poll runs, a colleague with nothing to do (idle,
//!   patrolling, or about to park) may take from it. Pushes outside a poll — the
//!   reschedule after a `yield_now`, events dispatched in the driver — run right away
//!   anyway and stay lock-free. Admitted gap: a task pushed while every colleague was
//!   busy stays private, so if a colleague goes idle *later* during a long poll it
//!   cannot help; closing that needs a stealable queue (crossbeam-deque), not a lock.
//!
//! This module knows nothing of the scheduler above it: the caller passes the injector
//! and the number of idle colleagues, and acts on the [`Pushed`] it gets back.

use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
    rc::Rc,
};

use crate::{
    shim::{channel::Injector, lock, thread_local, Arc, Mutex},
    task::Runnable,
};

/// Tasks a worker pushed during its current poll, reachable by its colleagues. The lock
/// is uncontended unless a colleague comes to take work while the poll runs long.
pub(crate) type Inbox = Mutex<Queue>;

/// Tasks in the order they run.
pub(crate) type Queue = VecDeque<Arc<dyn Runnable>>;

/// The queue's bound before it spills. 256 is tokio's local queue size; tiny under loom
/// so that models reach the spill.
#[cfg(not(loom))]
pub(crate) const LOCAL_CAPACITY: usize = 256;
#[cfg(loom)]
pub(crate) const LOCAL_CAPACITY: usize = 2;

thread_local! {
    // loom's thread_local! takes no `const {}` initializer.
    #[allow(clippy::missing_const_for_thread_local)]
    static CURRENT: RefCell<Option<Rc<RunQueue>>> = RefCell::new(None);
}

/// One worker's queue, reachable from its thread only.
#[derive(Debug)]
pub(crate) struct RunQueue {
    /// The runtime that owns this worker, by address: only compared, never followed.
    owner: *const (),
    /// The worker's index in its runtime (its parker, its counters).
    pub(crate) index: usize,
    tasks: RefCell<Queue>,
    /// Inside the driver, dispatching events: still on the idle list, but not idle.
    pub(crate) in_driver: Cell<bool>,
    /// Inside a task's poll, which may run for any length of time.
    pub(crate) polling: Cell<bool>,
    /// This poll pushed into the inbox: move it to the private queue when it returns.
    inbox_used: Cell<bool>,
    /// The inbox's buffer is swapped with this one to drain it: no allocation per poll.
    spare: RefCell<Queue>,
}

/// Where a push went.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "after a spill the caller must wake an idle colleague, or the tasks wait"]
pub(crate) enum Pushed {
    /// Onto the local queue.
    Local,
    /// Onto the local queue, after spilling this many older tasks to the injector.
    Spilled(usize),
    /// Into the inbox (pushed from inside a poll while a colleague is free); `first`:
    /// the first such push of this poll.
    Inbox { first: bool },
}

impl RunQueue {
    /// Makes this thread a worker of the runtime at `owner` until [`uninstall`];
    /// `tasks` is an empty buffer to queue into (one kept from an earlier holder of a
    /// current-thread core, or a new one).
    pub(crate) fn install(owner: *const (), index: usize, tasks: Queue) -> Rc<RunQueue> {
        debug_assert!(tasks.is_empty(), "a worker starts with an empty queue");
        let queue = Rc::new(RunQueue {
            owner,
            index,
            tasks: RefCell::new(tasks),
            in_driver: Cell::new(false),
            polling: Cell::new(false),
            inbox_used: Cell::new(false),
            spare: RefCell::new(VecDeque::new()),
        });
        CURRENT.with(|current| *current.borrow_mut() = Some(queue.clone()));
        queue
    }

    /// The worker is leaving. Tasks still queued are only references: their futures are
    /// dropped by shutdown, through the registry.
    pub(crate) fn uninstall(&self) {
        let _ = CURRENT.try_with(|current| current.borrow_mut().take());
        self.tasks.borrow_mut().clear();
    }

    /// Queues `task` at the back. `idle_colleagues` is how many other workers of the
    /// runtime are on the idle list; `colleague_free` whether any is not running a task
    /// (idle, or awake and looking for work).
    pub(crate) fn push(
        &self,
        task: Arc<dyn Runnable>,
        shared: (&Injector<Arc<dyn Runnable>>, &Inbox),
        idle_colleagues: usize,
        colleague_free: bool,
    ) -> Pushed {
        let (injector, inbox) = shared;
        // Only worth a lock while someone could take it: with every colleague busy, the
        // private queue is as good, and ping_pong (every wake made inside a poll) pays
        // nothing (it was ~35% slower with the inbox used unconditionally).
        if self.polling.get() && colleague_free {
            lock(inbox).push_back(task);
            let first = !self.inbox_used.replace(true);
            return Pushed::Inbox { first };
        }
        let mut tasks = self.tasks.borrow_mut();
        // A full queue spills only into an empty injector: behind a backlog the spilled
        // tasks would wait for all of it, and a busy colleague takes from its head
        // anyway. In `timer_lateness` (100,000 sleepers spawned from outside) a quarter
        // of the woken sleepers were spilled behind ~40,000 unstarted tasks: p99
        // lateness 45-60 ms; kept, 1.7-8.5 ms (tokio: 11-13 ms in the same runs).
        let full = tasks.len() >= LOCAL_CAPACITY && injector.is_empty();
        if full || (!tasks.is_empty() && idle_colleagues > 0) {
            // The older half, as a batch: an idle colleague then stays busy for a while
            // instead of waking up for every single task.
            let half = tasks.len().div_ceil(2);
            for spilled in tasks.drain(..half) {
                injector.send(spilled);
            }
            tasks.push_back(task);
            Pushed::Spilled(half)
        } else {
            tasks.push_back(task);
            Pushed::Local
        }
    }

    /// Moves the older half of the queue (rounded down) to `injector`, for an idle
    /// colleague; returns how many. The caller wakes that colleague.
    pub(crate) fn spill_half(&self, injector: &Injector<Arc<dyn Runnable>>) -> usize {
        let mut tasks = self.tasks.borrow_mut();
        let half = tasks.len() / 2;
        for spilled in tasks.drain(..half) {
            injector.send(spilled);
        }
        half
    }

    /// Queues `task` at the back, unbounded: for a worker without colleagues.
    pub(crate) fn push_private(&self, task: Arc<dyn Runnable>) {
        self.tasks.borrow_mut().push_back(task);
    }

    /// After a poll: takes what the poll pushed into `inbox` (if anything), oldest first,
    /// for the caller to queue privately.
    #[inline]
    pub(crate) fn take_inbox(&self, inbox: &Inbox) -> Option<std::cell::RefMut<'_, Queue>> {
        if !self.inbox_used.replace(false) {
            return None;
        }
        let mut spare = self.spare.borrow_mut();
        std::mem::swap(&mut *lock(inbox), &mut *spare);
        Some(spare)
    }

    /// Moves every queued task to `injector`, oldest first: a current-thread runtime's
    /// `block_on` leaves the core with tasks still queued, and the next thread to take
    /// the core finds them there. Returns the emptied buffer, for the core to keep.
    pub(crate) fn hand_back(&self, injector: &Injector<Arc<dyn Runnable>>) -> Queue {
        // Taken out, not drained in place: a send into a closed injector drops the task,
        // which may run user code that pushes onto this queue.
        let mut tasks = std::mem::take(&mut *self.tasks.borrow_mut());
        for task in tasks.drain(..) {
            injector.send(task);
        }
        tasks
    }

    pub(crate) fn pop(&self) -> Option<Arc<dyn Runnable>> {
        self.tasks.borrow_mut().pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.tasks.borrow().len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.tasks.borrow().is_empty()
    }
}

/// Runs `f` on this thread's run queue if this thread is a worker of the runtime at `owner`.
pub(crate) fn with_current<R>(owner: *const (), f: impl FnOnce(&RunQueue) -> R) -> Option<R> {
    CURRENT
        .try_with(|current| match &*current.borrow() {
            Some(queue) if std::ptr::eq(queue.owner, owner) => Some(f(queue)),
            _ => None,
        })
        // `try_with` fails while the thread is being torn down: then we are no worker.
        .ok()
        .flatten()
}
