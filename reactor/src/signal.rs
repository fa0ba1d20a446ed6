//! `ctrl_c`: waiting for SIGINT like waiting for a socket.
//!
//! Lesson: a Unix signal interrupts whatever the thread was doing, and almost nothing
//! is safe to do inside a signal handler, certainly not waking a task. The classic
//! answer is the *self-pipe*: the handler only writes a byte into a pipe, and the pipe's
//! read end is one more file descriptor for the reactor to watch. signal-hook installs
//! that handler (its `unsafe` lives there, not here) and signal-hook-mio turns the pipe
//! into a mio `Source`; from then on, a signal is a readable event and `ctrl_c()` is a
//! `read` that waits without a thread.
//!
//! As in tokio, the first `ctrl_c()` replaces SIGINT's default action (ending the
//! process) for the rest of the process's life: after it, Ctrl-C only wakes whoever
//! awaits `ctrl_c()`. A program that wants to stop on Ctrl-C must await it.

use std::{future::Future, io, panic::Location, sync::Mutex};

use mio::{event::Source, Interest, Registry, Token};
use signal_hook::consts::SIGINT;
use signal_hook_mio::v1_0::Signals;

use crate::{awaiting::poll_fn_at, readiness::Direction, registration::Registration};

/// Completes at the next SIGINT (Ctrl-C in a terminal) after the call.
///
/// The handler is installed when `ctrl_c()` is called, not when the future is first
/// polled, so a SIGINT arriving in between is not lost.
///
/// # Errors
///
/// If the handler or its pipe cannot be set up.
///
/// # Examples
///
/// ```
/// turtles_reactor::drive(async {
///     let ctrl_c = turtles_reactor::signal::ctrl_c();
///     // Stands in for a user pressing Ctrl-C.
///     signal_hook::low_level::raise(signal_hook::consts::SIGINT).unwrap();
///     ctrl_c.await.unwrap();
///     println!("shutting down");
/// });
/// ```
#[track_caller]
pub fn ctrl_c() -> impl Future<Output = io::Result<()>> {
    let at = Location::caller();
    let listening =
        Signals::new([SIGINT]).and_then(|signals| Registration::new(Pipe(Mutex::new(signals))));
    async move {
        let pipe = listening?;
        poll_fn_at(at, |cx| {
            pipe.poll_io(cx, Direction::Read, |pipe| {
                let mut signals = pipe
                    .0
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                // Reading drains the pipe; an empty read means the readiness was stale.
                if signals.pending().any(|signal| signal == SIGINT) {
                    Ok(())
                } else {
                    Err(io::ErrorKind::WouldBlock.into())
                }
            })
        })
        .await
    }
}

/// signal-hook-mio's `Signals`, readable through `&self` (draining its pipe takes
/// `&mut`; the reactor's registration hands out `&`). Never contended: one future owns
/// it.
struct Pipe(Mutex<Signals>);

impl Source for Pipe {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.signals().register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.signals().reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        self.signals().deregister(registry)
    }
}

impl Pipe {
    fn signals(&mut self) -> &mut Signals {
        self.0
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
