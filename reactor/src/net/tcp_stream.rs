//! `TcpStream`: a connection whose reads and writes wait without a thread.
//!
//! Inherent `async fn`s for everyday use, plus `futures_io::AsyncRead`/`AsyncWrite`
//! so the futures ecosystem's helpers (`copy`, `BufReader`, `lines`) work on it.

use std::{
    fmt,
    future::Future,
    io::{self, Read, Write},
    net::{Shutdown, SocketAddr, ToSocketAddrs},
    panic::Location,
    pin::Pin,
    task::{Context, Poll},
};

use crate::{awaiting::poll_fn_at, readiness::Direction, registration::Registration};

/// A TCP connection.
///
/// Reads take `&mut self`: one reader and one writer at a time, as with any socket
/// that remembers a single waker per direction.
///
/// # Examples
///
/// ```
/// use turtles_reactor::net::{TcpListener, TcpStream};
///
/// turtles_reactor::drive(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     client.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     server.read_exact(&mut buf).await?;
///     server.write_all(&buf).await?; // echo it back
///     client.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct TcpStream {
    io: Registration<mio::net::TcpStream>,
}

impl TcpStream {
    pub(crate) fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: Registration::new(stream)?,
        })
    }

    /// Connects to `addr`, trying each address it resolves to.
    ///
    /// # Errors
    ///
    /// `ConnectionRefused` when nothing listens there; the last error if every address fails.
    ///
    /// # Examples
    ///
    /// ```
    /// turtles_reactor::drive(async {
    ///     // Bind, then drop, to find a port where nothing listens.
    ///     let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    ///     let err = turtles_reactor::net::TcpStream::connect(addr).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    /// });
    /// ```
    #[track_caller]
    pub fn connect(addr: impl ToSocketAddrs) -> impl Future<Output = io::Result<TcpStream>> {
        let at = Location::caller();
        // Resolved now rather than at the first poll, so the future does not borrow
        // `addr`: the same work at the same point of the task, since nothing awaits first.
        let addrs = addr.to_socket_addrs();
        async move {
            let mut last = None;
            for addr in addrs? {
                match Self::connect_one(addr, at).await {
                    Ok(stream) => return Ok(stream),
                    Err(e) => last = Some(e),
                }
            }
            Err(last.unwrap_or_else(super::no_address))
        }
    }

    async fn connect_one(
        addr: SocketAddr,
        at: &'static Location<'static>,
    ) -> io::Result<TcpStream> {
        // A non-blocking connect returns at once; the socket turns writable when the
        // handshake is over, one way or the other.
        let stream = TcpStream::from_mio(mio::net::TcpStream::connect(addr)?)?;
        poll_fn_at(at, |cx| {
            stream
                .io
                .poll_io(cx, Direction::Write, |s| match s.take_error()? {
                    Some(error) => Err(error),
                    None => match s.peer_addr() {
                        Ok(_) => Ok(()),
                        // Spuriously writable before the handshake finished: wait more.
                        Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                            Err(io::ErrorKind::WouldBlock.into())
                        }
                        Err(e) => Err(e),
                    },
                })
        })
        .await?;
        Ok(stream)
    }

    /// Reads some bytes; `Ok(0)` means the peer closed its side.
    ///
    /// # Errors
    ///
    /// `ConnectionReset` and other OS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # use turtles_reactor::net::{TcpListener, TcpStream};
    /// # turtles_reactor::drive(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// # let mut client = TcpStream::connect(listener.local_addr()?).await?;
    /// # let (mut server, _) = listener.accept().await?;
    /// client.write_all(b"hi").await?;
    /// drop(client); // after the data, the server reads EOF
    /// let (mut got, mut buf) = (Vec::new(), [0; 8]);
    /// loop {
    ///     match server.read(&mut buf).await? {
    ///         0 => break,
    ///         n => got.extend_from_slice(&buf[..n]),
    ///     }
    /// }
    /// assert_eq!(got, b"hi");
    /// # std::io::Result::Ok(())
    /// # })
    /// # .unwrap();
    /// ```
    #[track_caller]
    pub fn read<'a>(
        &'a mut self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        self.read_at(buf, Location::caller())
    }

    fn read_at<'a>(
        &'a mut self,
        buf: &'a mut [u8],
        at: &'static Location<'static>,
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        poll_fn_at(at, move |cx| self.poll_read_priv(cx, buf))
    }

    /// Reads exactly `buf.len()` bytes.
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` if the peer closes first; OS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # use turtles_reactor::net::{TcpListener, TcpStream};
    /// # turtles_reactor::drive(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// # let mut client = TcpStream::connect(listener.local_addr()?).await?;
    /// # let (mut server, _) = listener.accept().await?;
    /// client.write_all(b"hello").await?;
    /// drop(client);
    /// let mut buf = [0; 5];
    /// server.read_exact(&mut buf).await?;
    /// assert_eq!(&buf, b"hello");
    /// let err = server.read_exact(&mut [0; 1]).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    /// # std::io::Result::Ok(())
    /// # })
    /// # .unwrap();
    /// ```
    #[track_caller]
    pub fn read_exact<'a>(
        &'a mut self,
        mut buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<()>> + 'a {
        let at = Location::caller();
        async move {
            while !buf.is_empty() {
                match self.read_at(buf, at).await? {
                    0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                    n => buf = &mut buf[n..],
                }
            }
            Ok(())
        }
    }

    /// Writes some bytes; returns how many.
    ///
    /// # Errors
    ///
    /// `BrokenPipe`, `ConnectionReset` and other OS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # use turtles_reactor::net::{TcpListener, TcpStream};
    /// # turtles_reactor::drive(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// # let mut client = TcpStream::connect(listener.local_addr()?).await?;
    /// # let (mut server, _) = listener.accept().await?;
    /// let n = client.write(b"hello").await?;
    /// assert!(n > 0 && n <= 5, "some of the bytes, maybe not all");
    /// # std::io::Result::Ok(())
    /// # })
    /// # .unwrap();
    /// ```
    #[track_caller]
    pub fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        self.write_at(buf, Location::caller())
    }

    fn write_at<'a>(
        &'a mut self,
        buf: &'a [u8],
        at: &'static Location<'static>,
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        poll_fn_at(at, move |cx| self.poll_write_priv(cx, buf))
    }

    /// Writes all of `buf`.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write); `WriteZero` if the socket accepts nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// # use turtles_reactor::net::{TcpListener, TcpStream};
    /// # turtles_reactor::drive(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// # let mut client = TcpStream::connect(listener.local_addr()?).await?;
    /// # let (mut server, _) = listener.accept().await?;
    /// client.write_all(b"hello").await?;
    /// let mut buf = [0; 5];
    /// server.read_exact(&mut buf).await?;
    /// assert_eq!(&buf, b"hello");
    /// # std::io::Result::Ok(())
    /// # })
    /// # .unwrap();
    /// ```
    #[track_caller]
    pub fn write_all<'a>(
        &'a mut self,
        mut buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + 'a {
        let at = Location::caller();
        async move {
            while !buf.is_empty() {
                match self.write_at(buf, at).await? {
                    0 => return Err(io::ErrorKind::WriteZero.into()),
                    n => buf = &buf[n..],
                }
            }
            Ok(())
        }
    }

    /// Does nothing and succeeds: TCP keeps no buffer in user space.
    ///
    /// # Errors
    ///
    /// Never.
    ///
    /// # Examples
    ///
    /// ```
    /// # turtles_reactor::drive(async {
    /// # let l = turtles_reactor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut s = turtles_reactor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// s.flush().await.unwrap();
    /// # });
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Shuts down the read half, the write half (the peer then reads EOF), or both.
    ///
    /// # Errors
    ///
    /// `NotConnected` and other OS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # turtles_reactor::drive(async {
    /// # let l = turtles_reactor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut client = turtles_reactor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// let (mut server, _) = l.accept().await.unwrap();
    /// client.shutdown(std::net::Shutdown::Write).await.unwrap();
    /// assert_eq!(server.read(&mut [0; 8]).await.unwrap(), 0, "EOF");
    /// # });
    /// ```
    pub async fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.io().shutdown(how)
    }

    /// The remote address.
    ///
    /// # Errors
    ///
    /// `NotConnected`, or another OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// # turtles_reactor::drive(async {
    /// let listener = turtles_reactor::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let client = turtles_reactor::net::TcpStream::connect(listener.local_addr()?).await?;
    /// assert_eq!(client.peer_addr()?, listener.local_addr()?);
    /// # std::io::Result::Ok(())
    /// # })
    /// # .unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().peer_addr()
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
    /// # use turtles_reactor::net::{TcpListener, TcpStream};
    /// # turtles_reactor::drive(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// # let mut client = TcpStream::connect(listener.local_addr()?).await?;
    /// # let (mut server, _) = listener.accept().await?;
    /// assert_eq!(client.local_addr()?, server.peer_addr()?);
    /// assert_eq!(server.local_addr()?, listener.local_addr()?);
    /// # std::io::Result::Ok(())
    /// # })
    /// # .unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }

    /// Turns Nagle's algorithm off (`true`) or on: small writes go out at once.
    ///
    /// # Errors
    ///
    /// An OS error, if the option cannot be set.
    ///
    /// # Examples
    ///
    /// ```
    /// # turtles_reactor::drive(async {
    /// # let l = turtles_reactor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let s = turtles_reactor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// s.set_nodelay(true).unwrap();
    /// assert!(s.nodelay().unwrap());
    /// # });
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.io().set_nodelay(nodelay)
    }

    /// Whether Nagle's algorithm is off.
    ///
    /// # Errors
    ///
    /// An OS error, if the option cannot be read.
    ///
    /// # Examples
    ///
    /// ```
    /// # turtles_reactor::drive(async {
    /// # let l = turtles_reactor::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let s = turtles_reactor::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// s.set_nodelay(true).unwrap();
    /// assert!(s.nodelay().unwrap());
    /// s.set_nodelay(false).unwrap();
    /// assert!(!s.nodelay().unwrap(), "Nagle is back on");
    /// # });
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.io().nodelay()
    }

    // A transfer shorter than the buffer drained (or filled) the kernel's buffer: see
    // `Registration::poll_transfer`. Zero bytes is end-of-file (or an empty buffer), not
    // "drained": the next read must see it again.
    fn poll_read_priv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.io.poll_transfer(
            cx,
            Direction::Read,
            |mut s| s.read(buf),
            |&n| 0 < n && n < len,
        )
    }

    fn poll_write_priv(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.io.poll_transfer(
            cx,
            Direction::Write,
            |mut s| s.write(buf),
            |&n| 0 < n && n < len,
        )
    }
}

impl futures_io::AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_priv(cx, buf)
    }
}

impl futures_io::AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_priv(cx, buf)
    }

    /// One `writev` for several buffers (an HTTP head and its body, say), where the
    /// default would write only the first non-empty one per call.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len: usize = bufs.iter().map(|buf| buf.len()).sum();
        self.io.poll_transfer(
            cx,
            Direction::Write,
            |mut s| s.write_vectored(bufs),
            |&n| 0 < n && n < len,
        )
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.io.io().shutdown(Shutdown::Write))
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}
