//! hyper on turtles: its connection traits over turtles' streams, its executor over
//! `spawn`, its timer over `sleep`. Enabled by the `hyper` feature.
//!
//! - [`HyperIo`] wraps any futures-io stream (a `TcpStream`, a `UnixStream`, a split
//!   half) as a `hyper::rt::Read + Write`.
//! - [`HyperExecutor`] spawns hyper's background tasks (an HTTP/2 connection's driver,
//!   say) on the current turtles runtime.
//! - [`HyperTimer`] gives hyper timeouts and keep-alive timers over `turtles::time`.
//!
//! The price of no `unsafe`: hyper reads into an *uninitialized* buffer, and marking
//! bytes of it as filled without copying takes `unsafe`. So `HyperIo` reads into a
//! scratch buffer of its own (zeroed once, kept for the connection) and copies into
//! hyper's with its safe `put_slice`: one `memcpy` per read.
//!
//! # Examples
//!
//! An HTTP/1 server and a client, both on turtles (the `hyper_hello` example is the
//! longer version):
//!
//! ```
//! use std::convert::Infallible;
//! use http_body_util::{BodyExt, Full};
//! use hyper::{body::Bytes, service::service_fn, Request, Response};
//! use turtles::compat::hyper::{HyperIo, HyperTimer};
//! use turtles::net::{TcpListener, TcpStream};
//!
//! turtles::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     turtles::spawn(async move {
//!         let (stream, _) = listener.accept().await.unwrap();
//!         let hello = service_fn(|_req: Request<hyper::body::Incoming>| async {
//!             Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("hello"))))
//!         });
//!         hyper::server::conn::http1::Builder::new()
//!             .timer(HyperTimer)
//!             .serve_connection(HyperIo::new(stream), hello)
//!             .await
//!             .unwrap();
//!     });
//!     let stream = TcpStream::connect(addr).await.unwrap();
//!     let (mut sender, connection) =
//!         hyper::client::conn::http1::handshake(HyperIo::new(stream)).await.unwrap();
//!     turtles::spawn(connection);
//!     let request = Request::get("/").body(Full::new(Bytes::new())).unwrap();
//!     sender.ready().await.unwrap();
//!     let response = sender.send_request(request).await.unwrap();
//!     let body = response.into_body().collect().await.unwrap().to_bytes();
//!     assert_eq!(body, "hello");
//! });
//! ```

use std::{
    fmt,
    future::Future,
    io,
    pin::Pin,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use futures_io::{AsyncRead, AsyncWrite};
use hyper::rt::{Executor, ReadBufCursor, Sleep, Timer};

/// The most `HyperIo` reads per call (hyper's own read buffer starts at 8 KiB).
const SCRATCH: usize = 16 * 1024;

/// A futures-io stream as hyper's `Read` and `Write`.
///
/// # Examples
///
/// ```
/// let (a, _b) = turtles::net::UnixStream::pair().unwrap();
/// let io = turtles::compat::hyper::HyperIo::new(a);
/// let a: turtles::net::UnixStream = io.into_inner();
/// ```
pub struct HyperIo<S> {
    stream: S,
    /// Where reads land before they are copied into hyper's buffer (see the module
    /// docs); grown on first use.
    scratch: Vec<u8>,
}

impl<S> HyperIo<S> {
    /// Wraps `stream`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = turtles::net::UnixStream::pair().unwrap();
    /// let _io = turtles::compat::hyper::HyperIo::new(a);
    /// ```
    pub fn new(stream: S) -> HyperIo<S> {
        HyperIo {
            stream,
            scratch: Vec::new(),
        }
    }

    /// The stream inside.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = turtles::net::UnixStream::pair().unwrap();
    /// let io = turtles::compat::hyper::HyperIo::new(a);
    /// assert!(io.get_ref().peer_addr().is_ok());
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// Unwraps the stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = turtles::net::UnixStream::pair().unwrap();
    /// let _a = turtles::compat::hyper::HyperIo::new(a).into_inner();
    /// ```
    pub fn into_inner(self) -> S {
        self.stream
    }
}

impl<S: AsyncRead + Unpin> hyper::rt::Read for HyperIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let want = buf.remaining().min(SCRATCH);
        if this.scratch.len() < want {
            this.scratch.resize(want, 0);
        }
        let scratch = &mut this.scratch[..want];
        match Pin::new(&mut this.stream).poll_read(cx, scratch) {
            Poll::Ready(Ok(n)) => {
                buf.put_slice(&scratch[..n]);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> hyper::rt::Write for HyperIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    /// turtles' streams write vectored (one `writev` for a response's head and body).
    /// Another futures-io stream may not, and then writes only the first buffer per
    /// call: still correct, only more calls.
    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_close(cx)
    }
}

impl<S: fmt::Debug> fmt::Debug for HyperIo<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HyperIo").field(&self.stream).finish()
    }
}

/// hyper's `Executor`: spawns on the current turtles runtime.
///
/// # Panics
///
/// `execute` panics outside a runtime, as [`turtles::spawn`](crate::spawn) does;
/// hyper calls it from inside the connection's task.
///
/// # Examples
///
/// ```
/// use hyper::rt::Executor;
/// turtles::block_on(async {
///     let (tx, rx) = turtles::sync::oneshot::channel();
///     turtles::compat::hyper::HyperExecutor.execute(async move { tx.send(1).unwrap() });
///     assert_eq!(rx.await, Ok(1));
/// });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct HyperExecutor;

impl<F> Executor<F> for HyperExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        crate::spawn(future).detach();
    }
}

/// hyper's `Timer`: sleeps on turtles' reactor.
///
/// # Examples
///
/// ```
/// use hyper::rt::Timer;
/// use std::time::{Duration, Instant};
/// let start = Instant::now();
/// turtles::block_on(turtles::compat::hyper::HyperTimer.sleep(Duration::from_millis(5)));
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct HyperTimer;

impl Timer for HyperTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(HyperSleep(crate::time::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(HyperSleep(crate::time::sleep_until(deadline)))
    }
}

/// turtles' `Sleep` as hyper's (a newtype: neither trait nor type is ours to join).
struct HyperSleep(crate::time::Sleep);

impl Future for HyperSleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl Sleep for HyperSleep {}
