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
    shim::Arc,
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
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_transfer(cx, direction, op, |_| false)
    }

    /// [`poll_io`](Self::poll_io) for a byte stream: when `drained` says the operation
    /// emptied the kernel's buffer (a read shorter than the buffer) or filled it (a short
    /// write), the readiness seen is cleared at once, so the next call waits for the
    /// reactor instead of making a syscall that could only answer `WouldBlock`. That
    /// wasted call was one `recvfrom` per request in an HTTP server (tokio clears on a
    /// short read too). A newer event is never lost: `clear` keeps readiness that
    /// arrived after the one seen (rule 1 of `readiness.rs`).
    pub(crate) fn poll_transfer<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        loop {
            let seen = ready!(self.readiness.poll_ready(direction, cx));
            match op(&self.io) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.readiness.clear(seen, direction)
                }
                Ok(done) if drained(&done) => {
                    self.readiness.clear(seen, direction);
                    return Poll::Ready(Ok(done));
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

#[cfg(all(test, not(loom)))]
mod tests {
    use std::{
        cell::Cell,
        io::{Read, Write},
        task::{Context, Poll, Waker},
    };

    use super::{Direction, Registration};

    /// A connected pair: ours registered, the peer a plain std socket.
    fn pair() -> (Registration<mio::net::TcpStream>, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let ours = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        ours.set_nonblocking(true).unwrap();
        let peer = listener.accept().unwrap().0;
        let ours = Registration::new(mio::net::TcpStream::from_std(ours)).unwrap();
        (ours, peer)
    }

    #[test]
    fn a_short_read_clears_readiness_so_the_next_read_makes_no_syscall() {
        let (ours, mut peer) = pair();
        peer.write_all(b"hello").unwrap();
        let mut cx = Context::from_waker(Waker::noop());
        let reads = Cell::new(0);
        let read = |cx: &mut Context<'_>, buf: &mut [u8]| {
            let len = buf.len();
            ours.poll_transfer(
                cx,
                Direction::Read,
                |mut s| {
                    reads.set(reads.get() + 1);
                    s.read(buf)
                },
                |&n| n > 0 && n < len,
            )
        };
        let mut buf = [0; 64];
        // The data may not have arrived yet: wait for it.
        let got = loop {
            if let Poll::Ready(n) = read(&mut cx, &mut buf) {
                break n.unwrap();
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        };
        assert_eq!(&buf[..got], &b"hello"[..got]);
        let before = reads.get();
        assert!(read(&mut cx, &mut buf).is_pending());
        assert_eq!(reads.get(), before, "no read() after a short one");

        // New data is a new event: the next read finds it.
        peer.write_all(b"!").unwrap();
        let more = loop {
            if let Poll::Ready(n) = read(&mut cx, &mut buf) {
                break n.unwrap();
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        };
        assert!(more >= 1);
    }
}
