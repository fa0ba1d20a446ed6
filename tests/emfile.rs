//! `accept` when the process is out of file descriptors: an error, not a hang or a
//! crash, and the listener works again once descriptors are free. Alone in its binary
//! because it exhausts the process's descriptors on purpose.

mod common;

use std::{fs::File, io};

use turtles::net::{TcpListener, TcpStream};

#[test]
fn accept_reports_emfile_and_recovers() {
    common::lower_fd_limit(256);

    turtles::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // The client connects with a std socket, made before the exhaustion.
        let _client = std::net::TcpStream::connect(addr).unwrap();

        let mut hog = Vec::new();
        let exhausted = loop {
            match File::open("/dev/null") {
                Ok(f) => hog.push(f),
                Err(e) => break e,
            }
            assert!(hog.len() < 100_000, "the limit did not take effect");
        };
        assert_eq!(exhausted.raw_os_error(), Some(24), "EMFILE: {exhausted}");

        let err = listener.accept().await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(24), "accept reports EMFILE: {err}");

        drop(hog);
        let (mut server_side, _) = listener.accept().await.expect("the listener recovered");
        server_side.write_all(b"ok").await.unwrap();
        let mut again = TcpStream::connect(addr).await.unwrap();
        listener.accept().await.unwrap();
        again.flush().await.unwrap();
        io::Result::Ok(())
    })
    .unwrap();
}
