//! # The tour: async all the way down, one chapter at a time
//!
//! The idea: each chapter shows one thing an `async` runtime does, with numbers.
//!   1. `async fn` is a state machine: the same future written by hand and by the
//!      compiler, with every poll and every wake printed.
//!   2. `spawn` and join: tasks resume on whichever worker is free.
//!   3. Waits overlap: three 100 ms sleeps take 100 ms, not 300 ms.
//!   4. An I/O wait holds no thread: 1,000 open connections served by 2 workers.
//!
//! What you will see: a trace of polls and wakes, thread names, and timings in ms.
//!
//! Run it: `cargo run --release --example tour`
//!
//! Try next: in chapter 1, make `AddAfterDelay` forget to poll its `Sleep` and return
//! `Pending` anyway — the trace shows the task is never woken again.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        Arc,
    },
    task::{Context, Poll, Wake, Waker},
    time::{Duration, Instant},
};

use turtles::{
    net::{TcpListener, TcpStream},
    time::{sleep, Sleep},
};

// ---------------------------------------------------------------- chapter 1

/// The compiler turns this `async fn` into a state machine...
async fn add_after_delay(a: u32, b: u32) -> u32 {
    sleep(Duration::from_millis(20)).await;
    a + b
}

/// ...which, written by hand, is this enum: one variant per `.await` point, holding
/// the variables alive across it.
enum AddAfterDelay {
    Start { a: u32, b: u32 },
    Sleeping { a: u32, b: u32, sleep: Sleep },
    Done,
}

impl Future for AddAfterDelay {
    type Output = u32;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        loop {
            match &mut *self {
                AddAfterDelay::Start { a, b } => {
                    // Code before the first .await runs on the first poll.
                    let (a, b) = (*a, *b);
                    *self = AddAfterDelay::Sleeping {
                        a,
                        b,
                        sleep: sleep(Duration::from_millis(20)),
                    };
                }
                AddAfterDelay::Sleeping { a, b, sleep } => {
                    // An .await is a poll of the inner future; Pending bubbles up, and the
                    // inner future has already handed our waker to the reactor.
                    match Pin::new(sleep).poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(()) => {
                            let sum = *a + *b;
                            *self = AddAfterDelay::Done;
                            return Poll::Ready(sum);
                        }
                    }
                }
                AddAfterDelay::Done => panic!("AddAfterDelay polled after it completed"),
            }
        }
    }
}

/// Wraps a future and prints every poll of it and every wake of its waker.
struct Traced<F> {
    name: &'static str,
    inner: Pin<Box<F>>,
    polls: usize,
    start: Instant,
}

struct TracingWaker {
    name: &'static str,
    inner: Waker,
    start: Instant,
}

impl Wake for TracingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        println!(
            "    {:>6.1} ms  {}: wake (called on thread {:?})",
            self.start.elapsed().as_secs_f64() * 1e3,
            self.name,
            std::thread::current().name().unwrap_or("unnamed")
        );
        self.inner.wake_by_ref();
    }
}

impl<F: Future> Future for Traced<F>
where
    F::Output: std::fmt::Debug,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls += 1;
        let waker = Waker::from(Arc::new(TracingWaker {
            name: self.name,
            inner: cx.waker().clone(),
            start: self.start,
        }));
        let result = self.inner.as_mut().poll(&mut Context::from_waker(&waker));
        println!(
            "    {:>6.1} ms  {}: poll #{} -> {:?}",
            self.start.elapsed().as_secs_f64() * 1e3,
            self.name,
            self.polls,
            result
        );
        result
    }
}

fn traced<F: Future>(name: &'static str, future: F) -> Traced<F> {
    Traced {
        name,
        inner: Box::pin(future),
        polls: 0,
        start: Instant::now(),
    }
}

fn chapter_1() {
    println!("1. `async fn` is a state machine, polled until ready, woken in between");
    let by_hand = turtles::block_on(traced("by hand ", AddAfterDelay::Start { a: 2, b: 3 }));
    let compiled = turtles::block_on(traced("compiled", add_after_delay(2, 3)));
    assert_eq!(by_hand, compiled);
    println!(
        "   both: poll -> Pending (timer registered), wake from the reactor, poll -> Ready(5)\n"
    );
}

// ---------------------------------------------------------------- chapter 2

fn chapter_2(rt: &turtles::Runtime) {
    println!("2. spawn and join: a task may resume on any worker after an .await");
    rt.block_on(async {
        let tasks: Vec<_> = (0..4)
            .map(|i| {
                turtles::spawn(async move {
                    let before = std::thread::current().name().unwrap_or("?").to_owned();
                    sleep(Duration::from_millis(5 * i)).await;
                    let after = std::thread::current().name().unwrap_or("?").to_owned();
                    (i, before, after)
                })
            })
            .collect();
        for task in tasks {
            let (i, before, after) = task.await.expect("the task does not panic");
            println!("   task {i}: started on {before}, resumed on {after}");
        }
    });
    let m = rt.metrics();
    println!(
        "   metrics: {} spawned, {} polls, {} local + {} remote schedules, {} parks\n",
        m.spawned(),
        m.polls(),
        m.local_schedules(),
        m.remote_schedules(),
        m.parks()
    );
}

// ---------------------------------------------------------------- chapter 3

fn chapter_3(rt: &turtles::Runtime) {
    println!("3. waits overlap: three 100 ms sleeps");
    let start = Instant::now();
    rt.block_on(async {
        let waits: Vec<_> = (0..3)
            .map(|_| turtles::spawn(sleep(Duration::from_millis(100))))
            .collect();
        for w in waits {
            w.await.expect("a sleep does not panic");
        }
    });
    let together = start.elapsed();
    let start = Instant::now();
    rt.block_on(async {
        for _ in 0..3 {
            sleep(Duration::from_millis(100)).await;
        }
    });
    let one_by_one = start.elapsed();
    println!(
        "   spawned side by side: {:.0} ms; awaited one after another: {:.0} ms\n",
        together.as_secs_f64() * 1e3,
        one_by_one.as_secs_f64() * 1e3
    );
}

// ---------------------------------------------------------------- chapter 4

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

fn chapter_4() -> std::io::Result<()> {
    const CONNECTIONS: usize = 1000;
    println!("4. an I/O wait holds no thread: {CONNECTIONS} connections, 2 worker threads");
    let rt = turtles::Runtime::builder()
        .worker_threads(2)
        .thread_name("io-worker")
        .build()?;
    let waiting = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let start = Instant::now();
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
            "   {} clients blocked in read(); the process has {} threads (main + 2 workers); {} sockets in the reactor",
            waiting.load(SeqCst),
            threads_in_process(),
            turtles::reactor_metrics()?.io_sources()
        );
        for socket in &mut accepted {
            socket.write_all(&[42]).await?;
        }
        for client in clients {
            assert_eq!(client.await.map_err(std::io::Error::other)??, 42);
        }
        println!(
            "   all {CONNECTIONS} woke and finished in {:.0} ms in total\n",
            start.elapsed().as_secs_f64() * 1e3
        );
        Ok(())
    })
}

fn main() -> std::io::Result<()> {
    println!("turtles tour: async all the way down\n");
    chapter_1();
    {
        let rt = turtles::Runtime::builder().worker_threads(2).build()?;
        chapter_2(&rt);
        chapter_3(&rt);
    } // dropping the runtime joins its workers: chapter 4 counts only its own threads
    chapter_4()?;
    println!("end of the tour");
    Ok(())
}
