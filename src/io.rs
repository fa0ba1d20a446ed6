//! Async I/O traits and helpers: the futures-io traits every turtles stream
//! implements, and futures-util's extensions over them.
//!
//! Lesson: a runtime does not need its own I/O traits. `AsyncRead` / `AsyncWrite` are
//! poll functions (`poll_read(cx, buf)` returns `Pending` after leaving the waker with
//! the reactor), and everything a program calls (`read_to_end`, `read_line`,
//! `lines()`, `write_all`, `copy`) is written once over them, in futures-util. So
//! turtles re-exports those rather than writing them again, and they work on every
//! turtles stream and split half, and on anything else that speaks futures-io.
//!
//! Import the extension traits to call their methods, as with tokio's
//! `AsyncReadExt`: a "no method named `read_to_string`" error means a missing
//! `use turtles::io::AsyncReadExt;`.
//!
//! The price of no `unsafe`: futures-io reads into an *initialized* `&mut [u8]`, so
//! a buffer is zeroed once before its first use (`BufReader` does it for you);
//! adapters to libraries that hand out uninitialized buffers (hyper's `ReadBuf`)
//! read into a scratch buffer and copy.
//!
//! # Examples
//!
//! ```
//! use turtles::io::{AsyncBufReadExt, BufReader, StreamExt};
//! use turtles::net::{TcpListener, TcpStream};
//!
//! turtles::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let mut client = TcpStream::connect(listener.local_addr()?).await?;
//!     let (server, _) = listener.accept().await?;
//!     client.write_all(b"one\ntwo\n").await?; // TcpStream's own; AsyncWriteExt has it too
//!     drop(client);
//!     let mut lines = BufReader::new(server).lines();
//!     let mut got = Vec::new();
//!     while let Some(line) = lines.next().await {
//!         got.push(line?);
//!     }
//!     assert_eq!(got, ["one", "two"]);
//!     std::io::Result::Ok(())
//! })
//! .unwrap();
//! ```

pub use futures_util::io::{
    copy, copy_buf, empty, repeat, sink, AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt,
    AsyncSeek, AsyncSeekExt, AsyncWrite, AsyncWriteExt, BufReader, BufWriter, Cursor, Empty, Lines,
    Repeat, Sink,
};
/// `lines()` returns a [`Stream`] of lines; [`StreamExt::next`] takes the next one
/// (tokio's `Lines` has `next_line()` instead).
pub use futures_util::stream::{Stream, StreamExt};
pub use std::io::{Error, ErrorKind, Result};
