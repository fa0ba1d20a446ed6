//! The registry of live tasks, so that shutdown can find every one of them.
//!
//! Lesson: a task is kept alive by whoever holds its `Waker`, not by the executor. A
//! task parked forever on a waker that some struct outside the runtime holds is in no
//! queue at all; without this list, dropping the runtime would leak its future
//! (invariant 4 of ARCHITECTURE.md). Each task knows its key here and removes itself when it
//! completes; shutdown closes the registry and drops every future still in it.

use slab::Slab;

use crate::header::NO_KEY;
use crate::shim::{lock, Arc, Mutex};
use crate::task::Runnable;

/// Shards, so that workers spawning and completing tasks at once rarely meet on the
/// same lock. A power of two: the shard is the low bits of a key. 16 came from a profile:
/// with one lock, spawn_many spent ~18% of its time contending on it (BENCHMARKS.md).
const SHARDS: usize = 16;
const SHARD_BITS: u32 = SHARDS.trailing_zeros();

#[derive(Debug, Default)]
pub(crate) struct Registry {
    shards: [Mutex<Shard>; SHARDS],
}

/// One lock's worth of the registry.
#[derive(Debug, Default)]
struct Shard {
    tasks: Slab<Arc<dyn Runnable>>,
    /// Set by shutdown: later spawns are cancelled on the spot.
    closed: bool,
}

impl Registry {
    /// Builds a task with its registry key and records it; `spread` (the task id)
    /// picks the shard. After shutdown the task is built with [`NO_KEY`] and not
    /// recorded; the caller cancels it.
    ///
    /// Keys are 32 bits (they share a word with the task's state, `header.rs`): room
    /// for 2^28 live tasks per shard, 2^32 in all, which is more than memory can hold
    /// (over 100 bytes each).
    pub(crate) fn insert_with<T: Runnable>(
        &self,
        spread: u64,
        make: impl FnOnce(u32) -> Arc<T>,
    ) -> Arc<T> {
        let shard = spread as usize % SHARDS;
        let mut shard_tasks = lock(&self.shards[shard]);
        if shard_tasks.closed {
            drop(shard_tasks);
            return make(NO_KEY);
        }
        let entry = shard_tasks.tasks.vacant_entry();
        let key = u32::try_from((entry.key() << SHARD_BITS) | shard)
            .ok()
            .filter(|&key| key != NO_KEY)
            .expect("more than 2^32 live tasks: a registry key no longer fits in 32 bits");
        let task = make(key);
        entry.insert(task.clone());
        task
    }

    pub(crate) fn remove(&self, key: u32) {
        let key = key as usize;
        let task = lock(&self.shards[key % SHARDS])
            .tasks
            .try_remove(key >> SHARD_BITS);
        drop(task); // outside the lock: this may be the last reference
    }

    /// Shutdown: no more tasks may join; hand back every live one.
    pub(crate) fn close(&self) -> Vec<Arc<dyn Runnable>> {
        let mut all = Vec::new();
        for shard in &self.shards {
            let mut shard = lock(shard);
            shard.closed = true;
            all.extend(shard.tasks.drain());
        }
        all
    }

    /// The first live task that `matches`, for diagnostics.
    pub(crate) fn find(
        &self,
        matches: impl Fn(&Arc<dyn Runnable>) -> bool,
    ) -> Option<Arc<dyn Runnable>> {
        self.shards.iter().find_map(|shard| {
            lock(shard)
                .tasks
                .iter()
                .find(|(_, task)| matches(task))
                .map(|(_, task)| task.clone())
        })
    }

    /// How many live tasks `matches`, for diagnostics.
    pub(crate) fn count(&self, matches: impl Fn(&Arc<dyn Runnable>) -> bool) -> usize {
        self.shards
            .iter()
            .map(|shard| lock(shard).tasks.iter().filter(|(_, t)| matches(t)).count())
            .sum()
    }

    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| lock(shard).tasks.len())
            .sum()
    }
}
