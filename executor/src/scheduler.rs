//! The multi-threaded scheduler: the state a runtime's workers share, where a woken task
//! goes, spawning, and shutdown.
//!
//! Lesson: "scheduling" a task is just pushing it onto a queue that some thread will
//! pop. The choice of queue is the whole policy, and it is [`Schedule::schedule`] below:
//! * a wake on a worker of the same runtime goes to that worker's own run queue
//!   ([`run_queue`](crate::run_queue): no lock, no other thread involved, warm caches);
//! * a wake from anywhere else goes to the global injector, and exactly one idle
//!   worker is unparked to take it.
//!
//! Shutdown (invariant 4 of ARCHITECTURE.md) happens here too: stop the workers, close
//! the injector, then finish every task still in the registry. Every `Waker` that
//! outlives the runtime then finds its task COMPLETE and does nothing.

use std::{future::Future, time::Duration};

use crate::{
    join::JoinHandle,
    meta::TaskMeta,
    metrics::{add_owned, bump_owned, bump_shared, Counters, Metrics},
    panic::PanicHook,
    park::{Driver, Parker},
    registry::Registry,
    run_queue::{self, Pushed},
    sleepers::Sleepers,
    sync::{
        channel::Injector,
        Arc, AtomicBool, Counter,
        Ordering::{AcqRel, Acquire, Release},
    },
    task::{Runnable, Schedule, Task},
};

/// Everything the workers of one runtime share.
pub(crate) struct Scheduler {
    pub(crate) injector: Injector<Arc<dyn Runnable>>,
    pub(crate) sleepers: Sleepers,
    /// One per worker, indexed like the workers.
    pub(crate) parkers: Box<[Parker]>,
    pub(crate) registry: Registry,
    pub(crate) panic_hook: PanicHook,
    /// One per worker (bumped only by its owner), plus `external` for everyone else.
    pub(crate) counters: Box<[Counters]>,
    pub(crate) external: Counters,
    pub(crate) driver: Option<Arc<dyn Driver>>,
    /// At most one worker of this runtime sleeps in the driver; the others on condvars.
    /// Taken and released only through [`DriverRole`].
    driving: AtomicBool,
    /// The driver's sleeper wakes every [`PATROL`] to look at the injector (because a
    /// colleague was busy when it went to sleep), so a task pushed there is found
    /// without waking anyone.
    pub(crate) patrolling: AtomicBool,
    shutdown: AtomicBool,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("workers", &self.parkers.len())
            .finish_non_exhaustive()
    }
}

impl Schedule for Scheduler {
    fn schedule(&self, task: Arc<dyn Runnable>) {
        let mut task = Some(task);
        let pushed = run_queue::with_current(self.id(), |queue| {
            self.push_local(queue, task.take().expect("taken only here"))
        });
        if let Some(task) = task {
            debug_assert!(pushed.is_none());
            self.push_remote(task);
        }
    }

    fn release(&self, key: Option<usize>) {
        if let Some(key) = key {
            self.registry.remove(key);
        }
        self.count(|c| &c.completed);
    }

    fn panic_hook(&self) -> &PanicHook {
        &self.panic_hook
    }
}

impl Scheduler {
    pub(crate) fn new(
        workers: usize,
        panic_hook: PanicHook,
        driver: Option<Arc<dyn Driver>>,
    ) -> Self {
        Scheduler {
            injector: Injector::new(),
            sleepers: Sleepers::new(workers),
            parkers: (0..workers).map(|_| Parker::new(driver.clone())).collect(),
            registry: Registry::default(),
            panic_hook,
            counters: (0..workers).map(|_| Counters::default()).collect(),
            external: Counters::default(),
            driver,
            driving: AtomicBool::new(false),
            patrolling: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
        }
    }

    /// This runtime's identity for [`run_queue`]: its address, compared, never followed.
    pub(crate) fn id(&self) -> *const () {
        (self as *const Scheduler).cast()
    }

    /// Whether the current thread is one of this runtime's workers.
    pub(crate) fn is_current_worker(&self) -> bool {
        run_queue::with_current(self.id(), |_| ()).is_some()
    }

    /// On one of our workers: its own queue, handing older tasks to an idle colleague.
    pub(crate) fn push_local(&self, queue: &run_queue::RunQueue, task: Arc<dyn Runnable>) {
        // While the worker dispatches I/O events from inside the driver it is on the
        // idle list itself; it is no colleague to hand work to.
        let idle_colleagues = self
            .sleepers
            .idle()
            .saturating_sub(usize::from(queue.in_driver.get()));
        let counters = &self.counters[queue.index];
        let colleagues = self.parkers.len() - 1;
        match queue.push(task, &self.injector, colleagues, idle_colleagues) {
            Pushed::Local => bump_owned(&counters.local_schedules),
            Pushed::HandedOff(n) => {
                bump_owned(&counters.local_schedules);
                add_owned(&counters.remote_schedules, n as u64);
                self.notify_one();
            }
            Pushed::Injected => {
                bump_owned(&counters.remote_schedules);
                // A patrolling driver finds it within PATROL, a parking colleague on its
                // re-check; an idle one must be woken.
                if idle_colleagues > 0 && !self.patrolling.load(Acquire) {
                    self.notify_one();
                }
            }
        }
    }

    /// From outside the runtime's workers: the injector, and one idle worker.
    pub(crate) fn push_remote(&self, task: Arc<dyn Runnable>) {
        self.injector.send(task);
        bump_shared(&self.external.remote_schedules);
        self.notify_one();
    }

    /// Unparks one idle worker, if there is one.
    pub(crate) fn notify_one(&self) {
        if let Some(worker) = self.sleepers.pop() {
            self.parkers[worker].unpark();
        }
    }

    /// Bumps a counter: the worker's own if called on one of our workers.
    pub(crate) fn count(&self, which: impl Fn(&Counters) -> &Counter) {
        let owned = run_queue::with_current(self.id(), |queue| {
            bump_owned(which(&self.counters[queue.index]))
        });
        if owned.is_none() {
            bump_shared(which(&self.external));
        }
    }

    /// Builds a task with its registry key and queues it.
    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F, meta: TaskMeta) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let scheduler = self.clone();
        let task = self.registry.insert_with(meta.id, |key| {
            Arc::new(Task::new(future, meta, scheduler, key))
        });
        match task.registry_key() {
            Some(_) => {
                self.count(|c| &c.spawned);
                self.schedule(task.clone());
            }
            // The runtime is shut down: the task is cancelled before it ever runs.
            None => task.shut_down(),
        }
        JoinHandle::new(task)
    }

    /// Takes the driver role if nobody of this runtime holds it.
    pub(crate) fn take_driver_role(&self) -> Option<DriverRole<'_>> {
        self.driver.as_ref()?;
        self.driving
            .compare_exchange(false, true, AcqRel, Acquire)
            .is_ok()
            .then_some(DriverRole { scheduler: self })
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutdown.load(Acquire)
    }

    /// Step 1 of shutdown: ask every worker to stop.
    pub(crate) fn begin_shutdown(&self) {
        self.shutdown.store(true, Release);
        for parker in self.parkers.iter() {
            parker.unpark();
        }
    }

    /// Step 2, once the workers are joined: nothing may run again; finish every task.
    pub(crate) fn finish_shutdown(&self) {
        // Close the injector first: a future's `Drop` below may wake another task, and
        // that wake must drop the task at once rather than queue it in a dead runtime.
        self.injector.close();
        for task in self.registry.close() {
            task.shut_down();
        }
    }

    pub(crate) fn metrics(&self) -> Metrics {
        Metrics::collect(
            self.parkers.len(),
            self.registry.len(),
            self.injector.len(),
            self.counters.iter().chain(std::iter::once(&self.external)),
        )
    }
}

/// How often the driver's sleeper looks at the injector while a colleague is busy: short
/// enough that a task stranded behind a long poll starts within a few milliseconds, long
/// enough that a patrol costs a fraction of a percent of a core. A guess, not measured;
/// no patrol happens while every worker idles, so an idle runtime stays at zero CPU.
pub(crate) const PATROL: Duration = Duration::from_millis(2);

/// The right to sleep in the driver, held by at most one worker of a runtime. Released
/// on drop — also if the holder unwinds — so the role can never be lost.
#[derive(Debug)]
#[must_use = "the role is released as soon as this is dropped"]
pub(crate) struct DriverRole<'a> {
    scheduler: &'a Scheduler,
}

impl DriverRole<'_> {
    pub(crate) fn driver(&self) -> &Arc<dyn Driver> {
        self.scheduler
            .driver
            .as_ref()
            .expect("the role is only handed out with a driver")
    }
}

impl Drop for DriverRole<'_> {
    fn drop(&mut self) {
        self.scheduler.driving.store(false, Release);
    }
}
