//! `Mutex`: a lock whose waiters sleep as tasks, not as threads, served in order.
//!
//! Lesson: an async mutex is a [`Semaphore`] with one permit plus the value it
//! guards. `lock().await` waits in the semaphore's line, so a task that finds the lock
//! taken frees its thread, and the lock goes to waiters first come, first served.
//! Use it when the guard must live across an `.await`; for a few plain assignments a
//! `std::sync::Mutex` is cheaper and fine (it is never held while waiting).
//!
//! How it stays free of `unsafe`: the value lives in a `std` mutex that is only
//! touched for an instant. The task holding the permit *takes the value out* into its
//! guard and puts it back when the guard drops. tokio instead lends `&mut T` out of an
//! `UnsafeCell`; the price here is a move of `T` per lock, and a guard that owns `T`
//! (so a guard leaked with `mem::forget` takes the value with it).
//!
//! Invariant 7 (ARCHITECTURE.md): one guard at a time; a dropped `lock()` future
//! passes the lock on.

use std::{
    fmt,
    ops::{Deref, DerefMut},
};

use super::semaphore::Semaphore;
use crate::shim::{lock, Arc, Mutex as StdMutex};

/// An async mutual-exclusion lock, fair (FIFO).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use turtles_executor::sync::Mutex;
///
/// let rt = turtles_executor::Runtime::new().unwrap();
/// let count = Arc::new(Mutex::new(0));
/// let tasks: Vec<_> = (0..10)
///     .map(|_| {
///         let count = count.clone();
///         rt.spawn(async move {
///             let mut n = count.lock().await;
///             turtles_executor::yield_now().await; // the guard lives across an await
///             *n += 1;
///         })
///     })
///     .collect();
/// for task in tasks {
///     rt.block_on(task).unwrap();
/// }
/// assert_eq!(*rt.block_on(count.lock()), 10);
/// ```
pub struct Mutex<T> {
    semaphore: Semaphore,
    /// `Some` while nobody holds the lock; the guard owns the value meanwhile.
    value: StdMutex<Option<T>>,
}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = turtles_executor::sync::Mutex::new(5);
    /// assert_eq!(m.into_inner(), 5);
    /// ```
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            semaphore: Semaphore::new(1),
            value: StdMutex::new(Some(value)),
        }
    }

    /// Waits for the lock. Dropping the future while it waits gives up its place,
    /// and if the lock had already been handed to it, passes the lock on.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = turtles_executor::sync::Mutex::new(String::new());
    /// turtles_executor::block_on(async {
    ///     m.lock().await.push_str("hi");
    /// });
    /// assert_eq!(m.into_inner(), "hi");
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        self.semaphore
            .acquire()
            .await
            .expect("a Mutex never closes its semaphore")
            .forget();
        self.take()
    }

    /// Like [`lock`](Self::lock), for a mutex in an `Arc`: the guard owns a clone, so it
    /// is `'static` and can move into a spawned task.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// let m = Arc::new(turtles_executor::sync::Mutex::new(0));
    /// let mut guard = rt.block_on(m.clone().lock_owned());
    /// let task = rt.spawn(async move { *guard += 1 }); // the guard moves into the task
    /// rt.block_on(task).unwrap();
    /// assert_eq!(*rt.block_on(m.lock()), 1);
    /// ```
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        self.semaphore
            .acquire()
            .await
            .expect("a Mutex never closes its semaphore")
            .forget();
        let value = self.take_value();
        OwnedMutexGuard {
            mutex: self,
            value: Some(value),
        }
    }

    /// Takes the lock if it is free and nobody waits for it.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if the lock is held or others wait in line.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = turtles_executor::sync::Mutex::new(1);
    /// let guard = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_err(), "held");
    /// drop(guard);
    /// assert!(m.try_lock().is_ok());
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.semaphore.try_acquire() {
            Ok(permit) => {
                permit.forget();
                Ok(self.take())
            }
            Err(_) => Err(TryLockError(())),
        }
    }

    /// The value, through `&mut self`: no lock needed when nobody else can see it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = turtles_executor::sync::Mutex::new(1);
    /// *m.get_mut() += 1;
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .as_mut()
            .expect("the value is gone: a MutexGuard was leaked (mem::forget) and took it along")
    }

    /// The value, consuming the mutex.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(turtles_executor::sync::Mutex::new("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        self.value
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .expect("the value is gone: a MutexGuard was leaked (mem::forget) and took it along")
    }

    /// Called holding the one permit: the value is ours to take out.
    fn take(&self) -> MutexGuard<'_, T> {
        MutexGuard {
            mutex: self,
            value: Some(self.take_value()),
        }
    }

    fn take_value(&self) -> T {
        lock(&self.value)
            .take()
            .expect("the permit's holder is the only one who takes the value")
    }

    /// A guard's drop: the value goes home before the permit is given back, for the
    /// next holder must find it there (also on unwind: a panic while locked does not
    /// lose it).
    fn put_back(&self, value: Option<T>) {
        *lock(&self.value) = value;
        self.semaphore.release(1);
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex")
            .field("locked", &(self.semaphore.available_permits() == 0))
            .finish_non_exhaustive()
    }
}

/// The lock held: derefs to the value; dropping it unlocks and serves the next in
/// line.
///
/// # Examples
///
/// ```
/// let m = turtles_executor::sync::Mutex::new(vec![1]);
/// let mut guard = m.try_lock().unwrap();
/// guard.push(2);
/// assert_eq!(*guard, [1, 2]);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
    /// `Some` for the guard's whole life; `None` only inside `drop`.
    value: Option<T>,
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.value.as_ref().expect("a live guard owns the value")
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value.as_mut().expect("a live guard owns the value")
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.put_back(self.value.take());
    }
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The lock held through an `Arc` of the mutex ([`Mutex::lock_owned`]): `'static`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// let m = Arc::new(turtles_executor::sync::Mutex::new(1));
/// let guard: turtles_executor::sync::OwnedMutexGuard<i32> =
///     turtles_executor::block_on(m.lock_owned());
/// assert_eq!(*guard, 1);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedMutexGuard<T> {
    mutex: Arc<Mutex<T>>,
    /// `Some` for the guard's whole life; `None` only inside `drop`.
    value: Option<T>,
}

impl<T> Deref for OwnedMutexGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.value.as_ref().expect("a live guard owns the value")
    }
}

impl<T> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value.as_mut().expect("a live guard owns the value")
    }
}

impl<T> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.mutex.put_back(self.value.take());
    }
}

impl<T: fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// [`Mutex::try_lock`] found the lock taken.
///
/// # Examples
///
/// ```
/// let m = turtles_executor::sync::Mutex::new(());
/// let _held = m.try_lock().unwrap();
/// assert_eq!(m.try_lock().unwrap_err().to_string(), "the mutex is locked");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryLockError(());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the mutex is locked")
    }
}

impl std::error::Error for TryLockError {}
