//! # Lesson: an echo server — one task per connection, no thread per connection
//!
//! The idea: `accept` in a loop and `spawn` a task for each connection. A connection
//! waiting for bytes is a `Waker` in the reactor, not a blocked thread, so two worker
//! threads serve as many connections as the OS allows.
//!
//! What you will see: the address it listens on, then, when it stops, how many
//! connections and bytes it served.
//!
//! Run it: `cargo run --release --example echo_server -- 127.0.0.1:7878 60`
//! (address, then seconds to run; defaults `127.0.0.1:0` and 30). Then point
//! `echo_client` at it: `cargo run --release --example echo_client -- 127.0.0.1:7878`.
//!
//! Try next: set `worker_threads(1)` and watch it still serve thousands of clients.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering::Relaxed},
        Arc,
    },
    time::Duration,
};

use turtles::{
    net::{TcpListener, TcpStream},
    time::timeout,
};

#[derive(Default)]
struct Served {
    connections: AtomicU64,
    bytes: AtomicU64,
}

async fn echo(mut socket: TcpStream, served: Arc<Served>) -> std::io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Ok(()); // the client closed its side
        }
        socket.write_all(&buf[..n]).await?;
        served.bytes.fetch_add(n as u64, Relaxed);
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let seconds: u64 = match args.next() {
        Some(s) => s.parse().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("seconds must be a whole number, got {s:?}"),
            )
        })?,
        None => 30,
    };
    let rt = turtles::Runtime::builder().worker_threads(2).build()?;
    let served = Arc::new(Served::default());
    let result: std::io::Result<()> = rt.block_on(async {
        let listener = TcpListener::bind(addr.as_str()).await?;
        println!(
            "echo server listening on {} for {seconds} s",
            listener.local_addr()?
        );
        let accept_loop = async {
            loop {
                let (socket, _) = listener.accept().await?;
                served.connections.fetch_add(1, Relaxed);
                let served = served.clone();
                turtles::spawn(async move {
                    if let Err(e) = echo(socket, served).await {
                        eprintln!("connection ended with an error: {e}");
                    }
                });
            }
            #[allow(unreachable_code)]
            std::io::Result::Ok(())
        };
        // Dropping the accept loop when time is up cancels it: that is all "stop" means.
        match timeout(Duration::from_secs(seconds), accept_loop).await {
            Ok(result) => result,
            Err(_elapsed) => Ok(()),
        }
    });
    result?;
    println!(
        "served {} connections, echoed {} bytes",
        served.connections.load(Relaxed),
        served.bytes.load(Relaxed)
    );
    Ok(())
}
