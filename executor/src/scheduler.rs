//! The scheduler: where a woken or spawned task goes, and how a runtime shuts down.
//!
//! Lesson: "scheduling" a task is just pushing it onto a queue that some thread will
//! pop. The choice of queue is the whole policy:
//! * a wake on a worker of the same runtime goes to that worker's own local queue
//!   (no lock, no other thread involved, warm caches) — see [`worker`](crate::worker);
//! * a wake from anywhere else goes to the global injector, and exactly one idle
//!   worker is unparked to take it.
//!
//! Shutdown (DESIGN.md invariant 4) happens here too: stop the workers, close the
//! injector, then drop the future of every task still in the registry. Every `Waker`
//! that outlives the runtime then finds its task COMPLETE and does nothing.

use std::future::Future;

use crate::{
    join::JoinHandle,
    meta::TaskMeta,
    metrics::{bump_shared, Counters, Metrics},
    panic::PanicHook,
    park::{Driver, Parker},
    registry::Registry,
    sleepers::Sleepers,
    sync::{
        channel::Channel,
        Arc, AtomicBool,
        Ordering::{Acquire, Release},
    },
    task::{Runnable, Task},
    worker,
};

/// Everything the workers of one runtime share.
pub(crate) struct Scheduler {
    pub(crate) injector: Channel<Arc<dyn Runnable>>,
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
    pub(crate) driving: AtomicBool,
    shutdown: AtomicBool,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("workers", &self.parkers.len())
            .finish_non_exhaustive()
    }
}

/// Puts a task that just became SCHEDULED onto a run queue.
pub(crate) fn schedule(task: Arc<dyn Runnable>) {
    if let Err(task) = worker::push_local(task) {
        let scheduler = task.scheduler().clone();
        scheduler.push_remote(task);
    }
}

impl Scheduler {
    pub(crate) fn new(
        workers: usize,
        panic_hook: PanicHook,
        driver: Option<Arc<dyn Driver>>,
    ) -> Self {
        Scheduler {
            injector: Channel::new(),
            sleepers: Sleepers::new(workers),
            parkers: (0..workers).map(|_| Parker::new(driver.clone())).collect(),
            registry: Registry::default(),
            panic_hook,
            counters: (0..workers).map(|_| Counters::default()).collect(),
            external: Counters::default(),
            driver,
            driving: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
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

    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F, meta: TaskMeta) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let scheduler = self.clone();
        let task = self.registry.insert_with(meta.id, |key| {
            Arc::new(Task::new(future, meta, scheduler, key))
        });
        if task.registry_key().is_none() {
            // The runtime is shut down: the task is cancelled before it ever runs.
            task.shut_down();
            return JoinHandle::new(task);
        }
        worker::count(self, |c| &c.spawned);
        schedule(task.clone());
        JoinHandle::new(task)
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

    /// Step 2, once the workers are joined: nothing may run again; drop every future.
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
