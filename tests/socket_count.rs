//! Dropping a socket deregisters it from the reactor. Alone in its binary: it compares the
//! process-wide count of registered sockets, which any other test would change under it.

use std::time::{Duration, Instant};

use turtles::net::{TcpListener, TcpStream};

/// Generous: CI shares two noisy cores.
const PATIENCE: Duration = Duration::from_secs(20);

#[test]
fn dropping_a_socket_deregisters_it() {
    turtles::block_on(async {
        let before = turtles::reactor_metrics().unwrap().io_sources();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut streams = Vec::new();
        for _ in 0..10 {
            streams.push(TcpStream::connect(addr).await.unwrap());
            streams.push(listener.accept().await.unwrap().0);
        }
        // Nothing else in this process opens sockets: the count is exact.
        assert_eq!(
            turtles::reactor_metrics().unwrap().io_sources(),
            before + 21
        );
        drop(streams);
        drop(listener);
        // Deregistration happens in `Drop`, synchronously; no wait should be needed,
        // but the reactor is process-wide, so allow for a turn in flight.
        let deadline = Instant::now() + PATIENCE;
        while turtles::reactor_metrics().unwrap().io_sources() != before {
            assert!(Instant::now() < deadline, "sockets stayed registered");
            turtles::time::sleep(Duration::from_millis(5)).await;
        }
    });
}
