//! `/cluster` over Discord's protocols: the real serenity client (`discord::serve`) gets
//! `/cluster connect` with a kubeconfig attachment (downloaded from the fake Discord on
//! 127.0.0.1, as from Discord's CDN), then `/cluster check` and `/cluster forget`; each is
//! deferred at once and its answer edited in, checks against the fake API server on
//! 127.0.0.1. The kubeconfig's token never reaches Discord.

mod common;
mod support;

use std::sync::Arc;
use std::time::Duration;

use common::fake_discord::{APP_ID, FakeDiscord, GUILD_ID, Person, Request};
use hackcoach::app::App;
use hackcoach::config::{Config, DiscordConfig};
use hackcoach::discord::{self, Connection, Options};
use serde_json::{Value, json};
use support::fake_apiserver::{Behaviour, FakeApiServer, Scenario, TOKEN as KUBE_TOKEN, waiting_pod};

const DEFERRED_CHANNEL_MESSAGE: u64 = 5;
const EPHEMERAL: u64 = 1 << 6;
const TOKEN: &str = "fake-discord-token-Y2x1c3Rlcg";

fn text(body: &Value) -> String {
    let mut text = body["content"].as_str().unwrap_or("").to_string();
    for embed in body["embeds"].as_array().into_iter().flatten() {
        for key in ["title", "description"] {
            text.push_str(embed[key].as_str().unwrap_or(""));
            text.push('\n');
        }
        for field in embed["fields"].as_array().into_iter().flatten() {
            text.push_str(field["name"].as_str().unwrap_or(""));
            text.push('\n');
            text.push_str(field["value"].as_str().unwrap_or(""));
            text.push('\n');
        }
    }
    text
}

/// Sends an interaction; returns the callback and the answer that replaced "thinking":
/// the edited original, or a private follow-up.
async fn deferred_answer(fake: &FakeDiscord, interaction: Value) -> (Request, Request) {
    let from = fake.mark();
    let (id, token) = fake.interact(interaction);
    let callback_path = format!("/api/v10/interactions/{id}/{token}/callback");
    let callback = fake.wait_for(from, &callback_path, |r| r.path == callback_path).await;
    let original = format!("/api/v10/webhooks/{APP_ID}/{token}/messages/@original");
    let followup = format!("/api/v10/webhooks/{APP_ID}/{token}");
    let answer = fake
        .wait_for(from, "the deferred answer", |r| {
            (r.method == "PATCH" && r.path == original) || (r.method == "POST" && r.path == followup)
        })
        .await;
    (callback, answer)
}

struct Bot {
    fake: FakeDiscord,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

async fn start_bot() -> Bot {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut config = Config {
        guide_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/guide").into(),
        database: dir.path().join("hackcoach.db").display().to_string(),
        discord: DiscordConfig { guilds: vec![GUILD_ID], ..DiscordConfig::default() },
        ..Config::default()
    };
    // The fake API server listens on 127.0.0.1, which the default policy refuses.
    config.cluster.allow_private = true;
    let app = Arc::new(App::open(config).await.expect("app"));
    let connection = Connection::local(TOKEN, &fake.api_url).expect("loopback");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(discord::serve(Arc::clone(&app), connection, Options::default(), async move {
        let _ = stopped.await;
    }));
    fake.wait_until_connected().await;
    Bot { fake, stop, task, _dir: dir }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_connect_check_and_forget_over_discord() {
    let server = FakeApiServer::start({
        let mut scenario = Scenario::empty();
        scenario.add("/api/v1/pods", waiting_pod("api", "poi-1", "poi", "CrashLoopBackOff", 5, Some(("Error", 1))));
        scenario
    })
    .await;
    let Bot { fake, stop, task, _dir } = start_bot().await;
    let member = Person::member(5001, "Linus");

    // connect: deferred at once (privately: the reply is about a credential), then edited.
    let upload = server.kubeconfig().into_bytes();
    let interaction =
        fake.slash_command_with_attachment(&member, "cluster", "connect", "kubeconfig", "kubeconfig.yaml", upload);
    let (callback, answer) = deferred_answer(&fake, interaction).await;
    assert_eq!(callback.body["type"].as_u64(), Some(DEFERRED_CHANNEL_MESSAGE), "{:#}", callback.body);
    let answer_text = text(&answer.body);
    assert!(answer_text.contains("Cluster connected"), "{answer_text}");
    let flags = answer.body["flags"].as_u64().or(callback.body["data"]["flags"].as_u64()).unwrap_or(0);
    assert!(flags & EPHEMERAL != 0, "the connect answer is private: {:#} {:#}", callback.body, answer.body);
    assert!(fake.requests().iter().any(|r| r.method == "GET" && r.path.starts_with("/api/v10/attachments/")));

    // check: the crash-looping pod is found on the fake API server.
    let options = json!([{ "name": "check", "type": 1, "options": [{ "name": "challenge", "type": 4, "value": 2 }] }]);
    let (callback, answer) = deferred_answer(&fake, fake.slash_command(&member, "cluster", options)).await;
    assert_eq!(callback.body["type"].as_u64(), Some(DEFERRED_CHANNEL_MESSAGE));
    let answer_text = text(&answer.body);
    assert!(answer_text.contains("Cluster check") && answer_text.contains("poi-1"), "{answer_text}");
    assert!(server.log.lock().map(|log| log.iter().any(|l| l.starts_with("GET /api/v1/pods"))).unwrap_or(false));

    // forget: the credential is gone; a further check says how to connect.
    let options = json!([{ "name": "forget", "type": 1, "options": [] }]);
    let from = fake.mark();
    let (id, token) = fake.interact(fake.slash_command(&member, "cluster", options));
    let path = format!("/api/v10/interactions/{id}/{token}/callback");
    let forgotten = fake.wait_for(from, &path, |r| r.path == path).await;
    assert!(text(&forgotten.body["data"]).contains("Cluster forgotten"), "{:#}", forgotten.body);
    let options = json!([{ "name": "check", "type": 1, "options": [] }]);
    let (_, answer) = deferred_answer(&fake, fake.slash_command(&member, "cluster", options)).await;
    assert!(text(&answer.body).contains("/cluster connect"), "{:#}", answer.body);

    // Nothing the bot sent to Discord carries the kubeconfig's token.
    for request in fake.requests() {
        assert!(!request.body.to_string().contains(KUBE_TOKEN), "the token reached Discord: {}", request.path);
    }
    let _ = stop.send(());
    let served = tokio::time::timeout(Duration::from_secs(10), task).await.expect("serve stops").expect("no panic");
    served.expect("serve returns Ok");
}

/// SIGTERM while a cluster check waits on a silent API server: the check stops, the team's
/// "thinking" message says the bot is restarting, and the bot stops well within 5 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_running_at_shutdown_is_answered_and_does_not_hold_the_exit() {
    let server = FakeApiServer::start({
        let mut scenario = Scenario::empty();
        scenario.behaviours.insert("/api/v1/pods".into(), Behaviour::Hang);
        scenario
    })
    .await;
    let Bot { fake, stop, task, _dir } = start_bot().await;
    let member = Person::member(5002, "Ada");
    let upload = server.kubeconfig().into_bytes();
    let interaction =
        fake.slash_command_with_attachment(&member, "cluster", "connect", "kubeconfig", "kubeconfig.yaml", upload);
    let (_, connected) = deferred_answer(&fake, interaction).await;
    assert!(text(&connected.body).contains("Cluster connected"), "{:#}", connected.body);

    let from = fake.mark();
    let options = json!([{ "name": "check", "type": 1, "options": [] }]);
    let (id, token) = fake.interact(fake.slash_command(&member, "cluster", options));
    let callback = format!("/api/v10/interactions/{id}/{token}/callback");
    fake.wait_for(from, &callback, |r| r.path == callback).await;
    // The check is now waiting on the pod list, which never answers.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopping = std::time::Instant::now();
    let _ = stop.send(());
    let original = format!("/api/v10/webhooks/{APP_ID}/{token}/messages/@original");
    let followup = format!("/api/v10/webhooks/{APP_ID}/{token}");
    let answer = fake
        .wait_for(from, "the check's answer at shutdown", |r| {
            (r.method == "PATCH" && r.path == original) || (r.method == "POST" && r.path == followup)
        })
        .await;
    assert!(text(&answer.body).contains(discord::RESTARTING), "{:#}", answer.body);
    let served = tokio::time::timeout(Duration::from_secs(5), task).await.expect("stops within 5 s").expect("no panic");
    served.expect("serve returns Ok");
    assert!(stopping.elapsed() < Duration::from_secs(5), "{:?}", stopping.elapsed());
}
