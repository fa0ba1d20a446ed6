//! Combinators: running several futures at once inside *one* task.
//!
//! Lesson: `join!` of three 100 ms sleeps takes 100 ms, not 300 ms. No thread is
//! involved: the combinator is itself a future whose `poll` polls each of its futures
//! in turn, and every one of them leaves the *same* task's waker with whatever it waits
//! for. Whichever wakes the task first gets the combinator polled again, which polls
//! the unfinished ones once more. (.NET's `Task.WhenAll` and `WhenAny` are the same idea.)
//!
//! Everything here works under any executor — turtles, `futures::executor::block_on`,
//! tokio — because it only polls and passes wakers on. Nothing here allocates except
//! `join_all`/`try_join_all` (one box per future), and nothing needs `Unpin` futures or
//! `unsafe`: futures are pinned on the stack (`pin!`) or in a box, never projected.
//!
//! Read in this order: `poll_fn.rs` (a future from a closure), `maybe_done.rs` (one
//! future's slot in a join), `join_macros.rs` (`join!`, `try_join!`), `join_all.rs`,
//! `select.rs` (`select`, `race`, `Either`).

mod poll_fn;
mod maybe_done;
mod join_macros;
mod join_all;
mod select;

pub use join_all::{join_all, try_join_all};
pub use maybe_done::{MaybeDone, TryMaybeDone};
pub use poll_fn::{poll_fn, PollFn};
pub use select::{race, select, Either};
