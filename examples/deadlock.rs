//! # deadlock: blocking on async work from an executor thread
//!
//! The idea: a worker thread runs one poll at a time. A task that *blocks* its thread
//! (instead of `.await`ing) until another task of the same runtime does something takes
//! away a thread that other task needs; when it was the last free worker, nothing can
//! ever run again. That is .NET's `.Result` / `.Wait()` deadlock, in Rust terms: the
//! rule is *async all the way down* — wait with `.await`, never with a blocking call.
//!
//! turtles refuses the one blocking wait it can see coming, a `block_on` inside async
//! code, with a panic that names the rule and the fix. It cannot refuse the others (a
//! `std::sync::mpsc` receive, a std lock, `futures::executor::block_on`), but its
//! watchdog notices a poll that runs longer than `stall_threshold` and names the task and
//! the line where it last waited.
//!
//! What you will see:
//! 1. the nested `block_on`, refused: its message, caught and printed;
//! 2. the deadlock, on a 1-worker runtime: task `receiver` blocks in
//!    `std::sync::mpsc::Receiver::recv` for a message that task `sender`, queued behind
//!    it, would send. The watchdog's report names `receiver` and the line of its last
//!    `.await`, and says every worker is blocked. `main` gives up waiting after 1 s, then
//!    rescues the stuck worker by sending the message itself (else the runtime could
//!    never shut down);
//! 3. the fix: the same two tasks with an async channel and `.await`: done in ~20 ms,
//!    and the watchdog has nothing to report.
//!
//! Run it: `cargo run --release --example deadlock`
//!
//! Try next: delete the rescue (`rescue.send(...)`) — the example then hangs for ever
//! in `rt.block_on(receiver)`, waiting for a task that can never finish (press
//! Ctrl-C): that is what a real deadlock looks like. Or give the runtime 2 workers:
//! the sender runs on the other one and the deadlock is gone (delete the
//! `assert!(waited.is_err())`, which then fails); the watchdog stays quiet too, as the
//! receiver now blocks only ~10 ms, under the `stall_threshold`. With as many blocked
//! receivers as workers, the deadlock comes back.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        mpsc, Arc,
    },
    time::{Duration, Instant},
};

use turtles::{
    task,
    time::{sleep, timeout},
    Runtime,
};

#[path = "common/mod.rs"]
mod common;
use common::ms;

pub fn main() -> std::io::Result<()> {
    refused_nested_block_on()?;
    let reports = Arc::new(AtomicUsize::new(0));
    let runtime = || {
        let reports = reports.clone();
        Runtime::builder()
            .worker_threads(1)
            .stall_threshold(Duration::from_millis(100))
            .on_stall(move |report| {
                reports.fetch_add(1, SeqCst);
                println!("   --- the watchdog reports:\n{report}\n   ---");
            })
            .build()
    };
    deadlock(runtime()?);
    let before = reports.load(SeqCst);
    fixed(runtime()?);
    println!(
        "   watchdog reports during the fix: {}",
        reports.load(SeqCst) - before
    );
    Ok(())
}

fn refused_nested_block_on() -> std::io::Result<()> {
    println!("1. block_on inside async code is refused at once:");
    let rt = Runtime::builder().worker_threads(1).build()?;
    // The panic is the point; keep the default hook from printing it a second time.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let refused = rt.block_on(rt.spawn(async { turtles::block_on(async { 1 }) }));
    std::panic::set_hook(default_hook);
    let error = refused.expect_err("a nested block_on panics");
    println!("{}\n", common::wrap(&error.to_string(), "   "));
    Ok(())
}

fn deadlock(rt: Runtime) {
    println!("2. a task blocks the only worker, waiting for a task queued behind it:");
    let (tx, rx) = mpsc::channel::<&str>();
    let rescue = tx.clone();
    let start = Instant::now();
    let mut receiver = task::Builder::new().name("receiver").spawn_on(
        async move {
            sleep(Duration::from_millis(10)).await; // its last .await: the report names this line
            rx.recv().expect("a sender is alive") // blocks the worker: not an .await
        },
        &rt.handle(),
    );
    let _sender = task::Builder::new().name("sender").spawn_on(
        async move {
            sleep(Duration::from_millis(20)).await; // by now the receiver holds the worker
            let _ = tx.send("hello from the sender"); // never runs while it does
        },
        &rt.handle(),
    );
    // `main` is not a worker: it can wait with a time limit (and serves the timers).
    let waited = rt.block_on(timeout(Duration::from_secs(1), &mut receiver));
    assert!(waited.is_err(), "the receiver cannot finish by itself");
    println!(
        "   main gave up after {:.0} ms (its 1 s timeout): the receiver is still blocked,\n\
         \x20  the sender never ran",
        ms(start.elapsed())
    );
    rescue
        .send("rescued by main")
        .expect("the receiver is alive");
    let got = rt.block_on(receiver).expect("the receiver does not panic");
    println!(
        "   main sent the message itself; the receiver got {got:?},\n\
         \x20  and the runtime can shut down\n"
    );
}

fn fixed(rt: Runtime) {
    println!("3. the fix: an async channel, and .await instead of a blocking receive:");
    // turtles has no channel of its own yet; futures-channel's runs on it unchanged.
    let (tx, rx) = futures_channel::oneshot::channel::<&str>();
    let start = Instant::now();
    let receiver = rt.spawn(async move {
        sleep(Duration::from_millis(10)).await;
        rx.await.expect("the sender sends") // frees the worker while it waits
    });
    rt.spawn(async move {
        sleep(Duration::from_millis(20)).await;
        let _ = tx.send("hello from the sender");
    });
    let got = rt.block_on(receiver).expect("the receiver does not panic");
    println!(
        "   the receiver got {got:?} after {:.0} ms",
        ms(start.elapsed())
    );
}
