//! The watchdog: a poll that blocks its worker longer than `stall_threshold` is
//! reported once, naming the task and the line where it last waited; fast tasks are
//! never reported; the hook is user code and may panic.

mod common;

use std::{
    sync::{mpsc, Arc, Mutex},
    thread,
    time::Duration,
};

use turtles::{task, time::sleep, Runtime, StallReport};

const THRESHOLD: Duration = Duration::from_millis(100);

/// A runtime whose stall reports land in the returned list.
fn watched(workers: usize, threshold: Duration) -> (Runtime, Arc<Mutex<Vec<StallReport>>>) {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    let rt = Runtime::builder()
        .worker_threads(workers)
        .stall_threshold(threshold)
        .on_stall(move |report| sink.lock().unwrap().push(report.clone()))
        .build()
        .unwrap();
    (rt, reports)
}

/// Blocks the calling worker until the watchdog has made `n` reports: a stall that
/// lasts exactly as long as it takes to be seen, however loaded the machine is.
fn stall_until_reported(reports: &Mutex<Vec<StallReport>>, n: usize) {
    common::wait_until("the watchdog reports the stall", || {
        reports.lock().unwrap().len() >= n
    });
}

/// No new report arrives: waits a few looks of the watchdog (there is no event to wait
/// for when nothing must happen).
fn assert_no_more_reports(reports: &Mutex<Vec<StallReport>>, expected: usize) {
    thread::sleep(3 * THRESHOLD);
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), expected, "{reports:#?}");
}

#[test]
fn a_poll_that_blocks_300ms_is_reported_once_with_the_task_and_its_last_await() {
    let (rt, reports) = watched(2, THRESHOLD);
    let awaited_at = line!() + 3;
    let blocker = task::Builder::new().name("blocker").spawn_on(
        async {
            sleep(Duration::from_millis(1)).await;
            thread::sleep(Duration::from_millis(300)); // blocks the worker
        },
        &rt.handle(),
    );
    rt.block_on(blocker).unwrap();
    common::wait_until("a report", || !reports.lock().unwrap().is_empty());
    assert_no_more_reports(&reports, 1);

    let report = reports.lock().unwrap()[0].clone();
    assert_eq!(report.task_name(), Some("blocker"));
    let at = report.awaiting().expect("it waited in a sleep first");
    assert_eq!((at.file(), at.line()), (file!(), awaited_at));
    assert!(report.elapsed() >= THRESHOLD, "{report}");
    assert!(report.worker() < 2);
    assert!(!report.all_workers_blocked(), "the other worker was free");
    let text = report.to_string();
    assert!(text.contains("task 'blocker'"), "{text}");
    assert!(
        text.contains(&format!("last waited at {}:{awaited_at}", file!())),
        "{text}"
    );
    assert!(text.contains("spawn_blocking"), "names the fix: {text}");
}

#[test]
fn a_runtime_of_fast_tasks_reports_nothing() {
    let (rt, reports) = watched(2, THRESHOLD);
    rt.block_on(async {
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                turtles::spawn(async move {
                    for _ in 0..5 {
                        sleep(Duration::from_millis(1)).await;
                        task::yield_now().await;
                    }
                    i
                })
            })
            .collect();
        for (i, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.unwrap(), i);
        }
    });
    assert_no_more_reports(&reports, 0);
}

#[test]
fn a_futures_block_on_inside_a_task_is_reported() {
    let (rt, reports) = watched(1, THRESHOLD);
    let (tx, rx) = futures_channel::oneshot::channel::<u32>();
    let waiter = task::Builder::new().name("foreign block_on").spawn_on(
        async move {
            // A blocking wait turtles cannot refuse: another executor's block_on.
            futures_executor::block_on(rx).unwrap()
        },
        &rt.handle(),
    );
    common::wait_until("a report", || !reports.lock().unwrap().is_empty());
    tx.send(7).unwrap();
    assert_eq!(rt.block_on(waiter).unwrap(), 7);
    let report = reports.lock().unwrap()[0].clone();
    assert_eq!(report.task_name(), Some("foreign block_on"));
    assert_eq!(report.awaiting(), None, "it blocked in its first poll");
    assert!(report.all_workers_blocked(), "its only worker is blocked");
    assert!(report.to_string().contains("Every worker is blocked"));
}

#[test]
fn a_deadlocked_runtime_reports_every_worker_blocked_and_the_queued_task() {
    let (rt, reports) = watched(1, THRESHOLD);
    let (tx, rx) = mpsc::channel::<&str>();
    let rescue = tx.clone();
    // The receiver blocks the only worker; the sender is queued behind it.
    let receiver = rt.spawn(async move { rx.recv_timeout(common::PATIENCE).unwrap() });
    // (Its send fails: by the time it runs, the rescued receiver is gone.)
    let sender = rt.spawn(async move { tx.send("from the sender").is_err() });
    common::wait_until("a report", || !reports.lock().unwrap().is_empty());
    let report = reports.lock().unwrap()[0].clone();
    assert!(report.all_workers_blocked(), "{report}");
    assert_eq!(report.queued(), 1, "the sender waits behind it: {report}");
    // Unblock it from outside the runtime so that it can shut down.
    rescue.send("rescued").unwrap();
    assert_eq!(rt.block_on(receiver).unwrap(), "rescued");
    assert!(rt.block_on(sender).unwrap());
}

#[test]
fn a_task_blocked_after_awaiting_a_join_handle_names_that_task() {
    let (rt, reports) = watched(2, THRESHOLD);
    let sink = reports.clone();
    let waiter = rt.spawn(async move {
        let child = turtles::spawn(sleep(Duration::from_millis(5)));
        child.await.unwrap();
        stall_until_reported(&sink, 1);
    });
    rt.block_on(waiter).unwrap();
    let report = reports.lock().unwrap()[0].clone();
    assert_eq!(report.awaiting(), None, "a handle has no line of its own");
    assert!(
        report
            .to_string()
            .contains("last waited at the JoinHandle of task #"),
        "{report}"
    );
}

#[test]
fn a_task_blocked_after_a_socket_read_names_the_read() {
    let (rt, reports) = watched(2, THRESHOLD);
    let read_at = rt.block_on(async {
        let listener = turtles::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let read_at = line!() + 5;
        let sink = reports.clone();
        let server = turtles::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0; 1];
            stream.read_exact(&mut buf).await.unwrap();
            stall_until_reported(&sink, 1);
        });
        let mut client = turtles::net::TcpStream::connect(addr).await.unwrap();
        sleep(Duration::from_millis(20)).await; // the server waits in its read meanwhile
        client.write_all(b"x").await.unwrap();
        server.await.unwrap();
        read_at
    });
    let at = reports.lock().unwrap()[0].awaiting().unwrap();
    assert_eq!(at.line(), read_at);
}

#[test]
fn a_panicking_hook_is_contained_and_the_watchdog_goes_on() {
    // Each stalled poll lasts until the hook has seen it: the test does not depend on
    // how fast the watchdog is (std prints the hook's panic, backtrace and all, on the
    // watchdog's thread, which may take seconds on a loaded machine).
    let (reported, report_seen) = mpsc::channel::<()>();
    let report_seen = Arc::new(Mutex::new(report_seen));
    let rt = Runtime::builder()
        .worker_threads(1)
        .stall_threshold(THRESHOLD)
        .on_stall(move |_| {
            reported.send(()).unwrap();
            panic!("a stall hook that panics on purpose");
        })
        .build()
        .unwrap();
    for _ in 0..2 {
        let report_seen = report_seen.clone();
        rt.block_on(rt.spawn(async move {
            let seen = report_seen.lock().unwrap().recv_timeout(common::PATIENCE);
            seen.expect("the watchdog reports the poll that waits for its report");
        }))
        .unwrap();
    }
    common::assert_runtime_alive(&rt);
}

#[test]
fn a_dozing_watchdog_wakes_for_the_next_stall() {
    // The watchdog dozes after two idle looks (a threshold, 20 ms here): well before
    // the stall, which must ring it awake.
    let (rt, reports) = watched(1, Duration::from_millis(20));
    thread::sleep(Duration::from_millis(500));
    let sink = reports.clone();
    rt.block_on(rt.spawn(async move { stall_until_reported(&sink, 1) }))
        .unwrap();
}

#[test]
fn the_watchdog_can_be_turned_off_and_a_zero_threshold_is_refused() {
    let called = Arc::new(Mutex::new(false));
    let flag = called.clone();
    let rt = Runtime::builder()
        .worker_threads(1)
        .stall_threshold(Duration::from_millis(10))
        .watchdog(false)
        .on_stall(move |_| *flag.lock().unwrap() = true)
        .build()
        .unwrap();
    rt.block_on(rt.spawn(async { thread::sleep(Duration::from_millis(100)) }))
        .unwrap();
    drop(rt);
    assert!(!*called.lock().unwrap());

    let err = Runtime::builder()
        .stall_threshold(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("watchdog(false)"), "{err}");
}

#[test]
fn a_hook_that_drops_the_runtime_still_lets_it_shut_down() {
    static RUNTIME: Mutex<Option<Runtime>> = Mutex::new(None);
    let dropped = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let rt = Runtime::builder()
        .worker_threads(1)
        .stall_threshold(THRESHOLD)
        // "Kill it when it is stuck": Runtime::drop runs on the watchdog's own thread.
        .on_stall(|_| drop(RUNTIME.lock().unwrap().take()))
        .build()
        .unwrap();
    let counter = common::DropCounter(dropped.clone());
    let waiting = rt.spawn(async move {
        let _counter = counter;
        std::future::pending::<()>().await;
    });
    rt.spawn(async { thread::sleep(Duration::from_millis(300)) });
    *RUNTIME.lock().unwrap() = Some(rt);
    // Shutdown finished: the waiting task's future was dropped and its handle resolves.
    common::wait_until("the future is dropped", || {
        dropped.load(std::sync::atomic::Ordering::SeqCst) == 1
    });
    let outcome = futures_executor::block_on(waiting);
    assert!(outcome.unwrap_err().is_cancelled());
}

#[test]
fn dropping_the_runtime_does_not_wait_for_a_hook_that_waits_for_a_task() {
    let handle = Arc::new(Mutex::new(None::<turtles::Handle>));
    let for_hook = handle.clone();
    let rt = Runtime::builder()
        .worker_threads(1)
        .stall_threshold(THRESHOLD)
        .on_stall(move |_| {
            // Waits for a task that only shutdown can end (by cancelling it).
            let handle = for_hook.lock().unwrap().clone().unwrap();
            let _ = futures_executor::block_on(handle.spawn(std::future::pending::<()>()));
        })
        .build()
        .unwrap();
    *handle.lock().unwrap() = Some(rt.handle());
    let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = started.clone();
    rt.spawn(async move {
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        thread::sleep(Duration::from_millis(300));
    });
    common::wait_until("the stalling task started", || {
        started.load(std::sync::atomic::Ordering::SeqCst)
    });
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        drop(rt);
        done.send(()).unwrap();
    });
    finished
        .recv_timeout(common::PATIENCE)
        .expect("Runtime::drop returns");
}
