//! The watchdog: a thread per runtime that notices a poll running too long, and says
//! which task, where it last waited, and what that does to the rest of the runtime.
//!
//! Lesson: a worker runs one poll at a time, so a poll that blocks — a
//! `std::sync::mpsc` receive, `thread::sleep`, a lock held across a slow call, a
//! CPU-bound loop, a `futures::executor::block_on` — takes its worker away from every
//! other task. With every worker blocked the runtime is deadlocked (if what they wait
//! for is a task queued behind them) or starved; a `Runtime::block_on` waiting for such
//! a task waits with them. Rust cannot refuse these calls the way turtles refuses a
//! nested `block_on`, but it can notice them: that is this thread.
//!
//! How it sees: each worker bumps a phase counter around every poll (`watch.rs`). The
//! watchdog looks every half `stall_threshold` (at most once a millisecond), and at
//! least every [`HAND_OFF_LOOK`] while a worker is busy; a phase that stays odd across
//! looks spanning the threshold is one poll that has run at least that long. It
//! reports each such poll once, through [`Builder::on_stall`](crate::Builder::on_stall).
//! With no worker busy for two looks in a row it dozes until one becomes busy, so an
//! idle runtime costs no wake-ups.
//!
//! It also keeps timers and I/O watched behind long polls. A worker that leaves the
//! driver to run what it woke does not wake a colleague to take the driver role over
//! (`HandOff::ByWatchdog`): when two looks in a row, a worker busy, find the role
//! vacant at the same turn (nobody took it in between), the watchdog wakes an idle
//! worker to take it. When every worker has been in one poll for half a threshold,
//! there is no idle worker, so it calls a thread waiting in `Runtime::block_on` to the
//! driver (`Scheduler::park_block_on`).

use std::{
    fmt, io,
    panic::Location,
    thread,
    time::{Duration, Instant},
};

use crate::{
    awaiting::Awaiting,
    meta::TaskMeta,
    panic::{call_catching, drop_catching, panic_message},
    scheduler::Scheduler,
    shim::Arc,
    watch::{address, Nap, Sighting, Woke},
};

/// The default [`Builder::stall_threshold`](crate::Builder::stall_threshold): a poll
/// should take microseconds; one that takes 100 ms is blocking its thread.
pub(crate) const DEFAULT_STALL_THRESHOLD: Duration = Duration::from_millis(100);

/// The longest nap between two looks while a worker is busy. A vacant driver role is
/// handed on at the second look that sees it vacant, so a timer or socket waits at
/// most about twice this behind a long poll (or a run of shorter ones), and a busy runtime costs the
/// watchdog 100 looks a second, against the thousands of wake-ups a second an
/// immediate hand-off cost in `tcp_echo` (`HandOff`).
pub(crate) const HAND_OFF_LOOK: Duration = Duration::from_millis(10);

/// Looks in a row with no worker busy before the watchdog dozes (one threshold, at the
/// default): enough that a runtime busy every few milliseconds does not ring the bell
/// at every turn, few enough that a runtime woken by a timer now and then (a
/// 500 ms ticker) costs two or three looks per tick, not twenty.
const LOOKS_BEFORE_DOZING: u32 = 2;

/// However small the threshold, the watchdog looks at most once a millisecond: a
/// nanosecond threshold would otherwise make it spin on a core of its own.
const SHORTEST_NAP: Duration = Duration::from_millis(1);

/// Where stall reports go.
pub(crate) type StallHook = Arc<dyn Fn(&StallReport) + Send + Sync>;

/// The default hook: the report, on stderr.
pub(crate) fn default_stall_hook() -> StallHook {
    Arc::new(|report| eprintln!("{report}"))
}

/// One poll that ran longer than the runtime's `stall_threshold`, as the watchdog saw it.
///
/// Its `Display` is a short lesson: which task, where it last waited, what the blocked
/// worker means for the runtime, and the fix.
///
/// # Examples
///
/// ```
/// use std::{sync::{Arc, Mutex}, time::Duration};
///
/// let reports = Arc::new(Mutex::new(Vec::new()));
/// let sink = reports.clone();
/// let rt = turtles_executor::Runtime::builder()
///     .worker_threads(1)
///     .stall_threshold(Duration::from_millis(50))
///     .on_stall(move |report| sink.lock().unwrap().push(report.task_name().map(str::to_owned)))
///     .build()
///     .unwrap();
/// let sleepy = async { std::thread::sleep(Duration::from_millis(300)) }; // blocks a worker
/// let task = turtles_executor::TaskBuilder::new().name("sleepy").spawn_on(sleepy, &rt.handle());
/// rt.block_on(task).unwrap();
/// assert_eq!(*reports.lock().unwrap(), [Some("sleepy".to_owned())]);
/// ```
#[derive(Debug, Clone)]
pub struct StallReport {
    task: TaskMeta,
    awaiting: Option<Awaiting>,
    worker: usize,
    elapsed: Duration,
    queued: usize,
    all_workers_blocked: bool,
}

impl StallReport {
    /// The task's name, if it was spawned with one.
    pub fn task_name(&self) -> Option<&str> {
        self.task.name.as_deref().map(String::as_str)
    }

    /// The task's id.
    pub fn task_id(&self) -> u64 {
        self.task.id
    }

    /// Where the task was spawned.
    pub fn location(&self) -> &'static Location<'static> {
        self.task.location
    }

    /// The user's line where the task last returned `Pending` inside a turtles future
    /// (`sleep`, `timeout`, a socket read, write, connect or accept): the blocking code
    /// runs somewhere after it. `None` on the task's first poll, or when it last waited
    /// on something turtles cannot name — or on a `JoinHandle`, which the report's
    /// `Display` names instead.
    pub fn awaiting(&self) -> Option<&'static Location<'static>> {
        self.awaiting.and_then(Awaiting::location)
    }

    /// The index of the worker thread the poll blocks.
    pub fn worker(&self) -> usize {
        self.worker
    }

    /// How long the poll has run so far: at least this, at most half a threshold more.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// How many tasks of the runtime are queued, ready to run, while this poll blocks.
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// Whether every worker of the runtime is stuck in such a poll: then nothing else
    /// runs until one returns — the runtime is deadlocked or starved.
    pub fn all_workers_blocked(&self) -> bool {
        self.all_workers_blocked
    }
}

impl fmt::Display for StallReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "turtles watchdog: {}", self.task)?;
        writeln!(
            f,
            "  has run one poll for at least {} ms on worker {} without returning.",
            self.elapsed.as_millis(),
            self.worker
        )?;
        match self.awaiting {
            Some(awaiting) => writeln!(
                f,
                "  It last waited at {awaiting};\n  the code it ran after that blocks the thread."
            )?,
            None => writeln!(
                f,
                "  It has not waited in a turtles future yet (or last waited on something\n  \
                 turtles cannot name), so no `.await` line points to the blocking code."
            )?,
        }
        writeln!(
            f,
            "  A blocking call (std::sync::mpsc recv, thread::sleep, a std lock, a CPU-bound\n  \
             loop, another executor's block_on) holds the worker: {} queued task{} cannot\n  \
             run on it.",
            self.queued,
            if self.queued == 1 { "" } else { "s" }
        )?;
        if self.all_workers_blocked {
            writeln!(
                f,
                "  Every worker is blocked: nothing runs until a poll returns. If a worker waits\n  \
                 for a queued task, the runtime is deadlocked; otherwise it is starved (and a\n  \
                 block_on waiting for its tasks waits too)."
            )?;
        }
        write!(
            f,
            "  Fix: `.await` an async version of the call (an async channel,\n  \
             turtles::time::sleep), or move the work to turtles::spawn_blocking."
        )
    }
}

/// Starts the watchdog of `scheduler`'s runtime. It ends when the runtime calls
/// `scheduler.watches.stop()`.
pub(crate) fn start(
    scheduler: Arc<Scheduler>,
    threshold: Duration,
    hook: StallHook,
    name: String,
) -> io::Result<thread::JoinHandle<()>> {
    thread::Builder::new()
        .name(name)
        .spawn(move || Watchdog::new(&scheduler, threshold, hook).run())
}

/// What the watchdog remembers of one worker between two looks.
#[derive(Debug, Clone, Copy)]
struct Seen {
    sighting: Sighting,
    /// When this poll was first seen running.
    since: Instant,
    reported: bool,
}

struct Watchdog<'a> {
    scheduler: &'a Scheduler,
    threshold: Duration,
    hook: StallHook,
    seen: Vec<Option<Seen>>,
    /// The driver role's turn at the last look, if the role was vacant then.
    vacant_turn: Option<usize>,
}

impl<'a> Watchdog<'a> {
    fn new(scheduler: &'a Scheduler, threshold: Duration, hook: StallHook) -> Self {
        Watchdog {
            seen: vec![None; scheduler.watches.workers()],
            vacant_turn: None,
            scheduler,
            threshold,
            hook,
        }
    }

    /// Half a threshold (at least [`SHORTEST_NAP`]): the nap while nobody is busy.
    fn idle_nap(&self) -> Duration {
        (self.threshold / 2).max(SHORTEST_NAP)
    }

    fn run(mut self) {
        let watches = &self.scheduler.watches;
        let idle_nap = self.idle_nap();
        let mut idle_looks = 0;
        loop {
            // While a worker is busy, at most a hand-off look apart. Otherwise half a
            // threshold, or a doze, but a worker becoming busy rings: its poll may
            // leave the driver role vacant, and the next look must come soon.
            let nap = if self.scheduler.busy_workers() > 0 {
                Nap::For(idle_nap.min(HAND_OFF_LOOK))
            } else {
                Nap::UntilBusy((idle_looks < LOOKS_BEFORE_DOZING).then_some(idle_nap))
            };
            if watches.wait(nap, || self.scheduler.busy_workers() == 0) == Woke::Stop {
                return;
            }
            // Counting idle looks starts over whenever a worker is busy, and after a doze
            // (a worker rang: it is busy now).
            if nap == Nap::UntilBusy(None) || self.scheduler.busy_workers() > 0 {
                idle_looks = 0;
            } else {
                idle_looks += 1;
            }
            self.look();
        }
    }

    /// One look at every worker; reports each poll that crossed the threshold since
    /// the last look.
    fn look(&mut self) {
        let now = Instant::now();
        let idle_nap = self.idle_nap();
        let watches = &self.scheduler.watches;
        let mut stalled = 0;
        let mut stuck = 0; // in one poll for half a threshold or more
        for (worker, seen) in self.seen.iter_mut().enumerate() {
            let sighting = watches.sight(worker);
            *seen = match *seen {
                _ if !sighting.polling() => None,
                Some(earlier) if earlier.sighting == sighting => {
                    if now - earlier.since >= idle_nap {
                        stuck += 1;
                    }
                    Some(earlier)
                }
                _ => Some(Seen {
                    sighting,
                    since: now,
                    reported: false,
                }),
            };
            if seen.is_some_and(|s| now - s.since >= self.threshold) {
                stalled += 1;
            }
        }
        let all_workers_blocked = stalled == self.seen.len();
        // Every worker stuck: none of them looks at timers and I/O between tasks, and
        // none idles. Call in a `block_on` thread.
        let all_stuck = stuck == self.seen.len();
        watches.set_all_stuck(all_stuck);
        if all_stuck {
            self.scheduler.rescue_driver();
        }
        // The driver role vacant since the last look, at the same turn, with a worker
        // busy: an idle colleague takes it.
        let vacant = self.scheduler.vacant_driver_turn();
        if let Some(turn) = vacant.filter(|_| vacant == self.vacant_turn) {
            self.scheduler.hand_off_driver(turn);
        }
        self.vacant_turn = vacant;
        for worker in 0..self.seen.len() {
            let Some(seen) = self.seen[worker] else {
                continue;
            };
            let elapsed = now - seen.since;
            if seen.reported || elapsed < self.threshold {
                continue;
            }
            self.seen[worker] = Some(Seen {
                reported: true,
                ..seen
            });
            self.report(worker, seen.sighting, elapsed, all_workers_blocked);
        }
    }

    fn report(&self, worker: usize, sighting: Sighting, elapsed: Duration, all_blocked: bool) {
        let registry = &self.scheduler.registry;
        let Some(task) = registry.find(|task| address(task) == sighting.task) else {
            return; // finished between the look and now
        };
        if self.scheduler.watches.sight(worker) != sighting {
            return; // the poll returned meanwhile: the task we found may be a later one
        }
        let report = StallReport {
            task: task.meta().clone(),
            awaiting: task.awaiting(),
            worker,
            elapsed,
            queued: registry.count(|task| task.is_queued()),
            all_workers_blocked: all_blocked,
        };
        drop(task);
        // The hook may take any time, and no look happens meanwhile: workers leaving the
        // driver hand its role on themselves until it returns, and a vacancy that began
        // before is handed on now. `reporting` is stored before the turn is loaded, a
        // worker releases the role before it loads `reporting`, all `SeqCst`: a release
        // this load misses sees `reporting`.
        let watches = &self.scheduler.watches;
        watches.set_reporting(true);
        if let Some(turn) = self.scheduler.vacant_driver_turn() {
            self.scheduler.hand_off_driver(turn);
        }
        let called = call_catching(|| (self.hook)(&report));
        watches.set_reporting(false);
        if let Err(panic) = called {
            eprintln!(
                "turtles: the on_stall hook panicked ({}) while reporting:\n{report}",
                panic_message(&*panic)
            );
            if let Err(again) = drop_catching(panic) {
                std::mem::forget(again); // see `panic::report_and_drop`
            }
        }
    }
}
