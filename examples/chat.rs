//! # chat: a broadcast chat server, and clients that check it
//!
//! The idea: the second program everyone writes, with the pieces a tokio user reaches
//! for. Each connection is split (`into_split`): one task reads the client's lines and
//! `send`s them on a `broadcast` channel; another task `recv`s every line from that
//! channel and writes the others' lines back. The connection tasks live in a `JoinSet`,
//! and `signal::ctrl_c()` stops the server, which aborts them all at once
//! (`JoinSet::abort_all`, then `join_next` until the set is empty). No thread waits on any socket: two workers serve everyone.
//!
//! What you will see: N clients connect, wait at a `Barrier` until all are in, each send
//! 20 lines and read everyone else's. Each client checks that every line of every
//! other client arrived exactly once, then the program sends SIGINT to itself: the
//! server's `ctrl_c()` fires and it closes every connection.
//!
//! Run it: `cargo run --release --example chat -- --clients 50`
//! Or serve people: `cargo run --release --example chat -- --serve 127.0.0.1:7000`,
//! then `nc 127.0.0.1 7000` in two terminals; Ctrl-C stops the server.
//!
//! Try next: give the channel a capacity of 4 (the `serve(listener, ...)` call in
//! `check`). Fifty clients now send faster than the forwarding tasks drain the ring:
//! those that fall behind get `RecvError::Lagged(n)`, tell their client "(missed n
//! lines)", and the check lists who missed how many. That is broadcast's promise: the
//! fast are never held up by the slow.

use std::{collections::HashMap, io, net::SocketAddr, pin::pin, sync::Arc, time::Instant};

use turtles::{
    future::{select, Either},
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader, StreamExt},
    net::{TcpListener, TcpStream},
    sync::{broadcast, Barrier},
    task::JoinSet,
};

/// Lines each client sends.
const LINES: usize = 20;

/// A line as the channel carries it: who sent it, and the text.
type Line = Arc<(usize, String)>;

#[turtles::main(worker_threads = 2)]
async fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["--serve", addr] => {
            let listener = TcpListener::bind(addr).await?;
            println!("chat on {}; Ctrl-C stops it", listener.local_addr()?);
            serve(listener, 1024).await
        }
        ["--clients", n] => check(n.parse().map_err(|_| bad_args())?).await,
        [] => check(20).await,
        _ => Err(bad_args()),
    }
}

fn bad_args() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "usage: chat [--clients N | --serve ADDR]",
    )
}

/// Accepts until Ctrl-C; then aborts every connection and returns.
async fn serve(listener: TcpListener, capacity: usize) -> io::Result<()> {
    let (lines, _) = broadcast::channel::<Line>(capacity);
    let mut connections = JoinSet::new();
    let mut ctrl_c = pin!(turtles::signal::ctrl_c());
    let mut next_id = 0;
    loop {
        match select(listener.accept(), ctrl_c.as_mut()).await {
            Either::Left(accepted) => {
                let (stream, peer) = accepted?;
                next_id += 1;
                connections.spawn(connection(stream, peer, next_id, lines.clone()));
                // Take the results of connections that ended, so the set does not grow
                // for as long as the server runs.
                while let Some(ended) = connections.try_join_next() {
                    if let Ok(Err(e)) = ended {
                        eprintln!("server: a connection failed: {e}");
                    }
                }
            }
            Either::Right(signal) => {
                signal?;
                break;
            }
        }
    }
    connections.abort_all();
    let (mut aborted, mut ended) = (0, 0);
    while let Some(connection) = connections.join_next().await {
        match connection {
            Err(e) if e.is_cancelled() => aborted += 1,
            _ => ended += 1,
        }
    }
    println!("server: Ctrl-C: {aborted} connections aborted, {ended} had ended; stopped");
    Ok(())
}

/// One client: its lines go out on the channel, everyone else's come back to it.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    id: usize,
    lines: broadcast::Sender<Line>,
) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut incoming = lines.subscribe(); // before the welcome: nothing sent after it is missed
    write
        .write_all(format!("welcome {id} ({peer})\n").as_bytes())
        .await?;
    // The forwarding task lives in a set of this connection's own: however this
    // function ends (the client left, a line that is not UTF-8), dropping the set
    // aborts it, so it never outlives its connection.
    let mut forwarding = JoinSet::new();
    forwarding.spawn(async move {
        loop {
            match incoming.recv().await {
                Ok(line) if line.0 == id => {} // our own line
                Ok(line) => write.write_all(line.1.as_bytes()).await?,
                Err(broadcast::RecvError::Lagged(n)) => {
                    write
                        .write_all(format!("(missed {n} lines)\n").as_bytes())
                        .await?
                }
                Err(broadcast::RecvError::Closed) => return io::Result::Ok(()),
            }
        }
    });
    let mut from_client = BufReader::new(read).lines();
    while let Some(line) = from_client.next().await {
        // An error means no connection is listening any more: nobody to tell.
        let _ = lines.send(Arc::new((id, format!("{line}\n", line = line?))));
    }
    // The client left. If forwarding failed first (the client stopped reading), say so.
    if let Some(Ok(Err(e))) = forwarding.try_join_next() {
        eprintln!("server: writing to client {id} failed: {e}");
    }
    Ok(())
}

/// Serves `clients` clients on a free port and checks that each got every line of
/// every other client exactly once.
async fn check(clients: usize) -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    // Room for every line at once: nobody can lag, so "exactly once" is checkable.
    let server = turtles::spawn(serve(listener, (clients * LINES).max(1024)));
    let start = Instant::now();
    let everyone_in = Arc::new(Barrier::new(clients));
    let mut set = JoinSet::new();
    for me in 0..clients {
        set.spawn(client(addr, me, clients, everyone_in.clone()));
    }
    let (mut deliveries, mut lagged) = (0, Vec::new());
    while let Some(received) = set.join_next().await {
        let (me, counts, missed) = received.expect("a client panicked")?;
        if missed > 0 {
            lagged.push((me, missed));
            continue;
        }
        for other in (0..clients).filter(|&c| c != me) {
            for n in 0..LINES {
                let line = format!("client {other} line {n}");
                match counts.get(&line).copied().unwrap_or(0) {
                    1 => deliveries += 1,
                    k => panic!("client {me} got {line:?} {k} times, not once"),
                }
            }
        }
        let total: usize = counts.values().sum();
        assert_eq!(
            total,
            (clients - 1) * LINES,
            "client {me} got lines nobody sent"
        );
    }
    let ms = start.elapsed().as_secs_f64() * 1e3;
    if lagged.is_empty() {
        println!(
            "{clients} clients × {LINES} lines: every line reached every other client \
             exactly once ({deliveries} deliveries) in {ms:.0} ms"
        );
    } else {
        for (me, missed) in &lagged {
            println!("client {me} lagged behind and missed {missed} lines");
        }
        let whole = clients - lagged.len();
        println!("{whole} clients got every line exactly once, in {ms:.0} ms");
    }
    println!("sending SIGINT to ourselves, as Ctrl-C would");
    signal_hook::low_level::raise(signal_hook::consts::SIGINT)?;
    server.await.expect("the server task panicked")
}

/// Connects, waits until all clients are in, sends its lines, reads everyone else's.
async fn client(
    addr: SocketAddr,
    me: usize,
    clients: usize,
    everyone_in: Arc<Barrier>,
) -> io::Result<(usize, HashMap<String, usize>, usize)> {
    let (read, mut write) = TcpStream::connect(addr).await?.into_split();
    let mut lines = BufReader::new(read).lines();
    let welcome = lines.next().await.transpose()?.unwrap_or_default();
    assert!(welcome.starts_with("welcome"), "got {welcome:?}");
    everyone_in.wait().await; // everybody subscribed: no line can be sent too early
    let expected = (clients - 1) * LINES;
    let reader = turtles::spawn(async move {
        let (mut counts, mut missed) = (HashMap::new(), 0);
        while counts.values().sum::<usize>() + missed < expected {
            let Some(line) = lines.next().await else {
                break; // the server went away: the check will say what is missing
            };
            let line = line?;
            match line
                .strip_prefix("(missed ")
                .and_then(|n| n.strip_suffix(" lines)"))
            {
                Some(n) => missed += n.parse::<usize>().unwrap_or(0),
                None => *counts.entry(line).or_insert(0) += 1,
            }
        }
        io::Result::Ok((counts, missed))
    });
    for n in 0..LINES {
        write
            .write_all(format!("client {me} line {n}\n").as_bytes())
            .await?;
    }
    let (counts, missed) = reader.await.expect("a reader panicked")?;
    Ok((me, counts, missed))
}
