//! `spawn_local`: tasks that are not `Send`, kept by the one thread that runs them.
//!
//! Lesson — two ways to build a task, side by side:
//!
//! * A `Send` task ([`task`](crate::task)) is an `Arc<Task<F>>`, and its `Waker` is that
//!   very `Arc`. Any thread may hold the waker, so the future lives inside something
//!   every thread can reach.
//! * A `!Send` future may not be reachable from another thread at all — and a `Waker`
//!   is `Send`, so without `unsafe` the future can *never* live behind a waker. Here the
//!   future stays in a thread-owned `Slab`, and the waker carries only the task's key
//!   plus a `Send` handle to this thread's ready list. Waking pushes the key and unparks
//!   the thread; the thread itself takes the future out of the slab and polls it.
//!
//! (tokio keeps both kinds in one structure and uses `unsafe` to promise that a local
//! task is only touched on its thread; the slab is what that promise costs in safe Rust.)
//!
//! The per-task state machine is the same [`State`] the `Send` tasks use. Futures are
//! taken *out* of the slab before polling and dropping, because a local task that
//! spawns another local task (or drops one) needs the slab while it runs.

use std::{
    cell::RefCell,
    collections::VecDeque,
    future::Future,
    panic::{catch_unwind, AssertUnwindSafe},
    pin::Pin,
    rc::Rc,
    task::{Context, Poll, Waker},
};

use futures_task::ArcWake;
use slab::Slab;

use crate::{
    block_on::Wakeups,
    join::{Join, JoinError, JoinHandle, JoinSlot},
    meta::TaskMeta,
    panic::{drop_catching, PanicHook},
    state::{self, State},
    sync::{lock, thread_local, Arc, Mutex},
};

thread_local! {
    // loom's thread_local! takes no `const {}` initializer.
    #[allow(clippy::missing_const_for_thread_local)]
    static LOCAL: RefCell<Option<Rc<LocalSet>>> = RefCell::new(None);
}

type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;

/// The woken local tasks of one `block_on` call; `Send`, unlike the set itself.
#[derive(Debug, Default)]
pub(crate) struct ReadyList {
    inner: Mutex<Ready>,
}

#[derive(Default)]
struct Ready {
    queue: VecDeque<Arc<dyn LocalTask>>,
    /// The `block_on` returned: later wakes are dropped, so no cycle can form through
    /// a waker that outlives its thread's local set.
    closed: bool,
}

impl std::fmt::Debug for Ready {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ready")
            .field("queued", &self.queue.len())
            .field("closed", &self.closed)
            .finish()
    }
}

/// The type-erased side of a local task that the ready list and the set hold.
trait LocalTask: Send + Sync {
    fn key(&self) -> usize;
    fn state(&self) -> &State;
    /// Records the end of the task and hands over a failure.
    fn fail(&self, error: JoinError);
    fn meta(&self) -> &TaskMeta;
}

/// The shared part of one local task: state, output slot, and the way home.
struct LocalHeader<T> {
    key: usize,
    state: State,
    meta: TaskMeta,
    wakeups: Arc<Wakeups>,
    join: JoinSlot<T>,
    hook: PanicHook,
}

impl<T: Send + 'static> LocalHeader<T> {
    fn finish(&self, output: Result<T, JoinError>) {
        self.state.complete();
        self.join.deliver(output, &self.hook);
    }
}

impl<T: Send + 'static> LocalTask for LocalHeader<T> {
    fn key(&self) -> usize {
        self.key
    }
    fn state(&self) -> &State {
        &self.state
    }
    fn fail(&self, error: JoinError) {
        self.finish(Err(error));
    }
    fn meta(&self) -> &TaskMeta {
        &self.meta
    }
}

impl<T: Send + 'static> ArcWake for LocalHeader<T> {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        if arc_self.state.wake() == state::Wake::Schedule {
            arc_self
                .wakeups
                .ready
                .push(arc_self.clone(), &arc_self.wakeups);
        }
    }
}

impl<T: Send + 'static> Join<T> for LocalHeader<T> {
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        self.join.poll(cx)
    }
    fn abort(self: Arc<Self>) {
        if self.state.abort() == state::Wake::Schedule {
            let wakeups = self.wakeups.clone();
            wakeups.ready.push(self, &wakeups);
        }
    }
    fn is_finished(&self) -> bool {
        self.state.is_complete()
    }
    fn detach(&self) {
        self.join.detach(&self.hook);
    }
}

impl ReadyList {
    fn push(&self, task: Arc<dyn LocalTask>, wakeups: &Wakeups) {
        let mut ready = lock(&self.inner);
        if ready.closed {
            return;
        }
        ready.queue.push_back(task);
        drop(ready);
        wakeups.parker.unpark();
    }

    fn pop(&self) -> Option<Arc<dyn LocalTask>> {
        lock(&self.inner).queue.pop_front()
    }

    fn close(&self) {
        let drained = {
            let mut ready = lock(&self.inner);
            ready.closed = true;
            std::mem::take(&mut ready.queue)
        };
        drop(drained);
    }
}

struct Entry {
    /// `None` while the task is being polled.
    future: Option<LocalFuture>,
    task: Arc<dyn LocalTask>,
    waker: Waker,
}

/// The local tasks of the thread inside one `block_on` call.
pub(crate) struct LocalSet {
    tasks: RefCell<Slab<Entry>>,
    wakeups: Arc<Wakeups>,
    hook: PanicHook,
}

/// Installs a local set for this thread; uninstalls it and cancels what is left on drop.
pub(crate) struct LocalGuard {
    set: Rc<LocalSet>,
    previous: Option<Rc<LocalSet>>,
}

impl std::ops::Deref for LocalGuard {
    type Target = LocalSet;
    fn deref(&self) -> &LocalSet {
        &self.set
    }
}

impl LocalSet {
    pub(crate) fn enter(wakeups: Arc<Wakeups>, hook: PanicHook) -> LocalGuard {
        let set = Rc::new(LocalSet {
            tasks: RefCell::new(Slab::new()),
            wakeups,
            hook,
        });
        let previous = LOCAL.with(|l| l.borrow_mut().replace(set.clone()));
        LocalGuard { set, previous }
    }

    fn spawn<F>(&self, future: F, meta: TaskMeta) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        let mut tasks = self.tasks.borrow_mut();
        let entry = tasks.vacant_entry();
        let header = Arc::new(LocalHeader {
            key: entry.key(),
            state: State::new_scheduled(),
            meta,
            wakeups: self.wakeups.clone(),
            join: JoinSlot::new(),
            hook: self.hook.clone(),
        });
        let finisher = header.clone();
        let future: LocalFuture = Box::pin(async move { finisher.finish(Ok(future.await)) });
        entry.insert(Entry {
            future: Some(future),
            task: header.clone(),
            waker: futures_task::waker(header.clone()),
        });
        drop(tasks);
        self.wakeups.ready.push(header.clone(), &self.wakeups);
        JoinHandle::new(header)
    }

    /// Polls up to `budget` woken local tasks; returns how many it ran.
    pub(crate) fn run_ready(&self, budget: usize) -> usize {
        let mut ran = 0;
        while ran < budget {
            let Some(task) = self.wakeups.ready.pop() else {
                break;
            };
            ran += 1;
            match task.state().start() {
                state::Start::Poll => self.poll(&*task),
                state::Start::Cancel => self.cancel(&*task),
                state::Start::Finished => {}
            }
        }
        ran
    }

    fn poll(&self, task: &dyn LocalTask) {
        let key = task.key();
        let (mut future, waker) = {
            let mut tasks = self.tasks.borrow_mut();
            let entry = &mut tasks[key];
            (
                entry
                    .future
                    .take()
                    .expect("a RUNNING local task has its future"),
                entry.waker.clone(),
            )
        };
        let mut cx = Context::from_waker(&waker);
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx))) {
            Ok(Poll::Pending) => {
                self.tasks.borrow_mut()[key].future = Some(future);
                match task.state().after_pending() {
                    state::Pending::Idle => {}
                    state::Pending::Reschedule => {
                        let task = self.tasks.borrow()[key].task.clone();
                        self.wakeups.ready.push(task, &self.wakeups);
                    }
                    state::Pending::Cancel => self.cancel(task),
                }
            }
            // The wrapper future already delivered the output.
            Ok(Poll::Ready(())) => self.remove(key, Some(future)),
            Err(panic) => {
                self.remove(key, Some(future));
                task.fail(JoinError::panic(task.meta(), panic));
            }
        }
    }

    fn cancel(&self, task: &dyn LocalTask) {
        let future = self.tasks.borrow_mut()[task.key()].future.take();
        let result = drop_catching(future);
        self.remove(task.key(), None);
        task.fail(match result {
            Ok(()) => JoinError::cancelled(task.meta()),
            Err(panic) => JoinError::panic(task.meta(), panic),
        });
    }

    fn remove(&self, key: usize, future: Option<LocalFuture>) {
        let entry = self.tasks.borrow_mut().remove(key);
        drop(entry);
        let _ = drop_catching(future); // the task already finished; its drop has no one to tell
    }
}

impl Drop for LocalGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = LOCAL.try_with(|l| *l.borrow_mut() = previous);
        self.set.wakeups.ready.close();
        // The block_on is over: cancel what is left, taking everything out of the slab
        // first because dropping a future may touch the slab (or spawn_local).
        let entries: Vec<Entry> = self.set.tasks.borrow_mut().drain().collect();
        for entry in entries {
            if entry.task.state().complete() {
                let _ = drop_catching(entry.future);
                entry.task.fail(JoinError::cancelled(entry.task.meta()));
            }
        }
    }
}

/// Spawns on this thread's local set.
pub(crate) fn spawn_local<F>(future: F, meta: TaskMeta) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: Send + 'static,
{
    let set = LOCAL.with(|l| l.borrow().clone());
    match set {
        Some(set) => set.spawn(future, meta),
        None => panic!(
            "spawn_local was called outside block_on: a local task is polled by the thread that \
             spawned it, and only a thread inside `block_on` polls local tasks (runtime workers \
             never do). Fix: call spawn_local from the future given to `block_on`, or from another \
             local task; use `spawn` for a Send future."
        ),
    }
}
