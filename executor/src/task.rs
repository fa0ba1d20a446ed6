//! Tasks: spawning, joining, yielding — and what a task is inside: one spawned future,
//! its state, its output slot, and the waker that is the task itself.
//!
//! Lesson: a `Waker` is nothing but a pointer back to the task plus "push me onto a run
//! queue". Here the task *is* its own waker (`Arc<Task<F>>` implements `ArcWake`), so
//! waking never allocates.
//!
//! Layout: two heap allocations per task. One `Arc<Task<F>>` holds the header (state,
//! identity, scheduler, registry key), the output slot and the join waker; the future
//! lives in its own `Pin<Box<F>>`. Why not put the future inside the `Arc` too, as tokio
//! does? Polling needs `Pin<&mut F>`, and from a `Mutex<F>` inside an `Arc` safe Rust can
//! only hand out `&mut F`: pinning it in place would need `unsafe` (`Pin::new_unchecked`)
//! and a proof that it never moves. Boxing it gives a pin for free. That is exactly the
//! kind of thing `unsafe` buys a runtime like tokio: one allocation fewer per task.
//!
//! The same `Arc` is seen three ways: as `Arc<Task<F>>` (the waker), as
//! `Arc<dyn Runnable>` (in run queues and the registry) and as `Arc<dyn Join<T>>` (in the
//! `JoinHandle`). The future's mutex is never contended: the state machine in
//! [`state`](crate::state) guarantees that one thread at a time owns the future.

use std::{
    future::Future,
    panic::{catch_unwind, AssertUnwindSafe},
    pin::Pin,
    task::{Context, Poll},
};

use futures_task::{waker_ref, ArcWake};

pub use crate::join::{JoinError, JoinHandle};
pub use crate::spawn::{spawn, spawn_local, Builder};
pub use crate::yield_now::{yield_now, YieldNow};

use crate::{
    join::{Join, JoinSlot},
    meta::TaskMeta,
    panic::drop_catching,
    scheduler::{self, Scheduler},
    state::{self, State},
    sync::{lock, Arc, LeakTracker, Mutex},
    worker,
};

/// A task as the run queues see it, whatever its future's type.
pub(crate) trait Runnable: Send + Sync + 'static {
    /// Polls the task once (or cancels it). Called only by the thread that popped it.
    fn run(self: Arc<Self>);
    /// Shutdown: drop the future if it is still there and report cancellation.
    fn shut_down(&self);
    /// Who this task is, for diagnostics.
    fn meta(&self) -> &TaskMeta;
    /// The runtime this task belongs to.
    fn scheduler(&self) -> &Arc<Scheduler>;
}

impl std::fmt::Debug for dyn Runnable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.meta())
    }
}

pub(crate) struct Task<F: Future> {
    state: State,
    meta: TaskMeta,
    scheduler: Arc<Scheduler>,
    /// `None` for a task spawned after shutdown, which never enters the registry.
    registry_key: Option<usize>,
    future: Mutex<Option<Pin<Box<F>>>>,
    join: JoinSlot<F::Output>,
    _leak: LeakTracker,
}

impl<F> Task<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    pub(crate) fn new(
        future: F,
        meta: TaskMeta,
        scheduler: Arc<Scheduler>,
        registry_key: Option<usize>,
    ) -> Self {
        Task {
            state: State::new_scheduled(),
            meta,
            scheduler,
            registry_key,
            future: Mutex::new(Some(Box::pin(future))),
            join: JoinSlot::new(),
            _leak: LeakTracker::new(),
        }
    }

    pub(crate) fn registry_key(&self) -> Option<usize> {
        self.registry_key
    }

    /// The owner of the future, once the task is over: record the end, leave the
    /// registry, then hand over the output (waking the `JoinHandle`).
    fn finish(&self, output: Result<F::Output, JoinError>) {
        self.state.complete();
        if let Some(key) = self.registry_key {
            self.scheduler.registry.remove(key);
        }
        // Counted before the handle can see the output, so that a snapshot taken after
        // `.await` on the handle always includes this task.
        worker::count(&self.scheduler, |c| &c.completed);
        self.join.deliver(output, &self.scheduler.panic_hook);
    }

    /// Drops the future outside its lock. A `Drop` impl is user code and may panic:
    /// the panic is returned so it can become the task's result instead of unwinding
    /// through a worker.
    fn drop_future(&self) -> Result<(), Box<dyn std::any::Any + Send>> {
        let future = lock(&self.future).take(); // the guard is gone before the drop runs
        drop_catching(future)
    }

    fn cancel(&self) {
        let output = match self.drop_future() {
            Ok(()) => Err(JoinError::cancelled(&self.meta)),
            Err(panic) => Err(JoinError::panic(&self.meta, panic)),
        };
        self.finish(output);
    }
}

impl<F> Runnable for Task<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn run(self: Arc<Self>) {
        match self.state.start() {
            state::Start::Poll => {}
            state::Start::Cancel => {
                self.cancel();
                return;
            }
            state::Start::Finished => return, // shut down while it sat in a queue
        }

        let waker = waker_ref(&self);
        let mut cx = Context::from_waker(&waker);
        let mut future = lock(&self.future);
        let polled = match future.as_mut() {
            Some(f) => catch_unwind(AssertUnwindSafe(|| f.as_mut().poll(&mut cx))),
            None => unreachable!("a RUNNING task still has its future: only its owner takes it"),
        };
        drop(future);

        let output = match polled {
            Ok(Poll::Pending) => {
                match self.state.after_pending() {
                    state::Pending::Idle => {}
                    state::Pending::Reschedule => {
                        // Woken during its own poll: *we* re-queue it, behind the tasks
                        // already waiting (that is what makes `yield_now` fair).
                        scheduler::schedule(self);
                    }
                    state::Pending::Cancel => self.cancel(),
                }
                return;
            }
            Ok(Poll::Ready(output)) => Ok(output),
            Err(panic) => Err(JoinError::panic(&self.meta, panic)),
        };
        let output = match (self.drop_future(), output) {
            (Err(panic), Ok(_)) => Err(JoinError::panic(&self.meta, panic)),
            (_, output) => output, // a panic in poll wins over one in drop
        };
        self.finish(output);
    }

    fn shut_down(&self) {
        if self.state.complete() {
            let _ = self.drop_future(); // nobody is left to hear about a panic in a drop at shutdown
            self.join.deliver(
                Err(JoinError::cancelled(&self.meta)),
                &self.scheduler.panic_hook,
            );
        }
    }

    fn meta(&self) -> &TaskMeta {
        &self.meta
    }

    fn scheduler(&self) -> &Arc<Scheduler> {
        &self.scheduler
    }
}

impl<F> ArcWake for Task<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn wake(self: Arc<Self>) {
        if self.state.wake() == state::Wake::Schedule {
            scheduler::schedule(self);
        }
    }

    fn wake_by_ref(arc_self: &Arc<Self>) {
        if arc_self.state.wake() == state::Wake::Schedule {
            scheduler::schedule(arc_self.clone());
        }
    }
}

impl<F> Join<F::Output> for Task<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<F::Output, JoinError>> {
        self.join.poll(cx)
    }

    fn abort(self: Arc<Self>) {
        if self.state.abort() == state::Wake::Schedule {
            scheduler::schedule(self);
        }
    }

    fn is_finished(&self) -> bool {
        self.state.is_complete()
    }

    fn detach(&self) {
        self.join.detach(&self.scheduler.panic_hook);
    }
}
