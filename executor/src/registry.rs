//! The registry of live tasks, so that shutdown can find every one of them.
//!
//! Lesson: a task is kept alive by whoever holds its `Waker`, not by the executor. A
//! task parked forever on a waker that some struct outside the runtime holds is in no
//! queue at all; without this list, dropping the runtime would leak its future
//! (DESIGN.md invariant 4). Each task knows its key here and removes itself when it
//! completes; shutdown closes the registry and drops every future still in it.

use slab::Slab;

use crate::sync::{lock, Arc, Mutex};
use crate::task::Runnable;

#[derive(Debug, Default)]
pub(crate) struct Registry {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    tasks: Slab<Arc<dyn Runnable>>,
    /// Set by shutdown: later spawns are cancelled on the spot.
    closed: bool,
}

impl Registry {
    /// Builds a task with its registry key and records it. After shutdown the task is
    /// built with no key and not recorded; the caller cancels it.
    pub(crate) fn insert_with<T: Runnable>(&self, make: impl FnOnce(Option<usize>) -> Arc<T>) -> Arc<T> {
        let mut inner = lock(&self.inner);
        if inner.closed {
            drop(inner);
            return make(None);
        }
        let entry = inner.tasks.vacant_entry();
        let task = make(Some(entry.key()));
        entry.insert(task.clone());
        task
    }

    pub(crate) fn remove(&self, key: usize) {
        let task = lock(&self.inner).tasks.try_remove(key);
        drop(task); // outside the lock: this may be the last reference
    }

    /// Shutdown: no more tasks may join; hand back every live one.
    pub(crate) fn close(&self) -> Vec<Arc<dyn Runnable>> {
        let mut inner = lock(&self.inner);
        inner.closed = true;
        inner.tasks.drain().collect()
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.inner).tasks.len()
    }
}
