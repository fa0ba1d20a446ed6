//! A `block_on` that waits burns no CPU: it sleeps in the reactor until its timer.
//! Alone in its binary, so the process's CPU time is this test's alone.

use std::time::{Duration, Instant};

/// User + system CPU time of the whole process so far, from /proc (clock ticks of 10 ms).
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("Linux /proc");
    // Fields after the command name, which is in parentheses and may contain spaces.
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<u64> = after_name
        .split(' ')
        .skip(11)
        .take(2)
        .map(|f| f.parse().unwrap())
        .collect();
    Duration::from_millis((fields[0] + fields[1]) * 10)
}

#[test]
fn a_sleeping_block_on_burns_no_cpu() {
    // Warm up (start the reactor) before measuring.
    turtles::block_on(turtles::time::sleep(Duration::from_millis(1)));
    let cpu_before = process_cpu();
    let start = Instant::now();
    turtles::block_on(turtles::time::sleep(Duration::from_millis(500)));
    let wall = start.elapsed();
    let cpu = process_cpu() - cpu_before;
    assert!(wall >= Duration::from_millis(500));
    // A spinning wait would use ~500 ms; a parked one rounds to 0 or 1 tick.
    assert!(
        cpu <= Duration::from_millis(50),
        "used {cpu:?} of CPU in {wall:?}"
    );
}
