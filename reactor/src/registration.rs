//! `Registration`: a mio socket attached to the reactor, and the retry loop every I/O
//! operation goes through.
//!
//! Lesson: non-blocking I/O is "try, and if the kernel says `WouldBlock`, wait for
//! readiness and try again". [`Registration::poll_io`] is that loop, once, for every
//! socket type: ask [`Readiness`] whether the socket is ready (leaving the waker if
//! not), try the operation, and on `WouldBlock` clear the readiness seen and go round.
//! Dropping a registration deregisters the socket, so a closed socket never wakes anyone.

use std::{
    io,
    task::{ready, Context, Poll},
};

use mio::{event::Source, Token};

use crate::{
    reactor::Reactor,
    readiness::{Direction, Readiness},
    sync::Arc,
};

/// A mio source registered with the global reactor for both directions.
#[derive(Debug)]
pub(crate) struct Registration<S: Source> {
    io: S,
    token: Token,
    readiness: Arc<Readiness>,
    reactor: &'static Reactor,
}

impl<S: Source> Registration<S> {
    /// Attaches `io` to the process's reactor (starting it if needed).
    pub(crate) fn new(mut io: S) -> io::Result<Self> {
        let reactor = Reactor::global()?;
        let (token, readiness) = reactor.register(&mut io)?;
        Ok(Registration {
            io,
            token,
            readiness,
            reactor,
        })
    }

    pub(crate) fn io(&self) -> &S {
        &self.io
    }

    /// Runs `op` until it does not return `WouldBlock`, waiting for readiness in between.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let seen = ready!(self.readiness.poll_ready(direction, cx));
            match op(&self.io) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.readiness.clear(seen, direction)
                }
                result => return Poll::Ready(result),
            }
        }
    }
}

impl<S: Source> Drop for Registration<S> {
    fn drop(&mut self) {
        self.reactor.deregister(&mut self.io, self.token);
    }
}
