//! Soak: the real `hackcoach run` process against the fake Discord on 127.0.0.1, driven
//! with 20,000 mixed interactions (hints, autocomplete, status, approvals and revocations,
//! member commands, buttons) across 100 team channels, a bounded window of them in
//! flight so the answer times measure the bot, not the test's own queue.
//!
//! `the_bot_answers_20000_interactions_quickly_in_flat_memory` checks that every
//! interaction is answered, the p99 answer time (dispatch written → callback received)
//! is under 50 ms, resident memory stays flat, and the database afterwards holds exactly
//! the approvals the fake saw acknowledged. `sigterm_during_the_soak_loses_nothing` sends
//! SIGTERM mid-stream: the bot answers or refuses everything it read, exits 0 within 5 s,
//! and keeps every approval it acknowledged.
//!
//! `cargo test --test soak -- --nocapture --test-threads=1` prints the figures.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::bot_process::BotProcess;
use common::fake_discord::{APP_ID, FakeDiscord, GUILD_ID, Person};
use hackcoach::store::Store;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};

const TOKEN: &str = "soak-test-token-OTg3NjU0MzIxMA";
const INTERACTIONS: usize = 20_000;
const CHANNELS: u64 = 100;
const FIRST_CHANNEL: u64 = 900_000_000_000_100_000;
/// Interactions in flight at once: enough to keep both cores and the database busy, few
/// enough that an answer's time is the bot's work rather than a queue the test built.
const WINDOW: usize = 8;
/// The shipped guide's challenges.
const CHALLENGES: u64 = 8;
/// Resident memory may grow this much between warm-up and the end: allocator slack and
/// caches that fill once. A leak of even 500 bytes an interaction would exceed it.
const RSS_GROWTH_KIB: u64 = 8 * 1024;
const WARM_UP: usize = 2_000;

/// The two tests run one at a time: two bots sharing two cores would measure each other.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Interaction callback types (Discord docs, "Interaction Callback Type").
const DEFERRED_CHANNEL_MESSAGE: u64 = 5;
const DEFERRED_UPDATE_MESSAGE: u64 = 6;

/// A small deterministic generator, so a failing run can be replayed.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    *state >> 33
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Hint,
    CoachHint,
    Autocomplete,
    Status,
    Approve,
    Revoke,
    MemberApprove,
    Challenge,
    Troubleshoot,
    Button,
    TeamName,
    Help,
}

const QUERIES: [&str; 12] = [
    "challenge 4 ingress",
    "kv aliases",
    "c8 istio",
    "port forward",
    "helm",
    "sql server",
    "rbac",
    "how do I scale a deployment",
    "persistent volume",
    "secrets",
    "dns",
    "monitoring",
];

/// Interaction `i` of the mix: what it is, in which channel, and its JSON.
fn interaction(fake: &FakeDiscord, i: usize) -> (Kind, u64, Value) {
    let mut seed = i as u64 + 1;
    next(&mut seed);
    let slot = next(&mut seed) % CHANNELS;
    let channel = FIRST_CHANNEL + slot;
    let member = Person::member(800_000 + slot, &format!("Member{slot}"));
    let coach = Person::coach(700_000 + next(&mut seed) % 5, "Coach");
    let query = QUERIES[(next(&mut seed) % QUERIES.len() as u64) as usize];
    let challenge = next(&mut seed) % CHALLENGES + 1;
    let roll = next(&mut seed) % 100;
    let (kind, value) = match roll {
        0..30 => {
            (Kind::Hint, fake.slash_command(&member, "hint", json!([{ "name": "query", "type": 3, "value": query }])))
        }
        30..36 => (
            Kind::CoachHint,
            fake.slash_command(&coach, "hint", json!([{ "name": "query", "type": 3, "value": query }])),
        ),
        36..58 => {
            let partial = &query[..query.len().min(1 + i % 8)];
            (Kind::Autocomplete, fake.autocomplete(&member, "hint", "query", 3, partial))
        }
        58..61 => (Kind::Autocomplete, fake.autocomplete(&coach, "approve", "challenge", 4, &challenge.to_string())),
        61..73 => (Kind::Status, fake.slash_command(&member, "status", json!([]))),
        73..82 => {
            let mut options = vec![json!({ "name": "challenge", "type": 4, "value": challenge })];
            if next(&mut seed).is_multiple_of(2) {
                options.push(json!({ "name": "force", "type": 5, "value": true }));
            }
            options.push(json!({ "name": "note", "type": 3, "value": format!("soak {i}") }));
            (Kind::Approve, fake.slash_command(&coach, "approve", json!(options)))
        }
        82..87 => (
            Kind::Revoke,
            fake.slash_command(&coach, "revoke", json!([{ "name": "challenge", "type": 4, "value": challenge }])),
        ),
        87..90 => (
            Kind::MemberApprove,
            fake.slash_command(&member, "approve", json!([{ "name": "challenge", "type": 4, "value": challenge }])),
        ),
        90..93 => (
            Kind::Challenge,
            fake.slash_command(&member, "challenge", json!([{ "name": "number", "type": 4, "value": challenge }])),
        ),
        93..95 => (
            Kind::Troubleshoot,
            fake.slash_command(
                &member,
                "troubleshoot",
                json!([{ "name": "problem", "type": 3, "value": "Failed to pull image: rpc error: ErrImagePull" }]),
            ),
        ),
        95..97 => (Kind::Button, fake.button_press(&member, "hc:show:challenge-4/ingress", json!([]))),
        97..99 => {
            let options = json!([{ "name": "name", "type": 1, "options": [{ "name": "name", "type": 3, "value": format!("Team {slot} v{i}") }] }]);
            (Kind::TeamName, fake.slash_command(&member, "team", options))
        }
        _ => (Kind::Help, fake.slash_command(&member, "help", json!([]))),
    };
    (kind, channel, FakeDiscord::in_channel(value, channel, &format!("team-{slot}")))
}

/// What happened to one interaction.
#[derive(Debug)]
struct Outcome {
    kind: Kind,
    channel: u64,
    /// The gateway sequence it went out with; `None` when the gateway was already gone.
    sequence: Option<u64>,
    /// Dispatch → callback, when answered.
    latency: Option<Duration>,
    /// The callback's body (for a deferred one, the edit or follow-up that completed it).
    answer: Option<Value>,
}

/// Sends one interaction and waits for its answer: the callback, and for a deferred one
/// the edit or follow-up that completes it. Stops waiting once the bot has exited.
async fn run_one(
    fake: &FakeDiscord,
    kind: Kind,
    channel: u64,
    value: Value,
    mut exited: watch::Receiver<bool>,
) -> Outcome {
    let token = value["token"].as_str().unwrap_or_default().to_string();
    let mut answers = fake.watch(&token);
    let sent = Instant::now();
    let Some(sequence) = fake.try_dispatch("INTERACTION_CREATE", value) else {
        return Outcome { kind, channel, sequence: None, latency: None, answer: None };
    };
    let mut next_answer = async || {
        let bot_exited = tokio::select! {
            answer = answers.recv() => return answer,
            _ = exited.wait_for(|exited| *exited) => true,
            () = tokio::time::sleep(Duration::from_secs(15)) => false,
        };
        // Once the bot has exited, nothing more can come: take what already arrived.
        if bot_exited { answers.try_recv().ok() } else { None }
    };
    let Some(callback) = next_answer().await else {
        return Outcome { kind, channel, sequence: Some(sequence), latency: None, answer: None };
    };
    assert!(callback.request.path.ends_with("/callback"), "the first request is the callback: {callback:?}");
    let latency = callback.at.saturating_duration_since(sent);
    let mut answer = callback.request.body;
    let callback_type = answer["type"].as_u64();
    if matches!(callback_type, Some(DEFERRED_CHANNEL_MESSAGE | DEFERRED_UPDATE_MESSAGE)) {
        // Deferred: answered when the edit (or, for a private reply, the follow-up) arrives.
        loop {
            let Some(later) = next_answer().await else {
                return Outcome { kind, channel, sequence: Some(sequence), latency: Some(latency), answer: None };
            };
            let webhook = format!("/api/v10/webhooks/{APP_ID}/{token}");
            let done = (later.request.method == "PATCH" && later.request.path.ends_with("/@original"))
                || (later.request.method == "POST" && later.request.path == webhook);
            if done {
                answer = json!({ "type": callback_type, "data": later.request.body });
                break;
            }
        }
    }
    Outcome { kind, channel, sequence: Some(sequence), latency: Some(latency), answer: Some(answer) }
}

/// Drives up to `total` interactions, `WINDOW` at a time, counting completions in `done`;
/// stops early once the gateway is gone.
async fn drive(
    fake: &Arc<FakeDiscord>,
    total: usize,
    done: &Arc<AtomicUsize>,
    exited: &watch::Receiver<bool>,
) -> Vec<Outcome> {
    let window = Arc::new(Semaphore::new(WINDOW));
    let gone = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        let permit = Arc::clone(&window).acquire_owned().await.expect("the window stays open");
        if gone.load(Ordering::SeqCst) {
            break;
        }
        let (kind, channel, value) = interaction(fake, i);
        let (fake, done, gone, exited) = (Arc::clone(fake), Arc::clone(done), Arc::clone(&gone), exited.clone());
        tasks.push(tokio::spawn(async move {
            let outcome = run_one(&fake, kind, channel, value, exited).await;
            if outcome.sequence.is_none() {
                gone.store(true, Ordering::SeqCst);
            }
            done.fetch_add(1, Ordering::SeqCst);
            drop(permit);
            outcome
        }));
    }
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await.expect("an interaction task panicked"));
    }
    outcomes
}

/// The approvals and revocations the fake saw acknowledged, by (channel, challenge).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    approved: usize,
    revoked: usize,
}

fn title(answer: &Value) -> &str {
    answer["data"]["embeds"][0]["title"].as_str().unwrap_or("")
}

fn acknowledged(outcomes: &[Outcome]) -> HashMap<(u64, u32), Tally> {
    let mut tallies: HashMap<(u64, u32), Tally> = HashMap::new();
    for outcome in outcomes {
        let Some(answer) = &outcome.answer else { continue };
        let title = title(answer);
        let Some(rest) = title.strip_prefix("Challenge ") else { continue };
        let (number, what) = rest.split_once(' ').unwrap_or((rest, ""));
        let Ok(challenge) = number.parse::<u32>() else { continue };
        let tally = tallies.entry((outcome.channel, challenge)).or_default();
        match (outcome.kind, what) {
            (Kind::Approve, "approved") => tally.approved += 1,
            (Kind::Revoke, "approval revoked") => tally.revoked += 1,
            _ => {}
        }
    }
    tallies
}

/// The database, opened read-only after the bot exited, is intact and holds exactly the
/// acknowledged approvals and revocations, channel by channel.
async fn assert_database_matches(db: &Path, tallies: &HashMap<(u64, u32), Tally>) -> (usize, usize) {
    let store = Store::open_read_only(&db.display().to_string()).await.expect("the database opens read-only");
    assert_eq!(store.integrity_check().await.expect("integrity check runs"), "ok");
    let records = store.all_records().await.expect("records");
    let mut seen: HashMap<(u64, u32), Tally> = HashMap::new();
    for record in &records {
        let channel = record.team.channel_id;
        assert!(
            (FIRST_CHANNEL..FIRST_CHANNEL + CHANNELS).contains(&channel),
            "a team for an unknown channel {channel}"
        );
        for approval in &record.approvals {
            let tally = seen.entry((channel, approval.challenge)).or_default();
            tally.approved += 1;
            tally.revoked += usize::from(approval.revocation.is_some());
        }
        for challenge in 1..=CHALLENGES as u32 {
            let live = record.approvals.iter().filter(|a| a.challenge == challenge && a.revocation.is_none()).count();
            assert!(live <= 1, "channel {channel} has {live} live approvals of challenge {challenge}");
        }
    }
    store.close().await;
    let expected: HashMap<(u64, u32), Tally> =
        tallies.iter().filter(|(_, t)| t.approved > 0).map(|(k, t)| (*k, *t)).collect();
    let mut differences: Vec<String> = expected
        .keys()
        .chain(seen.keys())
        .filter(|key| expected.get(key) != seen.get(key))
        .map(|key| {
            format!(
                "channel {} challenge {}: acknowledged {:?}, stored {:?}",
                key.0,
                key.1,
                expected.get(key),
                seen.get(key)
            )
        })
        .collect();
    differences.sort();
    differences.dedup();
    assert!(
        differences.is_empty(),
        "the database differs from what the fake saw acknowledged:\n{}",
        differences.join("\n")
    );
    let approved = seen.values().map(|t| t.approved).sum();
    let revoked = seen.values().map(|t| t.revoked).sum();
    (approved, revoked)
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    let index = (sorted.len() * percent / 100).min(sorted.len().saturating_sub(1));
    sorted.get(index).copied().unwrap_or_default()
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

async fn connected_bot(fake: &FakeDiscord) -> BotProcess {
    let dir = tempfile::tempdir().expect("temporary folder");
    let bot = BotProcess::start(fake, TOKEN, dir, &BotProcess::shipped_guide(), "");
    fake.wait_until_connected().await;
    let path = format!("/api/v10/applications/{APP_ID}/guilds/{GUILD_ID}/commands");
    fake.wait_for(0, "command registration", |r| r.method == "PUT" && r.path == path).await;
    bot
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_answers_20000_interactions_quickly_in_flat_memory() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let fake = Arc::new(FakeDiscord::start().await);
    let mut bot = connected_bot(&fake).await;
    let (exited_tx, exited) = watch::channel(false);
    let done = Arc::new(AtomicUsize::new(0));

    // Resident memory sampled as the run goes; "start" is after warm-up.
    let samples: Arc<Mutex<Vec<(usize, u64)>>> = Arc::default();
    let sampler = {
        let (done, samples, pid) = (Arc::clone(&done), Arc::clone(&samples), bot.pid);
        tokio::spawn(async move {
            let mut mark = WARM_UP;
            while mark < INTERACTIONS {
                if done.load(Ordering::SeqCst) >= mark {
                    let rss = common::bot_process::memory_kib(pid).map_or(0, |(rss, _)| rss);
                    if let Ok(mut samples) = samples.lock() {
                        samples.push((mark, rss));
                    }
                    mark += 2_000;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let began = Instant::now();
    let outcomes = drive(&fake, INTERACTIONS, &done, &exited).await;
    let elapsed = began.elapsed();
    sampler.abort();
    let rss_end = bot.memory_kib().expect("the bot is running").0;
    let cpu = bot.cpu_seconds();

    assert_eq!(outcomes.len(), INTERACTIONS, "every interaction was sent");
    let unanswered: Vec<&Outcome> = outcomes.iter().filter(|o| o.answer.is_none()).collect();
    assert!(
        unanswered.is_empty(),
        "{} interactions unanswered, e.g. {:?}; log:\n{}",
        unanswered.len(),
        unanswered.first(),
        bot.log_tail()
    );
    let mut latencies: Vec<Duration> = outcomes.iter().filter_map(|o| o.latency).collect();
    latencies.sort();
    let (p50, p90, p99, max) = (
        percentile(&latencies, 50),
        percentile(&latencies, 90),
        percentile(&latencies, 99),
        percentile(&latencies, 100),
    );
    let mut by_kind: HashMap<Kind, usize> = HashMap::new();
    for outcome in &outcomes {
        *by_kind.entry(outcome.kind).or_default() += 1;
    }
    let apologies = outcomes
        .iter()
        .filter(|o| o.answer.as_ref().is_some_and(|a| a.to_string().contains("went wrong on my side")))
        .count();
    let samples = samples.lock().map(|s| s.clone()).unwrap_or_default();
    let rss_start = samples.first().map(|s| s.1).expect("a resident memory sample after warm-up");

    // SIGTERM: exit 0, then the database is checked.
    bot.signal("TERM");
    let (status, stopped_in) = bot.exit_within(Duration::from_secs(5)).await;
    let _ = exited_tx.send(true);
    assert!(status.success(), "exit {status:?}; log:\n{}", bot.log_tail());
    let tallies = acknowledged(&outcomes);
    let (approved, revoked) = assert_database_matches(&bot.db, &tallies).await;

    eprintln!(
        "soak: {INTERACTIONS} interactions over {CHANNELS} channels, window {WINDOW}, in {:.1} s ({:.0}/s)",
        elapsed.as_secs_f64(),
        INTERACTIONS as f64 / elapsed.as_secs_f64()
    );
    eprintln!("soak: mix {by_kind:?}; the bot used {cpu:.1} s of CPU");
    eprintln!(
        "soak: answer time p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(p50),
        ms(p90),
        ms(p99),
        ms(max)
    );
    eprintln!("soak: VmRSS after {WARM_UP} (start) {rss_start} KiB, at the end {rss_end} KiB; samples {samples:?}");
    eprintln!("soak: database ok, {approved} approvals ({revoked} revoked) as acknowledged; stopped in {stopped_in:?}");
    assert_eq!(apologies, 0, "internal errors answered with an apology; log:\n{}", bot.log_tail());
    assert!(approved >= 100 && revoked >= 10, "the mix approved too little to prove anything: {approved}, {revoked}");
    assert!(p99 < Duration::from_millis(50), "p99 answer time {:.2} ms is over 50 ms", ms(p99));
    assert!(
        rss_end <= rss_start + RSS_GROWTH_KIB,
        "resident memory grew from {rss_start} KiB to {rss_end} KiB (allowed {RSS_GROWTH_KIB} KiB)"
    );
    assert!(!bot.log().contains(TOKEN), "the token reached the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_the_soak_loses_nothing() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let fake = Arc::new(FakeDiscord::start().await);
    let mut bot = connected_bot(&fake).await;
    let (exited_tx, exited) = watch::channel(false);
    let done = Arc::new(AtomicUsize::new(0));

    // The driver keeps sending at full rate until the gateway is gone; SIGTERM lands
    // after 3,000 answers, with a full window in flight.
    let driver = {
        let (fake, done, exited) = (Arc::clone(&fake), Arc::clone(&done), exited.clone());
        tokio::spawn(async move { drive(&fake, INTERACTIONS, &done, &exited).await })
    };
    while done.load(Ordering::SeqCst) < 3_000 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let dispatched_at_sigterm = fake.dispatched();
    bot.signal("TERM");
    let (status, stopped_in) = bot.exit_within(Duration::from_secs(5)).await;
    let _ = exited_tx.send(true);
    let outcomes =
        tokio::time::timeout(Duration::from_secs(20), driver).await.expect("the driver stops").expect("driver");
    let log = bot.log();
    assert!(status.success(), "exit {status:?}; log:\n{}", bot.log_tail());
    assert!(stopped_in < Duration::from_secs(5), "exit took {stopped_in:?}");

    // The bot reads the gateway in order: if it answered the interaction sent n-th, it read
    // every one before it, and each of those must have its answer or a refusal.
    let last_answered = outcomes.iter().filter(|o| o.answer.is_some()).filter_map(|o| o.sequence).max().unwrap_or(0);
    let dropped: Vec<&Outcome> =
        outcomes.iter().filter(|o| o.answer.is_none() && o.sequence.is_some_and(|s| s <= last_answered)).collect();
    assert!(
        dropped.is_empty(),
        "{} interactions read by the bot were never answered, e.g. {:?}",
        dropped.len(),
        dropped.first()
    );
    let refused = outcomes
        .iter()
        .filter(|o| o.answer.as_ref().is_some_and(|a| a.to_string().contains(hackcoach::discord::RESTARTING)))
        .count();
    let answered = outcomes.iter().filter(|o| o.answer.is_some()).count();
    let unread = outcomes.iter().filter(|o| o.sequence.is_some() && o.answer.is_none()).count();
    let unsent = outcomes.iter().filter(|o| o.sequence.is_none()).count();
    let apologies = outcomes
        .iter()
        .filter(|o| o.answer.as_ref().is_some_and(|a| a.to_string().contains("went wrong on my side")))
        .count();
    assert_eq!(apologies, 0, "internal errors during shutdown; log:\n{}", bot.log_tail());
    assert!(answered > 3_000, "only {answered} answered");

    // Every acknowledged approval and revocation is in the database after exit.
    let tallies = acknowledged(&outcomes);
    let (approved, revoked) = assert_database_matches(&bot.db, &tallies).await;
    for expected in [
        "SIGTERM received",
        "refusing new interactions",
        "closing the Discord shards",
        "disconnected from Discord",
        "database closed",
    ] {
        assert!(log.contains(expected), "{expected:?} missing from the log:\n{}", bot.log_tail());
    }
    assert!(!log.contains("still running"), "interactions were cut off:\n{}", bot.log_tail());
    eprintln!(
        "sigterm: {} dispatched before SIGTERM; {answered} answered ({refused} refused as restarting), \
         {unread} sent after the bot stopped reading, {unsent} not sent (gateway closed); exit 0 in {stopped_in:?}; \
         database ok with {approved} approvals ({revoked} revoked), all acknowledged ones present",
        dispatched_at_sigterm
    );
}
