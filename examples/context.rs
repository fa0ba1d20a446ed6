//! # context: on which thread does the code after an `.await` run?
//!
//! The idea: .NET's `ConfigureAwait(false)` asks "continue on any thread?". In Rust the
//! answer is in the type. A task made by `spawn` is `Send`: after each `.await` it
//! resumes on whichever worker picks it up, so it may not hold thread-bound data (an
//! `Rc`) across an await. A task made by `spawn_local` may hold `!Send` data, and
//! therefore always resumes on the one thread that runs it — the thread inside
//! `block_on`.
//!
//! What you will see: for each continuation, the thread it ran on. The `spawn`ed task
//! sleeps between continuations; its timer fires on whichever thread sleeps in the
//! reactor at that moment — usually the worker that did *not* just run the task (a
//! worker leaving the reactor to run work hands that role to its idle colleague), at
//! times `main` inside `block_on` — and the continuation runs on a worker chosen then.
//! So the task moves between `turtles-worker-0` and `-1`, in no fixed pattern; it keeps
//! going until it has run on both. The `spawn_local` task stays on `main` every time.
//!
//! Run it: `cargo run --release --example context`
//!
//! Try next: hold an `Rc` across the `.await` in the `spawn`ed task: the compiler
//! refuses (`Rc` cannot be sent between threads), which is exactly the point.

use std::{collections::BTreeSet, rc::Rc, thread, time::Duration};

use turtles::time::sleep;

fn here() -> String {
    thread::current().name().unwrap_or("unnamed").to_owned()
}

pub fn main() {
    let rt = turtles::Runtime::builder()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let moving = turtles::spawn(async {
            let mut threads = Vec::new();
            // At least 6 continuations, and on until it has run on both workers (a
            // bound, so that even a freak run ends).
            while threads.len() < 40
                && (threads.len() < 6 || threads.iter().all(|t| *t == threads[0]))
            {
                threads.push(here());
                // A stand-in for 2 ms of real work (harmless; lessons 8 and 9 show what
                // long blocking does): meanwhile the idle colleague takes over the
                // reactor, so the timer tends to fire over there.
                thread::sleep(Duration::from_millis(2));
                sleep(Duration::from_millis(5)).await;
            }
            threads
        });
        let moving = moving.await.unwrap();
        for (i, thread) in moving.iter().enumerate() {
            println!("spawn       continuation {i}: on {thread}");
        }

        let local = turtles::spawn_local(async {
            let shared = Rc::new(42); // !Send: allowed, because this task never moves
            let mut threads = Vec::new();
            for _ in 0..4 {
                threads.push(here());
                sleep(Duration::from_millis(5)).await;
            }
            assert_eq!(*shared, 42);
            threads
        });
        let local = local.await.unwrap();
        for (i, thread) in local.iter().enumerate() {
            println!("spawn_local continuation {i}: on {thread}");
        }
        let workers: BTreeSet<_> = moving.iter().collect();
        println!(
            "the spawned task ran on {} worker thread(s); the local one on {} thread ({})",
            workers.len(),
            local.iter().collect::<BTreeSet<_>>().len(),
            local[0]
        );
        assert!(
            local.iter().all(|t| *t == local[0]),
            "a local task never moves"
        );
    });
}
