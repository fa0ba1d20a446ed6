//! The backup driver: when no turtles thread drives the reactor, a thread of its own does.
//!
//! Lesson: a reactor only works while some thread sleeps in `epoll_wait` for it. Inside
//! turtles that is always an idle worker or a thread inside `turtles::block_on`. But a
//! turtles `sleep` or `TcpStream` may be polled by *another* executor
//! (`futures::executor::block_on`, say) in a process with no turtles runtime at all:
//! then nobody would ever fire the timer. (smol's async-io solves this the same way;
//! tokio instead panics with "there is no reactor running".)
//!
//! So every turtles runtime and `block_on` *attaches* while it exists (a count). When a
//! timer or socket is registered while nothing is attached — or the last attachment
//! goes while timers or sockets still wait — one backup thread, `turtles-reactor`, is
//! started (once; it lives as long as the process). It drives the reactor only while
//! the count is zero — sleeping in `epoll_wait` when there is nothing to do, so an idle
//! process burns no CPU — and waits on a condvar otherwise, so it stays out of the way
//! of a runtime's workers, whose wakes land in their own run queues (an attach unparks
//! it once, if it was polling).

use std::{
    io,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst},
        Condvar, Mutex,
    },
    thread,
};

/// Who drives the reactor: how many turtles runtimes and `block_on`s are attached, and
/// whether the backup thread exists.
#[derive(Debug, Default)]
pub(crate) struct Backup {
    /// Runtimes and `block_on` calls attached right now.
    attached: AtomicUsize,
    /// The backup thread was started (it never exits: the reactor lives forever).
    started: AtomicBool,
    /// Guards nothing but the condvar's sleep: the count itself is atomic.
    lock: Mutex<()>,
    detached: Condvar,
}

impl Backup {
    pub(crate) fn attach(&self) {
        self.attached.fetch_add(1, SeqCst);
    }

    pub(crate) fn detach(&self) {
        // No backup thread, nobody to tell: a `notify_all` is a `futex` syscall even with
        // no waiter, and without this check every `turtles::block_on` in a process that
        // never needed the thread paid one on its way out (`strace -c` on `profile
        // spawn_one turtles-local`: one `futex` per round, none now). A thread started
        // after our load checks the count itself, and sees ours: its start (`swap`)
        // comes after our load, our decrement before it, all SeqCst.
        if self.attached.fetch_sub(1, SeqCst) == 1 && self.is_started() {
            // Taking the lock orders this after the thread's check-then-wait.
            drop(self.lock.lock().unwrap_or_else(|p| p.into_inner()));
            self.detached.notify_all();
        }
    }

    /// Nobody attached: the backup thread must drive.
    pub(crate) fn unattached(&self) -> bool {
        self.attached.load(SeqCst) == 0
    }

    pub(crate) fn is_started(&self) -> bool {
        self.started.load(SeqCst)
    }

    /// Starts the backup thread unless it runs already or a driver is attached. Cheap
    /// when there is nothing to do: two loads, on the path of every new timer and socket.
    pub(crate) fn start_if_needed(&'static self, drive_once: impl Fn() + Send + 'static) {
        if !self.unattached() || self.is_started() {
            return;
        }
        if self.started.swap(true, SeqCst) {
            return; // a racing caller starts it
        }
        let spawned = thread::Builder::new()
            .name("turtles-reactor".to_owned())
            .spawn(move || loop {
                self.wait_until_unattached();
                drive_once();
            });
        if let Err(e) = spawned {
            self.started.store(false, SeqCst); // the next registration tries again
            report_start_failure(&e);
        }
    }

    fn wait_until_unattached(&self) {
        let mut guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        while !self.unattached() {
            guard = self.detached.wait(guard).unwrap_or_else(|p| p.into_inner());
        }
    }
}

fn report_start_failure(e: &io::Error) {
    eprintln!(
        "turtles: could not start the backup reactor thread ({e}); timers and sockets \
         polled outside a turtles runtime will not make progress until it starts"
    );
}
