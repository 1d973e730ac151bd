//! The real `hackcoach run` process against the fake Discord: it connects, registers,
//! serves a burst of interactions within its memory budget, and shuts down cleanly on
//! SIGTERM. The binary reaches the fake through `HACKCOACH_DISCORD_API_URL` (loopback only).

mod common;

use std::time::{Duration, Instant};

use common::bot_process::BotProcess;
use common::fake_discord::{APP_ID, FakeDiscord, GUILD_ID, Person};
use serde_json::json;

const TOKEN: &str = "process-test-token-NzY1NDMyMQ";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_process_serves_within_50_mb_and_stops_on_sigterm() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut bot = BotProcess::start(&fake, TOKEN, dir, &BotProcess::shipped_guide(), "");

    fake.wait_until_connected().await;
    let path = format!("/api/v10/applications/{APP_ID}/guilds/{GUILD_ID}/commands");
    fake.wait_for(0, "command registration", |r| r.method == "PUT" && r.path == path).await;

    // A burst of work: slash commands and autocomplete, each waited for.
    let member = Person::member(3001, "Katherine");
    let queries = ["challenge 4 ingress", "kv aliases", "c8 istio", "port forward", "helm", "sql server", "rbac"];
    let started = Instant::now();
    let mut peak_rss = 0;
    for round in 0..30 {
        for query in queries {
            for interaction in [
                fake.slash_command(&member, "hint", json!([{ "name": "query", "type": 3, "value": query }])),
                fake.autocomplete(&member, "hint", "query", 3, &query[..query.len().min(3 + round % 5)]),
            ] {
                let from = fake.mark();
                let (id, token) = fake.interact(interaction);
                let callback = format!("/api/v10/interactions/{id}/{token}/callback");
                fake.wait_for(from, &callback, |r| r.path == callback).await;
            }
        }
        if let Some((rss, _)) = bot.memory_kib() {
            peak_rss = peak_rss.max(rss);
        }
    }
    let served = 30 * queries.len() * 2;
    let elapsed = started.elapsed();
    let (rss, hwm) = bot.memory_kib().expect("the bot is running");
    eprintln!(
        "hackcoach run served {served} interactions in {elapsed:?} ({:?} each, round trip through the fake); \
         resident now {rss} KiB, sampled peak {peak_rss} KiB, VmHWM {hwm} KiB",
        elapsed / u32::try_from(served).unwrap_or(1)
    );
    assert!(hwm < 50 * 1024, "the bot's peak resident memory {hwm} KiB is over 50 MB");

    // SIGTERM: shards closed, the process exits 0.
    bot.signal("TERM");
    let (status, _) = bot.exit_within(Duration::from_secs(15)).await;
    let stderr = bot.log();
    assert!(status.success(), "exit {status:?}; log:\n{stderr}");
    for expected in [
        "connected to Discord",
        "commands registered in guild",
        "SIGTERM received",
        "disconnected from Discord",
        "database closed",
    ] {
        assert!(stderr.contains(expected), "{expected:?} missing from the log:\n{stderr}");
    }
    assert!(!stderr.contains(TOKEN), "the token reached the log");
}
