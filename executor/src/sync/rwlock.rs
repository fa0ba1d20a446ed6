//! `RwLock`: many readers or one writer, waiting as tasks, served in order.
//!
//! Lesson: the same [`Semaphore`] makes a readers-writer lock by asking for different
//! numbers of permits. A reader takes one of [`MAX_READS`](RwLock::MAX_READS)
//! permits, a writer takes all of them. Because the line is FIFO, a writer in line
//! holds back the readers who come after it: a stream of readers cannot starve a
//! writer (tokio's rule too).
//!
//! How it stays free of `unsafe`: the value lives in an `Arc`. A reader's guard holds
//! a clone of it; a writer, holding every permit, knows no reader's clone is left, so
//! `Arc::get_mut` lends it `&mut T`. A reader drops its clone *before* it gives its
//! permit back: that order is what makes the writer's `get_mut` always succeed.
//!
//! Invariant 7 (ARCHITECTURE.md): readers or one writer, never both.

use std::{
    fmt,
    ops::{Deref, DerefMut},
};

use super::semaphore::Semaphore;
use crate::shim::{lock, Arc, Mutex as StdMutex};

/// An async readers-writer lock, fair (FIFO).
///
/// # Examples
///
/// ```
/// use turtles_executor::sync::RwLock;
///
/// let config = RwLock::new(String::from("v1"));
/// turtles_executor::block_on(async {
///     {
///         let a = config.read().await;
///         let b = config.read().await; // readers share
///         assert_eq!((a.as_str(), b.as_str()), ("v1", "v1"));
///     }
///     config.write().await.push_str("+patch");
///     assert_eq!(&*config.read().await, "v1+patch");
/// });
/// ```
pub struct RwLock<T> {
    semaphore: Semaphore,
    /// `Some` unless a writer holds the lock (its guard owns the `Arc` then).
    value: StdMutex<Option<Arc<T>>>,
}

impl<T> RwLock<T> {
    /// How many readers may hold the lock at once (tokio's limit); a writer takes this
    /// many permits.
    pub const MAX_READS: u32 = u32::MAX >> 3;

    /// An unlocked `RwLock` holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = turtles_executor::sync::RwLock::new(1);
    /// assert_eq!(lock.into_inner(), 1);
    /// ```
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            semaphore: Semaphore::new(Self::MAX_READS as usize),
            value: StdMutex::new(Some(Arc::new(value))),
        }
    }

    /// Waits for shared access, behind any writer already in line.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = turtles_executor::sync::RwLock::new(7);
    /// assert_eq!(*turtles_executor::block_on(lock.read()), 7);
    /// ```
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        self.semaphore
            .acquire()
            .await
            .expect("an RwLock never closes its semaphore")
            .forget();
        let value = lock(&self.value)
            .clone()
            .expect("with a read permit held no writer owns the value");
        RwLockReadGuard {
            lock: self,
            value: Some(value),
        }
    }

    /// Waits for exclusive access: until every reader and writer ahead is done.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = turtles_executor::sync::RwLock::new(vec![1]);
    /// turtles_executor::block_on(async { lock.write().await.push(2) });
    /// assert_eq!(lock.into_inner(), [1, 2]);
    /// ```
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.semaphore
            .acquire_many(Self::MAX_READS)
            .await
            .expect("an RwLock never closes its semaphore")
            .forget();
        let value = lock(&self.value)
            .take()
            .expect("with every permit held nobody else owns the value");
        RwLockWriteGuard {
            lock: self,
            value: Some(value),
        }
    }

    /// The value, consuming the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(turtles_executor::sync::RwLock::new('a').into_inner(), 'a');
    /// ```
    pub fn into_inner(self) -> T {
        let value = self
            .value
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .expect("the value is gone: a write guard was leaked (mem::forget) and took it along");
        Arc::into_inner(value)
            .expect("a read guard was leaked (mem::forget) and keeps a share of the value")
    }
}

impl<T> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let free = self.semaphore.available_permits();
        f.debug_struct("RwLock")
            .field("readers_or_writer", &(Self::MAX_READS as usize - free))
            .finish_non_exhaustive()
    }
}

/// Shared access: derefs to `&T`.
///
/// # Examples
///
/// ```
/// let lock = turtles_executor::sync::RwLock::new(3);
/// let guard = turtles_executor::block_on(lock.read());
/// assert_eq!(*guard + 1, 4);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T> {
    lock: &'a RwLock<T>,
    /// `Some` for the guard's whole life; `None` only inside `drop`.
    value: Option<Arc<T>>,
}

impl<T> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.value.as_ref().expect("a live guard holds the value")
    }
}

impl<T> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        // The clone first, the permit second: a writer that gets the last permit must
        // find the `Arc` unique (see the module docs).
        drop(self.value.take());
        self.lock.semaphore.release(1);
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive access: derefs to `&mut T`.
///
/// # Examples
///
/// ```
/// let lock = turtles_executor::sync::RwLock::new(3);
/// let mut guard = turtles_executor::block_on(lock.write());
/// *guard += 1;
/// assert_eq!(*guard, 4);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T> {
    lock: &'a RwLock<T>,
    /// `Some` for the guard's whole life; `None` only inside `drop`.
    value: Option<Arc<T>>,
}

impl<T> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.value.as_ref().expect("a live guard holds the value")
    }
}

impl<T> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        let value = self.value.as_mut().expect("a live guard holds the value");
        Arc::get_mut(value).expect("every reader dropped its clone before its permit")
    }
}

impl<T> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        *lock(&self.lock.value) = self.value.take();
        self.lock.semaphore.release(RwLock::<T>::MAX_READS as usize);
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
