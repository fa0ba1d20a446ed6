//! A reactor that cannot start (no file descriptor left at the first use of turtles) is
//! an error, not a panic — and not a verdict for the life of the process: once
//! descriptors are free, the next attempt starts it. Alone in its binary because it
//! exhausts the process's descriptors before anything of turtles has run.

mod common;

use std::{fs::File, time::Duration};

#[test]
fn a_failed_reactor_start_is_retried_once_descriptors_are_free() {
    common::lower_fd_limit(256);

    let mut hog = Vec::new();
    while let Ok(f) = File::open("/dev/null") {
        hog.push(f);
        assert!(hog.len() < 100_000, "the limit did not take effect");
    }
    let err = turtles::Runtime::new().expect_err("no descriptor for epoll");
    assert!(
        err.to_string().contains("could not start its reactor"),
        "{err}"
    );
    assert!(
        turtles::reactor_metrics().is_err(),
        "still failing while exhausted"
    );

    drop(hog);
    let rt = turtles::Runtime::builder()
        .worker_threads(1)
        .build()
        .expect("the reactor starts once descriptors are free");
    rt.block_on(rt.spawn(turtles::time::sleep(Duration::from_millis(10))))
        .unwrap();
}
