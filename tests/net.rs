//! TCP and UDP through the public API: a 1,000-connection echo on two workers, every
//! byte checked; the errors a caller must be able to handle; a UDP round trip; and the
//! futures-io traits.

use std::{io, time::Duration};

use futures_util::{AsyncReadExt, AsyncWriteExt};
use turtles::{
    net::{Shutdown, TcpListener, TcpStream, UdpSocket},
    time::timeout,
    Runtime,
};

/// Generous: CI shares two noisy cores.
const PATIENCE: Duration = Duration::from_secs(60);

/// The bytes client `c` sends in round `r`: distinct per client and per round, so a
/// byte delivered to the wrong connection or out of order is caught.
fn message(client: usize, round: usize) -> Vec<u8> {
    (0..64)
        .map(|i| (client * 7 + round * 13 + i) as u8)
        .collect()
}

#[test]
fn echo_with_a_thousand_concurrent_connections_on_two_workers() {
    const CLIENTS: usize = 1000;
    const ROUNDS: usize = 4;
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = turtles::spawn(async move {
            for _ in 0..CLIENTS {
                let (mut socket, _) = listener.accept().await.unwrap();
                turtles::spawn(async move {
                    let mut buf = [0u8; 1024];
                    loop {
                        let n = socket.read(&mut buf).await.unwrap();
                        if n == 0 {
                            return;
                        }
                        socket.write_all(&buf[..n]).await.unwrap();
                    }
                });
            }
        });
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                turtles::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    for r in 0..ROUNDS {
                        let sent = message(c, r);
                        stream.write_all(&sent).await.unwrap();
                        let mut back = vec![0; sent.len()];
                        stream.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, sent, "client {c} round {r}");
                    }
                    stream.shutdown(Shutdown::Write).await.unwrap();
                    assert_eq!(
                        stream.read(&mut [0; 8]).await.unwrap(),
                        0,
                        "server closed after our EOF"
                    );
                    ROUNDS * 64
                })
            })
            .collect();
        let mut echoed = 0;
        for client in clients {
            echoed += timeout(PATIENCE, client)
                .await
                .expect("echo finished in time")
                .unwrap();
        }
        server.await.unwrap();
        assert_eq!(echoed, CLIENTS * ROUNDS * 64);
    });
}

#[turtles::test]
async fn connecting_where_nobody_listens_is_connection_refused() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let err = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
}

#[turtles::test]
async fn binding_a_port_in_use_is_addr_in_use() {
    let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = TcpListener::bind(first.local_addr().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let err = UdpSocket::bind(udp.local_addr().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
}

#[turtles::test]
async fn a_peer_that_closes_with_unread_data_resets_the_connection() {
    // The server side is a plain blocking std socket, so the test can wait for the
    // data to arrive (peek) as an event, not with a sleep.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().unwrap();
    client.write_all(b"you will never read this").await.unwrap();
    server.peek(&mut [0; 1]).unwrap(); // the bytes are in the server's receive buffer
                                       // Closing a socket with unread data makes the kernel answer with RST, not FIN.
    drop(server);
    let mut buf = [0; 16];
    let err = client.read(&mut buf).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    let err = client.write_all(b"more").await.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        ),
        "{err}"
    );
}

#[turtles::test]
async fn read_exact_reports_an_early_eof() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut server, peer) = listener.accept().await.unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    assert_eq!(client.peer_addr().unwrap(), listener.local_addr().unwrap());
    server.write_all(b"abc").await.unwrap();
    server.shutdown(Shutdown::Both).await.unwrap();
    let mut buf = [0; 8];
    let err = client.read_exact(&mut buf).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
}

#[turtles::test]
async fn udp_round_trip_unconnected_and_connected() {
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    let echo = turtles::spawn(async move {
        let mut buf = [0; 64];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        b.send_to(&buf[..n], from).await.unwrap();
    });
    a.send_to(b"marco", b_addr).await.unwrap();
    let mut buf = [0; 64];
    let (n, from) = a.recv_from(&mut buf).await.unwrap();
    assert_eq!((&buf[..n], from), (&b"marco"[..], b_addr));
    echo.await.unwrap();

    let c = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    c.connect(a_addr).await.unwrap();
    a.connect(c.local_addr().unwrap()).await.unwrap();
    c.send(b"polo").await.unwrap();
    let n = a.recv(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"polo");
}

/// A connected client, and a spawned server task that accepts it and returns all it
/// reads until the client closes.
async fn client_and_reading_server() -> (TcpStream, turtles::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = turtles::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut all = String::new();
        AsyncReadExt::read_to_string(&mut socket, &mut all)
            .await
            .unwrap();
        all
    });
    (TcpStream::connect(addr).await.unwrap(), server)
}

#[turtles::test]
async fn tcp_stream_works_with_futures_io_helpers() {
    let (mut client, server) = client_and_reading_server().await;
    AsyncWriteExt::write_all(&mut client, b"line one\nline two\n")
        .await
        .unwrap();
    AsyncWriteExt::close(&mut client).await.unwrap();
    assert_eq!(server.await.unwrap(), "line one\nline two\n");
}

#[turtles::test]
async fn a_vectored_write_sends_every_buffer_in_one_call() {
    let (mut client, server) = client_and_reading_server().await;
    let (head, body) = (b"HTTP/1.1 200 OK\r\n\r\n", b"hello world");
    let bufs = [std::io::IoSlice::new(head), std::io::IoSlice::new(body)];
    let written = AsyncWriteExt::write_vectored(&mut client, &bufs)
        .await
        .unwrap();
    // Without `poll_write_vectored` the default writes the first buffer only.
    assert_eq!(written, head.len() + body.len(), "one writev, both buffers");
    AsyncWriteExt::close(&mut client).await.unwrap();
    assert_eq!(server.await.unwrap(), "HTTP/1.1 200 OK\r\n\r\nhello world");
}

#[turtles::test(worker_threads = 2)]
async fn several_tasks_may_accept_on_one_listener() {
    // Each waiting accept must be woken: a listener keeps every waiting task, not one.
    let listener = std::sync::Arc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
    let addr = listener.local_addr().unwrap();
    let acceptors: Vec<_> = (0..3)
        .map(|_| {
            let listener = listener.clone();
            turtles::spawn(async move { listener.accept().await.map(|_| ()) })
        })
        .collect();
    // Let all three reach their first Pending before anyone connects.
    turtles::time::sleep(std::time::Duration::from_millis(50)).await;
    let _clients: Vec<_> = turtles::future::join_all((0..3).map(|_| TcpStream::connect(addr)))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    for acceptor in acceptors {
        turtles::time::timeout(std::time::Duration::from_secs(20), acceptor)
            .await
            .expect("every waiting accept was woken")
            .unwrap()
            .unwrap();
    }
}

#[test]
fn abandoned_waiters_cannot_pile_up_on_an_idle_listener() {
    use std::{
        sync::{
            atomic::{AtomicUsize, Ordering::SeqCst},
            Arc,
        },
        task::{Context, Wake, Waker},
    };
    /// A waker of a task whose future was dropped: nobody will poll again.
    struct Abandoned(Arc<AtomicUsize>);
    impl Wake for Abandoned {
        fn wake(self: Arc<Self>) {}
    }
    impl Drop for Abandoned {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    let listener = turtles::block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let dropped = Arc::new(AtomicUsize::new(0));
    const WAITERS: usize = 20_000;
    for _ in 0..WAITERS {
        let waker = Waker::from(Arc::new(Abandoned(dropped.clone())));
        assert!(listener
            .poll_accept(&mut Context::from_waker(&waker))
            .is_pending());
    }
    let kept = WAITERS - dropped.load(SeqCst);
    // The reactor keeps at most 1,024 per direction (`MOST_WAITING`), then wakes and
    // forgets them: the live re-register, the abandoned are gone.
    assert!(
        kept <= 1024,
        "{kept} abandoned wakers kept by an idle listener"
    );
}
