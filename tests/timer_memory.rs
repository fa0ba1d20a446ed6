//! A million timeouts, each registered and then dropped, leave no timer entries behind.
//! Alone in its binary so that no other test's timers blur the count.

use std::{future::Future, pin::pin, task::Context, time::Duration};

#[test]
fn a_million_dropped_timeouts_keep_the_timer_list_flat() {
    let before = turtles::reactor_metrics().unwrap().timer_entries();
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let mut peak = 0;
    for i in 0..1_000_000u64 {
        let t = pin!(turtles::time::timeout(
            Duration::from_secs(3600 + i % 7),
            std::future::pending::<()>()
        ));
        assert!(t.poll(&mut cx).is_pending()); // registers its timer
        if i % 10_000 == 0 {
            peak = peak.max(turtles::reactor_metrics().unwrap().timer_entries());
        }
    } // dropped here, every iteration
    let after = turtles::reactor_metrics().unwrap().timer_entries();
    assert_eq!(after, before, "every dropped timeout removed its entry");
    assert!(
        peak <= before + 1,
        "at most the one live timeout at a time, saw {peak}"
    );
}
