//! turtles' timers and sockets under another executor, in a process with no turtles
//! runtime and no `turtles::block_on`: nothing of turtles drives the reactor, so its
//! backup thread must. Alone in its binary: any other test would start a runtime.

use std::{
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use turtles::{
    net::{TcpListener, TcpStream},
    time::sleep,
};

/// Generous: CI shares two noisy cores.
const PATIENCE: Duration = Duration::from_secs(20);

/// Runs `work` on a thread of its own and fails (instead of hanging) if it does not
/// finish in time: without a driver these futures would wait forever.
fn within_patience<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || tx.send(work()).unwrap());
    rx.recv_timeout(PATIENCE).unwrap_or_else(|_| {
        panic!("{what} did not finish in {PATIENCE:?}: nothing drove the reactor")
    })
}

#[test]
fn a_sleep_and_a_tcp_round_trip_complete_under_futures_executor() {
    let slept = within_patience("a 20 ms sleep under futures::executor::block_on", || {
        let start = Instant::now();
        futures_executor::block_on(sleep(Duration::from_millis(20)));
        start.elapsed()
    });
    assert!(
        slept >= Duration::from_millis(20),
        "never before the deadline: {slept:?}"
    );

    let echoed = within_patience("a TCP round trip under futures::executor::block_on", || {
        futures_executor::block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = async {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut buf = [0; 5];
                socket.read_exact(&mut buf).await.unwrap();
                socket.write_all(&buf).await.unwrap();
            };
            let client = async {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                stream.write_all(b"hello").await.unwrap();
                let mut buf = [0; 5];
                stream.read_exact(&mut buf).await.unwrap();
                buf
            };
            futures_util::future::join(server, client).await.1
        })
    });
    assert_eq!(&echoed, b"hello");
}
