//! The runtime's metrics count local and remote schedules, polls and injector pulls.

mod common;

use common::runtime;
use turtles::task;

#[test]
fn metrics_count_local_and_remote_schedules() {
    let rt = runtime(1);
    rt.block_on(rt.spawn(async {
        for _ in 0..10 {
            task::yield_now().await;
        }
    }))
    .unwrap();
    let m = rt.metrics();
    assert!(m.local_schedules() >= 10, "{m:?}");
    assert!(m.remote_schedules() >= 1, "{m:?}");
    assert!(m.polls() >= 11, "{m:?}");
    assert!(m.injector_pulls() >= 1, "{m:?}");
}
