//! `spawn_local`: tasks that are not `Send`, kept by the one thread that runs them.
//!
//! Lesson — two ways to build a task, side by side:
//!
//! * A `Send` task ([`task`](crate::task)) is an `Arc<Task<F, S>>`, and its `Waker` is
//!   that very `Arc`. Any thread may hold the waker, so the future lives inside something
//!   every thread can reach.
//! * A `!Send` future may not be reachable from another thread at all — and a `Waker`
//!   is `Send`, so without `unsafe` the future can *never* live behind a waker. Here a
//!   task is split in two: a `Send` [`LocalHeader`] (state, output slot, the way home)
//!   that the waker and the `JoinHandle` share, and a thread-bound [`LocalCell`] holding
//!   the future, kept in this thread's `Slab`. Waking pushes the header onto a `Send`
//!   ready list and unparks the thread; the thread itself takes the cell out of the slab
//!   and polls it.
//!
//! (tokio keeps both kinds in one structure and uses `unsafe` to promise that a local
//! task is only touched on its thread; the split is what that promise costs in safe Rust:
//! one allocation more per local task.)
//!
//! The state machine is the same [`State`] the `Send` tasks use, and a local task ends
//! through the same [`Header::complete`]. Cells are taken *out* of the slab before
//! polling and dropping, because a local task that spawns another local task (or drops
//! one) needs the slab while it runs.

use std::{
    cell::{OnceCell, RefCell},
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
    awaiting,
    header::{Header, Outcome},
    join::{Abort, Join, JoinError, JoinHandle},
    meta::TaskMeta,
    panic::PanicHook,
    park::Alarm,
    shim::{lock, thread_local, Arc, Mutex},
    state::{AfterPending, OnStart, OnWake, State},
};

thread_local! {
    // loom's thread_local! takes no `const {}` initializer.
    #[allow(clippy::missing_const_for_thread_local)]
    static LOCAL: RefCell<Option<Rc<LocalSet>>> = RefCell::new(None);
    /// The emptied buffers of this thread's last `block_on`, for its next one.
    #[allow(clippy::missing_const_for_thread_local)]
    static KEPT: RefCell<Kept> = RefCell::new(Kept::default());
}

/// Buffers a `block_on` leaves for the next one on its thread. A slab and a ready list
/// grown from nothing and freed by every `block_on` cost `profile spawn_many_in_task
/// turtles-local` (each round one `block_on` of 10,000 tasks) ~600 instructions per
/// task: the growing copies, and freeing a large buffer makes glibc consolidate every
/// small chunk the finished tasks left (BENCHMARKS.md, "Instructions per operation").
/// Kept up to [`KEEP_AT_MOST`] entries each: unlike a current-thread runtime's core,
/// which keeps its queue's buffer whatever its size and frees it with the runtime,
/// these live as long as the thread.
#[derive(Default)]
struct Kept {
    slab: Slab<LocalSlot>,
    ready: VecDeque<Arc<dyn LocalTask>>,
}

/// See [`Kept`]: 65,536 entries, at most about 2.5 MiB per thread (slab and list).
const KEEP_AT_MOST: usize = 1 << 16;

impl Kept {
    /// The thread's kept buffers (empty, with room), or new ones.
    fn take() -> Kept {
        KEPT.try_with(|kept| std::mem::take(&mut *kept.borrow_mut()))
            .unwrap_or_default()
    }

    /// Keeps emptied buffers for the thread's next `block_on`, unless too large. A slab
    /// that still held a task would hand it to the next `block_on`: none can (nothing
    /// joins a set once it is no longer the thread's), and none is kept.
    fn keep(self) {
        let Kept {
            mut slab,
            mut ready,
        } = self;
        if !slab.is_empty() || slab.capacity() > KEEP_AT_MOST {
            slab = Slab::new();
        }
        if !ready.is_empty() || ready.capacity() > KEEP_AT_MOST {
            ready = VecDeque::new();
        }
        let _ = KEPT.try_with(|kept| *kept.borrow_mut() = Kept { slab, ready });
    }
}

/// The woken local tasks of one `block_on` call, and what wakes its thread; `Send`,
/// unlike the set itself.
#[derive(Debug)]
struct ReadyList {
    queue: Mutex<Ready>,
    alarm: Alarm,
}

#[derive(Default)]
struct Ready {
    tasks: VecDeque<Arc<dyn LocalTask>>,
    /// The `block_on` returned: later wakes are dropped, so no cycle can form through
    /// a waker that outlives its thread's local set.
    closed: bool,
}

impl std::fmt::Debug for Ready {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ready")
            .field("queued", &self.tasks.len())
            .field("closed", &self.closed)
            .finish()
    }
}

impl ReadyList {
    /// Woken tasks ring `alarm`; `tasks` is an empty buffer to queue them in.
    fn new(alarm: Alarm, tasks: VecDeque<Arc<dyn LocalTask>>) -> Self {
        ReadyList {
            queue: Mutex::new(Ready {
                tasks,
                closed: false,
            }),
            alarm,
        }
    }

    fn push(&self, task: Arc<dyn LocalTask>) {
        let mut ready = lock(&self.queue);
        if ready.closed {
            return;
        }
        ready.tasks.push_back(task);
        drop(ready);
        self.alarm.ring();
    }

    fn pop(&self) -> Option<Arc<dyn LocalTask>> {
        lock(&self.queue).tasks.pop_front()
    }

    /// Later wakes are dropped; returns the emptied buffer.
    fn close(&self) -> VecDeque<Arc<dyn LocalTask>> {
        let mut drained = {
            let mut ready = lock(&self.queue);
            ready.closed = true;
            std::mem::take(&mut ready.tasks)
        };
        drained.clear(); // outside the lock: a task's last reference may drop its output
        drained
    }
}

/// The `Send` half of a local task, as the ready list sees it.
trait LocalTask: Send + Sync {
    /// Its slot in the thread's slab.
    fn key(&self) -> usize;
    fn state(&self) -> &State;
}

/// The `Send` half of one local task: what its waker and its `JoinHandle` share.
struct LocalHeader<T> {
    /// Its `key` is the task's slot in the thread's slab.
    header: Header<T>,
    ready: Arc<ReadyList>,
    hook: PanicHook,
}

impl<T: Send + 'static> LocalTask for LocalHeader<T> {
    fn key(&self) -> usize {
        self.header.key as usize
    }
    fn state(&self) -> &State {
        &self.header.state
    }
}

impl<T: Send + 'static> ArcWake for LocalHeader<T> {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        if arc_self.header.state.wake() == OnWake::Schedule {
            arc_self.ready.push(arc_self.clone());
        }
    }
}

impl<T: Send + 'static> Join<T> for LocalHeader<T> {
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

impl<T: Send + 'static> Abort for LocalHeader<T> {
    fn abort(self: Arc<Self>) {
        if self.header.state.abort() == OnWake::Schedule {
            let ready = self.ready.clone();
            ready.push(self);
        }
    }
    fn is_finished(&self) -> bool {
        self.header.state.is_complete()
    }
}

/// The thread-bound half of one local task: the future, with its output type known,
/// and the task's waker, kept here so that a poll lends it rather than cloning it
/// (an `Arc` increment and decrement per poll, when it sat in the slab's slot).
struct LocalCell<F: Future> {
    /// `None` once the future is gone.
    future: Option<Pin<Box<F>>>,
    task: Arc<LocalHeader<F::Output>>,
    waker: Waker,
}

/// What one poll of a local task came to.
enum Polled {
    /// Finished (output or panic), through the completion path: out of the slab.
    Over,
    /// `Pending`, and the poll is over ([`Header::after_pending`]): what to do next.
    Pending(AfterPending),
}

/// A [`LocalCell`] with its future's type erased, as the slab keeps it.
trait LocalRun {
    /// Polls once with the task's own waker; a finished future (output or panic) goes
    /// through the completion path, calling `release` to leave the slab.
    fn poll(&mut self, release: &dyn Fn()) -> Polled;
    /// Drops the future unfinished, through the completion path.
    fn cancel(&mut self, release: &dyn Fn());
}

impl<F> LocalCell<F>
where
    F: Future + 'static,
    F::Output: Send + 'static,
{
    fn complete(&mut self, outcome: Outcome<F::Output>, release: &dyn Fn()) {
        let future = self.future.take();
        let task = &self.task;
        task.header.complete(future, outcome, release, &task.hook);
    }
}

impl<F> LocalRun for LocalCell<F>
where
    F: Future + 'static,
    F::Output: Send + 'static,
{
    fn poll(&mut self, release: &dyn Fn()) -> Polled {
        let future = self
            .future
            .as_mut()
            .expect("a RUNNING local task has its future");
        let mut cx = Context::from_waker(&self.waker);
        let polled = catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx)));
        let recorded = awaiting::take();
        let outcome = match polled {
            Ok(Poll::Pending) => {
                // The poll ends here, where the task's type is known: no dynamic call.
                // The cell is still out of the slab, but only this thread pops the ready
                // list, so a reschedule cannot reach the cell before it is put back.
                return Polled::Pending(self.task.header.after_pending(recorded));
            }
            Ok(Poll::Ready(output)) => Outcome::Ready(output),
            Err(panic) => Outcome::Panicked(panic),
        };
        self.complete(outcome, release);
        Polled::Over
    }

    fn cancel(&mut self, release: &dyn Fn()) {
        self.complete(Outcome::Cancelled, release);
    }
}

/// One slot of the thread's slab.
struct LocalSlot {
    /// `None` while the task is being polled or cancelled.
    cell: Option<Box<dyn LocalRun>>,
}

/// The local tasks of the thread inside one `block_on` call.
///
/// Built at the call's first `spawn_local`: a `block_on` that calls no `spawn_local` —
/// most of them, on a current-thread runtime above all — pays for neither the slab and
/// ready list nor their teardown. Built at `block_on`'s start, they cost ~650 of the
/// 4,666 instructions per round of `profile spawn_one turtles-current` (one
/// `block_on`, one `spawn`, one `.await`; callgrind: 4,666 → 4,010).
pub(crate) struct LocalSet {
    tasks: OnceCell<Tasks>,
    /// For the ready list, once there is one.
    alarm: Alarm,
    hook: PanicHook,
}

/// What a local set holds once it has a task: the slab and the ready list.
struct Tasks {
    slab: RefCell<Slab<LocalSlot>>,
    ready: Arc<ReadyList>,
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
    /// Woken local tasks ring `alarm`.
    pub(crate) fn enter(alarm: Alarm, hook: PanicHook) -> LocalGuard {
        let set = Rc::new(LocalSet {
            tasks: OnceCell::new(),
            alarm,
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
        let tasks = self.tasks.get_or_init(|| {
            let Kept { slab, ready } = Kept::take();
            Tasks {
                slab: RefCell::new(slab),
                ready: Arc::new(ReadyList::new(self.alarm.clone(), ready)),
            }
        });
        tasks.spawn(future, meta, &self.hook)
    }

    /// Polls up to `budget` woken local tasks; returns how many it ran.
    pub(crate) fn run_ready(&self, budget: usize) -> usize {
        self.tasks.get().map_or(0, |tasks| tasks.run_ready(budget))
    }
}

impl Tasks {
    fn spawn<F>(&self, future: F, meta: TaskMeta, hook: &PanicHook) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        let mut slab = self.slab.borrow_mut();
        let slot = slab.vacant_entry();
        // A slab of 2^32 tasks would need hundreds of gigabytes.
        let key = u32::try_from(slot.key()).expect("more than 2^32 local tasks on one thread");
        let task = Arc::new(LocalHeader {
            header: Header::new(meta, key),
            ready: self.ready.clone(),
            hook: hook.clone(),
        });
        slot.insert(LocalSlot {
            cell: Some(Box::new(LocalCell {
                future: Some(Box::pin(future)),
                task: task.clone(),
                waker: futures_task::waker(task.clone()),
            })),
        });
        drop(slab);
        self.ready.push(task.clone());
        JoinHandle::new(task)
    }

    fn run_ready(&self, budget: usize) -> usize {
        let mut ran = 0;
        while ran < budget {
            let Some(task) = self.ready.pop() else {
                break;
            };
            ran += 1;
            match task.state().start() {
                OnStart::Poll => self.poll(task),
                OnStart::Cancel => self.cancel(task.key()),
                OnStart::Finished => {}
            }
        }
        ran
    }

    fn poll(&self, task: Arc<dyn LocalTask>) {
        let key = task.key();
        let mut cell = self.take(key);
        let Polled::Pending(next) = cell.poll(&|| self.release(key)) else {
            return; // completed, and already out of the slab
        };
        self.slab.borrow_mut()[key].cell = Some(cell);
        match next {
            AfterPending::Idle => {}
            AfterPending::Reschedule => self.ready.push(task),
            AfterPending::Cancel => self.cancel(key),
        }
    }

    fn cancel(&self, key: usize) {
        let mut cell = self.take(key);
        cell.cancel(&|| self.release(key));
    }

    /// Takes a task's cell out of the slab, so that it may use the slab while it runs.
    fn take(&self, key: usize) -> Box<dyn LocalRun> {
        self.slab.borrow_mut()[key]
            .cell
            .take()
            .expect("a RUNNING local task has its cell")
    }

    /// The completion path's "leave the books" step for a local task.
    fn release(&self, key: usize) {
        let slot = self.slab.borrow_mut().try_remove(key);
        drop(slot); // outside the borrow
    }

    /// The `block_on` is over: cancels what is left and keeps the emptied buffers.
    fn shut(&self) {
        let ready = self.ready.close();
        // Everything out of the slab first: dropping a future may touch the slab (or
        // call spawn_local).
        let slots: Vec<LocalSlot> = self.slab.borrow_mut().drain().collect();
        for slot in slots {
            if let Some(mut cell) = slot.cell {
                cell.cancel(&|| {});
            }
        }
        let slab = std::mem::take(&mut *self.slab.borrow_mut());
        Kept { slab, ready }.keep();
    }
}

impl Drop for LocalGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = LOCAL.try_with(|l| *l.borrow_mut() = previous);
        if let Some(tasks) = self.set.tasks.get() {
            tasks.shut();
        }
    }
}

/// Runs `f` with this thread's local set hidden. A current-thread runtime polls its
/// tasks on the thread inside `block_on`, but they are not that call's local tasks: a
/// `spawn_local` from one of them would tie the child to this `block_on`, which cancels
/// it on return while its parent runs on in the next one. Hidden, it is refused, as on
/// a worker thread.
pub(crate) fn hidden<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Rc<LocalSet>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let set = self.0.take();
            let _ = LOCAL.try_with(|l| *l.borrow_mut() = set);
        }
    }
    let _restore = Restore(LOCAL.with(|l| l.borrow_mut().take()));
    f()
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
            "spawn_local was called outside block_on's own future: a local task is polled by the \
             `block_on` call that spawned it, and runtime tasks (on worker threads, or on the \
             thread inside a current-thread runtime's `block_on`) belong to no such call. Fix: \
             call spawn_local from the future given to `block_on`, or from another local task; \
             use `spawn` for a Send future."
        ),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::{meta::TaskMeta, panic::default_panic_hook, park::Parker};

    #[test]
    fn a_local_set_is_built_at_its_first_spawn_local() {
        let alarm = Alarm::new(Arc::new(Parker::new(None)), None);
        let guard = LocalSet::enter(alarm, default_panic_hook());
        assert!(guard.tasks.get().is_none(), "built before any spawn_local");
        assert_eq!(guard.run_ready(16), 0);
        let handle = spawn_local(
            async { 7 },
            TaskMeta::new(None, std::panic::Location::caller()),
        );
        assert!(guard.tasks.get().is_some());
        assert_eq!(guard.run_ready(16), 1);
        assert!(handle.is_finished());
    }
}
