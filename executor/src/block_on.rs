//! `block_on`: run one future to completion on the current thread.
//!
//! Lesson: this is the smallest executor there is — poll the future; if it is not
//! ready, sleep until its waker fires; poll again. The waker's only job is to set a
//! flag and unpark this thread. Three details make it exact:
//!
//! * The future is polled only after a wake (a flag, not "whenever the thread wakes"),
//!   so a future that arranges three wakes is polled exactly four times.
//! * Each call has its own `MainWake`, so a waker left over from an earlier `block_on`
//!   on the same thread wakes a dead signal, never the next call.
//! * The thread sleeps on its own parker, not `std::thread::park`, so a future that
//!   parks and unparks the thread itself cannot swallow the executor's wake.
//!
//! While it waits, the thread also runs this call's `spawn_local` tasks, and — when a
//! driver is given — sleeps inside the reactor so that it serves I/O and timers too:
//! always for `turtles::block_on`, and for `Runtime::block_on` when the watchdog sees
//! every worker of the runtime stuck in a long poll (so that it still keeps time).

use std::{
    future::Future,
    pin::{pin, Pin},
    task::{Context, Poll},
    time::Duration,
};

use futures_task::{waker_ref, ArcWake};

use crate::{
    awaiting,
    context::{self, CurrentHandle, Role},
    local::LocalSet,
    panic::default_panic_hook,
    park::{Alarm, Driver, Parker, Spin},
    scheduler::Scheduler,
    shim::{
        Arc, AtomicBool,
        Ordering::{AcqRel, Release},
    },
};

/// Local tasks run between two looks at the main future: keeps it responsive. The same
/// prime as the workers' injector interval, for the same reason; a guess, not measured.
pub(crate) const LOCAL_BUDGET: usize = 61;

/// The main future's waker: a flag plus what wakes the thread. Fresh for every call.
#[derive(Debug)]
pub(crate) struct MainWake {
    woken: AtomicBool,
    alarm: Alarm,
}

impl MainWake {
    pub(crate) fn new(alarm: Alarm) -> Arc<MainWake> {
        Arc::new(MainWake {
            woken: AtomicBool::new(true), // the first poll needs no wake
            alarm,
        })
    }

    /// Polls `future` if it was woken since the last poll.
    pub(crate) fn poll_if_woken<F: Future>(
        self: &Arc<Self>,
        future: Pin<&mut F>,
    ) -> Poll<F::Output> {
        if !self.woken.swap(false, AcqRel) {
            return Poll::Pending;
        }
        let waker = waker_ref(self);
        let polled = future.poll(&mut Context::from_waker(&waker));
        // Not a task: nobody asks where it waits; cleared so that no record leaks.
        let _ = awaiting::take();
        polled
    }
}

impl ArcWake for MainWake {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.woken.store(true, Release);
        arc_self.alarm.ring();
    }
}

/// Runs `future` to completion on this thread, without any runtime or reactor.
///
/// Inside, [`spawn_local`](crate::spawn_local) works; [`spawn`](crate::spawn) does not
/// (there is no runtime to spawn onto — use [`Runtime::block_on`](crate::Runtime::block_on)).
///
/// # Panics
///
/// When called on a runtime worker or inside another `block_on`: blocking there would
/// deadlock. The message names the rule and the fix.
///
/// # Examples
///
/// ```
/// let answer = turtles_executor::block_on(async { 40 + 2 });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    block_on_with(future, None, None)
}

/// Where the thread inside a `block_on` sleeps while its future waits.
pub(crate) enum SleepIn {
    /// Its own condvar: there is no driver.
    Condvar,
    /// The driver, always (`turtles::block_on`: nobody else may be serving the reactor).
    Driver(Arc<dyn Driver>),
    /// Its condvar after a short spin, or the runtime's driver while every worker is
    /// stuck (`Runtime::block_on`, see [`Scheduler::park_block_on`]).
    RuntimeDriver(Arc<Scheduler>),
}

/// `block_on` with a handle for `spawn` inside and a driver to sleep in: what the
/// facade's `turtles::block_on` calls.
#[track_caller]
#[doc(hidden)]
pub fn block_on_with<F: Future>(
    future: F,
    handle: Option<CurrentHandle>,
    driver: Option<Arc<dyn Driver>>,
) -> F::Output {
    let sleep_in = match driver {
        Some(driver) => SleepIn::Driver(driver),
        None => SleepIn::Condvar,
    };
    block_on_in(future, handle, sleep_in)
}

/// The one implementation behind every `block_on`: `handle` is what `spawn` uses inside,
/// `sleep_in` where the thread sleeps while it waits.
#[track_caller]
pub(crate) fn block_on_in<F: Future>(
    future: F,
    handle: Option<CurrentHandle>,
    sleep_in: SleepIn,
) -> F::Output {
    context::assert_may_block("block_on");
    let hook = match &handle {
        Some(CurrentHandle::Handle(h)) => h.scheduler.panic_hook.clone(),
        _ => default_panic_hook(),
    };
    let _context = context::enter(Role::BlockOn, handle);

    let parker = Arc::new(Parker::new(match &sleep_in {
        SleepIn::Condvar => None,
        SleepIn::Driver(driver) => Some(driver.clone()),
        SleepIn::RuntimeDriver(scheduler) => scheduler.driver.clone(),
    }));
    let alarm = Alarm::new(parker.clone(), None);
    let main = MainWake::new(alarm.clone());
    let local = LocalSet::enter(alarm, hook);
    let mut future = pin!(future);
    let spin = Spin::new();
    // Local tasks run since this thread last served the reactor (see below).
    let mut since_look = 0;

    loop {
        if let Poll::Ready(output) = main.poll_if_woken(future.as_mut()) {
            return output;
        }
        let ran = local.run_ready(LOCAL_BUDGET);
        if ran > 0 {
            // In `turtles::block_on` no other thread is sure to serve the reactor (the
            // backup thread stays off while this call is attached), and a thread kept
            // busy by local tasks never sleeps in it. So every `LOCAL_BUDGET` local
            // tasks it looks at the reactor without sleeping, as a busy worker does
            // every 61 of its own. Without this a local task yielding in a loop kept
            // every timer and socket from firing (hostile review). Counted across
            // batches, not once per batch: a task woken once per message would
            // otherwise add a look to every wake.
            since_look += ran;
            if since_look >= LOCAL_BUDGET {
                since_look = 0;
                if let SleepIn::Driver(driver) = &sleep_in {
                    if !driver.nothing_registered() {
                        driver.park(driver.token(), Some(Duration::ZERO));
                    }
                }
            }
            continue;
        }
        // Nothing ran. A wake that arrived after the checks above left the parker
        // UNPARKED, so this sleep returns at once instead of missing it. In the driver,
        // it serves the reactor: the count of local tasks starts again.
        since_look = 0;
        match &sleep_in {
            SleepIn::Condvar => parker.park(),
            SleepIn::Driver(_) => parker.park_in_driver(None),
            SleepIn::RuntimeDriver(scheduler) => scheduler.park_block_on(&parker, &spin, || false),
        }
    }
}
