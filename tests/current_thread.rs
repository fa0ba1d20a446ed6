//! `Builder::current_thread()`: every task runs on the thread inside `block_on`, and
//! only while one is inside it; wakes from other threads, timers, I/O, several
//! `block_on` callers, panics, shutdown and the watchdog all work as on the
//! multi-threaded runtime.

mod common;

use std::{
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst},
        mpsc, Arc, Barrier,
    },
    thread,
    time::{Duration, Instant},
};

use common::{panic_text, PATIENCE};
use futures_channel::oneshot;
use turtles::{task, Runtime};

fn current_thread() -> Runtime {
    Runtime::builder()
        .current_thread()
        .build()
        .expect("runtime starts")
}

#[test]
fn every_task_runs_on_the_block_on_thread() {
    let rt = current_thread();
    let here = thread::current().id();
    let from_elsewhere = {
        let handle = rt.handle();
        thread::spawn(move || handle.spawn(async { thread::current().id() }))
            .join()
            .unwrap()
    };
    let ids = rt.block_on(async {
        let mut tasks = vec![from_elsewhere];
        for _ in 0..10 {
            tasks.push(turtles::spawn(async {
                task::yield_now().await;
                thread::current().id()
            }));
        }
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await.unwrap());
        }
        ids
    });
    assert!(ids.iter().all(|id| *id == here), "{ids:?} vs {here:?}");
    assert_eq!(rt.metrics().workers(), 1);
}

#[test]
fn tasks_wait_for_the_next_block_on() {
    let rt = current_thread();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let task = rt.spawn(async move { r.store(true, SeqCst) });
    // No thread is inside block_on, so nothing can have run it, however long we wait.
    thread::sleep(Duration::from_millis(20));
    assert!(!ran.load(SeqCst));
    rt.block_on(task).unwrap();
    assert!(ran.load(SeqCst));
}

#[test]
fn tasks_queued_when_block_on_returns_run_in_the_next_one() {
    let rt = current_thread();
    let runs = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        for _ in 0..100 {
            let runs = runs.clone();
            turtles::spawn(async move {
                task::yield_now().await;
                runs.fetch_add(1, SeqCst);
            })
            .detach();
        }
    });
    let after_first = runs.load(SeqCst);
    rt.block_on(async {
        while runs.load(SeqCst) < 100 {
            task::yield_now().await;
        }
    });
    assert!(after_first < 100, "the first block_on returned at once");
    assert_eq!(runs.load(SeqCst), 100);
}

#[test]
fn a_wake_from_another_thread_reaches_a_sleeping_core() {
    let rt = current_thread();
    let (tx, rx) = oneshot::channel::<u32>();
    let task = rt.spawn(async move { rx.await.unwrap() + 1 });
    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20)); // the core is asleep by then, usually
        tx.send(41).unwrap();
    });
    assert_eq!(rt.block_on(task).unwrap(), 42);
    sender.join().unwrap();
}

#[test]
fn timers_and_sockets_work() {
    let rt = current_thread();
    let echoed = rt.block_on(async {
        let start = Instant::now();
        turtles::time::sleep(Duration::from_millis(10)).await;
        assert!(start.elapsed() >= Duration::from_millis(10));

        let listener = turtles::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let server = turtles::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0; 4];
            socket.read_exact(&mut buf).await.unwrap();
            socket.write_all(&buf).await.unwrap();
        });
        let mut client = turtles::net::TcpStream::connect(addr).await.unwrap();
        client.write_all(b"ping").await.unwrap();
        let mut buf = [0; 4];
        client.read_exact(&mut buf).await.unwrap();
        server.await.unwrap();
        buf
    });
    assert_eq!(&echoed, b"ping");
}

/// Two threads in `block_on` at once: one holds the core and runs the other's tasks;
/// when it returns, the other takes the core over and runs what is left.
#[test]
fn the_core_passes_between_block_on_callers() {
    let rt = Arc::new(current_thread());
    let (first_tx, first_rx) = oneshot::channel::<()>();
    let both_in = Arc::new(Barrier::new(2));
    let (b_started, started) = mpsc::channel();

    let b = {
        let (rt, both_in) = (rt.clone(), both_in.clone());
        thread::spawn(move || {
            rt.block_on(async move {
                b_started.send(()).unwrap();
                both_in.wait();
                // Spawned while the other thread may hold the core, awaited after it
                // has left: whoever holds the core runs these.
                let mut tasks = Vec::new();
                for i in 0..50u32 {
                    tasks.push(turtles::spawn(async move {
                        task::yield_now().await;
                        i
                    }));
                }
                let mut sum = 0;
                for t in tasks {
                    sum += t.await.unwrap();
                }
                sum
            })
        })
    };
    started.recv_timeout(PATIENCE).unwrap();
    rt.block_on(async move {
        both_in.wait();
        first_tx.send(()).unwrap();
    });
    drop(first_rx);
    let sum = b.join().unwrap();
    assert_eq!(sum, (0..50).sum());
}

#[test]
fn a_task_panic_reaches_its_join_handle() {
    let rt = current_thread();
    let err = rt
        .block_on(rt.spawn(async { panic!("boom in a task") }))
        .unwrap_err();
    assert!(err.is_panic());
    assert_eq!(panic_text(&*err.into_panic()), "boom in a task");
}

#[test]
fn an_unobserved_panic_reaches_the_hook() {
    let (tx, rx) = mpsc::channel();
    let rt = Runtime::builder()
        .current_thread()
        .on_unobserved_panic(move |report| tx.send(report.to_string()).unwrap())
        .build()
        .unwrap();
    rt.block_on(async {
        turtles::spawn(async { panic!("nobody awaits me") }).detach();
        task::yield_now().await;
        task::yield_now().await;
    });
    let report = rx.recv_timeout(PATIENCE).unwrap();
    assert!(report.contains("nobody awaits me"), "{report}");
}

#[test]
fn dropping_the_runtime_cancels_waiting_tasks() {
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, SeqCst);
        }
    }
    let rt = current_thread();
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = SetOnDrop(dropped.clone());
    let task = rt.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    rt.block_on(task::yield_now());
    drop(rt);
    assert!(dropped.load(SeqCst));
    let err = turtles::block_on(task).unwrap_err();
    assert!(err.is_cancelled());
}

#[test]
fn spawn_local_and_spawn_blocking_work_inside() {
    let rt = current_thread();
    let out = rt.block_on(async {
        let rc = std::rc::Rc::new(20);
        let local = turtles::spawn_local(async move { *rc + 1 });
        let blocking = turtles::spawn_blocking(|| 21);
        local.await.unwrap() + blocking.await.unwrap()
    });
    assert_eq!(out, 42);
}

#[test]
fn nested_block_on_in_a_task_is_refused() {
    let rt = current_thread();
    let err = rt
        .block_on(rt.spawn(async { turtles::block_on(async {}) }))
        .unwrap_err();
    let text = panic_text(&*err.into_panic());
    assert!(text.contains("block_on"), "{text}");
}

#[test]
fn the_watchdog_reports_a_stalled_task() {
    let (tx, rx) = mpsc::channel();
    let rt = Runtime::builder()
        .current_thread()
        .stall_threshold(Duration::from_millis(20))
        .on_stall(move |report| {
            let _ = tx.send(report.task_name().map(str::to_owned));
        })
        .build()
        .unwrap();
    let reported = rt.block_on(async {
        task::Builder::new()
            .name("hog")
            .spawn(async move {
                // Blocks the only thread until the watchdog has seen it.
                rx.recv_timeout(PATIENCE).ok().flatten()
            })
            .await
            .unwrap()
    });
    assert_eq!(reported.as_deref(), Some("hog"));
}

/// A task of a current-thread runtime is no local task of the `block_on` that polls it:
/// `spawn_local` from it is refused, as on a worker (accepted, the child would be
/// cancelled when that `block_on` returns while its parent runs on in the next one).
#[test]
fn spawn_local_from_a_task_is_refused() {
    let rt = current_thread();
    let err = rt
        .block_on(rt.spawn(async { turtles::spawn_local(async {}).detach() }))
        .unwrap_err();
    let text = panic_text(&*err.into_panic());
    assert!(
        text.contains("spawn_local was called outside block_on's own future"),
        "{text}"
    );
    // The block_on's own future may still spawn local tasks, and tasks run after it.
    let out = rt.block_on(async { turtles::spawn_local(async { 7 }).await.unwrap() });
    assert_eq!(out, 7);
}
