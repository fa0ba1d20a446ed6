//! `UdpSocket`: datagrams, sent and received without a blocked thread.

use std::{
    fmt,
    future::Future,
    io,
    net::{SocketAddr, ToSocketAddrs},
    panic::Location,
};

use crate::{awaiting::poll_fn_at, readiness::Direction, registration::Registration};

use super::for_each_addr;

/// A UDP socket.
///
/// Methods take `&self`, but the socket remembers one waiting task per direction:
/// share it between one receiving and one sending task, not more.
///
/// # Examples
///
/// ```
/// use turtles_reactor::net::UdpSocket;
///
/// turtles_reactor::drive(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await?;
///     let b = UdpSocket::bind("127.0.0.1:0").await?;
///     a.send_to(b"ping", b.local_addr()?).await?;
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct UdpSocket {
    io: Registration<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (`"127.0.0.1:0"` picks a free port).
    ///
    /// # Errors
    ///
    /// `AddrInUse` and other OS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// turtles_reactor::drive(async {
    ///     let socket = turtles_reactor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     assert_ne!(socket.local_addr().unwrap().port(), 0, "the OS picked a free port");
    /// });
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        for_each_addr(addr, |addr| {
            Ok(UdpSocket {
                io: Registration::new(mio::net::UdpSocket::bind(addr)?)?,
            })
        })
    }

    /// Sends one datagram to `target`; returns the bytes sent.
    ///
    /// # Errors
    ///
    /// OS errors, or `InvalidInput` if `target` resolves to nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use turtles_reactor::net::UdpSocket;
    ///
    /// turtles_reactor::drive(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_eq!(a.send_to(b"ping", b.local_addr()?).await?, 4);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn send_to<'a>(
        &'a self,
        buf: &'a [u8],
        target: impl ToSocketAddrs,
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        let at = Location::caller();
        // Resolved now, so the future does not borrow `target` (nothing awaits first).
        let target = for_each_addr(target, Ok);
        async move {
            let target = target?;
            poll_fn_at(at, |cx| {
                self.io
                    .poll_io(cx, Direction::Write, |s| s.send_to(buf, target))
            })
            .await
        }
    }

    /// Receives one datagram; returns its length and sender.
    ///
    /// # Errors
    ///
    /// OS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use turtles_reactor::net::UdpSocket;
    ///
    /// turtles_reactor::drive(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"ping", b.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let (n, from) = b.recv_from(&mut buf).await?;
    ///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn recv_from<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + 'a {
        poll_fn_at(Location::caller(), move |cx| {
            self.io.poll_io(cx, Direction::Read, |s| s.recv_from(buf))
        })
    }

    /// Sets the default peer for [`send`](Self::send) and filters [`recv`](Self::recv)
    /// to datagrams from it.
    ///
    /// # Errors
    ///
    /// OS errors, or `InvalidInput` if `addr` resolves to nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use turtles_reactor::net::UdpSocket;
    /// turtles_reactor::drive(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     a.connect(b.local_addr().unwrap()).await.unwrap();
    ///     b.connect(a.local_addr().unwrap()).await.unwrap();
    ///     a.send(b"hello").await.unwrap();
    ///     let mut buf = [0; 8];
    ///     let n = b.recv(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"hello");
    /// });
    /// ```
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        for_each_addr(addr, |addr| self.io.io().connect(addr))
    }

    /// Sends to the connected peer.
    ///
    /// # Errors
    ///
    /// `NotConnected`, `ConnectionRefused` (an earlier datagram bounced) and other OS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use turtles_reactor::net::UdpSocket;
    ///
    /// turtles_reactor::drive(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(b.local_addr()?).await?;
    ///     assert_eq!(a.send(b"hi").await?, 2);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn send<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        poll_fn_at(Location::caller(), move |cx| {
            self.io.poll_io(cx, Direction::Write, |s| s.send(buf))
        })
    }

    /// Receives from the connected peer.
    ///
    /// # Errors
    ///
    /// `NotConnected`, `ConnectionRefused` and other OS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use turtles_reactor::net::UdpSocket;
    ///
    /// turtles_reactor::drive(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     b.connect(a.local_addr()?).await?;
    ///     a.send_to(b"hi", b.local_addr()?).await?;
    ///     let mut buf = [0; 8];
    ///     assert_eq!(b.recv(&mut buf).await?, 2);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn recv<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        poll_fn_at(Location::caller(), move |cx| {
            self.io.poll_io(cx, Direction::Read, |s| s.recv(buf))
        })
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// An OS error, if the socket cannot report it.
    ///
    /// # Examples
    ///
    /// ```
    /// turtles_reactor::drive(async {
    ///     let socket = turtles_reactor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = socket.local_addr().unwrap();
    ///     assert!(addr.ip().is_loopback());
    /// });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` before [`connect`](Self::connect).
    ///
    /// # Examples
    ///
    /// ```
    /// turtles_reactor::drive(async {
    ///     let a = turtles_reactor::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     assert_eq!(a.peer_addr().unwrap_err().kind(), std::io::ErrorKind::NotConnected);
    /// });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().peer_addr()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}
