//! hyper over `turtles::compat::hyper` (feature `hyper`): requests served and
//! answered, and a client closing its connection counted as a clean close.

use std::convert::Infallible;

use http_body_util::{BodyExt, Full};
use hyper::{body::Bytes, service::service_fn, Request, Response};
use turtles::{
    compat::hyper::{HyperIo, HyperTimer},
    net::{TcpListener, TcpStream},
};

#[turtles::test(worker_threads = 2)]
async fn a_hyper_server_and_client_talk_over_turtles_sockets() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = turtles::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let echo_path = service_fn(|request: Request<hyper::body::Incoming>| async move {
            let path = request.uri().path().to_owned();
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(path))))
        });
        hyper::server::conn::http1::Builder::new()
            .timer(HyperTimer)
            .serve_connection(HyperIo::new(stream), echo_path)
            .await
    });
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(HyperIo::new(stream))
        .await
        .unwrap();
    let driver = turtles::spawn(connection);
    for i in 0..100 {
        let request = Request::get(format!("/item/{i}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        sender.ready().await.unwrap(); // the previous exchange is over
        let response = sender.send_request(request).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, format!("/item/{i}").as_bytes());
    }
    drop(sender);
    driver.await.unwrap().unwrap();
    server
        .await
        .unwrap()
        .expect("the server sees the client's close as a clean end, not an error");
}
