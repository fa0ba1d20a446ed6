//! Networking: TCP, UDP and Unix sockets whose waits hold no thread.
//!
//! Lesson: every socket here is a non-blocking mio socket plus a `Registration` with
//! the reactor (`registration.rs`). `read` tries the system
//! call; on `WouldBlock` it leaves its waker and returns `Pending`, and the task is
//! only polled again once the kernel reports the socket readable.

mod byte_stream;
mod split;
mod tcp_listener;
mod tcp_stream;
mod udp;
mod unix;

pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, Split, WriteHalf};
pub use std::net::{Shutdown, SocketAddr};
pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
pub use udp::UdpSocket;
pub use unix::{UnixListener, UnixStream};

use std::{io, net::ToSocketAddrs};

/// Resolves `addr` and tries `each` on every address until one works; the last error
/// otherwise. Name resolution may block (it is the OS resolver); addresses like
/// `"127.0.0.1:0"` involve no lookup at all.
pub(crate) fn for_each_addr<T>(
    addr: impl ToSocketAddrs,
    mut each: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for addr in addr.to_socket_addrs()? {
        match each(addr) {
            Ok(value) => return Ok(value),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(no_address))
}

/// The error when an address resolves to nothing at all.
pub(crate) fn no_address() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "the address resolved to no socket address",
    )
}
