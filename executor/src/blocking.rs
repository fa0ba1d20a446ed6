//! `spawn_blocking`: a separate pool of threads for work that would block a worker.
//!
//! Lesson: a worker runs thousands of tasks by polling each briefly. A closure that
//! computes for a second, or waits in a blocking call, keeps its worker from every other
//! task for that second (.NET's `Task.Run` on the request pool starves it the same way).
//! Such work belongs on threads of its own: this pool starts one per closure on demand,
//! up to a limit (then closures queue), and lets a thread that has been idle for a while
//! exit. The caller gets an ordinary `JoinHandle`, so `.await`ing the result frees the
//! worker while the closure runs.
//!
//! A blocking job is a task like any other to its handle: the same state machine
//! (`state.rs`) decides whether it runs or is cancelled — an `abort` before a thread
//! picks it up means it never starts; once it runs, it runs to the end — and it ends
//! through the same completion path (`Header::complete`), so a panic reaches the handle.

use std::{
    collections::VecDeque,
    panic::{catch_unwind, AssertUnwindSafe},
    task::{Context, Poll},
    time::{Duration, Instant},
};

use crate::{
    header::{Header, Outcome, NO_KEY},
    join::{Abort, Join, JoinError, JoinHandle},
    meta::TaskMeta,
    panic::PanicHook,
    shim::{lock, thread, Arc, Condvar, Mutex},
    state::OnStart,
};

/// The pool's limit unless `Builder::max_blocking_threads` says otherwise (tokio's).
pub(crate) const DEFAULT_MAX_THREADS: usize = 512;
/// How long an idle pool thread waits for work before it exits (tokio's default).
pub(crate) const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);
/// How long shutdown waits for closures that are still running; after that their
/// threads are left to finish on their own. A guess: long enough for ordinary blocking
/// calls to return, short enough that dropping a runtime never seems to hang.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A queued or running closure, as the pool sees it.
trait Job: Send + Sync {
    /// Runs the closure (or finishes the job as cancelled, if it was aborted).
    fn run(&self);
    /// Shutdown: the job never started; finish it as cancelled.
    fn cancel(&self);
}

/// One `spawn_blocking` call: the closure until it runs, then its output in the header.
struct BlockingTask<F, T> {
    header: Header<T>,
    closure: Mutex<Option<F>>,
    hook: PanicHook,
}

impl<F, T> BlockingTask<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    fn complete(&self, outcome: Outcome<T>) {
        let closure = lock(&self.closure).take(); // an unrun closure is user data too
        self.header.complete(closure, outcome, || {}, &self.hook);
    }
}

impl<F, T> Job for BlockingTask<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    fn run(&self) {
        match self.header.state.start() {
            OnStart::Poll => {}
            OnStart::Cancel => return self.complete(Outcome::Cancelled),
            OnStart::Finished => return,
        }
        let closure = lock(&self.closure)
            .take()
            .expect("a job runs once: only the thread that started it takes the closure");
        let outcome = match catch_unwind(AssertUnwindSafe(closure)) {
            Ok(output) => Outcome::Ready(output),
            Err(panic) => Outcome::Panicked(panic),
        };
        self.complete(outcome);
    }

    fn cancel(&self) {
        if self.header.state.start() != OnStart::Finished {
            self.complete(Outcome::Cancelled);
        }
    }
}

impl<F, T> Join<T> for BlockingTask<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        self.header.poll_join(cx)
    }
    fn meta(&self) -> &TaskMeta {
        &self.header.meta
    }
    fn detach(&self) {
        self.header.detach(&self.hook);
    }
    fn is_ready(&self) -> bool {
        self.header.join.is_ready()
    }
}

impl<F, T> Abort for BlockingTask<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    fn abort(self: Arc<Self>) {
        // Queued: marked, and the thread that picks it up cancels it instead of running
        // it. Running: nothing to do — a closure cannot be interrupted.
        let _already_queued = self.header.state.abort();
    }
    fn is_finished(&self) -> bool {
        self.header.state.is_complete()
    }
}

/// The pool of one runtime.
pub(crate) struct BlockingPool {
    shared: Arc<PoolShared>,
}

struct PoolShared {
    state: Mutex<PoolState>,
    /// Signals idle threads that a job arrived, or shutdown began.
    work: Condvar,
    /// Signals shutdown that the last running closure finished.
    drained: Condvar,
    max_threads: usize,
    keep_alive: Duration,
    thread_name: String,
    hook: PanicHook,
}

#[derive(Default)]
struct PoolState {
    queue: VecDeque<Arc<dyn Job>>,
    /// Threads alive, and how many of them wait for work.
    threads: usize,
    idle: usize,
    /// Jobs being run right now.
    running: usize,
    shutdown: bool,
}

impl std::fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.shared.state);
        f.debug_struct("BlockingPool")
            .field("threads", &state.threads)
            .field("queued", &state.queue.len())
            .finish()
    }
}

impl BlockingPool {
    pub(crate) fn new(
        max_threads: usize,
        keep_alive: Duration,
        thread_name: String,
        hook: PanicHook,
    ) -> Self {
        BlockingPool {
            shared: Arc::new(PoolShared {
                state: Mutex::new(PoolState::default()),
                work: Condvar::new(),
                drained: Condvar::new(),
                max_threads,
                keep_alive,
                thread_name,
                hook,
            }),
        }
    }

    /// Queues `f`; starts a thread for it if none is idle and the limit allows.
    pub(crate) fn spawn<F, T>(&self, f: F, meta: TaskMeta) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let task = Arc::new(BlockingTask {
            header: Header::new(meta, NO_KEY), // a queue, not a registry, keeps these
            closure: Mutex::new(Some(f)),
            hook: self.shared.hook.clone(),
        });
        let handle = JoinHandle::new(task.clone());
        let mut state = lock(&self.shared.state);
        if state.shutdown {
            drop(state);
            task.cancel(); // the runtime is gone: it never runs
            return handle;
        }
        state.queue.push_back(task);
        if state.idle > 0 {
            drop(state);
            self.shared.work.notify_one();
        } else if state.threads < self.shared.max_threads {
            state.threads += 1;
            drop(state);
            self.start_thread();
        }
        // Otherwise the job waits for a thread to finish its current one.
        handle
    }

    fn start_thread(&self) {
        let shared = self.shared.clone();
        let spawned = thread::Builder::new()
            .name(self.shared.thread_name.clone())
            .spawn(move || shared.run());
        if let Err(e) = spawned {
            // Queued jobs still run on the threads there are; with none, they wait for
            // the next spawn to try again.
            lock(&self.shared.state).threads -= 1;
            eprintln!("turtles: could not start a blocking-pool thread ({e}); the job waits");
        }
    }

    /// Runtime shutdown: queued jobs are cancelled (never started); running ones get up
    /// to [`SHUTDOWN_GRACE`] to finish; idle threads exit.
    pub(crate) fn shut_down(&self) {
        let queued: Vec<Arc<dyn Job>> = {
            let mut state = lock(&self.shared.state);
            state.shutdown = true;
            state.queue.drain(..).collect()
        };
        self.shared.work.notify_all();
        for job in queued {
            job.cancel(); // outside the lock: cancelling drops the closure, user code
        }
        let give_up = Instant::now() + SHUTDOWN_GRACE;
        let mut state = lock(&self.shared.state);
        while state.running > 0 {
            let Some(left) = give_up.checked_duration_since(Instant::now()) else {
                break; // still running: those threads finish on their own
            };
            state = self
                .shared
                .drained
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

impl PoolShared {
    /// The body of a pool thread: run jobs until idle for `keep_alive`, or shutdown.
    fn run(&self) {
        let mut state = lock(&self.state);
        loop {
            if let Some(job) = state.queue.pop_front() {
                state.running += 1;
                drop(state);
                job.run(); // user code, outside the lock; panics are caught inside
                drop(job);
                state = lock(&self.state);
                state.running -= 1;
                if state.running == 0 && state.shutdown {
                    self.drained.notify_all();
                }
                continue;
            }
            if state.shutdown {
                break;
            }
            state.idle += 1;
            let (next, timeout) = self
                .work
                .wait_timeout(state, self.keep_alive)
                .unwrap_or_else(|p| p.into_inner());
            state = next;
            state.idle -= 1;
            if timeout.timed_out() && state.queue.is_empty() {
                break; // idle for keep_alive: exit
            }
        }
        state.threads -= 1;
    }
}
