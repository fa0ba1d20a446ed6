//! # The tour: async all the way down, every lesson in order
//!
//! The idea: each chapter is one lesson of turtles, with a paragraph that says what to
//! look for, then the lesson itself with numbers. Most chapters *are* the examples:
//! each of those files in `examples/` is included here as a module and its `main` run,
//! so every lesson can also be run, read and changed on its own. Chapters 2 and 3 live
//! only here.
//!
//! What you will see, in order:
//!   1. `state_machine`: `async fn` is a state machine, polled until ready.
//!   2. an I/O wait holds no thread: 400 connections waiting on 2 workers.
//!   3. spawn: the scheduler's counters, each explained.
//!   4. `context`: which thread the code after an `.await` runs on.
//!   5. `when_all`: waits overlap — three 100 ms waits take 100 ms.
//!   6. `fire_and_forget`: a panic nobody awaits is reported, not lost.
//!   7. `cancellation`: dropping a future cancels it.
//!   8. `starvation`: CPU-bound work starves the workers; `spawn_blocking` fixes it.
//!   9. `deadlock`: blocking on async work from a worker; the watchdog finds it.
//!
//! Run it: `cargo run --release --example tour` (about 3 s).
//!
//! Try next: each chapter's own file, whose header says what to change and what will
//! happen then.

// Each lesson file includes `examples/common/mod.rs` so that it runs alone too; the tour
// includes several lessons, hence several copies of that small module.
#![allow(clippy::duplicate_mod)]

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        Arc,
    },
    time::{Duration, Instant},
};

use turtles::{
    net::{TcpListener, TcpStream},
    time::sleep,
};

// Each lesson is an example of its own; the tour runs their `main`s in order.
#[path = "cancellation.rs"]
mod cancellation;
#[path = "context.rs"]
mod context;
#[path = "deadlock.rs"]
mod deadlock;
#[path = "fire_and_forget.rs"]
mod fire_and_forget;
#[path = "starvation.rs"]
mod starvation;
#[path = "state_machine.rs"]
mod state_machine;
#[path = "when_all.rs"]
mod when_all;

#[path = "common/mod.rs"]
mod common;

/// Prints a chapter's title and its paragraph, wrapped for a terminal.
fn chapter(number: u32, title: &str, example: Option<&str>, paragraph: &str) {
    println!("\n{}", "=".repeat(common::WIDTH));
    println!("{number}. {title}");
    match example {
        Some(name) => {
            println!("   (examples/{name}.rs: cargo run --release --example {name})")
        }
        None => println!("   (only in the tour: examples/tour.rs)"),
    }
    println!("\n{}\n", common::wrap(paragraph, "  "));
}

// ---------------------------------------------------------------- chapter 2

fn threads_in_process() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("Threads:")
                    .map(|n| n.trim().parse().unwrap_or(0))
            })
        })
        .unwrap_or(0)
}

fn io_waits() -> std::io::Result<()> {
    // Each connection costs two file descriptors (client and accepted socket): 400 stay
    // well inside the common default limit of 1,024 open files.
    const CONNECTIONS: usize = 400;
    let rt = turtles::Runtime::builder()
        .worker_threads(2)
        .thread_name("io-worker")
        .build()?;
    let waiting = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        // Each client connects, then waits for one byte: a read with nothing to read.
        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|_| {
                let waiting = waiting.clone();
                turtles::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await?;
                    waiting.fetch_add(1, SeqCst);
                    let mut byte = [0u8];
                    stream.read_exact(&mut byte).await?;
                    std::io::Result::Ok(byte[0])
                })
            })
            .collect();
        let mut accepted = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            accepted.push(listener.accept().await?.0);
        }
        while waiting.load(SeqCst) < CONNECTIONS {
            sleep(Duration::from_millis(1)).await;
        }
        println!(
            "   {} client tasks wait in read(); the process has {} threads: main, 2 workers\n\
             \x20  and the runtime's watchdog. The reactor holds {} sockets: the clients, the\n\
             \x20  accepted ends and the listener.",
            waiting.load(SeqCst),
            threads_in_process(),
            turtles::reactor_metrics()?.io_sources()
        );
        let start = Instant::now();
        for socket in &mut accepted {
            socket.write_all(&[42]).await?;
        }
        for client in clients {
            assert_eq!(client.await.map_err(std::io::Error::other)??, 42);
        }
        println!(
            "   one byte to each woke all {CONNECTIONS}: {:.0} ms from the first write to the last\n\
             \x20  reply, a few microseconds per connection, on 2 threads.",
            common::ms(start.elapsed())
        );
        Ok(())
    })
}

// ---------------------------------------------------------------- chapter 3

fn scheduler_counters() -> std::io::Result<()> {
    const TASKS: u64 = 100;
    let rt = turtles::Runtime::builder().worker_threads(2).build()?;
    rt.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|i| {
                turtles::spawn(async move {
                    for _ in 0..3 {
                        turtles::task::yield_now().await;
                    }
                    sleep(Duration::from_millis(1)).await;
                    i
                })
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.expect("the task does not panic"), i as u64);
        }
    });
    let m = rt.metrics();
    println!("   {TASKS} tasks, each: 3 x yield_now, then a 1 ms sleep; 2 workers");
    println!(
        "   spawned {}, completed {}: every task ran to its end",
        m.spawned(),
        m.completed()
    );
    println!(
        "   polls {} = {:.1} per task: the first, one per yield, one after the sleep",
        m.polls(),
        m.polls() as f64 / TASKS as f64
    );
    println!(
        "   local schedules {}: a task woken on a worker (a yield, a timer fired by a\n\
         \x20    worker sleeping in the reactor) goes to that worker's own queue: no lock",
        m.local_schedules()
    );
    println!(
        "   remote schedules {}: woken from outside the workers (main spawning them,\n\
         \x20    a timer fired by main, which sleeps in the reactor inside block_on):\n\
         \x20    the shared queue, and one idle worker is unparked to take it",
        m.remote_schedules()
    );
    println!(
        "   every poll follows exactly one schedule: local + remote = polls. The split\n\
         \x20    varies from run to run: it depends on which thread was in the reactor\n\
         \x20    when each timer fired."
    );
    println!(
        "   parks {}: how often a worker ran out of work and went to sleep instead of\n\
         \x20    spinning (varies too)",
        m.parks()
    );
    Ok(())
}

fn main() -> std::io::Result<()> {
    println!("turtles tour: async all the way down");

    chapter(
        1,
        "async fn is a state machine",
        Some("state_machine"),
        "An async fn does not run when called: it returns a future, an enum the compiler \
         writes with one variant per .await. Polling it runs it to its next .await that is \
         not ready, and it returns Pending after handing its Waker to whoever will make \
         that .await ready. Below, a hand-written enum and the compiled async fn, traced: \
         the same polls, the same wake.",
    );
    state_machine::main();

    chapter(
        2,
        "an .await frees the thread; an I/O wait holds none",
        None,
        "A task waiting on a socket is not a blocked thread: it is a Waker stored in the \
         reactor, which sleeps in one epoll_wait for every socket at once. Below, 1,000 \
         clients each wait in a read() with nothing to read, on a runtime of 2 workers. \
         Count the threads the process has meanwhile; then one byte to each wakes them all.",
    );
    if let Err(error) = io_waits() {
        // Most likely the open-file limit: say so, and go on with the tour.
        println!("   chapter 2 stopped: {error}. Try `ulimit -n 4096` first.");
    }

    chapter(
        3,
        "spawn: tasks on a pool of workers, and the scheduler's counters",
        None,
        "spawn hands a future to the runtime, which polls it on whichever worker is free \
         and again after every wake. Where a woken task goes is the scheduler's whole \
         policy: onto the queue of the worker that woke it when possible (cheap and cache \
         warm), onto the shared queue otherwise. The runtime counts what it did; here is \
         every counter for one small workload, and what it means.",
    );
    scheduler_counters()?;

    chapter(
        4,
        "which thread continues after an .await?",
        Some("context"),
        "A spawned task is Send: after each .await it continues on whichever worker polls \
         it next, so it may not hold thread-bound data (an Rc) across an .await. A \
         spawn_local task may, and therefore always continues on the one thread that runs \
         it. This is what .NET's ConfigureAwait is about, decided here by the type system.",
    );
    context::main();

    chapter(
        5,
        "waits overlap: three 100 ms waits take 100 ms",
        Some("when_all"),
        "Awaiting one future after another waits for each in turn. join! and join_all \
         poll several futures side by side inside one task, so their waits overlap and \
         the total is the longest wait, not the sum (.NET's Task.WhenAll). try_join! stops \
         at the first error and drops, which cancels, the rest.",
    );
    when_all::main();

    chapter(
        6,
        "a panic in a task nobody awaits must not vanish",
        Some("fire_and_forget"),
        "A panic inside a task is caught by the runtime. If the task's JoinHandle is \
         awaited, the panic arrives there as a JoinError. If the handle was dropped - \
         which detaches the task, it does not cancel it - nobody can observe the panic, \
         so the runtime reports it to the on_unobserved_panic hook instead. The worker \
         survives either way.",
    );
    fire_and_forget::main();

    chapter(
        7,
        "dropping a future cancels it",
        Some("cancellation"),
        "There is no cancellation token in Rust: a future that is not polled does not \
         run, and a future that is dropped is gone, along with everything it held. \
         timeout, JoinHandle::abort and select all cancel by dropping; each line below is a \
         Drop running at the moment of cancellation.",
    );
    cancellation::main();

    chapter(
        8,
        "CPU-bound work belongs on the blocking pool",
        Some("starvation"),
        "A poll runs until the task reaches an .await that is not ready; a CPU-bound loop \
         has none, so it holds its worker until it is done. With every worker held, every \
         other task waits: watch a 10 ms ticker fall 300 ms behind, and the watchdog name \
         the hogs. spawn_blocking moves the same loops to a separate pool of threads, and \
         the ticker keeps time.",
    );
    starvation::main()?;

    chapter(
        9,
        "blocking on async work from a worker deadlocks",
        Some("deadlock"),
        "The rule is async all the way down: wait with .await, never by blocking the \
         thread. A worker that blocks until another task of its runtime does something \
         takes away a thread that task needs; with no worker left, nothing ever runs \
         again (.NET's .Result / .Wait() deadlock). turtles refuses a block_on inside \
         async code outright; other blocking waits it cannot refuse, but its watchdog \
         reports the task and the line where it last waited.",
    );
    deadlock::main()?;

    println!(
        "\nend of the tour: chapters 1 and 4 to 9 are files in examples/ to read, run\n\
         alone and change; chapters 2 and 3 are in examples/tour.rs."
    );
    Ok(())
}
