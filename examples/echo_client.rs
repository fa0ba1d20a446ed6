//! # Lesson: an echo client — many connections, every byte checked
//!
//! The idea: open N connections at once, each a task that sends M messages and checks
//! that every byte comes back in order. N tasks, two threads: the waits overlap.
//!
//! What you will see: connections, messages, bytes, elapsed time and throughput.
//!
//! Run it: `cargo run --release --example echo_client -- [ADDR] [N] [M]`.
//! Without ADDR it starts its own echo server in-process, so it runs on its own;
//! defaults N = 200 connections, M = 100 messages of 1 KiB.
//!
//! Try next: raise N to 5,000 and compare the thread count (`ps -T`) — still a handful.

use std::time::Instant;

use turtles::net::{TcpListener, TcpStream};

const MESSAGE: usize = 1024;

fn pattern(connection: usize, message: usize) -> Vec<u8> {
    (0..MESSAGE)
        .map(|i| (connection * 31 + message * 7 + i) as u8)
        .collect()
}

async fn start_local_server() -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    turtles::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            turtles::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = socket.read(&mut buf).await {
                    if n == 0 || socket.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    Ok(addr)
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parse = |i: usize, default: usize| -> std::io::Result<usize> {
        match args.get(i) {
            Some(s) => s.parse().map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("argument {} must be a number, got {s:?}", i + 1),
                )
            }),
            None => Ok(default),
        }
    };
    let (connections, messages) = (parse(1, 200)?, parse(2, 100)?);
    let rt = turtles::Runtime::builder().worker_threads(2).build()?;
    rt.block_on(async {
        let addr = match args.first() {
            Some(addr) => addr.clone(),
            None => {
                let addr = start_local_server().await?;
                println!("no address given: started an echo server on {addr}");
                addr
            }
        };
        let start = Instant::now();
        let clients: Vec<_> = (0..connections)
            .map(|c| {
                let addr = addr.clone();
                turtles::spawn(async move {
                    let mut stream = TcpStream::connect(addr.as_str()).await?;
                    stream.set_nodelay(true)?;
                    let mut back = vec![0u8; MESSAGE];
                    for m in 0..messages {
                        let sent = pattern(c, m);
                        stream.write_all(&sent).await?;
                        stream.read_exact(&mut back).await?;
                        if back != sent {
                            return Err(std::io::Error::other(format!("connection {c} message {m}: bytes differ")));
                        }
                    }
                    std::io::Result::Ok(())
                })
            })
            .collect();
        for client in clients {
            client.await.map_err(std::io::Error::other)??;
        }
        let elapsed = start.elapsed();
        let bytes = 2 * connections * messages * MESSAGE;
        println!(
            "{connections} connections x {messages} messages of {MESSAGE} B: {bytes} bytes checked in {:.1} ms, {:.1} MiB/s, {:.0} round trips/s",
            elapsed.as_secs_f64() * 1e3,
            bytes as f64 / elapsed.as_secs_f64() / (1024.0 * 1024.0),
            (connections * messages) as f64 / elapsed.as_secs_f64()
        );
        Ok(())
    })
}
