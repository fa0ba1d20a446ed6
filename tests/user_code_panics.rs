//! Every piece of user code the runtime calls may panic: a `Waker` (a `JoinHandle`'s,
//! a timer's, a socket's), the `Drop` of an output or of a panic payload. None of these
//! panics may kill a worker, stop the other wakers of the same batch, or be lost.
//!
//! Each scenario runs in its own process (a fresh run of this binary, see
//! `common::in_own_process`): if one left its runtime or the process-wide reactor
//! broken, the scenarios after it must not inherit that.

mod common;

use std::{
    future::Future,
    pin::{pin, Pin},
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        Arc, Mutex,
    },
    task::Context,
    time::{Duration, Instant},
};

use common::{assert_runtime_alive, counting_waker, in_own_process, panicking_waker, wait_until};
use turtles::Runtime;

/// A one-worker runtime whose unobserved-panic hook records each report's message.
fn recorded_runtime() -> (Runtime, Arc<Mutex<Vec<String>>>) {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    let rt = Runtime::builder()
        .worker_threads(1)
        .on_unobserved_panic(move |report| sink.lock().unwrap().push(report.message().to_owned()))
        .build()
        .unwrap();
    (rt, reports)
}

/// A value whose `Drop` panics.
struct PanicsWhenDropped;

impl Drop for PanicsWhenDropped {
    fn drop(&mut self) {
        panic!("a Drop that panics on purpose");
    }
}

#[test]
fn a_join_handle_waker_that_panics() {
    in_own_process("scenario_join_handle_waker_panics");
}

#[test]
#[ignore = "run in its own process by a_join_handle_waker_that_panics"]
fn scenario_join_handle_waker_panics() {
    let (rt, reports) = recorded_runtime();
    let mut handle = rt.spawn(async {
        turtles::time::sleep(Duration::from_millis(20)).await;
        5
    });
    // Leave a panicking waker in the handle: the completion on the worker wakes it.
    let attempts = Arc::new(AtomicUsize::new(0));
    let waker = panicking_waker(attempts.clone());
    let first = Pin::new(&mut handle).poll(&mut Context::from_waker(&waker));
    assert!(first.is_pending());
    // The output lands first (`is_finished`), then the waker is woken and its panic
    // reported: wait for the report.
    wait_until("the waker's panic is reported", || {
        !reports.lock().unwrap().is_empty()
    });
    assert!(handle.is_finished());
    assert_eq!(attempts.load(SeqCst), 1);
    assert_eq!(
        rt.block_on(handle).unwrap(),
        5,
        "the output survived its waker"
    );
    assert_eq!(
        *reports.lock().unwrap(),
        vec!["a waker that panics on purpose"]
    );
    assert_runtime_alive(&rt);
}

#[test]
fn ten_timers_due_together_with_one_panicking_waker() {
    in_own_process("scenario_timer_wakers_panic");
}

#[test]
#[ignore = "run in its own process by ten_timers_due_together_with_one_panicking_waker"]
fn scenario_timer_wakers_panic() {
    let (rt, _reports) = recorded_runtime();
    let deadline = Instant::now() + Duration::from_millis(30);
    let (wakes, attempts) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut sleeps: Vec<_> = (0..10)
        .map(|_| Box::pin(turtles::time::sleep_until(deadline)))
        .collect();
    for (i, sleep) in sleeps.iter_mut().enumerate() {
        // The panicking waker sits in the middle of the batch.
        let waker = if i == 4 {
            panicking_waker(attempts.clone())
        } else {
            counting_waker(wakes.clone())
        };
        assert!(sleep
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
    }
    wait_until("all ten timers fire", || {
        wakes.load(SeqCst) == 9 && attempts.load(SeqCst) == 1
    });
    assert_runtime_alive(&rt);
}

#[test]
fn a_socket_reader_waker_that_panics() {
    in_own_process("scenario_socket_waker_panics");
}

#[test]
#[ignore = "run in its own process by a_socket_reader_waker_that_panics"]
fn scenario_socket_waker_panics() {
    let (rt, _reports) = recorded_runtime();
    let (mut server, mut client) = rt.block_on(async {
        let listener = turtles::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let client = turtles::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        (listener.accept().await.unwrap().0, client)
    });
    let attempts = Arc::new(AtomicUsize::new(0));
    let waker = panicking_waker(attempts.clone());
    let mut buf = [0; 4];
    {
        let read = pin!(server.read(&mut buf));
        assert!(read.poll(&mut Context::from_waker(&waker)).is_pending());
    }
    rt.block_on(client.write_all(b"ping")).unwrap();
    wait_until("the reader's waker is woken", || attempts.load(SeqCst) == 1);
    assert_runtime_alive(&rt);
    rt.block_on(server.read_exact(&mut buf)).unwrap();
    assert_eq!(&buf, b"ping", "the socket still reads");
}

#[test]
fn a_detached_task_whose_output_panics_when_dropped() {
    in_own_process("scenario_output_drop_panics");
}

#[test]
#[ignore = "run in its own process by a_detached_task_whose_output_panics_when_dropped"]
fn scenario_output_drop_panics() {
    let (rt, reports) = recorded_runtime();
    rt.spawn(async { PanicsWhenDropped }).detach();
    wait_until("the drop is reported", || {
        !reports.lock().unwrap().is_empty()
    });
    assert_runtime_alive(&rt);
    assert_eq!(
        *reports.lock().unwrap(),
        vec!["a Drop that panics on purpose"]
    );
}

#[test]
fn a_detached_task_whose_panic_payload_panics_when_dropped() {
    in_own_process("scenario_payload_drop_panics");
}

#[test]
#[ignore = "run in its own process by a_detached_task_whose_panic_payload_panics_when_dropped"]
fn scenario_payload_drop_panics() {
    let (rt, reports) = recorded_runtime();
    rt.spawn(async { std::panic::panic_any(PanicsWhenDropped) })
        .detach();
    wait_until("both panics are reported", || {
        reports.lock().unwrap().len() == 2
    });
    assert_runtime_alive(&rt);
    // The task's panic (a non-string payload), then the panic of dropping that payload.
    assert_eq!(
        *reports.lock().unwrap(),
        vec!["Box<dyn Any>", "a Drop that panics on purpose"]
    );
}
