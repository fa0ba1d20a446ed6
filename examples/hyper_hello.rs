//! # hyper_hello: HTTP on turtles with hyper, server and client
//!
//! The idea: hyper (the HTTP library under axum and reqwest) does not care which
//! runtime it runs on; it asks for a connection it can read and write, a way to spawn,
//! and a timer. `turtles::compat::hyper` supplies the three, so serving HTTP from a
//! turtles program is one import. Every connection below is a task; every wait for a
//! request or a response is a parked waker, never a blocked thread.
//!
//! What you will see: a "Hello, world!" server on a free port, then 50 keep-alive
//! client connections sending 200 requests each (10,000 in all), every response
//! checked; the requests per second and any connection errors.
//!
//! Run it: `cargo run --release --features hyper --example hyper_hello`
//!
//! Try next: point `wrk` or `curl` at the server (print its address and keep it
//! running), or put a `turtles::time::sleep` in `hello`: with 50 connections waiting
//! at once the run takes one sleep per round of requests, not one per request, because
//! the waits overlap.

use std::{convert::Infallible, time::Instant};

use http_body_util::{BodyExt, Full};
use hyper::{body::Bytes, service::service_fn, Request, Response, StatusCode};
use turtles::{
    compat::hyper::{HyperIo, HyperTimer},
    net::{TcpListener, TcpStream},
    sync::mpsc,
    task::JoinSet,
};

const CONNECTIONS: usize = 50;
const REQUESTS_PER_CONNECTION: usize = 200;
const GREETING: &str = "Hello, world!";

async fn hello(
    _request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        GREETING.as_bytes(),
    ))))
}

#[turtles::main(worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    // Each server connection reports how it ended, so the count below is complete.
    let (ended, mut endings) = mpsc::unbounded_channel();
    let server = turtles::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // Retrying at once would spin on an error that lasts (out of file
                // descriptors, say): give up, loudly.
                Err(e) => return eprintln!("server: accept failed: {e}"),
            };
            stream.set_nodelay(true).ok();
            let ended = ended.clone();
            turtles::spawn(async move {
                let served = hyper::server::conn::http1::Builder::new()
                    .timer(HyperTimer)
                    .serve_connection(HyperIo::new(stream), service_fn(hello))
                    .await;
                if let Err(e) = &served {
                    eprintln!("server: connection error: {e}");
                }
                let _ = ended.send(served.is_ok());
            });
        }
    });
    println!("serving on http://{addr}");

    let start = Instant::now();
    let mut clients = JoinSet::new();
    for _ in 0..CONNECTIONS {
        clients.spawn(async move {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(HyperIo::new(stream)).await?;
            let driver = turtles::spawn(connection);
            for _ in 0..REQUESTS_PER_CONNECTION {
                let request =
                    Request::get(format!("http://{addr}/")).body(Full::new(Bytes::new()))?;
                sender.ready().await?; // the previous exchange is over
                let response = sender.send_request(request).await?;
                assert_eq!(response.status(), StatusCode::OK);
                let body = response.into_body().collect().await?.to_bytes();
                assert_eq!(body, GREETING.as_bytes());
            }
            drop(sender); // the connection closes once no sender is left
            driver.await??;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(REQUESTS_PER_CONNECTION)
        });
    }
    let mut checked = 0;
    while let Some(client) = clients.join_next().await {
        checked += client??;
    }
    let elapsed = start.elapsed();
    let mut errors = 0;
    for _ in 0..CONNECTIONS {
        if !endings.recv().await.expect("the server keeps a sender") {
            errors += 1;
        }
    }
    server.abort();
    println!(
        "{checked} requests over {CONNECTIONS} connections, every response checked: \
         {:.0} requests/s ({:.0} ms); server connection errors: {errors}",
        checked as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e3
    );
    assert_eq!(checked, CONNECTIONS * REQUESTS_PER_CONNECTION);
    assert_eq!(
        errors, 0,
        "a client closing its connection is a clean close"
    );
    Ok(())
}
