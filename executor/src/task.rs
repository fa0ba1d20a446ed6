//! A spawned task: one future, its [`Header`], and the waker that is the task itself —
//! and [`Schedule`], the one thing a task knows about whoever runs it.
//!
//! Lesson: a `Waker` is nothing but a pointer back to the task plus "push me onto a run
//! queue". Here the task *is* its own waker (`Arc<Task<F, S>>` implements `ArcWake`), so
//! waking never allocates. *Which* queue is not the task's business: it hands itself to
//! its scheduler `S` through the [`Schedule`] trait, so the same task runs on the
//! multi-threaded scheduler today and on any other scheduler that implements the trait,
//! without a change to this file. (async-task hands its task a `schedule` closure; tokio
//! makes its task generic over a `Schedule` trait, as here.)
//!
//! Layout: two heap allocations per task. One `Arc<Task<F, S>>` holds the header (state,
//! registry key, identity, output slot) and the scheduler; the future lives in its
//! own `Pin<Box<F>>`. Why not put the future inside the `Arc` too, as tokio does? Polling
//! needs `Pin<&mut F>`, and from a `Mutex<F>` inside an `Arc` safe Rust can only hand out
//! `&mut F`: pinning it in place would need `unsafe` (`Pin::new_unchecked`) and a proof
//! that it never moves. Boxing it gives a pin for free. That is exactly the kind of thing
//! `unsafe` buys a runtime like tokio: one allocation fewer per task.
//!
//! The box is freed at completion, on the thread that completes the task. Keeping it
//! until the task's last reference goes, as tokio's single allocation lives, was tried:
//! a future spawned on one thread and finished on another is then usually freed by the
//! thread that spawned it, into its own malloc arena, and `profile sleep_many turtles`
//! made 65% fewer `futex` calls (438k → 152k: glibc's arena lock). But a finished
//! future's memory then stays pinned by every `JoinHandle`, `AbortHandle` and stray
//! `Waker` clone — a socket keeps up to 1,024 wakers of abandoned waits — and a
//! detached task paid a lock more. Rejected (BENCHMARKS.md).
//!
//! The same `Arc` is seen three ways: as `Arc<Task<F, S>>` (the waker), as
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

use crate::{
    awaiting::{self, Awaiting},
    header::{Header, Outcome, NO_KEY},
    join::{Abort, Join, JoinError},
    meta::TaskMeta,
    panic::PanicHook,
    shim::{lock, Arc, LeakTracker, Mutex},
    state::{AfterPending, OnStart, OnWake},
};

/// What a task needs from whoever runs it.
pub(crate) trait Schedule: Send + Sync + Sized + 'static {
    /// The task just moved to SCHEDULED (a wake, an abort, a reschedule after a poll):
    /// put it in a run queue. Called exactly once per such transition.
    fn schedule(&self, task: Arc<dyn Runnable>);
    /// The task is over: take it off the books. `key` is the registry key it was built
    /// with (`None` if it was spawned after shutdown and never registered).
    fn release(&self, key: Option<u32>);
    /// Where panics go that no `JoinHandle` can observe.
    fn panic_hook(&self) -> &PanicHook;
}

/// What the thread that ran a task must do with it afterwards.
#[must_use = "a task woken during its own poll is lost unless the caller re-queues it"]
pub(crate) enum AfterRun {
    /// Nothing: it waits for a wake, or it is finished.
    Done,
    /// It was woken during its poll (NOTIFIED --> SCHEDULED): the caller re-queues it, at
    /// the back of its own queue. Handing the task back, rather than calling `schedule`
    /// from inside the task, costs no reference-count traffic on the hottest path there
    /// is (`yield_now`), and the worker needs no thread-local lookup to find its queue.
    Reschedule(Arc<dyn Runnable>),
}

/// A task as the run queues and the registry see it, whatever its future's type.
pub(crate) trait Runnable: Send + Sync + 'static {
    /// Polls the task once (or cancels it). Called only by the thread that popped it.
    fn run(self: Arc<Self>) -> AfterRun;
    /// Shutdown: if the future is still there, drop it and finish the task as cancelled.
    fn shut_down(&self);
    /// Who this task is, for diagnostics.
    fn meta(&self) -> &TaskMeta;
    /// Where it last waited, for diagnostics (`awaiting.rs`).
    fn awaiting(&self) -> Option<Awaiting>;
    /// Whether it sits in a run queue right now, for diagnostics.
    fn is_queued(&self) -> bool;
}

impl std::fmt::Debug for dyn Runnable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.meta())
    }
}

/// A `Send` task, run by the scheduler `S`.
///
/// `repr(C)` keeps the fields in this order: what every poll touches (the future's
/// mutex, the state at the head of the header) shares the first cache line, and the
/// join slot, touched at the end and by polls that record where the task waits (a
/// sleep, a socket; not a yield), comes last. Left to the compiler, the header's large
/// join slot once landed in front of the mutex, a third cache line per task, and
/// `yield_many` (200 tasks polled round-robin) ran about 40% slower (BENCHMARKS.md).
/// At 104 bytes the whole task now spans two cache lines.
#[repr(C)]
pub(crate) struct Task<F: Future, S> {
    /// `None` once the future is gone (finished, cancelled or shut down).
    future: Mutex<Option<Pin<Box<F>>>>,
    scheduler: Arc<S>,
    /// Its `key` is the scheduler's registry key.
    header: Header<F::Output>,
    _leak: LeakTracker,
}

impl<F, S> Task<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    /// `registry_key`: [`NO_KEY`] for a task spawned after shutdown, never registered.
    pub(crate) fn new(future: F, meta: TaskMeta, scheduler: Arc<S>, registry_key: u32) -> Self {
        Task {
            header: Header::new(meta, registry_key),
            scheduler,
            future: Mutex::new(Some(Box::pin(future))),
            _leak: LeakTracker::new(),
        }
    }

    pub(crate) fn registry_key(&self) -> Option<u32> {
        (self.header.key != NO_KEY).then_some(self.header.key)
    }

    /// The completion path (`header.rs`), with this task's future, scheduler and key.
    fn complete(&self, outcome: Outcome<F::Output>) {
        let future = lock(&self.future).take(); // the guard is gone before the drop runs
        self.finish(future, outcome);
    }

    /// [`Task::complete`] with the future already out of its slot.
    fn finish(&self, future: Option<Pin<Box<F>>>, outcome: Outcome<F::Output>) {
        self.header.complete(
            future,
            outcome,
            || self.scheduler.release(self.registry_key()),
            self.scheduler.panic_hook(),
        );
    }
}

impl<F, S> Runnable for Task<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    fn run(self: Arc<Self>) -> AfterRun {
        match self.header.state.start() {
            OnStart::Poll => {}
            OnStart::Cancel => {
                self.complete(Outcome::Cancelled);
                return AfterRun::Done;
            }
            OnStart::Finished => return AfterRun::Done, // shut down while it sat in a queue
        }

        // `waker_ref` lends the task's own `Arc` as the waker without bumping its
        // reference count: a poll costs no atomic increment and decrement, and only a
        // future that keeps the waker (`clone`) pays for one.
        let waker = waker_ref(&self);
        let mut cx = Context::from_waker(&waker);
        let mut slot = lock(&self.future);
        let polled = match slot.as_mut() {
            Some(f) => catch_unwind(AssertUnwindSafe(|| f.as_mut().poll(&mut cx))),
            None => unreachable!("a RUNNING task still has its future: only its owner takes it"),
        };
        // Taken whatever the poll returned, so that it cannot leak into the next task.
        let recorded = awaiting::take();

        let outcome = match polled {
            Ok(Poll::Pending) => {
                drop(slot); // before the task can have another owner
                return match self.header.after_pending(recorded) {
                    AfterPending::Idle => AfterRun::Done,
                    // Woken during its own poll: the caller re-queues it, behind the tasks
                    // already waiting (that is what makes `yield_now` fair).
                    AfterPending::Reschedule => AfterRun::Reschedule(self),
                    AfterPending::Cancel => {
                        self.complete(Outcome::Cancelled);
                        AfterRun::Done
                    }
                };
            }
            Ok(Poll::Ready(output)) => Outcome::Ready(output),
            Err(panic) => Outcome::Panicked(panic),
        };
        // A finished future leaves its slot under the lock it was polled under, rather
        // than the completion path taking that lock again: one lock fewer per task
        // (callgrind, `spawn_many_in_task`). It is dropped in `finish`, the guard gone.
        let future = slot.take();
        drop(slot);
        self.finish(future, outcome);
        AfterRun::Done
    }

    fn shut_down(&self) {
        // Shutdown runs after every worker stopped: nobody else can own the future, and
        // an empty slot means the task already completed.
        if lock(&self.future).is_some() {
            self.complete(Outcome::Cancelled);
        }
    }

    fn meta(&self) -> &TaskMeta {
        &self.header.meta
    }

    fn awaiting(&self) -> Option<Awaiting> {
        self.header.join.awaiting()
    }

    fn is_queued(&self) -> bool {
        self.header.state.is_scheduled()
    }
}

impl<F, S> ArcWake for Task<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    fn wake_by_ref(arc_self: &Arc<Self>) {
        if arc_self.header.state.wake() == OnWake::Schedule {
            arc_self.scheduler.schedule(arc_self.clone());
        }
    }
}

impl<F, S> Join<F::Output> for Task<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<F::Output, JoinError>> {
        self.header.poll_join(cx)
    }

    fn meta(&self) -> &TaskMeta {
        &self.header.meta
    }

    fn detach(&self) {
        self.header.detach(self.scheduler.panic_hook());
    }

    fn is_ready(&self) -> bool {
        self.header.join.is_ready()
    }
}

impl<F, S> Abort for Task<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    fn abort(self: Arc<Self>) {
        if self.header.state.abort() == OnWake::Schedule {
            self.scheduler.schedule(self.clone());
        }
    }
    fn is_finished(&self) -> bool {
        self.header.state.is_complete()
    }
}
