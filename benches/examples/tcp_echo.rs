//! TCP echo on 127.0.0.1: round trips per second, the server's user CPU per round trip,
//! and (with `--strace` or `--perf`) its system calls per round trip — turtles and tokio
//! (multi-threaded, one worker per CPU) beside a hand-written single-threaded mio loop,
//! the baseline with the least work per round trip.
//!
//! `cargo run --release -p turtles-benches --example tcp_echo -- [--strace | --perf] [CONNS...]`
//! (default: 100 and 1000 connections; `--strace` needs `strace` on the PATH, `--perf`
//! needs `perf` and permission to read tracepoints).
//!
//! Each server runs in its own child process (this program with `serve KIND CONNS`),
//! so that its CPU time can be read from `/proc/PID/stat` and its system calls counted
//! alone. The client is the same for every server: a tokio current-thread runtime in
//! this process, each connection sending 64 bytes and waiting for them to come back, in
//! a loop, for [`RUN`]. The machine has few cores, so client and server compete for
//! them; what matters is the comparison, made under the same conditions.
//!
//! Two ways to count system calls, because each hides something. `strace -c -f` stops
//! the server at every call and slows it many times over, so its counts come from a
//! second run of their own; slowed down, every runtime finds work waiting at each turn
//! and sleeps less, so the futex calls of threads waking each other mostly disappear.
//! `perf stat` counts kernel tracepoints without stopping anyone: the run it counts is
//! the measured run itself, and it also reports the `futex` and `epoll_wait` calls and
//! the context switches per round trip. Both count the server's whole life (its accepts
//! too), divided by the round trips of the measured window.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::SocketAddr,
    process::{Command, Stdio},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering::Relaxed},
        Arc,
    },
    time::Duration,
};

const MESSAGE: usize = 64;
const RUN: Duration = Duration::from_secs(3);
const KINDS: [&str; 3] = ["turtles", "tokio", "mio"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        let conns = args[2].parse().expect("CONNS is a number");
        return serve(&args[1], conns);
    }
    let count = if args.iter().any(|a| a == "--strace") {
        Count::Strace
    } else if args.iter().any(|a| a == "--perf") {
        Count::Perf
    } else {
        Count::Nothing
    };
    let mut conns: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if conns.is_empty() {
        conns = vec![100, 1000];
    }
    let perf = count == Count::Perf;
    print!("| server | connections | round trips/s | server user CPU per round trip | syscalls per round trip |");
    println!(
        "{}",
        if perf {
            " futex | epoll_wait | context switches |"
        } else {
            ""
        }
    );
    println!(
        "|---|---|---|---|---|{}",
        if perf { "---|---|---|" } else { "" }
    );
    for &n in &conns {
        for kind in KINDS {
            // perf stops nobody: its counts come from the measured run itself.
            let r = measure(kind, n, count.min(Count::Perf));
            let per_trip = |calls: u64, trips: u64| format!("{:.2}", calls as f64 / trips as f64);
            let syscalls = match count {
                // strace slows the server down many times over: the counts come from a
                // second run of their own, divided by that run's round trips.
                Count::Strace => {
                    let traced = measure(kind, n, Count::Strace);
                    let calls = traced.counts.expect("strace counted").syscalls;
                    per_trip(calls, traced.round_trips)
                }
                Count::Perf => per_trip(
                    r.counts.as_ref().expect("perf counted").syscalls,
                    r.round_trips,
                ),
                Count::Nothing => "–".to_owned(),
            };
            print!(
                "| {kind} | {n} | {:.0} | {:.2} µs | {syscalls} |",
                r.round_trips as f64 / RUN.as_secs_f64(),
                r.user_cpu.as_secs_f64() * 1e6 / r.round_trips as f64,
            );
            match (&r.counts, perf) {
                (Some(c), true) => println!(
                    " {} | {} | {} |",
                    per_trip(c.futex, r.round_trips),
                    per_trip(c.epoll_wait, r.round_trips),
                    per_trip(c.context_switches, r.round_trips)
                ),
                _ => println!(),
            }
        }
    }
}

/// How the server's system calls are counted, if at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Count {
    Nothing,
    Perf,
    Strace,
}

struct Result {
    round_trips: u64,
    user_cpu: Duration,
    counts: Option<Counts>,
}

/// Over the server's whole life (`futex`, `epoll_wait` and context switches only with `perf`).
#[derive(Default)]
struct Counts {
    syscalls: u64,
    futex: u64,
    epoll_wait: u64,
    context_switches: u64,
}

/// The events `perf stat` counts, in the order of [`Counts`]' fields.
const PERF_EVENTS: &str = "raw_syscalls:sys_enter,syscalls:sys_enter_futex,\
                           syscalls:sys_enter_epoll_wait,context-switches";

fn measure(kind: &str, conns: usize, count: Count) -> Result {
    let me = std::env::current_exe().expect("the path of this program");
    let trace = std::env::temp_dir().join(format!("tcp_echo_{kind}_{conns}.{count:?}"));
    let mut command = match count {
        Count::Strace => {
            let mut c = Command::new("strace");
            c.args(["-f", "-c", "-o"]).arg(&trace).arg(&me);
            c
        }
        Count::Perf => {
            let mut c = Command::new("perf");
            c.args(["stat", "-x", ",", "-e", PERF_EVENTS, "-o"])
                .arg(&trace)
                .arg(&me);
            c
        }
        Count::Nothing => Command::new(&me),
    };
    let mut child = command
        .args(["serve", kind, &conns.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let addr: SocketAddr = {
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("piped"))
            .read_line(&mut line)
            .expect("the server prints its address");
        line.trim().parse().expect("an address")
    };
    // Under perf the server is perf's child: its CPU time is its own.
    let server = match count {
        Count::Perf => only_child(child.id()),
        _ => child.id(),
    };
    let (round_trips, user_cpu) = client(addr, conns, server);
    let status = child
        .wait()
        .expect("the server ends once every client is gone");
    assert!(status.success(), "the {kind} server failed");
    let counts = match count {
        Count::Nothing => None,
        Count::Strace => Some(strace_counts(&trace)),
        Count::Perf => Some(perf_counts(&trace)),
    };
    Result {
        round_trips,
        user_cpu,
        counts,
    }
}

/// The total of `strace -c`'s summary.
fn strace_counts(path: &std::path::Path) -> Counts {
    let text = std::fs::read_to_string(path).expect("strace wrote its summary");
    let syscalls = text
        .lines()
        .find(|l| l.trim_end().ends_with("total"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|calls| calls.parse().ok())
        .expect("strace's total line");
    Counts {
        syscalls,
        ..Counts::default()
    }
}

/// `perf stat -x,`'s lines, one per event: the count, then the event's name third.
fn perf_counts(path: &std::path::Path) -> Counts {
    let text = std::fs::read_to_string(path).expect("perf wrote its counts");
    let count = |event: &str| -> u64 {
        text.lines()
            .find(|l| l.split(',').nth(2) == Some(event))
            .and_then(|l| l.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("perf counted no {event} (are tracepoints readable?)"))
    };
    Counts {
        syscalls: count("raw_syscalls:sys_enter"),
        futex: count("syscalls:sys_enter_futex"),
        epoll_wait: count("syscalls:sys_enter_epoll_wait"),
        context_switches: count("context-switches"),
    }
}

/// The server's user CPU time so far (`/proc/PID/stat`, field 14, in clock ticks of 10 ms).
fn user_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc");
    // The command name (field 2) may contain spaces; it ends at the last ')'.
    let after = &stat[stat.rfind(')').expect("stat has a command name") + 2..];
    let ticks: u64 = after
        .split_whitespace()
        .nth(11)
        .and_then(|t| t.parse().ok())
        .expect("utime");
    Duration::from_millis(ticks * 10)
}

/// The one process `pid` started (`/proc/PID/task/PID/children`).
fn only_child(pid: u32) -> u32 {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .expect("/proc lists children")
        .split_whitespace()
        .next()
        .and_then(|c| c.parse().ok())
        .expect("the server runs under perf")
}

/// `conns` connections bounce 64 bytes off the server (process `server`) for [`RUN`];
/// returns the round trips made and the server's user CPU time over that window (under
/// strace `server` is strace's PID: only an uncounted run's CPU is reported).
fn client(addr: SocketAddr, conns: usize, server: u32) -> (u64, Duration) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    rt.block_on(async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let count = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut streams = Vec::with_capacity(conns);
        for _ in 0..conns {
            let s = tokio::net::TcpStream::connect(addr)
                .await
                .expect("connects");
            s.set_nodelay(true).expect("nodelay");
            streams.push(s);
        }
        let cpu_before = user_cpu(server);
        let tasks: Vec<_> = streams
            .into_iter()
            .map(|mut s| {
                let (count, stop) = (count.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut buf = [7u8; MESSAGE];
                    while !stop.load(Relaxed) {
                        s.write_all(&buf).await.expect("write");
                        s.read_exact(&mut buf).await.expect("read");
                        count.fetch_add(1, Relaxed);
                    }
                })
            })
            .collect();
        tokio::time::sleep(RUN).await;
        let cpu = user_cpu(server) - cpu_before;
        let done = count.load(Relaxed);
        stop.store(true, Relaxed);
        for t in tasks {
            t.await.expect("a client task");
        }
        (done, cpu)
    })
}

/// The server: accepts `conns` connections, echoes until each closes, exits.
fn serve(kind: &str, conns: usize) {
    match kind {
        "turtles" => {
            let rt = turtles::Runtime::new().expect("turtles");
            rt.block_on(async {
                let listener = turtles::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                announce(listener.local_addr().expect("addr"));
                let mut handlers = Vec::with_capacity(conns);
                for _ in 0..conns {
                    let (mut s, _) = listener.accept().await.expect("accept");
                    handlers.push(turtles::spawn(async move {
                        let mut buf = [0u8; 4096];
                        loop {
                            match s.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => s.write_all(&buf[..n]).await.expect("write"),
                            }
                        }
                    }));
                }
                for h in handlers {
                    h.await.expect("a handler");
                }
            });
        }
        "tokio" => {
            let rt = tokio::runtime::Runtime::new().expect("tokio");
            rt.block_on(async {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                announce(listener.local_addr().expect("addr"));
                let mut handlers = Vec::with_capacity(conns);
                for _ in 0..conns {
                    let (mut s, _) = listener.accept().await.expect("accept");
                    handlers.push(tokio::spawn(async move {
                        let mut buf = [0u8; 4096];
                        loop {
                            match s.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => s.write_all(&buf[..n]).await.expect("write"),
                            }
                        }
                    }));
                }
                for h in handlers {
                    h.await.expect("a handler");
                }
            });
        }
        "mio" => mio_loop(conns),
        other => panic!("no server named {other}"),
    }
}

fn announce(addr: SocketAddr) {
    println!("{addr}");
    std::io::stdout().flush().expect("stdout");
}

/// One thread, one `epoll`: read what is there, write it back, until every connection
/// has come and gone. No executor, no wakers: the least work an echo can be.
fn mio_loop(conns: usize) {
    use mio::{net::TcpListener, Events, Interest, Poll, Token};
    let mut poll = Poll::new().expect("epoll");
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
    announce(listener.local_addr().expect("addr"));
    const LISTENER: Token = Token(usize::MAX);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .expect("register");
    let mut streams = slab::Slab::new();
    let (mut accepted, mut closed) = (0, 0);
    let mut events = Events::with_capacity(1024);
    let mut buf = [0u8; 4096];
    while closed < conns {
        poll.poll(&mut events, None).expect("poll");
        for event in &events {
            if event.token() == LISTENER {
                while let Ok((mut s, _)) = listener.accept() {
                    let entry = streams.vacant_entry();
                    poll.registry()
                        .register(&mut s, Token(entry.key()), Interest::READABLE)
                        .expect("register");
                    entry.insert(s);
                    accepted += 1;
                }
                continue;
            }
            let key = event.token().0;
            let s: &mut mio::net::TcpStream = &mut streams[key];
            let open = loop {
                match s.read(&mut buf) {
                    Ok(0) => break false,
                    // 64-byte echoes fit the socket buffer: writing back at once, spinning
                    // on the (never seen) `WouldBlock` instead of waiting for
                    // writability, is the loop's one shortcut.
                    Ok(n) => {
                        if write_all_spinning(s, &buf[..n]).is_err() {
                            break false;
                        }
                        if n < buf.len() {
                            break true; // a short read: the socket is drained
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break true,
                    Err(_) => break false,
                }
            };
            if !open {
                let mut s = streams.remove(key);
                poll.registry().deregister(&mut s).expect("deregister");
                closed += 1;
            }
        }
    }
    assert_eq!(accepted, conns);
}

fn write_all_spinning(s: &mut mio::net::TcpStream, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        match s.write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::yield_now(),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
