//! `JoinSet`: a group of spawned tasks, joined in the order they finish.
//!
//! Lesson: awaiting many handles one after another waits for the slowest first; a
//! set polls only the handles that were woken. Each member's `JoinHandle` is polled
//! with a waker of its own that, when the task finishes, puts the member's key on a
//! *ready* list and wakes whoever awaits the set. `join_next` then looks only at the
//! ready keys: `O(1)` per finished task, however many are still running (the idea of
//! futures' `FuturesUnordered`, in safe code).
//!
//! Dropping the set aborts every task still in it (tokio's rule): a set is a scope,
//! and its tasks do not outlive it unless [`detach_all`](JoinSet::detach_all) says so.

use std::{
    collections::VecDeque,
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll, Wake, Waker},
};

use slab::Slab;

use crate::{
    handle::Handle,
    join::{AbortHandle, JoinError, JoinHandle},
    shim::{lock, Arc, Mutex},
    spawn,
};

/// A set of tasks whose outputs are taken as they finish.
///
/// # Examples
///
/// ```
/// use turtles_executor::JoinSet;
///
/// let rt = turtles_executor::Runtime::new().unwrap();
/// let order = rt.block_on(async {
///     let mut set = JoinSet::new();
///     for turns in [30, 10, 20] {
///         set.spawn(async move {
///             for _ in 0..turns {
///                 turtles_executor::yield_now().await; // stands in for real waiting
///             }
///             turns
///         });
///     }
///     let mut order = Vec::new();
///     while let Some(done) = set.join_next().await {
///         order.push(done.unwrap()); // whichever finished first
///     }
///     order
/// });
/// let mut sorted = order.clone();
/// sorted.sort();
/// assert_eq!(sorted, [10, 20, 30]);
/// ```
pub struct JoinSet<T> {
    members: Slab<Member<T>>,
    ready: Arc<Ready>,
}

struct Member<T> {
    handle: JoinHandle<T>,
    /// Puts this member's key on the ready list.
    waker: Waker,
}

/// The keys of members woken since the set last looked, and the set's own waker.
#[derive(Debug, Default)]
struct Ready {
    keys: Mutex<VecDeque<usize>>,
    owner: Mutex<Option<Waker>>,
}

/// The waker a member's handle is polled with.
struct MemberWaker {
    key: usize,
    ready: Arc<Ready>,
}

impl Wake for MemberWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        lock(&self.ready.keys).push_back(self.key);
        // Taken, not cloned: one wake-up is enough until the owner polls again (and
        // it is woken outside the lock: a waker is user code).
        let owner = lock(&self.ready.owner).take();
        if let Some(owner) = owner {
            owner.wake();
        }
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    ///
    /// # Examples
    ///
    /// ```
    /// let set = turtles_executor::JoinSet::<()>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet {
            members: Slab::new(),
            ready: Arc::new(Ready::default()),
        }
    }

    /// How many tasks are in the set (finished ones count until joined).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = turtles_executor::JoinSet::new();
    ///     set.spawn(async {});
    ///     assert_eq!(set.len(), 1);
    ///     set.join_next().await;
    ///     assert_eq!(set.len(), 0);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the set holds no task.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(turtles_executor::JoinSet::<u8>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Adds a task the caller spawned already (the shared part of every `spawn_*`).
    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let entry = self.members.vacant_entry();
        let key = entry.key();
        let waker = Waker::from(Arc::new(MemberWaker {
            key,
            ready: self.ready.clone(),
        }));
        // Ready from the start: its handle has not been polled, so nothing would
        // wake it otherwise.
        waker.wake_by_ref();
        entry.insert(Member { handle, waker });
        abort
    }

    /// Spawns `future` on the current runtime (as [`spawn`](crate::spawn)) into the set.
    ///
    /// # Panics
    ///
    /// Outside a runtime, as `spawn` does.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let total = rt.block_on(async {
    ///     let mut set = turtles_executor::JoinSet::new();
    ///     for n in 1..=4 {
    ///         set.spawn(async move { n });
    ///     }
    ///     let mut total = 0;
    ///     while let Some(n) = set.join_next().await {
    ///         total += n.unwrap();
    ///     }
    ///     total
    /// });
    /// assert_eq!(total, 10);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(spawn::spawn(future))
    }

    /// Spawns `future` on the runtime behind `handle` into the set.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let mut set = turtles_executor::JoinSet::new();
    /// set.spawn_on(async { 7 }, &rt.handle());
    /// assert_eq!(rt.block_on(set.join_next()).unwrap().unwrap(), 7);
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(handle.spawn(future))
    }

    /// Spawns a `!Send` future on this thread (as [`spawn_local`](crate::spawn_local))
    /// into the set.
    ///
    /// # Panics
    ///
    /// Where `spawn_local` would: outside `block_on`'s own future.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// let out = turtles_executor::block_on(async {
    ///     let mut set = turtles_executor::JoinSet::new();
    ///     let shared = Rc::new(5);
    ///     set.spawn_local(async move { *shared });
    ///     set.join_next().await.unwrap().unwrap()
    /// });
    /// assert_eq!(out, 5);
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
        T: Send + 'static, // as spawn_local: the output may be awaited from anywhere
    {
        self.insert(spawn::spawn_local(future))
    }

    /// Waits for the next task to finish and takes its result; `None` when the set is
    /// empty. Tasks come out in the order they finish, not the order they were added.
    ///
    /// Dropping this future loses nothing: a finished task stays in the set until a
    /// `join_next` returns it.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = turtles_executor::JoinSet::new();
    ///     set.spawn(async { panic!("boom") });
    ///     let err = set.join_next().await.unwrap().unwrap_err();
    ///     assert!(err.is_panic(), "a panic comes out as a JoinError");
    ///     assert!(set.join_next().await.is_none());
    /// });
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// [`join_next`](Self::join_next) as a poll function.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let mut set = turtles_executor::JoinSet::new();
    /// set.spawn_on(async { 1 }, &rt.handle());
    /// let got = rt.block_on(std::future::poll_fn(|cx| set.poll_join_next(cx)));
    /// assert_eq!(got.unwrap().unwrap(), 1);
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.members.is_empty() {
            return Poll::Ready(None);
        }
        // Register before looking: a member that finishes after the ready list was
        // found empty then still wakes us.
        let waker = cx.waker().clone();
        let old = lock(&self.ready.owner).replace(waker);
        drop(old);
        loop {
            let Some(key) = lock(&self.ready.keys).pop_front() else {
                return Poll::Pending;
            };
            // A stale key (its member joined already, the slot maybe reused) costs
            // one spurious poll of a handle, nothing more.
            let Some(member) = self.members.get_mut(key) else {
                continue;
            };
            let mut member_cx = Context::from_waker(&member.waker);
            if let Poll::Ready(result) = Pin::new(&mut member.handle).poll(&mut member_cx) {
                self.members.remove(key);
                return Poll::Ready(Some(result));
            }
        }
    }

    /// The result of a task that has finished already, if any; never waits.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let mut set = turtles_executor::JoinSet::new();
    /// set.spawn_on(async { 3 }, &rt.handle());
    /// // A polling loop only to show the call; a task would await `join_next` instead.
    /// let got = loop {
    ///     if let Some(done) = set.try_join_next() {
    ///         break done.unwrap();
    ///     }
    ///     std::thread::yield_now();
    /// };
    /// assert_eq!(got, 3);
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        match self.poll_join_next(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(result) => result,
            Poll::Pending => None,
        }
    }

    /// Asks every task in the set to stop; each then comes out of `join_next` as a
    /// cancelled `JoinError` (or with its output, if it finished first).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = turtles_executor::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.abort_all();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort_all(&mut self) {
        for (_, member) in &self.members {
            member.handle.abort();
        }
    }

    /// Aborts every task and waits until all have stopped; the set is empty after.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = turtles_executor::JoinSet::new();
    ///     for _ in 0..3 {
    ///         set.spawn(std::future::pending::<()>());
    ///     }
    ///     set.shutdown().await;
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Lets every task run on without the set: they are no longer aborted when it
    /// drops (a panic in one then goes to the unobserved-panic hook).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let mut set = turtles_executor::JoinSet::new();
    /// set.spawn_on(async move { tx.send(()).unwrap() }, &rt.handle());
    /// set.detach_all();
    /// drop(set);
    /// rx.recv().unwrap(); // it ran to the end
    /// ```
    pub fn detach_all(&mut self) {
        self.members.clear();
        lock(&self.ready.keys).clear();
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet")
            .field("len", &self.members.len())
            .finish()
    }
}
