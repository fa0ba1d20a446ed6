//! `signal::ctrl_c`: SIGINT sent to our own process wakes the tasks waiting for it.
//! Alone in its binary: it changes how the whole process answers SIGINT.

use std::time::Duration;

use signal_hook::{consts::SIGINT, low_level::raise};

#[turtles::test(worker_threads = 2)]
async fn one_sigint_wakes_every_task_waiting_for_it_and_the_process_lives_on() {
    let waiting: Vec<_> = (0..2)
        .map(|_| {
            let ctrl_c = turtles::signal::ctrl_c(); // listening from here on
            turtles::spawn(ctrl_c)
        })
        .collect();
    raise(SIGINT).unwrap();
    for task in waiting {
        turtles::time::timeout(Duration::from_secs(20), task)
            .await
            .expect("the signal reached the task")
            .unwrap()
            .unwrap();
    }

    // A SIGINT before a ctrl_c() call is not remembered by it.
    let later = turtles::signal::ctrl_c();
    let waited = turtles::time::timeout(Duration::from_millis(100), later).await;
    assert!(waited.is_err(), "no new SIGINT, so it waits");

    let again = turtles::signal::ctrl_c();
    raise(SIGINT).unwrap();
    again.await.unwrap();
}
