//! Bytes per idle task: 100,000 tasks, each polled once and now waiting, on every
//! runtime; the growth of the process's resident memory divided by the task count.
//!
//! `cargo run --release -p turtles-benches --example task_memory`
//!
//! Each runtime is measured in a fresh child process (this program, run with the
//! runtime's name), so that no runtime reuses memory another one freed. The figure
//! includes the 16-byte `Waker` each task leaves with the gate it waits on (the same for
//! every runtime) and the allocator's own overhead; pages are taken as 4 KiB.

use std::{
    future::Future,
    pin::Pin,
    process::Command,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst},
        Arc, Mutex,
    },
    task::{Context, Poll, Waker},
};

use turtles_benches::{Bench, Countdown, Kind};

const TASKS: usize = 100_000;
const PAGE: usize = 4096;

/// Resident memory of this process, in bytes (`/proc/self/statm`).
fn resident() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux: /proc/self/statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("statm's second field is the resident page count");
    pages * PAGE
}

/// Where every task waits until it is opened.
#[derive(Default)]
struct Gate {
    open: AtomicBool,
    wakers: Mutex<Vec<Waker>>,
}

impl Gate {
    fn open(&self) {
        self.open.store(true, SeqCst);
        for waker in std::mem::take(&mut *self.wakers.lock().unwrap()) {
            waker.wake();
        }
    }
}

/// Waits for the gate; counts its first poll in `polled`.
struct Wait {
    gate: Arc<Gate>,
    polled: Option<Arc<AtomicUsize>>,
}

impl Future for Wait {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.gate.open.load(SeqCst) {
            return Poll::Ready(());
        }
        self.gate.wakers.lock().unwrap().push(cx.waker().clone());
        if self.gate.open.load(SeqCst) {
            return Poll::Ready(()); // opened while we registered: its wakes may miss us
        }
        if let Some(polled) = self.polled.take() {
            polled.fetch_add(1, SeqCst);
        }
        Poll::Pending
    }
}

/// Bytes of resident memory per idle task on `kind`.
fn measure(kind: Kind) -> f64 {
    let bench = Bench::new(kind, 2);
    // Warm up once, so that the runtime's own lazy structures are in place.
    let s = bench.spawner();
    bench.block_on(async { s.spawn_join(async {}).await });
    let before = resident();
    let (gate, polled) = (Arc::new(Gate::default()), Arc::new(AtomicUsize::new(0)));
    let grown = bench.block_on(async {
        let (countdown, done) = Countdown::new(TASKS);
        for _ in 0..TASKS {
            let wait = Wait {
                gate: gate.clone(),
                polled: Some(polled.clone()),
            };
            let countdown = countdown.clone();
            s.spawn(async move {
                wait.await;
                countdown.tick();
            });
        }
        while polled.load(SeqCst) < TASKS {
            s.yield_now().await; // on a single-threaded runtime, the tasks run meanwhile
        }
        let grown = resident() - before;
        gate.open();
        done.await.expect("every task finishes");
        grown
    });
    grown as f64 / TASKS as f64
}

fn main() {
    if let Some(name) = std::env::args().nth(1) {
        let kind = Kind::from_name(&name).unwrap_or_else(|| panic!("no runtime named {name}"));
        println!("{:.0}", measure(kind));
        return;
    }
    println!("bytes of resident memory per idle task ({TASKS} tasks, each its own process):");
    let me = std::env::current_exe().expect("the path of this program");
    for kind in Kind::ALL {
        let out = Command::new(&me)
            .arg(kind.name())
            .output()
            .expect("the child runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = String::from_utf8_lossy(&out.stdout);
        println!("  {:<16} {:>6} bytes", kind.name(), bytes.trim());
    }
}
