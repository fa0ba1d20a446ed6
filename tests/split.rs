//! Split streams: halves used from two tasks at once, EOF on drop, reunite, a clean
//! close after the peer left; the same for Unix sockets.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering::SeqCst},
        Arc,
    },
    time::Duration,
};

use turtles::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream, UnixListener, UnixStream},
};

/// A connected TCP pair on 127.0.0.1.
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

#[turtles::test(worker_threads = 2)]
async fn owned_halves_read_and_write_from_two_tasks_at_once() {
    let (client, mut server) = tcp_pair().await;
    let (mut read, mut write) = client.into_split();
    // Both directions busy at the same moment: each half's waker must survive the
    // other's waiting (one waker per direction).
    let reader = turtles::spawn(async move {
        let mut got = vec![0; 64 * 1024];
        read.read_exact(&mut got).await.unwrap();
        got.iter().all(|&b| b == 7)
    });
    let writer = turtles::spawn(async move {
        write.write_all(&vec![9; 64 * 1024]).await.unwrap();
        write // keep the write direction open until the server is done
    });
    let echo = turtles::spawn(async move {
        server.write_all(&vec![7; 64 * 1024]).await.unwrap();
        let mut got = vec![0; 64 * 1024];
        server.read_exact(&mut got).await.unwrap();
        got.iter().all(|&b| b == 9)
    });
    assert!(
        reader.await.unwrap(),
        "the client's read half got the server's bytes"
    );
    assert!(echo.await.unwrap(), "the server got the write half's bytes");
    drop(writer.await.unwrap());
}

#[turtles::test]
async fn borrowed_halves_work_under_join() {
    let (mut client, mut server) = tcp_pair().await;
    // Spelled out: with turtles::io::AsyncReadExt in scope, `server.split()` would be
    // futures' consuming `split` (a trait method taking `self` wins over an inherent
    // one taking `&mut self`).
    let (mut read, mut write) = TcpStream::split(&mut server);
    let (sent, echoed) = turtles::join!(
        async {
            client.write_all(b"ping").await.unwrap();
            let mut buf = [0; 4];
            client.read_exact(&mut buf).await.unwrap();
            buf
        },
        async {
            let mut buf = [0; 4];
            read.read_exact(&mut buf).await.unwrap();
            write.write_all(&buf).await.unwrap();
        }
    );
    assert_eq!((&sent, echoed), (b"ping", ()));
}

#[turtles::test]
async fn dropping_the_owned_write_half_sends_eof_and_reunite_restores_the_stream() {
    let (client, mut server) = tcp_pair().await;
    let (read, write) = client.into_split();
    let client = read.reunite(write).expect("halves of one stream");
    let (read, mut write) = client.into_split();
    write.write_all(b"last words").await.unwrap();
    drop(write);
    let mut got = String::new();
    server.read_to_string(&mut got).await.unwrap();
    assert_eq!(got, "last words", "then end-of-file");
    drop(read);
}

#[turtles::test]
async fn closing_after_the_peer_left_is_a_clean_close() {
    let (mut client, server) = tcp_pair().await;
    drop(server);
    // Writing to a closed peer makes it answer with a reset; after that the socket is
    // no longer connected and a raw shutdown says so.
    let mut reset = false;
    for _ in 0..200 {
        let _ = client.write(b"anyone?").await;
        turtles::time::sleep(Duration::from_millis(10)).await;
        if let Err(e) = client.shutdown(std::net::Shutdown::Write).await {
            assert_eq!(e.kind(), std::io::ErrorKind::NotConnected);
            reset = true;
            break;
        }
    }
    assert!(reset, "the peer's reset never arrived");
    client
        .close()
        .await
        .expect("closing a stream whose peer left is a clean close, as in tokio");
}

#[turtles::test(worker_threads = 2)]
async fn a_unix_echo_server_with_split_halves() {
    let path = std::env::temp_dir().join(format!("turtles-split-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let server = turtles::spawn({
        let served = served.clone();
        async move {
            for _ in 0..3 {
                let (stream, _) = listener.accept().await.unwrap();
                served.fetch_add(1, SeqCst);
                turtles::spawn(async move {
                    let (mut read, mut write) = stream.into_split();
                    turtles::io::copy(&mut read, &mut write).await.unwrap();
                });
            }
        }
    });
    for i in 0..3u8 {
        let mut client = UnixStream::connect(&path).await.unwrap();
        client.write_all(&[i; 100]).await.unwrap();
        let mut back = [0; 100];
        client.read_exact(&mut back).await.unwrap();
        assert_eq!(back, [i; 100]);
    }
    server.await.unwrap();
    assert_eq!(served.load(SeqCst), 3);
    std::fs::remove_file(&path).unwrap();
}

#[turtles::test]
async fn unix_pairs_split_like_tcp() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let (mut read, mut write) = a.into_split();
    write.write_all(b"to b").await.unwrap();
    let mut buf = [0; 4];
    b.read_exact(&mut buf).await.unwrap();
    b.write_all(b"to a").await.unwrap();
    read.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"to a");
}
