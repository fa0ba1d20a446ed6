//! What the current thread is doing: which runtime `spawn` should use, and whether it
//! may block.
//!
//! Lesson: `.Result` / `.Wait()` inside async code deadlocks. In Rust the same mistake
//! is calling `block_on` on a thread that is already running async code — a worker, or
//! a thread inside another `block_on`. That thread is then asleep, and the very tasks
//! it waits for may need it to run. Turtles refuses instead of deadlocking: every
//! blocking entry point calls [`assert_may_block`], which panics with the rule and the fix.

use std::cell::RefCell;

use crate::{handle::Handle, shim::thread_local};

/// The role of the current thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Not running async code: may block.
    Free,
    /// A runtime's worker thread.
    Worker,
    /// Inside `block_on`.
    BlockOn,
}

/// The runtime that `spawn` uses on a thread inside `block_on_with`.
#[derive(Clone, Debug)]
pub enum CurrentHandle {
    /// This runtime.
    Handle(Handle),
    /// Resolved on first use: how `turtles::block_on` offers a default runtime without
    /// starting one for programs that never spawn.
    Lazy(fn() -> Handle),
}

#[derive(Debug)]
struct Context {
    role: Role,
    handle: Option<CurrentHandle>,
}

thread_local! {
    // loom's thread_local! takes no `const {}` initializer.
    #[allow(clippy::missing_const_for_thread_local)]
    static CONTEXT: RefCell<Context> = RefCell::new(Context { role: Role::Free, handle: None });
}

/// Restores the previous context when dropped (also when unwinding from a panic).
#[derive(Debug)]
pub(crate) struct EnterGuard {
    previous: Option<Context>,
}

/// Makes this thread a `role` that spawns onto `handle`, until the guard drops.
pub(crate) fn enter(role: Role, handle: Option<CurrentHandle>) -> EnterGuard {
    let previous =
        CONTEXT.with(|c| std::mem::replace(&mut *c.borrow_mut(), Context { role, handle }));
    EnterGuard {
        previous: Some(previous),
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            let _ = CONTEXT.try_with(|c| *c.borrow_mut() = previous);
        }
    }
}

/// The runtime `spawn` should use here, if any.
pub(crate) fn current_handle() -> Option<Handle> {
    let handle = CONTEXT
        .try_with(|c| c.borrow().handle.clone())
        .ok()
        .flatten()?;
    Some(match handle {
        CurrentHandle::Handle(handle) => handle,
        CurrentHandle::Lazy(make) => make(),
    })
}

/// The runtime of this thread: defined here rather than in `handle.rs` because it reads
/// this thread's context.
impl Handle {
    /// The handle of the runtime this thread runs in (a worker, or inside `block_on`).
    ///
    /// # Panics
    ///
    /// Outside any runtime, with a message that says how to get one.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = turtles_executor::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let handle = turtles_executor::Handle::current();
    ///     assert_eq!(handle.spawn(async { 1 }).await.unwrap(), 1);
    /// });
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        Self::try_current().unwrap_or_else(|| {
            panic!(
                "Handle::current() was called outside a runtime: there is no runtime on this thread. \
                 Fix: call it inside `block_on` or from a task, or keep the `Handle` from `Runtime::handle()`."
            )
        })
    }

    /// The current runtime's handle, or `None` outside any runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(turtles_executor::Handle::try_current().is_none());
    /// ```
    pub fn try_current() -> Option<Handle> {
        current_handle()
    }
}

/// Panics if this thread is running async code and so must not block.
#[track_caller]
pub(crate) fn assert_may_block(what: &str) {
    let role = CONTEXT.try_with(|c| c.borrow().role).unwrap_or(Role::Free);
    let place = match role {
        Role::Free => return,
        Role::Worker => "on a runtime worker thread",
        Role::BlockOn => "inside another block_on",
    };
    panic!(
        "{what} was called {place}. The rule is \"async all the way down\": this thread is \
         the one that would run what you are waiting for, so blocking it waits forever (a \
         deadlock; .NET calls it the `.Result` / `.Wait()` trap). \
         Fix: `.await` the future instead of blocking on it; run blocking work (a \
         blocking call, a long computation) with `spawn_blocking`."
    );
}
