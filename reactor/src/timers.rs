//! The timer list: deadlines in order, each with the `Waker` of the task that waits.
//!
//! Lesson: a sleeping task holds no thread either. `sleep(1s)` stores a deadline and a
//! waker here; the thread that drives the reactor sleeps in `epoll_wait` no longer than
//! the nearest deadline, then wakes every task whose deadline has passed.
//!
//! A `BTreeMap` keyed by `(deadline, id)` keeps them sorted; the id makes equal
//! deadlines distinct and lets a dropped `Sleep` remove exactly its own entry, so a
//! program that creates and drops a million timeouts keeps this map small.
//!
//! Sharded: one map per CPU (at most 8), each behind its own mutex. A thread puts its
//! timers in its home shard and a key remembers its shard, so workers that arm and
//! cancel timers at once no longer queue on one lock. With a single map,
//! `timers/sleep_many` (10,000 tasks each sleeping 1 ms on 2 workers) showed
//! `Timers::insert` and `Timers::remove` in `lock_contended`, and sharding took ~7% of
//! its `futex` calls away (BENCHMARKS.md). The price is paid by the driver, once per
//! turn: the nearest deadline is the minimum over the shards, and firing visits each.
//!
//! The plan: no shard knows whether a new timer is the earliest of all, yet a poller
//! asleep until a later deadline must be woken for it. So the poller publishes the
//! deadline it sleeps towards ([`Timers::publish_plan`]) and an insert compares with that. The
//! poller first marks the plan unknown, then reads the shards, then publishes: a timer
//! inserted after the poller read its shard finds the mark or the new plan, never an
//! older plan (the `reactor` loom model `a_timer_armed_while_the_poller_plans_is_seen_or_reported`).
//!
//! Simplification: O(log n) per insert and removal. tokio uses a hierarchical timer
//! wheel (O(1), sharded per worker); the map is the simplest structure that is exact
//! and easy to check with loom.

use std::{collections::BTreeMap, task::Waker, time::Instant};

use crate::{
    shim::{lock, AtomicUsize, Mutex, MutexGuard, Ordering::SeqCst},
    wake::wake_contained,
};

/// Names one entry: its deadline, a unique id, and the shard that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimerKey {
    deadline: Instant,
    id: u64,
    shard: u32,
}

impl TimerKey {
    /// When the entry fires.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

/// All pending timers of the process.
#[derive(Debug)]
pub struct Timers {
    shards: Box<[Shard]>,
    /// The deadline the poller sleeps towards ([`Timers::publish_plan`]), in nanoseconds after
    /// `base`, plus one; [`PLANNING`] while it reads the shards, [`NO_PLAN`] if it
    /// sleeps with no timer to wait for.
    planned: AtomicUsize,
    base: Instant,
}

/// One shard: its entries behind its lock, and their number beside it.
#[derive(Debug, Default)]
struct Shard {
    list: Mutex<TimerList>,
    /// `list.entries.len()`, changed under the lock, read without it
    /// ([`len`](Timers::len), [`is_empty`](Timers::is_empty)). One per shard, so that
    /// threads arming timers in their own shards share no counter either. SeqCst: see
    /// `AttachedDriver`'s drop.
    count: AtomicUsize,
}

/// One shard's entries, and the next id it hands out.
#[derive(Debug, Default)]
struct TimerList {
    entries: BTreeMap<TimerKey, Waker>,
    next_id: u64,
}

/// Shards at most: more would only make the driver's turn longer.
const MAX_SHARDS: usize = 8;

/// `planned` while the poller reads the shards: every insert is reported.
const PLANNING: usize = 0;
/// `planned` when the poller waits for no timer: every insert is reported.
const NO_PLAN: usize = usize::MAX;

/// The calling thread's shard: threads are numbered in the order they first arm a
/// timer. Only a hint for spreading the load: which shard holds an entry never changes
/// what fires when (the loom models pick shards with `insert_in`).
fn home_shard(shards: usize) -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    static THREADS: AtomicUsize = AtomicUsize::new(0);
    thread_local!(static HOME: usize = THREADS.fetch_add(1, Relaxed));
    // At thread exit (a `Sleep` dropped by a thread-local's destructor) any shard will do.
    HOME.try_with(|home| *home).unwrap_or(0) % shards
}

impl Default for Timers {
    fn default() -> Self {
        Timers::new()
    }
}

impl Timers {
    /// No timers; one shard per CPU, at most [`MAX_SHARDS`].
    pub fn new() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Timers::with_shards(cpus.min(MAX_SHARDS))
    }

    /// No timers, in `shards` shards (at least one): for the loom models, which need
    /// more than one whatever the machine.
    #[doc(hidden)]
    pub fn with_shards(shards: usize) -> Self {
        Timers {
            shards: (0..shards.max(1)).map(|_| Shard::default()).collect(),
            planned: AtomicUsize::new(NO_PLAN),
            base: Instant::now(),
        }
    }

    /// `deadline` as `planned` holds it: nanoseconds after `base`, plus one (0 is
    /// [`PLANNING`]). 64-bit targets only, as everywhere in the reactor (`sources.rs`).
    fn encode(&self, deadline: Instant) -> usize {
        let nanos = deadline.saturating_duration_since(self.base).as_nanos();
        usize::try_from(nanos).map_or(NO_PLAN - 1, |n| n.saturating_add(1).min(NO_PLAN - 1))
    }

    fn shard_of(&self, key: &TimerKey) -> (&AtomicUsize, MutexGuard<'_, TimerList>) {
        let shard = &self.shards[key.shard as usize];
        (&shard.count, lock(&shard.list))
    }

    /// Adds a timer in the calling thread's shard. Returns its key and whether it is
    /// due before the poller's plan (or the plan is being made) — in which case a
    /// poller asleep must be woken to re-plan (see the module docs).
    pub fn insert(&self, deadline: Instant, waker: Waker) -> (TimerKey, bool) {
        self.insert_in(home_shard(self.shards.len()), deadline, waker)
    }

    /// [`insert`](Self::insert) into shard `shard` (modulo the shard count), whoever
    /// calls: for the loom models, whose threads all share one home shard.
    #[doc(hidden)]
    pub fn insert_in(&self, shard: usize, deadline: Instant, waker: Waker) -> (TimerKey, bool) {
        let shard = shard % self.shards.len();
        let key = {
            let shard_count = &self.shards[shard].count;
            let mut inner = lock(&self.shards[shard].list);
            let key = TimerKey {
                deadline,
                id: inner.next_id,
                shard: shard as u32, // < MAX_SHARDS
            };
            inner.next_id += 1;
            inner.entries.insert(key, waker);
            shard_count.fetch_add(1, SeqCst);
            key
        };
        // After the insert (SeqCst): see the module docs.
        let planned = self.planned.load(SeqCst);
        let before_plan = planned == PLANNING || self.encode(deadline) < planned;
        (key, before_plan)
    }

    /// The poller's plan: the nearest deadline, which it then sleeps towards, published
    /// so that an earlier timer inserted from now on is reported by `insert`.
    pub fn publish_plan(&self) -> Option<Instant> {
        self.planned.store(PLANNING, SeqCst);
        let next = self.next_deadline();
        let planned = next.map_or(NO_PLAN, |deadline| self.encode(deadline));
        self.planned.store(planned, SeqCst);
        next
    }

    /// Replaces the waker of a pending timer. `false` if the timer already fired (or
    /// was removed): the caller must check its deadline and perhaps insert anew.
    pub fn update_waker(&self, key: TimerKey, waker: &Waker) -> bool {
        match self.shard_of(&key).1.entries.get(&key) {
            None => return false,
            Some(stored) if stored.will_wake(waker) => return true,
            Some(_) => {}
        }
        // A waker's clone and drop are user code: both outside the lock, and the entry
        // looked up again (it may have fired meanwhile).
        let fresh = waker.clone();
        let (_, mut inner) = self.shard_of(&key);
        let Some(stored) = inner.entries.get_mut(&key) else {
            drop(inner);
            drop(fresh);
            return false;
        };
        let old = std::mem::replace(stored, fresh);
        drop(inner);
        drop(old);
        true
    }

    /// Removes a timer (its `Sleep` was dropped). Harmless if it already fired.
    pub fn remove(&self, key: TimerKey) {
        let waker = {
            let (count, mut inner) = self.shard_of(&key);
            let waker = inner.entries.remove(&key);
            if waker.is_some() {
                count.fetch_sub(1, SeqCst);
            }
            waker
        };
        drop(waker); // outside the lock
    }

    /// The nearest deadline, for the driver's poll timeout.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.shards
            .iter()
            .filter_map(|shard| {
                let list = lock(&shard.list);
                list.entries.keys().next().map(TimerKey::deadline)
            })
            .min()
    }

    /// Removes every timer due at `now` and wakes its task; returns how many fired.
    /// Each shard's timers are woken in deadline order, one shard after another: all of
    /// them are due, and no order among them is promised.
    pub fn fire_due(&self, now: Instant) -> usize {
        let mut due: Vec<Waker> = Vec::new();
        for shard in self.shards.iter() {
            let mut inner = lock(&shard.list);
            let before = due.len();
            while let Some(entry) = inner.entries.first_entry() {
                if entry.key().deadline > now {
                    break;
                }
                due.push(entry.remove());
            }
            if due.len() > before {
                shard.count.fetch_sub(due.len() - before, SeqCst);
            }
        }
        let fired = due.len();
        for waker in due {
            // Outside the shards' locks (the poller's seat is still held: see
            // ARCHITECTURE.md, "Known limitations"). Contained: one
            // panicking waker must not keep the others in this batch asleep.
            wake_contained(waker, "a timer");
        }
        fired
    }

    /// Timers pending right now.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.count.load(SeqCst))
            .sum()
    }

    /// No timer is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::{
        sync::{Arc, Mutex as StdMutex},
        task::Wake,
        time::Duration,
    };

    struct Record(Arc<StdMutex<Vec<u32>>>, u32);
    impl Wake for Record {
        fn wake(self: Arc<Self>) {
            self.0.lock().unwrap().push(self.1);
        }
    }

    #[test]
    fn fires_in_deadline_order_and_only_when_due() {
        let timers = Timers::new();
        let log = Arc::new(StdMutex::new(Vec::new()));
        let t0 = Instant::now();
        for (n, ms) in [(3, 30), (1, 10), (2, 20)] {
            timers.insert(
                t0 + Duration::from_millis(ms),
                Arc::new(Record(log.clone(), n)).into(),
            );
        }
        assert_eq!(timers.next_deadline(), Some(t0 + Duration::from_millis(10)));
        assert_eq!(timers.fire_due(t0 + Duration::from_millis(9)), 0);
        assert_eq!(timers.fire_due(t0 + Duration::from_millis(20)), 2);
        assert_eq!(timers.fire_due(t0 + Duration::from_millis(100)), 1);
        assert_eq!(*log.lock().unwrap(), vec![1, 2, 3]);
        assert_eq!(timers.len(), 0);
    }

    #[test]
    fn insert_reports_a_deadline_before_the_pollers_plan() {
        let timers = Timers::with_shards(2);
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        // No plan yet: the poller waits for no timer, so any timer is news.
        assert!(timers.insert_in(0, at(10), Waker::noop().clone()).1);
        assert_eq!(timers.publish_plan(), Some(at(10)));
        // Later than the plan, even alone in its shard: no need to wake the poller
        // (each was reported before, when the shard was empty: hostile review).
        assert!(!timers.insert_in(1, at(30), Waker::noop().clone()).1);
        assert!(!timers.insert_in(0, at(20), Waker::noop().clone()).1);
        // Earlier than the plan, in either shard: the poller must re-plan.
        let (key, before) = timers.insert_in(1, at(1), Waker::noop().clone());
        assert!(before);
        timers.remove(key);
        assert_eq!(timers.len(), 3);
    }

    /// The nearest deadline and the firing look at every shard, and a key finds its
    /// own shard from any thread.
    #[test]
    fn shards_are_one_list_to_the_driver() {
        let timers = Arc::new(Timers::with_shards(2));
        let t0 = Instant::now();
        let (mine, _) = timers.insert(t0 + Duration::from_millis(20), Waker::noop().clone());
        // Threads take the next home shard in turn: a new thread soon lands elsewhere.
        let theirs = (0..64)
            .map(|_| {
                let timers = timers.clone();
                std::thread::spawn(move || {
                    timers.insert(t0 + Duration::from_millis(10), Waker::noop().clone())
                })
                .join()
                .unwrap()
                .0
            })
            .find(|key| key.shard != mine.shard)
            .expect("64 new threads all had the test thread's home shard");
        assert_eq!(timers.next_deadline(), Some(theirs.deadline()));
        assert_eq!(timers.fire_due(t0 + Duration::from_millis(15)), 1);
        let remover = {
            let timers = timers.clone();
            std::thread::spawn(move || timers.remove(mine))
        };
        remover.join().unwrap();
        assert_eq!(timers.len(), 0);
    }
}
