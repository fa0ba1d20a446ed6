//! `TcpListener`: accept connections without a thread blocked in `accept`.

use std::{
    fmt,
    future::Future,
    io,
    net::{SocketAddr, ToSocketAddrs},
    panic::Location,
    task::{Context, Poll},
};

use socket2::{Domain, Socket, Type};

use crate::{awaiting::poll_fn_at, readiness::Direction, registration::Registration};

/// Connections the kernel queues before `accept`. std and mio use 128: a burst of a
/// thousand connects overflows it, the kernel drops SYNs, and clients stall for the
/// one-second SYN retransmit (then two, four...). 1024 is what tokio uses.
const BACKLOG: i32 = 1024;

use super::{for_each_addr, TcpStream};

/// A TCP socket listening for connections.
///
/// # Examples
///
/// ```
/// use turtles_reactor::net::{TcpListener, TcpStream};
///
/// turtles_reactor::drive(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let mut client = TcpStream::connect(addr).await?;
///     let (mut server, peer) = listener.accept().await?;
///     assert_eq!(peer, client.local_addr()?);
///     client.write_all(b"hi").await?;
///     let mut buf = [0; 2];
///     server.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hi");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct TcpListener {
    io: Registration<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (`"127.0.0.1:0"` picks a free port) and starts listening.
    ///
    /// # Errors
    ///
    /// `AddrInUse`, `PermissionDenied`, or any other error from the OS; the last one if
    /// the address resolves to several.
    ///
    /// # Examples
    ///
    /// ```
    /// use turtles_reactor::net::TcpListener;
    ///
    /// turtles_reactor::drive(async {
    ///     let first = TcpListener::bind("127.0.0.1:0").await?;
    ///     let err = TcpListener::bind(first.local_addr()?).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "one listener per port");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        for_each_addr(addr, |addr| {
            let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
            socket.set_nonblocking(true)?;
            // Rebind a port that just closed without waiting for TIME_WAIT to end.
            socket.set_reuse_address(true)?;
            socket.bind(&addr.into())?;
            socket.listen(BACKLOG)?;
            let listener = mio::net::TcpListener::from_std(socket.into());
            Ok(TcpListener {
                io: Registration::new(listener)?,
            })
        })
    }

    /// Adopts a bound std listener (it is switched to non-blocking mode).
    ///
    /// # Errors
    ///
    /// If the reactor cannot register it.
    ///
    /// # Examples
    ///
    /// ```
    /// let std = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let listener = turtles_reactor::net::TcpListener::from_std(std).unwrap();
    /// assert!(listener.local_addr().unwrap().port() > 0);
    /// ```
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: Registration::new(mio::net::TcpListener::from_std(listener))?,
        })
    }

    /// Waits for the next connection.
    ///
    /// # Errors
    ///
    /// The OS error of a failed accept. Out of file descriptors (`EMFILE`) is returned
    /// too, and the listener stays usable: accept again once descriptors are free.
    ///
    /// # Examples
    ///
    /// ```
    /// use turtles_reactor::net::{TcpListener, TcpStream};
    ///
    /// turtles_reactor::drive(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, peer) = listener.accept().await?;
    ///     assert_eq!(peer, client.local_addr()?);
    ///     assert_eq!(server.peer_addr()?, client.local_addr()?);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn accept(&self) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>> + '_ {
        poll_fn_at(Location::caller(), |cx| self.poll_accept(cx))
    }

    /// The poll-level form of [`accept`](Self::accept).
    ///
    /// # Examples
    ///
    /// ```
    /// turtles_reactor::drive(async {
    ///     let listener = turtles_reactor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let pending = std::future::poll_fn(|cx| std::task::Poll::Ready(listener.poll_accept(cx).is_pending())).await;
    ///     assert!(pending, "nobody connected yet");
    /// });
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        self.io
            .poll_io(cx, Direction::Read, |listener| listener.accept())
            .map(|accepted| {
                let (stream, peer) = accepted?;
                Ok((TcpStream::from_mio(stream)?, peer))
            })
    }

    /// The address this listener is bound to.
    ///
    /// # Errors
    ///
    /// The OS error, if the socket cannot report it.
    ///
    /// # Examples
    ///
    /// ```
    /// turtles_reactor::drive(async {
    ///     let listener = turtles_reactor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     assert!(addr.ip().is_loopback() && addr.port() != 0);
    /// });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}
