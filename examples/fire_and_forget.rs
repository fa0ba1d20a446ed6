//! # fire_and_forget: a panic in a task nobody awaits is not lost
//!
//! The idea: in .NET an exception in a task that nobody awaits can vanish. In turtles a
//! panic inside a task never kills its worker: it is caught and travels to the task's
//! `JoinHandle`, where `.await` returns `Err(JoinError)` naming the task and the line
//! that spawned it. Dropping the `JoinHandle` does *not* cancel the task (unlike
//! dropping any other future): the task is detached and runs on; if it then panics,
//! nobody can observe that through a handle, so the runtime reports it to its
//! `on_unobserved_panic` hook instead (by default, a line on stderr).
//!
//! What you will see: a detached task that still finishes its work after its handle is
//! gone; the same panicking task once awaited (a `JoinError`) and once detached (a
//! report through the hook); and the worker still running tasks afterwards.
//!
//! Run it: `cargo run --release --example fire_and_forget`
//!
//! Try next: remove `.on_unobserved_panic(...)` from the builder, with the `reports`
//! list it fills and the lines that print and count them at the end: the default hook
//! then prints the report to stderr instead.

use std::{
    sync::{mpsc, Arc, Mutex},
    time::Duration,
};

#[path = "common/mod.rs"]
mod common;

pub fn main() {
    // std prints every panic (with a backtrace if RUST_BACKTRACE is set) before turtles
    // catches it; these panics are on purpose, so one short line each is enough.
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| l.to_string()).unwrap_or_default();
        eprintln!("(std: a panic at {at}; turtles catches it)");
    }));
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    let rt = turtles::Runtime::builder()
        .worker_threads(1)
        .on_unobserved_panic(move |report| sink.lock().unwrap().push(report.to_string()))
        .build()
        .expect("a runtime");

    // Dropping a JoinHandle detaches: the task keeps running.
    let (done, finished) = mpsc::channel();
    drop(rt.spawn(async move {
        turtles::time::sleep(Duration::from_millis(20)).await;
        done.send("the detached task finished its work").unwrap();
    }));
    println!("handle dropped; then: {}", finished.recv().unwrap());

    // Awaited: the panic comes back as an error.
    let err = rt
        .block_on(
            turtles::task::Builder::new()
                .name("awaited")
                .spawn_on(async { panic!("disk full") }, &rt.handle()),
        )
        .unwrap_err();
    println!(
        "{}",
        common::wrap(&format!("awaited: JoinError: {err}"), "")
    );

    // Detached: nobody can await it, so the runtime reports it.
    turtles::task::Builder::new()
        .name("forgotten")
        .spawn_on(async { panic!("disk full") }, &rt.handle())
        .detach();
    // One worker runs tasks in order: once this one ran, the panicking one is reported.
    let alive = rt.block_on(rt.spawn(async { "the worker survived both panics" }));
    for report in reports.lock().unwrap().iter() {
        let line = format!("detached: reported to on_unobserved_panic: {report}");
        println!("{}", common::wrap(&line, ""));
    }
    println!("{}", alive.unwrap());
    assert_eq!(
        reports.lock().unwrap().len(),
        1,
        "the detached panic was reported once"
    );
}
