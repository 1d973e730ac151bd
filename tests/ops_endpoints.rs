//! The operations endpoints of the real `hackcoach run` process, driven through the fake
//! Discord: /healthz turns 200 once the gateway is connected, /metrics counts what the bot
//! served, `hackcoach health` agrees, the token shows up nowhere, and SIGTERM closes the port.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::bot_process::BotProcess;
use common::fake_discord::{FakeDiscord, Person};
use hackcoach::config::Config;
use hackcoach::ops::{Answer, fetch, health_url};
use serde_json::json;

const TOKEN: &str = "ops-test-token-T3BzRW5kcG9pbnRz";

/// A port nobody listens on right now (the kernel's pick, released for the bot to take).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
    listener.local_addr().expect("address").port()
}

async fn get(url: &str) -> Answer {
    fetch(url, Duration::from_secs(5)).await.unwrap_or_else(|error| panic!("GET {url}: {error:#}"))
}

fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|l| l == line)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_serves_healthz_and_metrics_and_closes_them_on_sigterm() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("temporary folder");
    let port = free_port();
    let ops = format!("[ops]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\n");
    let mut bot = BotProcess::start(&fake, TOKEN, dir, &BotProcess::shipped_guide(), &ops);
    let config_path = bot.config_path.clone();
    let base = format!("http://127.0.0.1:{port}");

    // Healthy once the gateway is connected (Ready handled) and the checks pass.
    fake.wait_until_connected().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let health = loop {
        if let Ok(answer) = fetch(&format!("{base}/healthz"), Duration::from_secs(2)).await
            && answer.status == 200
        {
            break answer;
        }
        assert!(Instant::now() < deadline, "/healthz never answered 200");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(health.body.starts_with("ok\ngateway: connected\ndatabase: writable\nguide: "), "{}", health.body);

    // One slash command and one autocomplete, each answered.
    let member = Person::member(3001, "Katherine");
    for interaction in
        [fake.slash_command(&member, "help", json!([])), fake.autocomplete(&member, "hint", "query", 3, "ingr")]
    {
        let from = fake.mark();
        let (id, token) = fake.interact(interaction);
        let callback = format!("/api/v10/interactions/{id}/{token}/callback");
        fake.wait_for(from, &callback, |r| r.path == callback).await;
    }

    let metrics = get(&format!("{base}/metrics")).await;
    assert_eq!(metrics.status, 200);
    for line in [
        "# TYPE hackcoach_commands counter",
        r#"hackcoach_commands_total{command="help",outcome="answered"} 1"#,
        r#"hackcoach_command_duration_seconds_count{command="help"} 1"#,
        r#"hackcoach_autocomplete_duration_seconds_count{kind="topic"} 1"#,
        "# TYPE hackcoach_gateway_latency_seconds gauge",
        "hackcoach_gateway_connected 1",
    ] {
        assert!(has_line(&metrics.body, line), "{line:?} missing from /metrics:\n{}", metrics.body);
    }
    let sections = metrics.body.lines().find_map(|l| l.strip_prefix("hackcoach_guide_sections "));
    assert!(sections.and_then(|n| n.parse::<u64>().ok()).is_some_and(|n| n > 0), "{}", metrics.body);
    let health = get(&format!("{base}/healthz")).await;
    for body in [&metrics.body, &health.body] {
        assert!(!body.contains(TOKEN) && !body.contains("T3BzRW5kcG9pbnRz"), "the token reached an endpoint");
    }
    assert_eq!(get(&format!("{base}/other")).await.status, 404);

    // `hackcoach health`: 0 against the config's listener, 1 with the reason otherwise.
    let healthy = tokio::process::Command::new(env!("CARGO_BIN_EXE_hackcoach"))
        .arg("--config")
        .arg(&config_path)
        .arg("health")
        .output()
        .await
        .expect("run hackcoach health");
    let stdout = String::from_utf8_lossy(&healthy.stdout);
    assert!(healthy.status.success(), "health: {healthy:?}");
    assert!(stdout.starts_with("ok\n"), "{stdout}");
    let wrong = tokio::process::Command::new(env!("CARGO_BIN_EXE_hackcoach"))
        .args(["health", "--url", &format!("{base}/nowhere")])
        .output()
        .await
        .expect("run hackcoach health --url");
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(1), "{wrong:?}");
    assert!(stderr.contains("answered 404"), "{stderr}");

    // SIGTERM: the bot exits 0 and the port is closed.
    bot.signal("TERM");
    let (status, _) = bot.exit_within(Duration::from_secs(15)).await;
    let log = bot.log();
    assert!(status.success(), "exit {status:?}; log:\n{log}");
    assert!(log.contains("operations endpoints listening") && log.contains("operations endpoints closed"), "{log}");
    assert!(!log.contains(TOKEN), "the token reached the log");
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "the ops port still accepts connections after the bot exited"
    );
    let after = tokio::process::Command::new(env!("CARGO_BIN_EXE_hackcoach"))
        .arg("--config")
        .arg(&config_path)
        .arg("health")
        .output()
        .await
        .expect("run hackcoach health after exit");
    assert_eq!(after.status.code(), Some(1), "{after:?}");
    assert!(String::from_utf8_lossy(&after.stderr).starts_with("unhealthy: connecting to"), "{after:?}");
}

#[test]
fn the_image_config_enables_the_listener_its_healthcheck_asks() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/config.toml");
    let config = Config::load(Some(&path)).expect("deploy/config.toml parses");
    assert!(config.ops.enabled, "`hackcoach health` (HEALTHCHECK, Kubernetes probes) needs [ops] enabled");
    assert!(config.ops.listen.ip().is_loopback(), "the image listens on loopback only: {}", config.ops.listen);
    assert_eq!(health_url(&config.ops), "http://127.0.0.1:9184/healthz");
}
