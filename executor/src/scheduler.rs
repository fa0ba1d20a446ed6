//! The scheduler: the state a runtime's workers share, where a woken task goes,
//! spawning, and shutdown. Multi-threaded by design; a current-thread runtime uses it
//! with a single worker slot (`current_thread.rs`).
//!
//! Lesson: "scheduling" a task is just pushing it onto a queue that some thread will
//! pop. The choice of queue is the whole policy; [`Schedule::schedule`] below dispatches
//! and `run_queue.rs` decides the details:
//! * a wake on a worker of the same runtime goes to that worker's own run queue (no
//!   lock, no other thread involved, warm caches) — or, from inside a poll while a
//!   colleague is free, to its inbox, where that colleague can take it;
//! * a wake from anywhere else goes to the runtime's injector, and exactly one idle
//!   worker is unparked to take it.
//!
//! The driver role lives here too: at most one worker sleeps in the driver
//! ([`DriverRole`]), and it *patrols* (wakes every [`PATROL`]) while a colleague is busy.
//!
//! Shutdown (invariant 4 of ARCHITECTURE.md) happens here too: stop the workers, close
//! the injector, then finish every task still in the registry. Every `Waker` that
//! outlives the runtime then finds its task COMPLETE and does nothing.

use std::{
    cell::Cell,
    collections::VecDeque,
    future::Future,
    time::{Duration, Instant},
};

use crate::{
    blocking::BlockingPool,
    join::JoinHandle,
    meta::TaskMeta,
    metrics::{add_owned, bump_owned, bump_shared, Counters, Metrics},
    panic::PanicHook,
    park::{Driver, Parker, Spin},
    registry::Registry,
    run_queue::{self, Inbox, Pushed, RunQueue},
    shim::{
        channel::Injector,
        lock, Arc, AtomicBool, AtomicUsize, Counter, Mutex,
        Ordering::{AcqRel, Acquire, Release, SeqCst},
    },
    sleepers::Sleepers,
    task::{Runnable, Schedule, Task},
    watch::Watches,
};

std::thread_local! {
    /// Whether this thread pushed work to a runtime's injector since it last waited in
    /// `block_on`: only then is its wait worth a spin (`spin_for_round_trip`). Std's
    /// thread-local even under loom: a heuristic, part of no protocol.
    static HANDED_WORK: Cell<bool> = const { Cell::new(false) };
}

/// Everything the workers of one runtime share.
pub(crate) struct Scheduler {
    pub(crate) injector: Injector<Arc<dyn Runnable>>,
    pub(crate) sleepers: Sleepers,
    /// One per worker, indexed like the workers (an `Arc` so that a current-thread
    /// runtime's `block_on` can ring the one its thread sleeps on: `current_thread.rs`).
    pub(crate) parkers: Box<[Arc<Parker>]>,
    /// One per worker: what it pushed during its current poll (see `run_queue.rs`).
    inboxes: Box<[Inbox]>,
    pub(crate) registry: Registry,
    pub(crate) panic_hook: PanicHook,
    /// One per worker (bumped only by its owner), plus `external` for everyone else.
    pub(crate) counters: Box<[Counters]>,
    pub(crate) external: Counters,
    pub(crate) driver: Option<Arc<dyn Driver>>,
    /// Threads for `spawn_blocking`.
    pub(crate) blocking: BlockingPool,
    /// What each worker polls right now, for the watchdog.
    pub(crate) watches: Watches,
    /// Who passes the driver role on when its holder leaves the driver to run work.
    pub(crate) hand_off: HandOff,
    /// At most one worker of this runtime sleeps in the driver; the others on condvars.
    /// The role's takes and releases, counted (two per hold): odd while someone (a
    /// worker, a `block_on` thread) holds it, even while it is vacant. Taking moves an
    /// even count to the next odd one, releasing moves it on again, only through
    /// [`DriverRole`]; so the watchdog, reading the same even count at two looks, knows
    /// that the role stayed vacant in between.
    driver_turns: AtomicUsize,
    /// A `block_on` thread is spinning before it sleeps: at most one at a time
    /// (`spin_for_round_trip`). A heuristic, not a protocol: std even under loom.
    spinning: std::sync::atomic::AtomicBool,
    /// The index of the worker that took the driver role last ([`BLOCK_ON`]: a thread
    /// inside `Runtime::block_on`).
    driver_holder: AtomicUsize,
    /// Threads inside `Runtime::block_on` sleeping on their condvars: when the watchdog
    /// sees every worker stuck, one of them takes the driver role.
    block_on_waiters: Mutex<Vec<Arc<Parker>>>,
    /// The driver's sleeper wakes every [`PATROL`] to look for work (because a colleague
    /// was busy when it went to sleep), so a task stranded in a busy colleague's inbox is
    /// found without waking anyone.
    pub(crate) patrolling: AtomicBool,
    shutdown: AtomicBool,
    /// Workers whose loop has not returned yet.
    alive: AtomicUsize,
    /// Workers running tasks right now (changed once per busy period, not per task): a
    /// push made inside a poll is worth sharing only while some colleague is not busy.
    busy: AtomicUsize,
    /// The `Runtime` was dropped on one of its own workers, so nobody joins the workers:
    /// the last one out finishes shutdown itself.
    orphaned: AtomicBool,
}

/// Who passes the driver role on when a worker leaves the driver to run what it woke,
/// while a colleague idles on its condvar: a poll that runs long must not leave timers
/// and I/O unwatched while a worker idles (`tests/driver_handoff.rs` checks both ways,
/// the loom model `the_driver_role_passes_on_when_its_holder_leaves_to_run_work` the
/// first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HandOff {
    /// The leaving worker wakes an idle colleague at once: without a watchdog, nobody
    /// else would notice a long poll.
    AtOnce,
    /// The watchdog does, when it finds the role vacant at two looks in a row (at most
    /// [`HAND_OFF_LOOK`](crate::watchdog::HAND_OFF_LOOK) apart while a worker is busy)
    /// and nobody took it in between: one long poll, or a run of shorter ones. Most
    /// runs end long before that, and the worker re-parks in the driver itself. While
    /// the watchdog is inside its `on_stall` hook, the worker wakes a colleague itself.
    /// The wake at once cost `tcp_echo --perf` (100 connections) about 0.26 `epoll_wait`
    /// calls per round trip where tokio made 0.13: the colleague, woken into the
    /// driver, took each event as it came. 0.14 with this alone, 0.13-0.21 (tokio
    /// 0.11-0.16) with a turn's work also shared after it (BENCHMARKS.md, "TCP echo").
    /// tokio's default is not to pass the role on at all.
    ByWatchdog,
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
        self.push_counting(task, None::<fn(&Counters) -> &Counter>);
    }

    fn release(&self, key: Option<u32>) {
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
        blocking: BlockingPool,
        hand_off: HandOff,
    ) -> Self {
        Scheduler {
            injector: Injector::new(),
            sleepers: Sleepers::new(workers),
            parkers: (0..workers)
                .map(|_| Arc::new(Parker::new(driver.clone())))
                .collect(),
            inboxes: (0..workers)
                .map(|_| Mutex::new(Default::default()))
                .collect(),
            registry: Registry::default(),
            panic_hook,
            counters: (0..workers).map(|_| Counters::default()).collect(),
            external: Counters::default(),
            driver,
            blocking,
            watches: Watches::new(workers),
            hand_off,
            driver_turns: AtomicUsize::new(0),
            spinning: std::sync::atomic::AtomicBool::new(false),
            driver_holder: AtomicUsize::new(0),
            block_on_waiters: Mutex::new(Vec::new()),
            patrolling: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
            alive: AtomicUsize::new(workers),
            busy: AtomicUsize::new(0),
            orphaned: AtomicBool::new(false),
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
    pub(crate) fn push_local(&self, queue: &RunQueue, task: Arc<dyn Runnable>) {
        if self.parkers.len() == 1 {
            // No colleague could take a task (a current-thread runtime, or one worker):
            // spills and the inbox only cost. Without this, a task spawning 10,000
            // others on a current-thread runtime spilled through the injector, ~30% of
            // the callgrind count of `profile spawn_many_in_task turtles-current`.
            queue.push_private(task);
            bump_owned(&self.counters[queue.index].local_schedules);
            return;
        }
        // What a worker wakes during a turn in the driver stays private until the turn
        // is over; then `Worker::park` hands half of it to an idle colleague in one go.
        // Before, this push spilled one task at the turn's second wake: the colleague
        // ran it, slept, and was woken again at the next turn; `tcp_echo --perf` made
        // 0.08-0.16 `futex` calls per round trip, against tokio's 0.01 (which shares
        // after its turn too) and 0.01-0.03 now (BENCHMARKS.md, "TCP echo").
        let idle_colleagues = match queue.in_driver.get() {
            true => 0,
            false => self.sleepers.idle(),
        };
        let counters = &self.counters[queue.index];
        let shared = (&self.injector, &self.inboxes[queue.index]);
        // Only a push from inside a poll asks (see `RunQueue::push`): the reschedule after
        // a `yield_now` skips this load of a line every worker writes.
        let colleague_free = queue.polling.get() && self.busy.load(SeqCst) < self.parkers.len();
        match queue.push(task, shared, idle_colleagues, colleague_free) {
            Pushed::Local => bump_owned(&counters.local_schedules),
            // Counted when the inbox is moved to a queue (here or by a thief), not twice.
            Pushed::Inbox { first } => {
                // Without a patrolling driver's sleeper (or without a driver at all)
                // nobody would look: wake an idle colleague, once per poll.
                if first && idle_colleagues > 0 && !self.patrolling.load(SeqCst) {
                    self.notify_one();
                }
            }
            Pushed::Spilled(n) => {
                bump_owned(&counters.local_schedules);
                add_owned(&counters.remote_schedules, n as u64);
                self.notify_one();
            }
        }
    }

    /// After a poll on `queue`'s worker: what it pushed to its inbox goes to its private
    /// queue, oldest first, under the usual rules (spill to an idle colleague).
    #[inline]
    pub(crate) fn drain_inbox(&self, queue: &RunQueue) {
        if let Some(mut pushed) = queue.take_inbox(&self.inboxes[queue.index]) {
            for task in pushed.drain(..) {
                self.push_local(queue, task);
            }
        }
    }

    /// For a worker with nothing to do: the older half of what a colleague pushed
    /// during a poll that is still running. The first task is returned, the rest goes
    /// to the thief's own queue: taking one at a time left the thief busy with a single
    /// task and the owner with all the others (yield_many ran ~40% slower).
    pub(crate) fn take_from_colleagues(&self, thief: &RunQueue) -> Option<Arc<dyn Runnable>> {
        let taken: VecDeque<Arc<dyn Runnable>> = self
            .inboxes
            .iter()
            .enumerate()
            .filter(|&(owner, _)| owner != thief.index)
            .find_map(|(_, inbox)| {
                let mut inbox = lock(inbox);
                let half = inbox.len().div_ceil(2);
                (half > 0).then(|| inbox.drain(..half).collect())
            })?;
        let mut taken = taken.into_iter();
        let first = taken.next();
        for task in taken {
            self.push_local(thief, task);
        }
        first
    }

    /// A worker starts running tasks (`true`) or runs out of them (`false`).
    pub(crate) fn set_busy(&self, busy: bool) {
        if busy {
            self.busy.fetch_add(1, SeqCst);
            self.watches.busy();
        } else {
            self.busy.fetch_sub(1, SeqCst);
        }
    }

    /// How many workers are running tasks right now.
    pub(crate) fn busy_workers(&self) -> usize {
        self.busy.load(SeqCst)
    }

    /// Whether any colleague of `worker` has tasks waiting in its inbox.
    pub(crate) fn colleagues_have_work(&self, worker: usize) -> bool {
        self.inboxes
            .iter()
            .enumerate()
            .any(|(owner, inbox)| owner != worker && !lock(inbox).is_empty())
    }

    /// A worker leaves its park with work to do while it did not drive: if the driver's
    /// sleeper is not patrolling (it went to sleep while every worker idled), wake it so
    /// that it re-parks patrolling and can take what this worker pushes during long polls.
    pub(crate) fn ensure_patrol(&self) {
        if self.driver_role_held() && !self.patrolling.load(SeqCst) {
            // A `block_on` thread in the driver does not patrol: a push into an inbox
            // then wakes an idle colleague instead (`push_local`).
            if let Some(parker) = self.parkers.get(self.driver_holder.load(SeqCst)) {
                parker.unpark();
            }
        }
    }

    /// A thread inside `Runtime::block_on` has nothing to do. Normally it spins a little
    /// (`spin`, learned from its last waits: `park.rs`), then sleeps on its condvar:
    /// busy workers poll the driver between tasks and idle ones sleep in it, and a third
    /// thread in the driver would only compete with them for the CPU (it took the median
    /// lateness of 100,000 1 ms sleeps from 0.1 ms to 25 ms). But when
    /// the watchdog sees every worker stuck in one long poll, nobody serves timers and
    /// I/O: then the thread takes the driver role and sleeps in the driver until its own
    /// future is woken. Only one thread per runtime sleeps in the driver: with every
    /// `block_on` thread in it, each unpark would wake them all.
    ///
    /// `stay_awake` is read after the thread is listed: a current-thread runtime's
    /// `block_on` waiting for the core passes "the core is free" (whoever frees it
    /// rings every listed thread, so a release after this look is not missed either).
    pub(crate) fn park_block_on(
        &self,
        parker: &Arc<Parker>,
        spin: &Spin,
        stay_awake: impl Fn() -> bool,
    ) {
        // Listed *before* reading the verdict: a watchdog that declares the workers
        // stuck after our read finds us in the list (the list's lock orders the two).
        lock(&self.block_on_waiters).push(parker.clone());
        if stay_awake() {
            self.unlist_block_on(parker);
            return;
        }
        let role = if self.driver.is_some() && self.watches.all_stuck() {
            self.take_driver_role(BLOCK_ON)
        } else {
            None
        };
        match role {
            Some(role) => {
                // Still listed while in the driver: a current-thread runtime's core
                // freed meanwhile rings the listed threads, and this one may be the
                // only thread left to take it (a hostile review found it asleep in
                // the driver, unlisted, while tasks waited for the core).
                parker.park_in_driver(None);
                self.unlist_block_on(parker);
                drop(role);
                // We leave to poll our future: an idle worker re-parks and takes the
                // role on.
                self.notify_one();
            }
            None => {
                let start = Instant::now();
                if !self.spin_for_round_trip(parker, spin, start) {
                    parker.park();
                }
                spin.learn(start.elapsed());
                self.unlist_block_on(parker);
            }
        }
    }

    /// Spins before a `block_on` thread sleeps (`park.rs`, `Spin`), but only when the
    /// spin can shorten a round trip and costs nobody a CPU: this thread handed work to
    /// the workers (a spawn, a wake) since its last wait, so what it waits for is likely
    /// coming back soon — a `block_on` fed by some other thread every 50 µs spun 76% of
    /// a core for no gain in a hostile review; and no other thread of this runtime is
    /// spinning — four `block_on` threads spinning at once took both CPUs from the
    /// workers they waited for (1.7× the time). Whether the wake came during the spin.
    fn spin_for_round_trip(&self, parker: &Parker, spin: &Spin, start: Instant) -> bool {
        if !HANDED_WORK.replace(false) || self.spinning.swap(true, SeqCst) {
            return false;
        }
        let woken = parker.spin_until_unparked(spin, start, || self.busy_workers());
        self.spinning.store(false, SeqCst);
        woken
    }

    /// The driver role's turn count (see `driver_turns`) if the role is vacant now.
    pub(crate) fn vacant_driver_turn(&self) -> Option<usize> {
        let turn = self.driver_turns.load(SeqCst);
        (turn % 2 == 0).then_some(turn)
    }

    fn driver_role_held(&self) -> bool {
        self.vacant_driver_turn().is_none()
    }

    /// Whether a worker leaving the driver to run work must wake an idle colleague to
    /// take the role over itself (see [`HandOff`]). Also while the watchdog is inside
    /// its `on_stall` hook: it looks at nothing else then, however long the hook takes.
    pub(crate) fn hands_off_at_once(&self) -> bool {
        self.hand_off == HandOff::AtOnce || self.watches.is_reporting()
    }

    /// The watchdog found the driver role vacant at `vacant_turn` (at two looks in a
    /// row, or as it begins a report): if it still is, and a worker is busy, wake an
    /// idle worker to take it (it re-parks, in the driver). See [`HandOff`].
    pub(crate) fn hand_off_driver(&self, vacant_turn: usize) {
        if self.driver.is_some()
            && self.busy_workers() > 0
            && self.vacant_driver_turn() == Some(vacant_turn)
        {
            self.notify_one();
        }
    }

    /// The watchdog saw every worker stuck in one poll: wake a thread waiting in
    /// `Runtime::block_on`, if any, to serve timers and I/O meanwhile.
    pub(crate) fn rescue_driver(&self) {
        if let Some(waiter) = lock(&self.block_on_waiters).pop() {
            waiter.unpark();
        }
    }

    /// A current-thread runtime's core was released: every thread waiting in its
    /// `block_on` looks whether it can take it.
    pub(crate) fn wake_block_on_waiters(&self) {
        let waiting = lock(&self.block_on_waiters).clone();
        for parker in waiting {
            parker.unpark();
        }
    }

    fn unlist_block_on(&self, parker: &Arc<Parker>) {
        lock(&self.block_on_waiters).retain(|waiting| !Arc::ptr_eq(waiting, parker));
    }

    /// Where `schedule` puts a task: on one of our workers its own queue, else the
    /// injector. `also`, if given, is counted on the same path — the worker's own
    /// counter or the shared one — so that a spawn makes one thread-local lookup for
    /// its count and its push, not two (~35 instructions per spawn in callgrind's count
    /// of `profile spawn_many_in_task turtles-current`).
    fn push_counting<C>(&self, task: Arc<dyn Runnable>, also: Option<C>)
    where
        C: Fn(&Counters) -> &Counter,
    {
        let mut task = Some(task);
        let on_worker = run_queue::with_current(self.id(), |queue| {
            if let Some(counter) = &also {
                bump_owned(counter(&self.counters[queue.index]));
            }
            self.push_local(queue, task.take().expect("taken only here"));
        });
        if let Some(task) = task {
            debug_assert!(on_worker.is_none());
            if let Some(counter) = also {
                bump_shared(counter(&self.external));
            }
            self.push_remote(task);
        }
    }

    /// From outside the runtime's workers: the injector, and one idle worker.
    pub(crate) fn push_remote(&self, task: Arc<dyn Runnable>) {
        HANDED_WORK.set(true);
        self.injector.send(task);
        bump_shared(&self.external.remote_schedules);
        self.notify_one();
    }

    /// Unparks one idle worker, if there is one — one sleeping on its condvar rather
    /// than the driver's sleeper when it can: woken, the driver's sleeper leaves the
    /// driver with work in hand and wakes a colleague to take the role over (two
    /// wake-ups and an eventfd write for one task). Seen with `strace -f` on
    /// `profile spawn_one turtles`; the holder read here may be stale, which only
    /// makes the choice worse, never wrong: any idle worker re-checks for work.
    pub(crate) fn notify_one(&self) {
        let driver_sleeper = self
            .driver_role_held()
            .then(|| self.driver_holder.load(SeqCst));
        if let Some(worker) = self.sleepers.pop(driver_sleeper) {
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
                fn spawned(c: &Counters) -> &Counter {
                    &c.spawned
                }
                self.push_counting(task.clone(), Some(spawned));
            }
            // The runtime is shut down: the task is cancelled before it ever runs.
            None => task.shut_down(),
        }
        JoinHandle::new(task)
    }

    /// Takes the driver role for worker `index` if nobody of this runtime holds it.
    pub(crate) fn take_driver_role(&self, index: usize) -> Option<DriverRole<'_>> {
        self.driver.as_ref()?;
        // SeqCst, like `patrolling` and the idle list: a worker that becomes busy reads
        // the turn then `patrolling`, the taker writes the turn then reads the idle
        // list; with weaker orderings both could miss the other.
        let taken = self
            .driver_turns
            .fetch_update(SeqCst, SeqCst, |turn| (turn % 2 == 0).then_some(turn + 1))
            .is_ok();
        taken.then(|| {
            self.driver_holder.store(index, SeqCst);
            DriverRole { scheduler: self }
        })
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

    /// Shutdown from one of the runtime's own workers, which cannot join itself: every
    /// worker stops after its current poll, and the last one out finishes shutdown.
    pub(crate) fn orphan(&self) {
        self.orphaned.store(true, Release);
        self.begin_shutdown();
    }

    /// A worker's loop returned. The last one out of an orphaned runtime finishes its
    /// shutdown (nobody else will).
    pub(crate) fn worker_left(&self) {
        let last = self.alive.fetch_sub(1, AcqRel) == 1;
        if last && self.orphaned.load(Acquire) {
            self.finish_shutdown();
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
        // Queued blocking closures never start; running ones get a grace period.
        self.blocking.shut_down();
    }

    pub(crate) fn metrics(&self) -> Metrics {
        Metrics::collect(
            self.parkers.len(),
            self.registry.len(),
            self.injector.len(),
            self.watches.polls(),
            self.counters.iter().chain(std::iter::once(&self.external)),
        )
    }
}

/// The driver holder's "index" while a thread inside `Runtime::block_on` holds the role.
pub(crate) const BLOCK_ON: usize = usize::MAX;

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
        self.scheduler.driver_turns.fetch_add(1, SeqCst); // odd to even: vacant
    }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    /// A task whose output is `()` fits 104 bytes, so that its `Arc` (104 + two 8-byte
    /// counts = 120, + glibc's 8-byte chunk header) is a 128-byte chunk: glibc frees
    /// chunks up to 128 bytes into its fast bins without merging them with their
    /// neighbours. Measured when it went from 152 to 104 bytes (BENCHMARKS.md, "Bytes
    /// per idle task"): 49 bytes less per idle task, 85 instructions less per spawn +
    /// complete on the multi-threaded runtime. It was 192 bytes before `JoinError` was
    /// boxed. Whoever adds a field pays for it here, on purpose.
    #[test]
    fn a_task_with_a_small_future_fits_a_128_byte_arc() {
        type Small = crate::task::Task<std::future::Ready<()>, super::Scheduler>;
        let size = std::mem::size_of::<Small>();
        assert!(
            size <= 104,
            "Task is {size} bytes; 104 fits a 128-byte Arc chunk"
        );
    }

    /// A `JoinHandle` of 16 bytes is returned from `spawn` in two registers; at 24 (a
    /// flag beside its `Arc`) it went through memory, and `profile spawn_many_local
    /// turtles-local` ran ~7% slower (`join.rs`).
    #[test]
    fn a_join_handle_is_two_words() {
        let size = std::mem::size_of::<crate::JoinHandle<()>>();
        assert_eq!(
            size, 16,
            "JoinHandle is {size} bytes; 16 is returned in registers"
        );
    }
}
