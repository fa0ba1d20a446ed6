//! placeholder
#![forbid(unsafe_code)]
pub use turtles_executor::*;
