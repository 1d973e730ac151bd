//! Benchmark (ignored by default): `/approve` and `/status` latency through
//! `commands::execute` on a real SQLite file, with 50 tasks at once. Prints p50 and p99.
//!
//! `cargo test --test latency -- --ignored --nocapture`

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hackcoach::app::{App, Knowledge};
use hackcoach::commands::{Command, Invocation, execute};
use hackcoach::config::Config;
use hackcoach::reply::Tone;
use hackcoach::store::Store;

const TASKS: u64 = 50;
const ROUNDS: u64 = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn approve_and_status_latency_under_50_concurrent_tasks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config {
        guide_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("guide"),
        database: dir.path().join("bench.db").display().to_string(),
        ..Config::default()
    };
    let knowledge = Knowledge::load(&config).expect("guide");
    let store = Store::open(&config.database_url()).await.expect("store");
    let app = Arc::new(App::with_store(config, knowledge, store));
    let began = Instant::now();
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let app = Arc::clone(&app);
        handles.push(tokio::spawn(async move {
            let (mut approve, mut status) = (Vec::new(), Vec::new());
            for round in 0..ROUNDS {
                let invocation = Invocation {
                    guild_id: 1,
                    channel_id: task * 1000 + round,
                    channel_name: format!("team-{task}-{round}"),
                    user_id: 7,
                    user_name: "coach".into(),
                    is_coach: true,
                    now: chrono::Utc::now(),
                };
                for challenge in 1..=8 {
                    let command = Command::Approve { challenge, note: Some("benchmark".into()), force: false };
                    let start = Instant::now();
                    let reply = execute(&app, &invocation, command).await;
                    approve.push(start.elapsed());
                    assert_eq!(reply.tone, Tone::Success, "{reply:?}");
                    let start = Instant::now();
                    let reply = execute(&app, &invocation, Command::Status).await;
                    status.push(start.elapsed());
                    assert!(reply.body.contains(&format!("Challenge {challenge}: approved")), "{reply:?}");
                }
            }
            (approve, status)
        }));
    }
    let (mut approve, mut status) = (Vec::new(), Vec::new());
    for handle in handles {
        let (a, s) = handle.await.expect("task");
        approve.extend(a);
        status.extend(s);
    }
    let elapsed = began.elapsed();
    println!(
        "{} approvals + {} status replies by {TASKS} tasks in {:.2} s ({:.0} commands/s)",
        approve.len(),
        status.len(),
        elapsed.as_secs_f64(),
        (approve.len() + status.len()) as f64 / elapsed.as_secs_f64()
    );
    for (name, samples) in [("approve", &mut approve), ("status", &mut status)] {
        samples.sort();
        println!(
            "{name:8} p50 {:>8.2} ms   p99 {:>8.2} ms   max {:>8.2} ms",
            ms(percentile(samples, 50)),
            ms(percentile(samples, 99)),
            ms(percentile(samples, 100))
        );
    }
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    let index = (sorted.len() * percent / 100).min(sorted.len() - 1);
    sorted[index]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
