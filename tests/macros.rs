//! `#[turtles::test]` and `#[turtles::main]`'s options, used as a user would.

use std::error::Error;

#[turtles::test]
async fn the_body_runs_inside_a_runtime() {
    assert_eq!(turtles::spawn(async { 40 + 2 }).await.unwrap(), 42);
}

#[turtles::test(worker_threads = 3)]
async fn worker_threads_sets_the_pool_size() {
    assert_eq!(turtles::Handle::current().metrics().workers(), 3);
}

#[turtles::test(flavor = "multi_thread")]
async fn multi_thread_runs_one_worker_per_cpu() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(turtles::Handle::current().metrics().workers(), cpus);
    let here = std::thread::current().id();
    let there = turtles::spawn(async { std::thread::current().id() })
        .await
        .unwrap();
    assert_ne!(
        here, there,
        "tasks run on the workers, not the test's thread"
    );
}

#[turtles::test] // the default for tests, as in tokio
async fn by_default_tasks_run_on_the_test_thread() {
    let here = std::thread::current().id();
    let there = turtles::spawn(async { std::thread::current().id() })
        .await
        .unwrap();
    assert_eq!(here, there);
}

#[turtles::test]
#[should_panic(expected = "a panic in the body fails the test")]
async fn a_panic_in_the_body_fails_the_test() {
    turtles::task::yield_now().await;
    panic!("a panic in the body fails the test");
}

#[turtles::test]
async fn a_test_may_return_a_result() -> Result<(), Box<dyn Error>> {
    let n: u32 = "7".parse()?;
    turtles::task::yield_now().await;
    assert_eq!(n, 7);
    Ok(())
}

#[test]
fn each_test_gets_a_fresh_runtime() {
    // Two attributed functions called in a row: the second builds its own runtime,
    // so a task left behind by the first cannot be seen from it.
    #[turtles::main(worker_threads = 1)]
    async fn first() -> turtles::Metrics {
        turtles::spawn(async {}).await.unwrap();
        turtles::Handle::current().metrics()
    }
    #[turtles::main(worker_threads = 1)]
    async fn second() -> turtles::Metrics {
        turtles::Handle::current().metrics()
    }
    assert_eq!(first().spawned(), 1);
    assert_eq!(second().spawned(), 0);
}

#[turtles::test]
pub(crate) async fn a_visibility_before_fn_is_no_parameter_list() {
    turtles::task::yield_now().await;
}
