//! Who a task is: its id, its optional name and the line of code that spawned it.
//!
//! Lesson: a panic report that says "some task" is useless. Every `spawn` is
//! `#[track_caller]`, so each task carries the `file:line:col` of the call that created
//! it, and diagnostics (`JoinError`, `PanicReport`) can name it.

use std::{fmt, panic::Location, sync::atomic::Ordering::Relaxed};

use crate::shim::{Arc, Counter};

/// Identity of one task; cheap to clone into an error or a report.
#[derive(Clone, Debug)]
pub(crate) struct TaskMeta {
    pub(crate) id: u64,
    /// An `Arc<String>`, not an `Arc<str>`: one pointer instead of two, 8 bytes less in
    /// every task, named or not (the size test in `scheduler.rs`); a name is only read
    /// to report.
    pub(crate) name: Option<Arc<String>>,
    pub(crate) location: &'static Location<'static>,
}

impl TaskMeta {
    pub(crate) fn new(name: Option<Arc<String>>, location: &'static Location<'static>) -> Self {
        // Ids only need to be unique, not ordered with anything: a plain counter (std
        // even under loom, see `shim.rs`).
        static NEXT_ID: Counter = Counter::new(1);
        TaskMeta {
            id: NEXT_ID.fetch_add(1, Relaxed),
            name,
            location,
        }
    }
}

/// `task 'name' (#7) spawned at src/main.rs:10:5`
impl fmt::Display for TaskMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "task '{name}' (#{})", self.id)?,
            None => write!(f, "task #{}", self.id)?,
        }
        write!(f, " spawned at {}", self.location)
    }
}
