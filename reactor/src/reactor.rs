//! The reactor: one `mio::Poll` for the whole process, driven by whichever thread is idle.
//!
//! Lesson: there is no "reactor thread". A thread with nothing to do calls
//! [`Reactor::park`]; one such thread at a time becomes the *poller* and sleeps in
//! `epoll_wait` until the nearest timer deadline, an I/O event, or an unpark. When it
//! wakes it turns each event into a `Waker::wake` — which, on a worker, puts the task
//! straight into that worker's own queue — and fires due timers. The path of one event:
//!
//! ```text
//! kernel ─ epoll_wait ─> Events ─ token ─> Sources slab ─> Readiness::set ─> Waker::wake
//!        ─> run queue ─> poll ─> TcpStream::poll_read ─> read() returns the data
//! ```
//!
//! Other threads that call `park` meanwhile wait on a condvar as *standbys*: when the
//! poller leaves, one of them takes over, so some idle thread is always watching I/O
//! (that protocol is `poller.rs`, checked by loom). With no turtles runtime or
//! `block_on` attached at all, a backup thread takes the part (`backup.rs`).
//!
//! One reactor per process (started lazily by [`Reactor::global`]) is what lets a
//! socket or timer be created anywhere — in `main`, in a `block_on`, on any runtime —
//! and simply attach here the first time it is polled.
//!
//! "epoll" throughout means whatever mio uses for the platform: epoll on Linux, kqueue
//! on macOS and the BSDs. The protocol above does not depend on which.

use std::{
    io,
    sync::{
        atomic::{
            AtomicU64, AtomicUsize,
            Ordering::{Relaxed, SeqCst},
        },
        OnceLock,
    },
    time::{Duration, Instant},
};

use mio::{event::Source, Events, Interest, Poll, Token};

use crate::{
    backup::Backup,
    poller::{PollerSeat, Turn},
    readiness::{Readiness, ERROR, READABLE, READ_CLOSED, WRITABLE, WRITE_CLOSED},
    shim::{lock, Arc, Mutex},
    sources::Sources,
    timers::Timers,
};

/// The token of the mio `Waker` that interrupts the poller. Real sources never get it:
/// their tokens are `generation << 32 | key` with a key below 2^32.
const WAKE_TOKEN: Token = Token(usize::MAX);

/// The process-wide I/O and timer driver.
#[derive(Debug)]
pub struct Reactor {
    /// Who polls (one thread at a time) and who waits as a standby.
    seat: PollerSeat<Poller>,
    /// mio's handle for (de)registering sockets (not to be confused with the executor's
    /// task registry).
    os_registry: mio::Registry,
    waker: mio::Waker,
    sources: Mutex<Sources>,
    /// `sources.len()`, changed under its lock, read without it (`nothing_registered`;
    /// SeqCst: see `AttachedDriver`'s drop).
    live_sources: AtomicUsize,
    timers: Timers,
    turns: AtomicU64,
    events: AtomicU64,
    /// Who drives this reactor; the thread that does when nobody else does.
    backup: Backup,
}

#[derive(Debug)]
struct Poller {
    poll: Poll,
    events: Events,
    ready: Vec<(Arc<Readiness>, usize)>,
}

/// Counters about the reactor, for tests and the curious.
///
/// # Examples
///
/// ```
/// let m = turtles_reactor::Reactor::global().unwrap().metrics();
/// println!("{} timers pending, {} sources", m.timer_entries(), m.io_sources());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReactorMetrics {
    timer_entries: usize,
    io_sources: usize,
    turns: u64,
    events: u64,
}

impl ReactorMetrics {
    /// Timers waiting to fire. Dropped `Sleep`s and `timeout`s leave none behind.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{future::Future, task::{Context, Waker}, time::Duration};
    ///
    /// let reactor = turtles_reactor::Reactor::global().unwrap();
    /// let before = reactor.metrics().timer_entries();
    /// let mut nap = Box::pin(turtles_reactor::time::sleep(Duration::from_secs(60)));
    /// let _ = nap.as_mut().poll(&mut Context::from_waker(Waker::noop())); // registers it
    /// assert_eq!(reactor.metrics().timer_entries(), before + 1);
    /// drop(nap);
    /// assert_eq!(reactor.metrics().timer_entries(), before);
    /// ```
    pub fn timer_entries(&self) -> usize {
        self.timer_entries
    }
    /// Sockets registered right now.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = turtles_reactor::Reactor::global().unwrap();
    /// let before = reactor.metrics().io_sources();
    /// let std = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let listener = turtles_reactor::net::TcpListener::from_std(std).unwrap();
    /// assert_eq!(reactor.metrics().io_sources(), before + 1);
    /// drop(listener);
    /// assert_eq!(reactor.metrics().io_sources(), before);
    /// ```
    pub fn io_sources(&self) -> usize {
        self.io_sources
    }
    /// Times a thread polled the OS.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = turtles_reactor::Reactor::global().unwrap();
    /// let before = reactor.metrics().turns();
    /// reactor.park(reactor.token(), Some(Duration::ZERO)); // one look, no sleep
    /// assert_eq!(reactor.metrics().turns(), before + 1);
    /// ```
    pub fn turns(&self) -> u64 {
        self.turns
    }
    /// I/O events dispatched so far.
    ///
    /// # Examples
    ///
    /// ```
    /// use turtles_reactor::net::UdpSocket;
    ///
    /// let reactor = turtles_reactor::Reactor::global().unwrap();
    /// let before = reactor.metrics().events();
    /// turtles_reactor::drive(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     a.send_to(b"x", a.local_addr().unwrap()).await.unwrap();
    ///     a.recv_from(&mut [0; 1]).await.unwrap();
    /// });
    /// assert!(reactor.metrics().events() > before, "readiness came as events");
    /// ```
    pub fn events(&self) -> u64 {
        self.events
    }
}

impl Reactor {
    /// A new reactor. Most code wants [`Reactor::global`]: sockets and timers always
    /// attach to the global one, so a reactor made here only serves `park`/`unpark`.
    ///
    /// # Errors
    ///
    /// If the OS refuses an epoll instance or an eventfd.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = turtles_reactor::Reactor::new().unwrap();
    /// reactor.park(reactor.token(), Some(std::time::Duration::from_millis(1)));
    /// ```
    pub fn new() -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let os_registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(&os_registry, WAKE_TOKEN)?;
        Ok(Reactor {
            seat: PollerSeat::new(Poller {
                poll,
                // Events collected per turn; more simply wait for the next turn. A guess,
                // the size mio's examples and tokio use; no workload here has filled it.
                events: Events::with_capacity(1024),
                ready: Vec::new(),
            }),
            os_registry,
            waker,
            sources: Mutex::new(Sources::default()),
            live_sources: AtomicUsize::new(0),
            timers: Timers::new(),
            turns: AtomicU64::new(0),
            events: AtomicU64::new(0),
            backup: Backup::default(),
        })
    }

    /// The process's reactor, started on first use.
    ///
    /// # Errors
    ///
    /// If it could not be started (the OS refused an epoll instance, for example for want
    /// of file descriptors). The failure is not remembered: the next call tries again, so
    /// a program that runs out of descriptors once recovers when they are free.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = turtles_reactor::Reactor::global().unwrap();
    /// assert!(std::ptr::eq(reactor, turtles_reactor::Reactor::global().unwrap()));
    /// ```
    pub fn global() -> io::Result<&'static Reactor> {
        static GLOBAL: OnceLock<Reactor> = OnceLock::new();
        if let Some(reactor) = GLOBAL.get() {
            return Ok(reactor);
        }
        // Not `get_or_init`: a failed start must not be cached. Two threads racing here
        // may both build one; the loser's is dropped (its descriptors closed) unused.
        let reactor = Reactor::new().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("turtles could not start its reactor: {e}"),
            )
        })?;
        let _ = GLOBAL.set(reactor);
        Ok(GLOBAL
            .get()
            .expect("set just above, by us or by a racing thread"))
    }

    /// The timer list.
    pub(crate) fn timers(&self) -> &Timers {
        &self.timers
    }

    /// Nothing waits here: no timer is pending and no source is registered, so a
    /// `park` could only return on an `unpark` or its `max_wait`. A busy thread's
    /// periodic look at the reactor (`park` with a zero wait) is skipped then: on an
    /// idle reactor it was an `epoll_wait` syscall that found nothing (`strace -c` on
    /// `profile spawn_recursively turtles-current`: ~3,000 per round, none now;
    /// `profile yield_many turtles-current`: 13.5–14.2 → 11.0–11.7 ms per round).
    /// Without locks. Racing a registration, a look may be skipped: the next one comes
    /// soon. `AttachedDriver`'s drop relies on it more strictly (see there).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{future::Future, task::{Context, Waker}, time::Duration};
    ///
    /// let reactor = turtles_reactor::Reactor::global().unwrap();
    /// let mut nap = Box::pin(turtles_reactor::time::sleep(Duration::from_secs(60)));
    /// let _ = nap.as_mut().poll(&mut Context::from_waker(Waker::noop())); // registers it
    /// assert!(!reactor.nothing_registered());
    /// ```
    pub fn nothing_registered(&self) -> bool {
        self.timers.is_empty() && self.live_sources.load(SeqCst) == 0
    }

    /// Adds a timer and, if it is the new earliest, interrupts the poller so that it
    /// re-plans its sleep.
    pub(crate) fn add_timer(
        &'static self,
        deadline: Instant,
        waker: std::task::Waker,
    ) -> crate::timers::TimerKey {
        let (key, earliest) = self.timers.insert(deadline, waker);
        self.ensure_driven();
        // The poller sets `polling` before it reads the next deadline: either it sees
        // our entry, or we see the flag and interrupt it.
        if earliest && self.seat.is_polling() {
            let _ = self.waker.wake();
        }
        key
    }

    /// Registers a mio source for both directions.
    pub(crate) fn register(
        &'static self,
        source: &mut impl Source,
    ) -> io::Result<(Token, Arc<Readiness>)> {
        // Counted first, then the check for a driver: see `AttachedDriver`'s drop.
        let (token, readiness) = self.add_source();
        self.ensure_driven();
        if let Err(e) =
            self.os_registry
                .register(source, token, Interest::READABLE | Interest::WRITABLE)
        {
            drop(self.remove_source(token));
            return Err(e);
        }
        Ok((token, readiness))
    }

    fn add_source(&self) -> (Token, Arc<Readiness>) {
        let mut sources = lock(&self.sources);
        let added = sources.insert();
        self.live_sources.store(sources.len(), SeqCst);
        added
    }

    fn remove_source(&self, token: Token) -> Option<Arc<Readiness>> {
        let mut sources = lock(&self.sources);
        let removed = sources.remove(token);
        self.live_sources.store(sources.len(), SeqCst);
        removed
    }

    /// Forgets a source; events already in flight for its token are dropped as stale.
    pub(crate) fn deregister(&self, source: &mut impl Source, token: Token) {
        let _ = self.os_registry.deregister(source);
        let readiness = self.remove_source(token);
        drop(readiness); // outside the lock
    }

    /// Promises that the calling runtime (or `block_on`) drives this reactor — some thread
    /// of it sleeps in [`park`](Self::park) when idle — until the returned value is
    /// dropped. While anything is attached the backup thread stays out of the way; with
    /// nothing attached, it drives the reactor so that timers and sockets polled by any
    /// other executor still make progress.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = turtles_reactor::Reactor::global().unwrap();
    /// let attached = reactor.attach_driver();
    /// reactor.park(reactor.token(), Some(std::time::Duration::from_millis(1)));
    /// drop(attached);
    /// ```
    pub fn attach_driver(&'static self) -> AttachedDriver {
        self.backup.attach();
        if self.backup.is_started() {
            // The backup thread may be in epoll_wait: send it back to its condvar.
            self.unpark();
        }
        AttachedDriver { reactor: self }
    }

    /// With nothing attached, makes sure the backup thread drives the reactor.
    fn ensure_driven(&'static self) {
        self.backup.start_if_needed(move || {
            let token = self.token();
            // Re-check after the token: an attach from now on unparks this park.
            if self.backup.unattached() {
                self.park(token, None);
            }
        });
    }

    /// A token for [`park`](Self::park), taken before announcing the sleep.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = turtles_reactor::Reactor::global().unwrap();
    /// let token = reactor.token();
    /// reactor.unpark(); // after the token: the park below returns at once
    /// reactor.park(token, None);
    /// ```
    pub fn token(&self) -> u64 {
        self.seat.token()
    }

    /// Blocks until I/O is ready, a timer is due, `max_wait` passes (`None`: no limit), or [`unpark`] is
    /// called after `token` was taken; wakes the wakers of everything that became ready.
    ///
    /// [`unpark`]: Self::unpark
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = turtles_reactor::Reactor::global().unwrap();
    /// let token = reactor.token();
    /// let waker = std::thread::spawn(move || reactor.unpark());
    /// reactor.park(token, None); // no timeout: returns once the other thread unparks
    /// waker.join().unwrap();
    /// ```
    pub fn park(&self, token: u64, max_wait: Option<Duration>) {
        self.seat.park(token, max_wait, |poller, turn| {
            self.turn(poller, turn, max_wait)
        });
    }

    /// Makes `park` return: wakes every standby and interrupts the poller.
    ///
    /// # Examples
    ///
    /// ```
    /// let reactor = turtles_reactor::Reactor::global().unwrap();
    /// let token = reactor.token();
    /// let parked: Vec<_> = (0..2)
    ///     .map(|_| std::thread::spawn(move || reactor.park(token, None)))
    ///     .collect();
    /// reactor.unpark(); // releases both, whether they poll, stand by, or have not parked yet
    /// for thread in parked {
    ///     thread.join().unwrap();
    /// }
    /// ```
    pub fn unpark(&self) {
        self.seat.unpark(|| {
            let _ = self.waker.wake();
        });
    }

    /// One turn of the seat's holder: wait in the OS until the nearest timer (or an
    /// event, or an unpark), then wake what became ready.
    fn turn(&self, poller: &mut Poller, turn: Turn<'_>, max_wait: Option<Duration>) {
        let now = Instant::now();
        let until_timer = self
            .timers
            .next_deadline()
            .map(|d| d.saturating_duration_since(now));
        let timeout = match (turn.unparked, max_wait, until_timer) {
            (true, _, _) => Some(Duration::ZERO), // still collect what is ready, but do not sleep
            (false, Some(a), Some(b)) => Some(a.min(b)),
            (false, a, b) => a.or(b),
        };
        self.turns.fetch_add(1, Relaxed);
        let Poller {
            poll,
            events,
            ready,
        } = poller;
        if let Err(e) = poll.poll(events, timeout) {
            if e.kind() != io::ErrorKind::Interrupted {
                // Nothing sensible to do but report it and let the caller look for work.
                eprintln!("turtles: epoll_wait failed: {e}");
            }
        }
        turn.left_os_wait();
        {
            let sources = lock(&self.sources);
            for event in events.iter() {
                if event.token() == WAKE_TOKEN {
                    continue;
                }
                if let Some(readiness) = sources.get(event.token()) {
                    ready.push((readiness.clone(), bits_of(event)));
                }
            }
        }
        self.events.fetch_add(ready.len() as u64, Relaxed);
        // Wake outside every lock but the seat: on a worker, each wake is a push to its
        // own queue, so the woken tasks run right here, with no cross-thread hop.
        for (readiness, bits) in ready.drain(..) {
            readiness.set(bits);
        }
        self.timers.fire_due(Instant::now());
    }

    /// A snapshot of the counters.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = turtles_reactor::Reactor::global().unwrap();
    /// let snapshot = reactor.metrics();
    /// reactor.park(reactor.token(), Some(Duration::ZERO)); // one more turn
    /// assert_ne!(reactor.metrics(), snapshot, "a snapshot, not a live view");
    /// ```
    pub fn metrics(&self) -> ReactorMetrics {
        ReactorMetrics {
            timer_entries: self.timers.len(),
            io_sources: self.live_sources.load(SeqCst),
            turns: self.turns.load(Relaxed),
            events: self.events.load(Relaxed),
        }
    }
}

/// A runtime's (or a `block_on`'s) promise to drive the reactor, from
/// [`Reactor::attach_driver`]; dropping it withdraws the promise.
#[derive(Debug)]
pub struct AttachedDriver {
    reactor: &'static Reactor,
}

impl Drop for AttachedDriver {
    fn drop(&mut self) {
        let reactor = self.reactor;
        reactor.backup.detach();
        // The last runtime may go while a future polled by another executor still waits
        // on a timer or a socket here: then nobody else will ever drive the reactor.
        // A registration racing this drop is never lost: it counts its timer or source
        // (SeqCst), then reads the attachments (`ensure_driven`); we take ours away
        // (SeqCst), then read the counts. One of the two sees the other and starts the
        // backup thread. (`register` once read the attachments first: a source slipped
        // between both and waited forever.)
        if !reactor.nothing_registered() {
            reactor.ensure_driven();
        }
    }
}

fn bits_of(event: &mio::event::Event) -> usize {
    let mut bits = 0;
    if event.is_readable() {
        bits |= READABLE;
    }
    if event.is_writable() {
        bits |= WRITABLE;
    }
    if event.is_read_closed() {
        bits |= READ_CLOSED;
    }
    if event.is_write_closed() {
        bits |= WRITE_CLOSED;
    }
    if event.is_error() {
        bits |= ERROR;
    }
    bits
}
