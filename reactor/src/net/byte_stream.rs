//! What every connected byte stream shares, TCP and Unix alike: reads and writes that
//! wait for readiness instead of blocking a thread.
//!
//! Lesson: a stream socket is a registered non-blocking file descriptor. A read tries
//! the system call; `WouldBlock` means "leave your waker, return `Pending`"; a read
//! shorter than the buffer means the kernel's buffer is empty now, so the readiness is
//! cleared at once (see `Registration::poll_transfer`). Everything else in
//! `tcp_stream.rs` and `unix.rs` is naming and documentation around these functions.

use std::{
    future::Future,
    io::{self, IoSlice, Read, Write},
    net::Shutdown,
    os::unix::net::SocketAddr as UnixSocketAddr,
    panic::Location,
    task::{Context, Poll},
};

use mio::event::Source;

use crate::{awaiting::poll_fn_at, readiness::Direction, registration::Registration};

/// A mio stream socket: what [`ByteStream`] needs beyond being a `Source`.
pub(crate) trait Connection: Source {
    fn read_some(&self, buf: &mut [u8]) -> io::Result<usize>;
    fn write_some(&self, buf: &[u8]) -> io::Result<usize>;
    fn write_vectored_some(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
}

macro_rules! connection {
    ($mio:ty) => {
        impl Connection for $mio {
            fn read_some(&self, buf: &mut [u8]) -> io::Result<usize> {
                (&*self).read(buf)
            }
            fn write_some(&self, buf: &[u8]) -> io::Result<usize> {
                (&*self).write(buf)
            }
            fn write_vectored_some(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
                (&*self).write_vectored(bufs)
            }
            fn shutdown(&self, how: Shutdown) -> io::Result<()> {
                <$mio>::shutdown(self, how)
            }
        }
    };
}
connection!(mio::net::TcpStream);
connection!(mio::net::UnixStream);

/// A registered stream socket and the operations on it, for `TcpStream` and
/// `UnixStream` to wrap.
pub(crate) struct ByteStream<S: Connection> {
    io: Registration<S>,
}

impl<S: Connection> ByteStream<S> {
    pub(crate) fn new(socket: S) -> io::Result<Self> {
        Ok(ByteStream {
            io: Registration::new(socket)?,
        })
    }

    pub(crate) fn registration(&self) -> &Registration<S> {
        &self.io
    }

    pub(crate) fn io(&self) -> &S {
        self.io.io()
    }

    // A transfer shorter than the buffer drained (or filled) the kernel's buffer: see
    // `Registration::poll_transfer`. Zero bytes is end-of-file (or an empty buffer), not
    // "drained": the next read must see it again.
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.io.poll_transfer(
            cx,
            Direction::Read,
            |s| s.read_some(buf),
            |&n| 0 < n && n < len,
        )
    }

    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.io.poll_transfer(
            cx,
            Direction::Write,
            |s| s.write_some(buf),
            |&n| 0 < n && n < len,
        )
    }

    /// One `writev` for several buffers (an HTTP head and its body, say), where the
    /// default would write only the first non-empty one per call.
    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len: usize = bufs.iter().map(|buf| buf.len()).sum();
        self.io.poll_transfer(
            cx,
            Direction::Write,
            |s| s.write_vectored_some(bufs),
            |&n| 0 < n && n < len,
        )
    }

    /// Shuts the write half down: the peer reads end-of-file. A peer that already left
    /// (`NotConnected`) is a clean close too, as in tokio: there is nobody left to tell,
    /// and reporting it made hyper log an error for every connection a client closed.
    pub(crate) fn close(&self) -> io::Result<()> {
        match self.io().shutdown(Shutdown::Write) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            result => result,
        }
    }

    pub(crate) fn read_at<'a>(
        &'a self,
        buf: &'a mut [u8],
        at: &'static Location<'static>,
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        poll_fn_at(at, move |cx| self.poll_read(cx, buf))
    }

    pub(crate) async fn read_exact_at(
        &self,
        mut buf: &mut [u8],
        at: &'static Location<'static>,
    ) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read_at(buf, at).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }

    pub(crate) fn write_at<'a>(
        &'a self,
        buf: &'a [u8],
        at: &'static Location<'static>,
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        poll_fn_at(at, move |cx| self.poll_write(cx, buf))
    }

    pub(crate) async fn write_all_at(
        &self,
        mut buf: &[u8],
        at: &'static Location<'static>,
    ) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write_at(buf, at).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }
}

/// The `futures_io` traits and the split halves' operations for a stream type whose
/// `io` field is a [`ByteStream`]: `TcpStream` and `UnixStream` say the same thing.
macro_rules! stream_traits {
    ($stream:ty) => {
        impl futures_io::AsyncRead for $stream {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_read(cx, buf)
            }
        }

        impl futures_io::AsyncWrite for $stream {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_write_vectored(cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(())) // no buffer in user space
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.io.close())
            }
        }

        impl $crate::net::split::sealed::Halves for $stream {
            fn poll_read_half(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_read(cx, buf)
            }
            fn poll_write_half(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_write(cx, buf)
            }
            fn poll_write_vectored_half(
                &self,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_write_vectored(cx, bufs)
            }
            fn close_half(&self) -> std::io::Result<()> {
                self.io.close()
            }
        }

        impl $crate::net::split::Split for $stream {}
    };
}
pub(crate) use stream_traits;

/// The path of a Unix socket address, for `Debug` output.
pub(crate) fn unix_path(addr: io::Result<UnixSocketAddr>) -> Option<std::path::PathBuf> {
    addr.ok()?.as_pathname().map(|path| path.to_owned())
}
