//! The endpoints over real HTTP on 127.0.0.1, against a real `App` with the shipped guide
//! and a SQLite file in a temporary folder.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::*;
use crate::app::Knowledge;
use crate::commands::{self, Command, Invocation};
use crate::config::Config;
use crate::guide::Guide;
use crate::lookup::Vocabulary;

struct Served {
    app: Arc<App>,
    running: Running,
    _dir: tempfile::TempDir,
}

impl Served {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.running.address())
    }

    async fn get(&self, path: &str) -> Answer {
        fetch(&self.url(path), Duration::from_secs(5)).await.expect("the ops listener answers")
    }
}

async fn serve() -> Served {
    let dir = tempfile::tempdir().expect("temporary folder");
    let config = Config {
        guide_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("guide"),
        database: dir.path().join("hackcoach.db").display().to_string(),
        ..Config::default()
    };
    let app = Arc::new(App::open(config).await.expect("the app opens"));
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let running = start(Arc::clone(&app), loopback).await.expect("the ops listener starts");
    assert!(running.address().ip().is_loopback() && running.address().port() != 0);
    Served { app, running, _dir: dir }
}

fn invocation() -> Invocation {
    Invocation {
        guild_id: 1,
        channel_id: 2,
        channel_name: "team-red".into(),
        user_id: 3,
        user_name: "Katherine".into(),
        is_coach: false,
        now: chrono::Utc::now(),
    }
}

/// Checks that `text` is a well-formed exposition and returns its samples by series.
fn parse_exposition(text: &str) -> Vec<(String, f64)> {
    let mut samples = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.splitn(3, ' ');
            let keyword = words.next().unwrap_or("");
            if keyword == "EOF" {
                assert!(lines.peek().is_none(), "text after # EOF");
                continue;
            }
            assert!(matches!(keyword, "TYPE" | "HELP" | "UNIT"), "unknown comment {line:?}");
            let name = words.next().unwrap_or("");
            assert!(name.starts_with("hackcoach_"), "{line:?}");
            if keyword == "TYPE" {
                let kind = words.next().unwrap_or("");
                assert!(matches!(kind, "counter" | "gauge" | "histogram"), "{line:?}");
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value in {line:?}"));
        let name = series.split('{').next().unwrap_or("");
        assert!(
            name.starts_with("hackcoach_") && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "bad metric name in {line:?}"
        );
        if let Some(labels) = series.strip_prefix(name) {
            assert!(labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')), "{line:?}");
        }
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value in {line:?}"));
        samples.push((series.to_string(), value));
    }
    assert!(text.ends_with("# EOF\n"), "the exposition must end with # EOF");
    samples
}

fn sample(samples: &[(String, f64)], series: &str) -> Option<f64> {
    samples.iter().find(|(name, _)| name == series).map(|(_, value)| *value)
}

#[tokio::test]
async fn healthz_is_503_until_the_gateway_connects_and_200_after() {
    let served = serve().await;
    let answer = served.get("/healthz").await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(answer.body.starts_with("unhealthy: gateway\n"), "{}", answer.body);
    assert!(answer.body.contains("gateway: not connected\n"), "{}", answer.body);
    assert!(answer.body.contains("database: writable\n"), "{}", answer.body);
    let sections = served.app.knowledge().guide.sections.len();
    assert!(sections > 0);
    assert!(answer.body.contains(&format!("guide: {sections} sections\n")), "{}", answer.body);

    served.app.metrics.set_gateway_connected(true);
    let answer = served.get("/healthz").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body, format!("ok\ngateway: connected\ndatabase: writable\nguide: {sections} sections\n"));

    served.app.metrics.set_gateway_connected(false);
    assert_eq!(served.get("/healthz").await.status, 503, "a dropped gateway is unhealthy again");
    served.running.stop().await;
}

#[tokio::test]
async fn healthz_names_the_database_when_the_store_is_closed() {
    let served = serve().await;
    served.app.metrics.set_gateway_connected(true);
    assert_eq!(served.get("/healthz").await.status, 200);
    served.app.store().expect("opened").close().await;
    let answer = served.get("/healthz").await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(answer.body.starts_with("unhealthy: database\n"), "{}", answer.body);
    assert!(answer.body.contains("database: not writable"), "{}", answer.body);
    served.running.stop().await;
}

#[tokio::test]
async fn healthz_names_the_guide_when_it_has_no_sections() {
    let served = serve().await;
    served.app.metrics.set_gateway_connected(true);
    let vocabulary = Vocabulary::parse("").expect("an empty vocabulary");
    served.app.replace_knowledge(Knowledge::build(Guide::default(), Vec::new(), Vec::new(), vocabulary));
    let answer = served.get("/healthz").await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(answer.body.starts_with("unhealthy: guide\n") && answer.body.contains("guide: 0 sections"));
    // The gauge is read at scrape time, so a replaced guide shows at once.
    let samples = parse_exposition(&served.get("/metrics").await.body);
    assert_eq!(sample(&samples, "hackcoach_guide_sections"), Some(0.0));
    served.running.stop().await;
}

#[tokio::test]
async fn metrics_parse_and_count_a_command_run_through_execute() {
    let served = serve().await;
    let before = served.get("/metrics").await;
    assert_eq!(before.status, 200);
    let samples = parse_exposition(&before.body);
    let sections = served.app.knowledge().guide.sections.len() as f64;
    assert_eq!(sample(&samples, "hackcoach_guide_sections"), Some(sections));
    let help = r#"hackcoach_commands_total{command="help",outcome="answered"}"#;
    let help_count = r#"hackcoach_command_duration_seconds_count{command="help"}"#;
    assert_eq!(sample(&samples, help), None, "nothing ran yet");

    let reply = commands::execute(&served.app, &invocation(), Command::Help).await;
    assert_ne!(reply.tone, crate::reply::Tone::Refusal);
    let refused = commands::execute(&served.app, &invocation(), Command::Challenge { number: 99 }).await;
    assert_eq!(refused.tone, crate::reply::Tone::Refusal, "{refused:?}");

    let scraped = served.get("/metrics").await;
    for line in [
        "# TYPE hackcoach_commands counter",
        "# TYPE hackcoach_command_duration_seconds histogram",
        "# TYPE hackcoach_autocomplete_duration_seconds histogram",
        "# TYPE hackcoach_cluster_checks counter",
        "# TYPE hackcoach_cluster_check_duration_seconds histogram",
        "# TYPE hackcoach_gateway_connected gauge",
        "# TYPE hackcoach_gateway_latency_seconds gauge",
        "# TYPE hackcoach_guide_sections gauge",
        "# TYPE hackcoach_process_start_time_seconds gauge",
    ] {
        assert!(scraped.body.lines().any(|l| l == line), "{line:?} missing:\n{}", scraped.body);
    }
    let after = parse_exposition(&scraped.body);
    assert_eq!(sample(&after, help), Some(1.0));
    assert_eq!(sample(&after, help_count), Some(1.0));
    assert_eq!(sample(&after, r#"hackcoach_commands_total{command="challenge",outcome="refused"}"#), Some(1.0));
    let started = sample(&after, "hackcoach_process_start_time_seconds").expect("start time");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs_f64();
    assert!((now - 60.0..=now).contains(&started), "started {started}, now {now}");
    served.running.stop().await;
}

/// Sends raw request bytes and returns the status line.
async fn raw_status(address: SocketAddr, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("answered in time")
        .expect("read");
    String::from_utf8_lossy(&answer).lines().next().unwrap_or("").to_string()
}

#[tokio::test]
async fn other_paths_are_404_and_other_methods_405() {
    let served = serve().await;
    for path in ["/", "/health", "/healthz/extra", "/metrics.txt", "/admin"] {
        let answer = served.get(path).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
    }
    let address = served.running.address();
    for method in ["POST", "PUT", "DELETE"] {
        let request =
            format!("{method} /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        assert_eq!(raw_status(address, &request).await, "HTTP/1.1 405 Method Not Allowed", "{method}");
    }
    served.running.stop().await;
}

#[tokio::test]
async fn stopping_closes_the_port() {
    let served = serve().await;
    let address = served.running.address();
    assert_eq!(served.get("/metrics").await.status, 200);
    served.running.stop().await;
    assert!(tokio::net::TcpStream::connect(address).await.is_err(), "{address} still accepts connections");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_healthz_shares_database_probes_instead_of_queueing_them() {
    let served = serve().await;
    served.app.metrics.set_gateway_connected(true);
    // A long write holds the writers' turn, so every probe waits its full second.
    let store = served.app.store().expect("the store is open");
    let long_write = store.hold_writes().await;
    let started = std::time::Instant::now();
    let answers = futures_burst(&served, 10).await;
    let took = started.elapsed();
    for answer in &answers {
        assert_eq!(answer.status, 503, "{}", answer.body);
        assert!(answer.body.contains("database: not writable"), "{}", answer.body);
    }
    // One probe at a time, answers shared: the first, and one for everyone who queued behind it.
    let runs = served.running.ops.database.runs.load(std::sync::atomic::Ordering::Relaxed);
    assert!(runs <= 2, "10 requests ran {runs} probes");
    assert!(took < Duration::from_millis(4500), "10 requests took {took:?}");
    drop(long_write);
    served.running.stop().await;
}

async fn futures_burst(served: &Served, n: usize) -> Vec<Answer> {
    let url = served.url("/healthz");
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            tokio::spawn({
                let url = url.clone();
                async move { fetch(&url, Duration::from_secs(30)).await }
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task").expect("answer"));
    }
    answers
}
