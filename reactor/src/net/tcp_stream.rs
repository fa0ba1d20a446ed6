//! `TcpStream`: a connection whose reads and writes wait without a thread.
//!
//! Inherent `async fn`s for everyday use, plus `futures_io::AsyncRead`/`AsyncWrite`
//! so the futures ecosystem's helpers (`copy`, `BufReader`, `lines`) work on it.

use std::{
    fmt,
    future::Future,
    io,
    net::{Shutdown, SocketAddr, ToSocketAddrs},
    panic::Location,
};

use super::{
    byte_stream::{stream_traits, ByteStream},
    split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf},
};
use crate::{awaiting::poll_fn_at, readiness::Direction};

/// A TCP connection.
///
/// Reads and writes take `&mut self`: one task uses the stream at a time. To read in
/// one task and write in another, [`split`](Self::split) or
/// [`into_split`](Self::into_split) it.
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
    io: ByteStream<mio::net::TcpStream>,
}

impl TcpStream {
    pub(crate) fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: ByteStream::new(stream)?,
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
                .registration()
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
        self.io.read_at(buf, Location::caller())
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
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<()>> + 'a {
        self.io.read_exact_at(buf, Location::caller())
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
        self.io.write_at(buf, Location::caller())
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
    pub fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> impl Future<Output = io::Result<()>> + 'a {
        self.io.write_all_at(buf, Location::caller())
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

    /// Borrows the stream as a read half and a write half, to read and write at once
    /// from one task (under `join!`, say). See [`into_split`](Self::into_split) for
    /// two tasks.
    ///
    /// With futures' `AsyncReadExt` in scope (as `turtles::io::AsyncReadExt`),
    /// `stream.split()` means that trait's `split(self)`, which takes the stream by
    /// value: Rust prefers a trait method taking `self` to an inherent one taking
    /// `&mut self`. Write `TcpStream::split(&mut stream)` then, as below.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_util::{AsyncReadExt, AsyncWriteExt};
    /// # use turtles_reactor::net::{TcpListener, TcpStream};
    /// # turtles_reactor::drive(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let mut client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (mut server, _) = listener.accept().await?;
    /// server.write_all(b"hi").await?;
    /// let (mut read, mut write) = TcpStream::split(&mut client);
    /// let mut buf = [0; 2];
    /// read.read_exact(&mut buf).await?;
    /// write.write_all(&buf).await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        ReadHalf::pair(self)
    }

    /// Splits the stream into owned halves that can move into two tasks: one reads
    /// while the other writes. Dropping the write half shuts the write direction
    /// down; [`OwnedReadHalf::reunite`] puts the stream back together.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_util::{AsyncReadExt, AsyncWriteExt};
    /// # use turtles_reactor::net::{TcpListener, TcpStream};
    /// # turtles_reactor::drive(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (mut server, _) = listener.accept().await?;
    /// let (mut read, mut write) = client.into_split();
    /// let writer = std::thread::spawn(move || {
    ///     turtles_reactor::drive(async move { write.write_all(b"from another thread").await })
    /// });
    /// let mut got = [0; 19];
    /// server.read_exact(&mut got).await?;
    /// writer.join().unwrap()?;
    /// server.write_all(b"ok").await?;
    /// let mut ok = [0; 2];
    /// read.read_exact(&mut ok).await?;
    /// assert_eq!(&ok, b"ok");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        OwnedReadHalf::pair(self)
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
}

stream_traits!(TcpStream);

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}
