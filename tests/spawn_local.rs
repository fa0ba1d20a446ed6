//! `spawn_local` runs a `!Send` future on the `block_on` thread, and outside
//! `block_on` it panics with the reason.

mod common;

use std::{rc::Rc, thread};

use common::runtime;
use turtles::task;

#[test]
fn spawn_local_runs_an_rc_future_on_the_block_on_thread() {
    let here = thread::current().id();
    let rt = runtime(2);
    let out = rt.block_on(async move {
        let shared = Rc::new(std::cell::Cell::new(0));
        let mine = shared.clone();
        let handle = turtles::spawn_local(async move {
            for _ in 0..3 {
                assert_eq!(thread::current().id(), here);
                mine.set(mine.get() + 1);
                task::yield_now().await;
            }
            mine.get()
        });
        let out = handle.await.unwrap();
        assert_eq!(shared.get(), 3);
        out
    });
    assert_eq!(out, 3);
}

#[test]
fn spawn_local_outside_block_on_panics_with_the_reason() {
    let rt = runtime(1);
    let err = rt
        .block_on(rt.spawn(async { turtles::spawn_local(async {}).detach() }))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("spawn_local was called outside block_on"),
        "{err}"
    );
}
