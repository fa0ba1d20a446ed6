//! A worker thread: pop a task, poll it, repeat; sleep when there is nothing to do.
//!
//! Lesson: this loop *is* the executor. Everything else is bookkeeping around it.
//!
//! Each worker owns a plain `VecDeque` as its local queue. Wakes that happen on the
//! worker (a task waking another, I/O events the worker itself saw in the driver) go
//! there without any lock or atomic — the cheapest possible schedule. Three rules keep
//! the other workers from starving or idling:
//! * every [`INJECTOR_INTERVAL`] tasks the worker looks at the global injector first, so
//!   remote wakes are never stuck behind a busy local queue;
//! * a local queue that grows past [`LOCAL_CAPACITY`] spills its older half into the
//!   injector, where idle workers can take it;
//! * while another worker is idle, a worker that already has queued work hands the
//!   older half of it to the injector (at least one task) and wakes that colleague —
//!   work stealing turned around: the busy worker pushes instead of the idle one
//!   stealing, because only the owner can touch a plain `VecDeque`.

use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
    rc::Rc,
    time::Duration,
};

use crate::{
    context::{self, Role},
    handle::Handle,
    metrics::{add_owned, bump_owned, bump_shared, Counters},
    scheduler::Scheduler,
    sync::{
        thread_local, Arc,
        Ordering::{AcqRel, Acquire, Release},
    },
    task::Runnable,
};

/// Look at the injector before the local queue once every this many tasks. A prime,
/// so it does not fall into step with tasks that do periodic work (tokio uses 61 too).
const INJECTOR_INTERVAL: u32 = 61;

/// The local queue's bound before it spills. Tiny under loom so models reach the spill.
#[cfg(not(loom))]
const LOCAL_CAPACITY: usize = 256;
#[cfg(loom)]
const LOCAL_CAPACITY: usize = 2;

thread_local! {
    // loom's thread_local! takes no `const {}` initializer.
    #[allow(clippy::missing_const_for_thread_local)]
    static CURRENT: RefCell<Option<Rc<Worker>>> = RefCell::new(None);
}

/// The state one worker thread keeps for itself.
pub(crate) struct Worker {
    scheduler: Arc<Scheduler>,
    index: usize,
    local: RefCell<VecDeque<Arc<dyn Runnable>>>,
    tick: Cell<u32>,
    /// Inside the driver, dispatching events: still on the idle list, but not idle.
    in_driver: Cell<bool>,
}

/// Runs `f` on this thread's worker if this thread is a worker of `scheduler`.
///
/// The scheduler comes as a raw pointer because it is only compared, never followed:
/// that lets `push_local` name the task's scheduler while also moving the task.
fn with_worker_of<R>(scheduler: *const Scheduler, f: impl FnOnce(&Worker) -> R) -> Option<R> {
    CURRENT
        .try_with(|current| match &*current.borrow() {
            Some(worker) if std::ptr::eq(&*worker.scheduler, scheduler) => Some(f(worker)),
            _ => None,
        })
        // `try_with` fails while the thread is being torn down: then we are no worker.
        .ok()
        .flatten()
}

/// On a worker of the task's own runtime, queue it locally; otherwise give it back.
pub(crate) fn push_local(task: Arc<dyn Runnable>) -> Result<(), Arc<dyn Runnable>> {
    let scheduler: *const Scheduler = &**task.scheduler();
    let mut task = Some(task);
    with_worker_of(scheduler, |worker| {
        worker.push(task.take().expect("taken only here"))
    });
    match task {
        None => Ok(()),
        Some(task) => Err(task),
    }
}

/// Whether the current thread is one of `scheduler`'s workers.
pub(crate) fn is_worker_of(scheduler: &Scheduler) -> bool {
    with_worker_of(scheduler, |_| ()).is_some()
}

/// Bumps a counter of `scheduler`: the worker's own if called on one of its workers.
pub(crate) fn count(scheduler: &Scheduler, which: impl Fn(&Counters) -> &crate::sync::Counter) {
    let owned = with_worker_of(scheduler, |worker| {
        bump_owned(which(&scheduler.counters[worker.index]))
    });
    if owned.is_none() {
        bump_shared(which(&scheduler.external));
    }
}

/// The body of worker thread number `index`.
pub(crate) fn run(scheduler: Arc<Scheduler>, index: usize, handle: Handle) {
    let worker = Rc::new(Worker {
        scheduler,
        index,
        local: RefCell::new(VecDeque::new()),
        tick: Cell::new(0),
        in_driver: Cell::new(false),
    });
    let _context = context::enter(Role::Worker, Some(context::CurrentHandle::Handle(handle)));
    CURRENT.with(|current| *current.borrow_mut() = Some(worker.clone()));
    worker.run_loop();
    CURRENT.with(|current| current.borrow_mut().take());
    // Tasks still queued locally are only references; their futures are dropped by
    // shutdown through the registry, on the thread that drops the runtime.
    worker.local.borrow_mut().clear();
}

impl Worker {
    fn counters(&self) -> &Counters {
        &self.scheduler.counters[self.index]
    }

    fn run_loop(&self) {
        loop {
            if let Some(task) = self.next_task() {
                bump_owned(&self.counters().polls);
                task.run();
                continue;
            }
            if self.scheduler.is_shutting_down() {
                return;
            }
            self.park();
        }
    }

    fn next_task(&self) -> Option<Arc<dyn Runnable>> {
        let tick = self.tick.get().wrapping_add(1);
        self.tick.set(tick);
        if tick % INJECTOR_INTERVAL == 0 {
            if self.scheduler.is_shutting_down() {
                return None;
            }
            self.poll_driver_without_blocking();
            if let Some(task) = self.pull_injector() {
                return Some(task);
            }
        }
        let local = self.local.borrow_mut().pop_front();
        local.or_else(|| self.pull_injector())
    }

    fn pull_injector(&self) -> Option<Arc<dyn Runnable>> {
        let task = self.scheduler.injector.recv()?;
        bump_owned(&self.counters().injector_pulls);
        Some(task)
    }

    /// A busy runtime still needs someone to look at I/O now and then.
    fn poll_driver_without_blocking(&self) {
        let scheduler = &self.scheduler;
        if let Some(driver) = &scheduler.driver {
            if scheduler
                .driving
                .compare_exchange(false, true, AcqRel, Acquire)
                .is_ok()
            {
                driver.park(driver.token(), Some(Duration::ZERO));
                scheduler.driving.store(false, Release);
            }
        }
    }

    fn push(&self, task: Arc<dyn Runnable>) {
        let scheduler = &self.scheduler;
        let mut local = self.local.borrow_mut();
        let full = local.len() >= LOCAL_CAPACITY;
        // While we dispatch I/O events from inside the driver we are on the idle list
        // ourselves; do not count us as a colleague to hand work to.
        let idle_colleagues = scheduler
            .sleepers
            .idle()
            .saturating_sub(usize::from(self.in_driver.get()));
        if full || (!local.is_empty() && idle_colleagues > 0) {
            // Hand the older half (at least one task) to the injector, where an idle
            // colleague takes it: a batch, so that it stays busy for a while instead
            // of waking up for every single task.
            let half = local.len().div_ceil(2);
            for spilled in local.drain(..half) {
                scheduler.injector.send(spilled);
            }
            local.push_back(task);
            drop(local);
            add_owned(&self.counters().remote_schedules, half as u64);
            bump_owned(&self.counters().local_schedules);
            scheduler.notify_one();
        } else {
            local.push_back(task);
            bump_owned(&self.counters().local_schedules);
        }
    }

    fn park(&self) {
        let scheduler = &self.scheduler;
        scheduler.sleepers.register(self.index);
        // Re-check after announcing ourselves: a push that did not see us in the idle
        // list is visible here (see `sleepers`).
        if !scheduler.injector.is_empty() || scheduler.is_shutting_down() {
            scheduler.sleepers.unregister(self.index);
            return;
        }
        bump_owned(&self.counters().parks);
        let parker = &scheduler.parkers[self.index];
        // One worker of this runtime sleeps in the driver, the others on their condvars:
        // an unpark then wakes one thread, not every thread in the reactor.
        let drives = scheduler.driver.is_some()
            && scheduler
                .driving
                .compare_exchange(false, true, AcqRel, Acquire)
                .is_ok();
        if drives {
            self.in_driver.set(true);
            parker.park_in_driver(None);
            self.in_driver.set(false);
            scheduler.driving.store(false, Release);
        } else {
            parker.park_timeout(None);
        }
        scheduler.sleepers.unregister(self.index);
        if drives && !self.local.borrow().is_empty() {
            // We leave the driver to run what it woke; let an idle colleague take over
            // watching for I/O meanwhile.
            scheduler.notify_one();
        }
    }
}
