//! Adapters that let libraries written against other runtimes' traits run on turtles.
//!
//! Lesson: a library that does I/O needs three things from a runtime: a way to read
//! and write a connection, a way to spawn background work, and a clock to sleep on.
//! hyper asks for exactly these as traits (`hyper::rt::{Read, Write, Executor, Timer}`);
//! implementing them over turtles' streams, `spawn` and `sleep` is all it takes.

#[cfg(feature = "hyper")]
pub mod hyper;
