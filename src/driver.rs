//! The glue between the two halves: the reactor, seen by the executor as a [`Driver`].
//!
//! Lesson: the executor and the reactor never name each other. The executor says
//! "when a thread is idle, it sleeps in a `Driver`"; the reactor says "whoever sleeps
//! in `park` serves I/O and timers". And where a reactor future waits, the reactor
//! tells a hook, which records it in the executor's current task. This file is the
//! whole of the marriage.

use std::{io, sync::Arc, time::Duration};

use turtles_executor::Driver;
use turtles_reactor::{AttachedDriver, Reactor};

/// The process's reactor as an executor driver.
#[derive(Debug)]
pub(crate) struct ReactorDriver(&'static Reactor);

impl Driver for ReactorDriver {
    fn token(&self) -> u64 {
        self.0.token()
    }

    fn park(&self, token: u64, timeout: Option<Duration>) {
        self.0.park(token, timeout);
    }

    fn unpark(&self) {
        self.0.unpark();
    }

    fn nothing_registered(&self) -> bool {
        self.0.nothing_registered()
    }
}

/// The driver every turtles runtime and `block_on` sleeps in, and the promise to drive
/// it, which keeps the reactor's backup thread out of the way for as long as it is held.
pub(crate) fn reactor_driver() -> io::Result<(Arc<dyn Driver>, AttachedDriver)> {
    let reactor = Reactor::global()?;
    // The other half of the glue: when a reactor future returns `Pending`, the reactor
    // passes the user's line to the executor, which notes it in the task being polled
    // (for the watchdog's report). Installing the hook twice is a no-op.
    turtles_reactor::set_awaiting_hook(turtles_executor::record_awaiting);
    Ok((Arc::new(ReactorDriver(reactor)), reactor.attach_driver()))
}

/// The promise to drive the reactor, alone: what a current-thread runtime holds while a
/// thread is inside its `block_on` (its driver was handed out when it was built).
pub(crate) fn attach() -> AttachedDriver {
    Reactor::global()
        .expect("the reactor started when the runtime was built")
        .attach_driver()
}
