//! `UnixListener` and `UnixStream`: local sockets named by a path, with the surface
//! of TCP's.
//!
//! Lesson: to the reactor a Unix socket is one more file descriptor that turns
//! readable and writable; everything `TcpStream` does it does through the same
//! `ByteStream` (`byte_stream.rs`). Only the addresses differ: a path instead of an
//! IP and a port. As in tokio, `bind` is not `async` here (nothing to wait for: no
//! name lookup).

use std::{
    fmt,
    future::Future,
    io,
    net::Shutdown,
    os::unix::net::SocketAddr,
    panic::Location,
    path::Path,
    task::{Context, Poll},
};

use super::{
    byte_stream::{stream_traits, unix_path, ByteStream},
    split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf},
};
use crate::{awaiting::poll_fn_at, readiness::Direction, registration::Registration};

/// A Unix socket server, listening on a path.
///
/// # Examples
///
/// ```
/// use turtles_reactor::net::{UnixListener, UnixStream};
///
/// let path = std::env::temp_dir().join(format!("turtles-doc-{}.sock", std::process::id()));
/// let _ = std::fs::remove_file(&path);
/// turtles_reactor::drive(async {
///     let listener = UnixListener::bind(&path)?;
///     let mut client = UnixStream::connect(&path).await?;
///     let (mut server, _) = listener.accept().await?;
///     client.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     server.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// std::fs::remove_file(&path).unwrap();
/// ```
pub struct UnixListener {
    io: Registration<mio::net::UnixListener>,
}

impl UnixListener {
    /// Creates the socket file at `path` and listens on it.
    ///
    /// # Errors
    ///
    /// `AddrInUse` if the file exists already (remove a stale one first), and other
    /// OS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("turtles-bind-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let listener = turtles_reactor::net::UnixListener::bind(&path).unwrap();
    /// let err = turtles_reactor::net::UnixListener::bind(&path).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    /// # drop(listener);
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: Registration::new(mio::net::UnixListener::bind(path)?)?,
        })
    }

    /// Waits for the next connection.
    ///
    /// # Errors
    ///
    /// OS errors, such as `EMFILE` when the process is out of file descriptors.
    ///
    /// # Examples
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("turtles-accept-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// # turtles_reactor::drive(async {
    /// let listener = turtles_reactor::net::UnixListener::bind(&path)?;
    /// let _client = turtles_reactor::net::UnixStream::connect(&path).await?;
    /// let (_server, _peer) = listener.accept().await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    #[track_caller]
    pub fn accept(&self) -> impl Future<Output = io::Result<(UnixStream, SocketAddr)>> + '_ {
        poll_fn_at(Location::caller(), |cx| self.poll_accept(cx))
    }

    /// [`accept`](Self::accept) as a poll function.
    ///
    /// # Errors
    ///
    /// As `accept`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("turtles-poll-accept-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// # turtles_reactor::drive(async {
    /// let listener = turtles_reactor::net::UnixListener::bind(&path)?;
    /// let _client = turtles_reactor::net::UnixStream::connect(&path).await?;
    /// let (_server, _) = std::future::poll_fn(|cx| listener.poll_accept(cx)).await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        self.io
            .poll_io(cx, Direction::Read, |listener| listener.accept())
            .map(|accepted| {
                let (stream, peer) = accepted?;
                Ok((UnixStream::from_mio(stream)?, peer))
            })
    }

    /// The address (path) it listens on.
    ///
    /// # Errors
    ///
    /// An OS error, if the socket cannot report it.
    ///
    /// # Examples
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("turtles-addr-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = turtles_reactor::net::UnixListener::bind(&path).unwrap();
    /// assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("path", &unix_path(self.local_addr()))
            .finish()
    }
}

/// A Unix socket connection: the methods and traits of [`TcpStream`](super::TcpStream).
///
/// # Examples
///
/// ```
/// turtles_reactor::drive(async {
///     let (mut a, mut b) = turtles_reactor::net::UnixStream::pair()?;
///     a.write_all(b"hello").await?;
///     let mut buf = [0; 5];
///     b.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hello");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct UnixStream {
    io: ByteStream<mio::net::UnixStream>,
}

impl UnixStream {
    fn from_mio(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: ByteStream::new(stream)?,
        })
    }

    /// Connects to the socket at `path`.
    ///
    /// # Errors
    ///
    /// `NotFound` when no socket file is there, `ConnectionRefused` when nobody
    /// listens on it, and other OS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// turtles_reactor::drive(async {
    ///     let err = turtles_reactor::net::UnixStream::connect("/nonexistent/turtles.sock")
    ///         .await
    ///         .unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// });
    /// ```
    #[track_caller]
    pub fn connect(path: impl AsRef<Path>) -> impl Future<Output = io::Result<UnixStream>> {
        let at = Location::caller();
        let started = mio::net::UnixStream::connect(path).and_then(UnixStream::from_mio);
        async move {
            let stream = started?;
            // Like TCP's: writable once the connection is made, one way or the other.
            poll_fn_at(at, |cx| {
                stream.io.registration().poll_io(cx, Direction::Write, |s| {
                    match s.take_error()? {
                        Some(error) => Err(error),
                        None => Ok(()),
                    }
                })
            })
            .await?;
            Ok(stream)
        }
    }

    /// A connected pair of sockets, without a path (for talking to yourself, or to a
    /// child process).
    ///
    /// # Errors
    ///
    /// An OS error, if the sockets cannot be made.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = turtles_reactor::net::UnixStream::pair().unwrap();
    /// assert!(a.peer_addr().unwrap().is_unnamed());
    /// # drop(b);
    /// ```
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::from_mio(a)?, UnixStream::from_mio(b)?))
    }

    /// Reads some bytes; `Ok(0)` means the peer closed its side.
    ///
    /// # Errors
    ///
    /// OS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # turtles_reactor::drive(async {
    /// let (mut a, mut b) = turtles_reactor::net::UnixStream::pair()?;
    /// a.write_all(b"x").await?;
    /// assert_eq!(b.read(&mut [0; 8]).await?, 1);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
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
    /// # turtles_reactor::drive(async {
    /// let (mut a, mut b) = turtles_reactor::net::UnixStream::pair()?;
    /// a.write_all(b"abc").await?;
    /// let mut buf = [0; 3];
    /// b.read_exact(&mut buf).await?;
    /// assert_eq!(&buf, b"abc");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
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
    /// `BrokenPipe` and other OS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # turtles_reactor::drive(async {
    /// let (mut a, _b) = turtles_reactor::net::UnixStream::pair()?;
    /// assert!(a.write(b"hello").await? > 0);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
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
    /// # turtles_reactor::drive(async {
    /// let (mut a, _b) = turtles_reactor::net::UnixStream::pair()?;
    /// a.write_all(b"all of it").await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    #[track_caller]
    pub fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> impl Future<Output = io::Result<()>> + 'a {
        self.io.write_all_at(buf, Location::caller())
    }

    /// Does nothing and succeeds: the socket keeps no buffer in user space.
    ///
    /// # Errors
    ///
    /// Never.
    ///
    /// # Examples
    ///
    /// ```
    /// # turtles_reactor::drive(async {
    /// let (mut a, _b) = turtles_reactor::net::UnixStream::pair()?;
    /// a.flush().await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Shuts down the read half, the write half (the peer then reads EOF), or both.
    ///
    /// # Errors
    ///
    /// OS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # turtles_reactor::drive(async {
    /// let (a, mut b) = turtles_reactor::net::UnixStream::pair()?;
    /// a.shutdown(std::net::Shutdown::Write).await?;
    /// assert_eq!(b.read(&mut [0; 1]).await?, 0, "EOF");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.io().shutdown(how)
    }

    /// Borrows the stream as a read half and a write half (see
    /// [`TcpStream::split`](super::TcpStream::split)).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_util::{AsyncReadExt, AsyncWriteExt};
    /// # turtles_reactor::drive(async {
    /// let (mut a, mut b) = turtles_reactor::net::UnixStream::pair()?;
    /// use turtles_reactor::net::UnixStream;
    /// let (mut read, mut write) = UnixStream::split(&mut a); // not futures' split(self)
    /// write.write_all(b"to b").await?;
    /// b.write_all(b"to a").await?;
    /// let mut buf = [0; 4];
    /// read.read_exact(&mut buf).await?;
    /// assert_eq!(&buf, b"to a");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_, UnixStream>, WriteHalf<'_, UnixStream>) {
        ReadHalf::pair(self)
    }

    /// Splits the stream into owned halves for two tasks (see
    /// [`TcpStream::into_split`](super::TcpStream::into_split)).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_util::AsyncReadExt;
    /// # turtles_reactor::drive(async {
    /// let (a, mut b) = turtles_reactor::net::UnixStream::pair()?;
    /// let (_read, write) = a.into_split();
    /// drop(write); // b reads EOF
    /// let mut rest = Vec::new();
    /// b.read_to_end(&mut rest).await?;
    /// assert!(rest.is_empty());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf<UnixStream>, OwnedWriteHalf<UnixStream>) {
        OwnedReadHalf::pair(self)
    }

    /// The address of the other end.
    ///
    /// # Errors
    ///
    /// OS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = turtles_reactor::net::UnixStream::pair().unwrap();
    /// assert!(a.peer_addr().unwrap().is_unnamed());
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().peer_addr()
    }

    /// This end's address.
    ///
    /// # Errors
    ///
    /// OS errors.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = turtles_reactor::net::UnixStream::pair().unwrap();
    /// assert!(a.local_addr().unwrap().is_unnamed());
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }
}

stream_traits!(UnixStream);

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local", &unix_path(self.local_addr()))
            .field("peer", &unix_path(self.peer_addr()))
            .finish()
    }
}
