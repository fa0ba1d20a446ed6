//! What the README promises of the `futures` ecosystem runs on turtles unchanged:
//! `FuturesUnordered`, `select!`, `StreamExt`, `futures::io::copy`, and async-channel.

mod common;

use std::time::Duration;

use futures_util::{
    io::AsyncReadExt,
    select,
    stream::{self, FuturesUnordered, StreamExt},
    FutureExt,
};
use turtles::{
    net::{TcpListener, TcpStream},
    sync::oneshot,
    time::sleep,
};

#[test]
fn futures_unordered_yields_in_completion_order() {
    let rt = common::runtime(2);
    let order: Vec<u64> = rt.block_on(async {
        let mut releases = Vec::new();
        let mut running = FuturesUnordered::new();
        for id in [30, 10, 20] {
            let (release, released) = oneshot::channel::<()>();
            releases.push((id, release));
            running.push(async move {
                released.await.unwrap();
                id
            });
        }
        // Released one at a time, in another order than they were pushed in, each from
        // a task on a worker (a wake from another thread): `next` must yield the one
        // just released. (Sleeps of 10, 20 and 30 ms once stood in for this, and a
        // stall of the thread longer than the gaps made two due at once.)
        let mut order = Vec::new();
        for id in [10, 20, 30] {
            let at = releases.iter().position(|(r, _)| *r == id).unwrap();
            let (_, release) = releases.swap_remove(at);
            turtles::spawn(async move { release.send(()).unwrap() });
            order.push(running.next().await.unwrap());
        }
        assert!(running.next().await.is_none());
        order
    });
    assert_eq!(order, [10, 20, 30]);
}

#[test]
fn select_macro_takes_the_first_ready_branch() {
    let winner = turtles::block_on(async {
        let slow = sleep(Duration::from_secs(3600)).fuse();
        let fast = sleep(Duration::from_millis(5)).fuse();
        futures_util::pin_mut!(slow, fast);
        select! {
            () = slow => "slow",
            () = fast => "fast",
        }
    });
    assert_eq!(winner, "fast");
}

#[test]
fn stream_ext_combinators_run_on_spawned_tasks() {
    let rt = common::runtime(2);
    let sum: u64 = rt.block_on(async {
        stream::iter(1..=10)
            .map(|i| turtles::spawn(async move { i * i }))
            .buffered(4)
            .map(|joined| joined.unwrap())
            .filter(|square| std::future::ready(square % 2 == 0))
            .fold(0, |sum, square| async move { sum + square })
            .await
    });
    assert_eq!(sum, 4 + 16 + 36 + 64 + 100);
}

#[test]
fn futures_io_copy_moves_bytes_between_turtles_sockets() {
    let rt = common::runtime(2);
    let echoed = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = turtles::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let (mut reader, mut writer) = stream.split();
            futures_util::io::copy(&mut reader, &mut writer)
                .await
                .unwrap()
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        let message = vec![7u8; 100_000];
        client.write_all(&message).await.unwrap();
        client.shutdown(std::net::Shutdown::Write).await.unwrap();
        let mut echoed = Vec::new();
        AsyncReadExt::read_to_end(&mut client, &mut echoed)
            .await
            .unwrap();
        assert_eq!(server.await.unwrap(), message.len() as u64);
        echoed == message
    });
    assert!(echoed);
}

#[test]
fn async_channel_connects_tasks_on_different_workers() {
    let rt = common::runtime(2);
    let received = rt.block_on(async {
        let (tx, rx) = async_channel::bounded(4);
        let producer = turtles::spawn(async move {
            for i in 0..100u32 {
                tx.send(i).await.unwrap();
            }
        });
        let consumer = turtles::spawn(async move {
            let mut got = Vec::new();
            while let Ok(i) = rx.recv().await {
                got.push(i);
            }
            got
        });
        producer.await.unwrap();
        consumer.await.unwrap()
    });
    assert_eq!(received, (0..100).collect::<Vec<_>>());
}
