//! Helpers shared by the executor's test binaries: the patience for waits, the text of
//! a caught panic, a runtime of `n` workers, and fixtures that count polls and drops.

// Every test binary compiles this module but uses only some of it.
#![allow(dead_code)]

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        Arc,
    },
    task::{Context, Poll},
    thread,
    time::Duration,
};

use turtles::Runtime;

/// Generous: CI shares two noisy cores.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The text of a caught panic, whether it was built with format arguments or not.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

pub fn runtime(workers: usize) -> Runtime {
    Runtime::builder()
        .worker_threads(workers)
        .build()
        .expect("runtime starts")
}

/// Returns `Pending` `pendings` times; before each, a helper thread is asked to wake
/// it once. Counts its polls.
pub struct WakeFromThread {
    pub polls: Arc<AtomicUsize>,
    pub pendings: usize,
}

impl Future for WakeFromThread {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.fetch_add(1, SeqCst);
        if self.pendings == 0 {
            return Poll::Ready(());
        }
        self.pendings -= 1;
        let waker = cx.waker().clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(5));
            waker.wake();
        });
        Poll::Pending
    }
}

pub struct DropCounter(pub Arc<AtomicUsize>);
impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Runs the `#[ignore]`d test `scenario` of this test binary in a fresh process and
/// fails if it fails: for scenarios that may leave the runtime or the process-wide
/// reactor broken, which must not poison the tests after them.
pub fn in_own_process(scenario: &str) {
    let out = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            scenario,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .expect("the test binary runs again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{scenario} failed in its own process:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A waker that panics when woken (and counts the attempts first).
pub fn panicking_waker(attempts: Arc<AtomicUsize>) -> std::task::Waker {
    struct Panics(Arc<AtomicUsize>);
    impl std::task::Wake for Panics {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
            panic!("a waker that panics on purpose");
        }
    }
    std::task::Waker::from(Arc::new(Panics(attempts)))
}

/// A waker that counts its wakes.
pub fn counting_waker(wakes: Arc<AtomicUsize>) -> std::task::Waker {
    struct Counts(Arc<AtomicUsize>);
    impl std::task::Wake for Counts {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    std::task::Waker::from(Arc::new(Counts(wakes)))
}

/// Waits (polling `done`, with a deadline) for something another thread does.
pub fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within {PATIENCE:?}"
        );
        thread::sleep(Duration::from_millis(1));
    }
}

/// After a provoked panic: a new task still runs and a new 10 ms sleep still fires on
/// the same runtime.
pub fn assert_runtime_alive(rt: &Runtime) {
    assert_eq!(
        rt.block_on(rt.spawn(async { 7 })).unwrap(),
        7,
        "a new task runs"
    );
    let slept = rt.block_on(rt.spawn(async {
        let start = std::time::Instant::now();
        turtles::time::sleep(Duration::from_millis(10)).await;
        start.elapsed()
    }));
    assert!(
        slept.unwrap() >= Duration::from_millis(10),
        "a new sleep fires"
    );
}

/// Lowers this process's soft limit on open files to `n` (util-linux's `prlimit`), so
/// that a test can exhaust it quickly. Only for a test alone in its binary.
pub fn lower_fd_limit(n: u32) {
    let status = std::process::Command::new("prlimit")
        .args([
            "--pid",
            &std::process::id().to_string(),
            &format!("--nofile={n}:"),
        ])
        .status()
        .expect("prlimit (util-linux) runs");
    assert!(status.success(), "prlimit could not lower the limit");
}

pub mod probe;
