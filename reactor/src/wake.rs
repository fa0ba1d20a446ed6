//! Waking a `Waker` the reactor does not own, without letting it take the reactor down.
//!
//! Lesson: a `Waker` is user code. The reactor wakes wakers on whichever thread happens
//! to be polling — usually a runtime's worker — in batches (every timer due this turn,
//! every socket that became ready). A waker that panics must not unwind through that
//! thread, and must not stop the rest of the batch from being woken (invariant 6 of
//! ARCHITECTURE.md). The reactor knows no runtime and no task, so a panicking waker
//! belongs to nobody it could report to: it is printed and otherwise ignored.

use std::{
    any::Any,
    panic::{catch_unwind, AssertUnwindSafe},
    task::Waker,
};

/// Wakes `waker`; a panic in it is printed, never propagated. `what` names the waiter
/// ("a timer", "a socket reader") for the message.
pub(crate) fn wake_contained(waker: Waker, what: &str) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| waker.wake())) {
        eprintln!(
            "turtles: the Waker of {what} panicked when the reactor woke it ({}); \
             the reactor carries on and wakes the others",
            message(&*panic)
        );
        // The payload's own `Drop` is user code too.
        let _ = catch_unwind(AssertUnwindSafe(move || drop(panic)));
    }
}

fn message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "a non-string payload"
    }
}
