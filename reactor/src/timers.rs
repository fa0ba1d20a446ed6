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
//! Simplification: one mutex around one `BTreeMap`, O(log n) per insert and removal.
//! tokio uses a hierarchical timer wheel (O(1), sharded per worker); the map is the
//! simplest structure that is exact and easy to check with loom. A map per CPU was
//! tried (issue 10, fourth round): `profile sleep_many turtles` (10,000 tasks each
//! sleeping 1 ms on 2 workers) moved 13.2 → 13.0 ms with 7–9% fewer `futex` calls, inside
//! this machine's noise, for a published "plan" that inserts had to compare with (no
//! shard knows the earliest of all) and its loom model. Not worth it on 2 cores; on
//! many cores it may be (BENCHMARKS.md).

use std::{collections::BTreeMap, task::Waker, time::Instant};

use crate::{
    shim::{lock, AtomicUsize, Mutex, Ordering::SeqCst},
    wake::wake_contained,
};

/// Names one entry: its deadline and a unique id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimerKey {
    deadline: Instant,
    id: u64,
}

impl TimerKey {
    /// When the entry fires.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

/// All pending timers of the process.
#[derive(Debug, Default)]
pub struct Timers {
    inner: Mutex<TimerList>,
    /// `entries.len()`, changed under the lock, read without it ([`len`](Self::len),
    /// [`is_empty`](Self::is_empty)). SeqCst: see `AttachedDriver`'s drop.
    count: AtomicUsize,
}

/// The entries, and the next id to hand out.
#[derive(Debug, Default)]
struct TimerList {
    entries: BTreeMap<TimerKey, Waker>,
    next_id: u64,
}

impl Timers {
    /// No timers.
    pub fn new() -> Self {
        Timers::default()
    }

    /// Adds a timer. Returns its key and whether it is now the earliest one — in which
    /// case the driver, asleep until a later deadline, must be woken to re-plan.
    pub fn insert(&self, deadline: Instant, waker: Waker) -> (TimerKey, bool) {
        let mut inner = lock(&self.inner);
        let key = TimerKey {
            deadline,
            id: inner.next_id,
        };
        inner.next_id += 1;
        let earliest = inner.entries.keys().next().is_none_or(|first| key < *first);
        inner.entries.insert(key, waker);
        self.count.fetch_add(1, SeqCst);
        (key, earliest)
    }

    /// Replaces the waker of a pending timer. `false` if the timer already fired (or
    /// was removed): the caller must check its deadline and perhaps insert anew.
    pub fn update_waker(&self, key: TimerKey, waker: &Waker) -> bool {
        match lock(&self.inner).entries.get(&key) {
            None => return false,
            Some(stored) if stored.will_wake(waker) => return true,
            Some(_) => {}
        }
        // A waker's clone and drop are user code: both outside the lock, and the entry
        // looked up again (it may have fired meanwhile).
        let fresh = waker.clone();
        let mut inner = lock(&self.inner);
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
            let mut inner = lock(&self.inner);
            let waker = inner.entries.remove(&key);
            if waker.is_some() {
                self.count.fetch_sub(1, SeqCst);
            }
            waker
        };
        drop(waker); // outside the lock
    }

    /// The nearest deadline, for the driver's poll timeout.
    pub fn next_deadline(&self) -> Option<Instant> {
        lock(&self.inner)
            .entries
            .keys()
            .next()
            .map(TimerKey::deadline)
    }

    /// Removes every timer due at `now` and wakes its task; returns how many fired.
    pub fn fire_due(&self, now: Instant) -> usize {
        let due: Vec<Waker> = {
            let mut inner = lock(&self.inner);
            let mut due = Vec::new();
            while let Some(entry) = inner.entries.first_entry() {
                if entry.key().deadline > now {
                    break;
                }
                due.push(entry.remove());
            }
            if !due.is_empty() {
                self.count.fetch_sub(due.len(), SeqCst);
            }
            due
        };
        let fired = due.len();
        for waker in due {
            // Outside the timer list's lock (the poller's seat is still held: see
            // ARCHITECTURE.md, "Known limitations"). Contained: one
            // panicking waker must not keep the others in this batch asleep.
            wake_contained(waker, "a timer");
        }
        fired
    }

    /// Timers pending right now.
    pub fn len(&self) -> usize {
        self.count.load(SeqCst)
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
    fn insert_reports_a_new_earliest_deadline() {
        let timers = Timers::new();
        let t0 = Instant::now();
        assert!(
            timers
                .insert(t0 + Duration::from_secs(10), Waker::noop().clone())
                .1
        );
        assert!(
            !timers
                .insert(t0 + Duration::from_secs(20), Waker::noop().clone())
                .1
        );
        let (key, earliest) = timers.insert(t0 + Duration::from_secs(1), Waker::noop().clone());
        assert!(earliest);
        timers.remove(key);
        assert_eq!(timers.len(), 2);
    }
}
