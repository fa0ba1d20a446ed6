//! Split streams: a read half and a write half, usable from two tasks at once.
//!
//! Lesson: a socket keeps its waiting tasks per *direction* (`readiness.rs`), so a
//! task waiting to read and another waiting to write are woken by their own events.
//! That is what makes splitting sound, and all it takes: both halves share the
//! stream, one only reads and the other only writes. [`split`](super::TcpStream::split)
//! borrows the stream (for two futures in one task, say under `join!`);
//! [`into_split`](super::TcpStream::into_split) shares it through an `Arc`, so each
//! half can move into its own spawned task.
//!
//! The halves implement `futures_io::AsyncRead` / `AsyncWrite`; read and write them
//! with the extension traits in `turtles::io` (`AsyncReadExt`, `AsyncWriteExt`), as in
//! tokio. Dropping an [`OwnedWriteHalf`] shuts the write direction down, so the peer
//! reads end-of-file (tokio's rule as well).

use std::{
    fmt, io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use super::TcpStream;

/// A stream socket that can be split: [`TcpStream`] and
/// [`UnixStream`](super::UnixStream). Sealed: the halves rely on its registration
/// keeping readers and writers apart.
pub trait Split: sealed::Halves {}

pub(crate) mod sealed {
    use std::{
        io,
        task::{Context, Poll},
    };

    /// The operations a half needs, through `&self`.
    pub trait Halves {
        fn poll_read_half(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
        fn poll_write_half(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
        fn poll_write_vectored_half(
            &self,
            cx: &mut Context<'_>,
            bufs: &[io::IoSlice<'_>],
        ) -> Poll<io::Result<usize>>;
        fn close_half(&self) -> io::Result<()>;
    }
}

macro_rules! read_half {
    ($half:ty) => {
        impl<S: Split> futures_io::AsyncRead for $half {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.stream.poll_read_half(cx, buf)
            }
        }
    };
}

macro_rules! write_half {
    ($half:ty) => {
        impl<S: Split> futures_io::AsyncWrite for $half {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.stream.poll_write_half(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.stream.poll_write_vectored_half(cx, bufs)
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(())) // no buffer in user space
            }

            fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.stream.close_half())
            }
        }
    };
}

/// The read half of a borrowed stream, from [`TcpStream::split`].
///
/// # Examples
///
/// ```
/// use futures_util::{AsyncReadExt, AsyncWriteExt};
/// use turtles_reactor::net::{TcpListener, TcpStream};
///
/// turtles_reactor::drive(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     let (mut read, mut write) = TcpStream::split(&mut server); // not futures' split(self)
///     client.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     read.read_exact(&mut buf).await?;
///     write.write_all(&buf).await?;
///     client.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct ReadHalf<'a, S = TcpStream> {
    stream: &'a S,
}

/// The write half of a borrowed stream, from [`TcpStream::split`].
///
/// # Examples
///
/// ```
/// use futures_util::AsyncWriteExt;
/// # use turtles_reactor::net::{TcpListener, TcpStream};
/// # turtles_reactor::drive(async {
/// # let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let mut stream = TcpStream::connect(listener.local_addr()?).await?;
/// let (_read, mut write) = TcpStream::split(&mut stream); // not futures' split(self)
/// write.write_all(b"hello").await?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct WriteHalf<'a, S = TcpStream> {
    stream: &'a S,
}

impl<'a, S: Split> ReadHalf<'a, S> {
    pub(crate) fn pair(stream: &'a mut S) -> (ReadHalf<'a, S>, WriteHalf<'a, S>) {
        let stream = &*stream;
        (ReadHalf { stream }, WriteHalf { stream })
    }
}

read_half!(ReadHalf<'_, S>);
write_half!(WriteHalf<'_, S>);

/// The read half of a stream split with [`TcpStream::into_split`]; it can move into
/// its own task.
///
/// # Examples
///
/// ```
/// use futures_util::{AsyncReadExt, AsyncWriteExt};
/// use turtles_reactor::net::{TcpListener, TcpStream};
///
/// turtles_reactor::drive(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     let (mut read, mut write) = client.into_split();
///     write.write_all(b"hi").await?;
///     drop(write); // shuts the write direction down: the server reads EOF after "hi"
///     let mut got = Vec::new();
///     server.read_to_end(&mut got).await?;
///     assert_eq!(got, b"hi");
///     server.write_all(b"bye").await?;
///     let mut buf = [0; 3];
///     read.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"bye");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct OwnedReadHalf<S = TcpStream> {
    stream: Arc<S>,
}

/// The write half of a stream split with [`TcpStream::into_split`]. Dropping it
/// shuts the write direction down (the peer reads end-of-file); see
/// [`forget`](Self::forget) to keep it open.
///
/// # Examples
///
/// ```
/// use futures_util::AsyncWriteExt;
/// # use turtles_reactor::net::{TcpListener, TcpStream};
/// # turtles_reactor::drive(async {
/// # let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let stream = TcpStream::connect(listener.local_addr()?).await?;
/// let (_read, mut write) = stream.into_split();
/// write.write_all(b"hello").await?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct OwnedWriteHalf<S: Split = TcpStream> {
    stream: Arc<S>,
    shutdown_on_drop: bool,
}

impl<S: Split> OwnedReadHalf<S> {
    pub(crate) fn pair(stream: S) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>) {
        let stream = Arc::new(stream);
        (
            OwnedReadHalf {
                stream: stream.clone(),
            },
            OwnedWriteHalf {
                stream,
                shutdown_on_drop: true,
            },
        )
    }

    /// Puts the stream back together from its two halves.
    ///
    /// # Errors
    ///
    /// [`ReuniteError`] with both halves back, if they came from different streams.
    ///
    /// # Examples
    ///
    /// ```
    /// # use turtles_reactor::net::{TcpListener, TcpStream};
    /// # turtles_reactor::drive(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// let (read, write) = stream.into_split();
    /// let stream = read.reunite(write).expect("the halves of one stream");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn reunite(self, other: OwnedWriteHalf<S>) -> Result<S, ReuniteError<S>> {
        if !Arc::ptr_eq(&self.stream, &other.stream) {
            return Err(ReuniteError(self, other));
        }
        let mut other = other;
        other.shutdown_on_drop = false;
        drop(other);
        Ok(Arc::into_inner(self.stream).expect("the two halves held the only references"))
    }
}

impl<S: Split> OwnedWriteHalf<S> {
    /// Drops the half without shutting the write direction down.
    ///
    /// # Examples
    ///
    /// ```
    /// # use turtles_reactor::net::{TcpListener, TcpStream};
    /// # turtles_reactor::drive(async {
    /// # let listener = TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = TcpStream::connect(listener.local_addr()?).await?;
    /// let (_read, write) = stream.into_split();
    /// write.forget(); // the peer does not read EOF yet
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }
}

impl<S: Split> Drop for OwnedWriteHalf<S> {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // Best effort, as a socket's own drop: there is nobody to report to.
            let _ = self.stream.close_half();
        }
    }
}

read_half!(OwnedReadHalf<S>);
write_half!(OwnedWriteHalf<S>);

impl<S> fmt::Debug for ReadHalf<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadHalf").finish_non_exhaustive()
    }
}

impl<S> fmt::Debug for WriteHalf<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteHalf").finish_non_exhaustive()
    }
}

impl<S> fmt::Debug for OwnedReadHalf<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedReadHalf").finish_non_exhaustive()
    }
}

impl<S: Split> fmt::Debug for OwnedWriteHalf<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedWriteHalf").finish_non_exhaustive()
    }
}

/// Two halves that were not split from the same stream, handed back.
///
/// # Examples
///
/// ```
/// # use turtles_reactor::net::{TcpListener, TcpStream};
/// # turtles_reactor::drive(async {
/// # let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let (read_a, _write_a) = TcpStream::connect(listener.local_addr()?).await?.into_split();
/// let (_read_b, write_b) = TcpStream::connect(listener.local_addr()?).await?.into_split();
/// let err = read_a.reunite(write_b).unwrap_err();
/// assert_eq!(err.to_string(), "the halves were split from different streams");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct ReuniteError<S: Split = TcpStream>(pub OwnedReadHalf<S>, pub OwnedWriteHalf<S>);

impl<S: Split> fmt::Debug for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<S: Split> fmt::Display for ReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the halves were split from different streams")
    }
}

impl<S: Split> std::error::Error for ReuniteError<S> {}
