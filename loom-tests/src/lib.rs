//! Loom models of turtles' concurrent protocols.
//!
//! Lesson: a test runs one interleaving of threads, the one the OS happened to pick.
//! A loom model runs the *same* code under every interleaving (up to a preemption
//! bound), with loom's mutexes, atomics and threads swapped in through the `shim`
//! modules of the executor and the reactor. Each model below is named after the
//! invariant of ARCHITECTURE.md it checks.
//!
//! Run them (they only exist under `--cfg loom`):
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p turtles-loom-tests --release --target-dir target/loom
//! ```
//!
//! The models live in `tests/`; this library holds the small helpers they share.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

#[cfg(loom)]
pub mod helpers;
