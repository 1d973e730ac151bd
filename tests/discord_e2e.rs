//! End to end over Discord's protocols: the real serenity client, started by
//! `discord::serve`, against the fake Discord in `common::fake_discord` on 127.0.0.1.
//! Interactions go in through the gateway; answers come out as REST calls, which the
//! fake records and these tests read.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::fake_discord::{APP_ID, FakeDiscord, GUILD_ID, Person, Request};
use hackcoach::app::App;
use hackcoach::config::{Config, DiscordConfig, RoleRef};
use hackcoach::discord::{self, Connection, Options};
use serde_json::{Value, json};

/// Interaction callback types (Discord docs, "Interaction Callback Type").
const CHANNEL_MESSAGE: u64 = 4;
const DEFERRED_CHANNEL_MESSAGE: u64 = 5;
const DEFERRED_UPDATE_MESSAGE: u64 = 6;
const UPDATE_MESSAGE: u64 = 7;
const AUTOCOMPLETE_RESULT: u64 = 8;
const EPHEMERAL: u64 = 1 << 6;
const TOKEN: &str = "fake-token-for-tests-MTIzNDU2Nzg5";

/// The shipped guide and playbooks plus one document with a section long enough to need pages.
fn guide_with_a_long_section(dir: &Path) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("guide");
    for name in ["containers-coach-guide.md", "lookup.toml"] {
        std::fs::copy(shipped.join(name), dir.join(name)).expect("copy the shipped guide");
    }
    std::fs::create_dir(dir.join("troubleshooting")).expect("playbooks folder");
    for entry in std::fs::read_dir(shipped.join("troubleshooting")).expect("shipped playbooks").flatten() {
        std::fs::copy(entry.path(), dir.join("troubleshooting").join(entry.file_name())).expect("copy a playbook");
    }
    let paragraphs: Vec<String> = (1..=40)
        .map(|i| format!("Step {i}: check the rollout, then the events. {}", "Read the pod logs carefully. ".repeat(8)))
        .collect();
    let long = format!(
        "# Extra notes\n\n## Long walkthrough\n\nPing @everyone and <@&123> never.\n\n{}\n",
        paragraphs.join("\n\n")
    );
    std::fs::write(dir.join("extra-notes.md"), long).expect("write the long section");
    dir.to_path_buf()
}

struct Bot {
    fake: FakeDiscord,
    app: Arc<App>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _guide: tempfile::TempDir,
}

async fn start_bot() -> Bot {
    // /challenge defers at once here, so the deferred path runs on a known command.
    start_bot_with(Options { defer_at_once: vec!["challenge"], ..Options::default() }).await
}

async fn start_bot_with(options: Options) -> Bot {
    let guide = tempfile::tempdir().expect("temporary guide folder");
    let fake = FakeDiscord::start().await;
    let config = Config {
        guide_dir: guide_with_a_long_section(guide.path()),
        database: guide.path().join("hackcoach.db").display().to_string(),
        discord: DiscordConfig {
            guilds: vec![GUILD_ID],
            coach_roles: vec![RoleRef::Name("Coaches".into())],
            coach_manage_guild: true,
            ..DiscordConfig::default()
        },
        ..Config::default()
    };
    let app = Arc::new(App::open(config).await.expect("the guide loads and the database opens"));
    let connection = Connection::local(TOKEN, &fake.api_url).expect("loopback is accepted");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(discord::serve(Arc::clone(&app), connection, options, async move {
        let _ = stopped.await;
    }));
    fake.wait_until_connected().await;
    Bot { fake, app, stop: Some(stop), task, _guide: guide }
}

impl Bot {
    /// Sends an interaction and waits for its callback.
    async fn callback(&self, interaction: Value) -> (Request, String) {
        let from = self.fake.mark();
        let (id, token) = self.fake.interact(interaction);
        let path = format!("/api/v10/interactions/{id}/{token}/callback");
        let request = self.fake.wait_for(from, &path, |r| r.method == "POST" && r.path == path).await;
        (request, token)
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = tokio::time::timeout(Duration::from_secs(10), self.task).await;
        let served = result.expect("serve returns after shutdown").expect("serve task did not panic");
        served.expect("serve ends without error");
    }
}

fn embed(body: &Value) -> &Value {
    &body["embeds"][0]
}

fn buttons(body: &Value) -> Vec<(String, String, bool)> {
    body["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .map(|b| {
            (
                b["label"].as_str().unwrap_or("").to_string(),
                b["custom_id"].as_str().unwrap_or("").to_string(),
                b["disabled"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

fn is_ephemeral(body: &Value) -> bool {
    body["flags"].as_u64().is_some_and(|flags| flags & EPHEMERAL != 0)
}

fn assert_mentions_locked(body: &Value) {
    assert_eq!(body["allowed_mentions"]["parse"], json!([]), "{body:#}");
}

/// Every log line of the test process, at TRACE level for every crate.
#[derive(Clone, Default)]
struct Logs(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut logs) = self.0.lock() {
            logs.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn capture() -> Logs {
        let logs = Logs::default();
        let writer = logs.clone();
        // The filter `hackcoach run` uses, with RUST_LOG=trace.
        tracing_subscriber::fmt()
            .with_env_filter(hackcoach::cli::log_filter("trace"))
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        logs
    }

    fn text(&self) -> String {
        self.0.lock().map(|logs| String::from_utf8_lossy(&logs).into_owned()).unwrap_or_default()
    }
}

fn resident_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_serves_commands_buttons_and_autocomplete_through_discord() {
    let logs = Logs::capture();
    let bot = start_bot().await;
    let fake = &bot.fake;
    let member = Person::member(1001, "Ada");
    let coach = Person::coach(1002, "Grace");

    // Commands registered for the configured guild, with the exact payload of `commands --json`.
    let path = format!("/api/v10/applications/{APP_ID}/guilds/{GUILD_ID}/commands");
    let registration = fake.wait_for(0, "command registration", |r| r.method == "PUT" && r.path == path).await;
    let names: Vec<&str> =
        registration.body.as_array().into_iter().flatten().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "hint",
            "troubleshoot",
            "challenge",
            "status",
            "team",
            "approve",
            "revoke",
            "board",
            "cluster",
            "guide",
            "help"
        ]
    );
    assert_eq!(registration.body, discord::command_payloads().expect("payloads"));

    // `/hint challenge 4 ingress` answered with the Ingress section, publicly.
    let options = json!([{ "name": "query", "type": 3, "value": "challenge 4 ingress" }]);
    let (callback, _) = bot.callback(fake.slash_command(&member, "hint", options)).await;
    assert_eq!(callback.body["type"].as_u64(), Some(CHANNEL_MESSAGE), "{:#}", callback.body);
    let data = &callback.body["data"];
    assert_eq!(embed(data)["title"].as_str(), Some("Challenge 4 › Ingress"), "{data:#}");
    assert!(embed(data)["description"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(!is_ephemeral(data), "a team's hint is for the whole team: {data:#}");
    assert_mentions_locked(data);

    // Autocomplete: at most 25 choices, labels under 100 characters, Ingress first.
    let (callback, _) = bot.callback(fake.autocomplete(&member, "hint", "query", 3, "challenge 4 ingr")).await;
    assert_eq!(callback.body["type"].as_u64(), Some(AUTOCOMPLETE_RESULT), "{:#}", callback.body);
    let choices = callback.body["data"]["choices"].as_array().cloned().unwrap_or_default();
    assert!((1..=25).contains(&choices.len()), "{choices:#?}");
    assert!(choices.iter().all(|c| c["name"].as_str().is_some_and(|n| !n.is_empty() && n.chars().count() < 100)));
    assert_eq!(choices[0]["value"], json!("challenge-4/ingress"), "{choices:#?}");
    // Empty input still offers something; challenge numbers complete too.
    let (callback, _) = bot.callback(fake.autocomplete(&member, "hint", "query", 3, "")).await;
    assert!(!callback.body["data"]["choices"].as_array().is_none_or(Vec::is_empty));
    let (callback, _) = bot.callback(fake.autocomplete(&member, "challenge", "number", 4, "4")).await;
    assert_eq!(callback.body["data"]["choices"][0]["value"], json!(4), "{:#}", callback.body);

    // /troubleshoot: autocomplete offers playbooks; a pasted error line finds its playbook.
    let (callback, _) = bot.callback(fake.autocomplete(&member, "troubleshoot", "problem", 3, "imagepull")).await;
    assert_eq!(callback.body["data"]["choices"][0]["value"], json!("image-pull"), "{:#}", callback.body);
    let options = json!([{ "name": "problem", "type": 3, "value": "Failed to pull image: rpc error: ErrImagePull" }]);
    let (callback, _) = bot.callback(fake.slash_command(&member, "troubleshoot", options)).await;
    assert_eq!(callback.body["type"].as_u64(), Some(CHANNEL_MESSAGE), "{:#}", callback.body);
    let title = embed(&callback.body["data"])["title"].as_str().unwrap_or("");
    assert!(title.contains("ImagePullBackOff"), "{:#}", callback.body);
    let (callback, _) = bot.callback(fake.slash_command(&member, "troubleshoot", json!([]))).await;
    assert!(is_ephemeral(&callback.body["data"]), "the list of problems is private: {:#}", callback.body);

    // The autocomplete value (a section id) comes back as the query and shows that section.
    let options = json!([{ "name": "query", "type": 3, "value": "challenge-4/ingress" }]);
    let (callback, _) = bot.callback(fake.slash_command(&member, "hint", options)).await;
    assert_eq!(embed(&callback.body["data"])["title"].as_str(), Some("Challenge 4 › Ingress"));

    // Team members get a long section step by step, "Next hint" answering anew.
    let long_id = {
        let knowledge = bot.app.knowledge();
        let section =
            knowledge.guide.sections.iter().find(|s| s.heading() == "Long walkthrough").expect("long section");
        section.id.clone()
    };
    let options = json!([{ "name": "query", "type": 3, "value": long_id }]);
    let (callback, _) = bot.callback(fake.slash_command(&member, "hint", options)).await;
    let step = callback.body["data"].clone();
    let next_hint = buttons(&step).into_iter().find(|b| b.1.starts_with("hc:next:")).expect("a Next hint button");
    let (callback, _) = bot.callback(fake.button_press(&member, &next_hint.1, step["components"].clone())).await;
    assert_eq!(callback.body["type"].as_u64(), Some(CHANNEL_MESSAGE), "{:#}", callback.body);
    assert_ne!(embed(&callback.body["data"])["description"], embed(&step)["description"], "the next step");

    // A coach reads a long section whole, paged; Next and Previous turn the page in place.
    let options = json!([{ "name": "query", "type": 3, "value": long_id }]);
    let (callback, _) = bot.callback(fake.slash_command(&coach, "hint", options)).await;
    let first = callback.body["data"].clone();
    let footer = embed(&first)["footer"]["text"].as_str().unwrap_or("").to_string();
    assert!(footer.contains("page 1 of"), "{first:#}");
    let description = embed(&first)["description"].as_str().unwrap_or("");
    assert!(!description.contains("@everyone") && !description.contains("<@&"), "mentions neutralised: {description}");
    let page_buttons = buttons(&first);
    assert_eq!(page_buttons[0].0, "◀ Previous");
    assert!(page_buttons[0].2, "Previous is disabled on the first page");
    let (next_label, next_id, next_disabled) = page_buttons[1].clone();
    assert_eq!((next_label.as_str(), next_disabled), ("Next ▶", false));

    let (callback, _) = bot.callback(fake.button_press(&coach, &next_id, first["components"].clone())).await;
    assert_eq!(callback.body["type"].as_u64(), Some(UPDATE_MESSAGE), "{:#}", callback.body);
    let second = callback.body["data"].clone();
    assert!(embed(&second)["footer"]["text"].as_str().is_some_and(|f| f.contains("page 2 of")), "{second:#}");
    assert_ne!(embed(&second)["description"], embed(&first)["description"]);
    assert_mentions_locked(&second);
    let previous_id = buttons(&second)[0].1.clone();
    let (callback, _) = bot.callback(fake.button_press(&coach, &previous_id, second["components"].clone())).await;
    assert_eq!(callback.body["type"].as_u64(), Some(UPDATE_MESSAGE));
    assert_eq!(embed(&callback.body["data"])["description"], embed(&first)["description"]);

    // A button from before a restart carries everything it needs: a custom id built by
    // hand (never sent in this run) works the same way.
    let (callback, _) = bot.callback(fake.button_press(&coach, &format!("hc:ps:1:{long_id}"), json!([]))).await;
    assert!(embed(&callback.body["data"])["footer"]["text"].as_str().is_some_and(|f| f.contains("page 2 of")));
    // A "did you mean" style button (not a page) answers with a new message.
    let (callback, _) = bot.callback(fake.button_press(&member, "hc:show:challenge-4/ingress", json!([]))).await;
    assert_eq!(callback.body["type"].as_u64(), Some(CHANNEL_MESSAGE));
    assert_eq!(embed(&callback.body["data"])["title"].as_str(), Some("Challenge 4 › Ingress"));

    // Deferred: the callback says "thinking", then the original response is edited.
    let from = fake.mark();
    let options = json!([{ "name": "number", "type": 4, "value": 4 }]);
    let (callback, token) = bot.callback(fake.slash_command(&member, "challenge", options)).await;
    assert_eq!(callback.body["type"].as_u64(), Some(DEFERRED_CHANNEL_MESSAGE), "{:#}", callback.body);
    let edit_path = format!("/api/v10/webhooks/{APP_ID}/{token}/messages/@original");
    let edit = fake.wait_for(from, "the deferred edit", |r| r.method == "PATCH" && r.path == edit_path).await;
    assert_eq!(embed(&edit.body)["title"].as_str(), Some("Challenge 4"), "{:#}", edit.body);
    assert_mentions_locked(&edit.body);
    // A deferred reply that turns out private replaces the public "thinking" message.
    let from = fake.mark();
    let options = json!([{ "name": "number", "type": 4, "value": 42 }]);
    let (_, token) = bot.callback(fake.slash_command(&member, "challenge", options)).await;
    let delete_path = format!("/api/v10/webhooks/{APP_ID}/{token}/messages/@original");
    fake.wait_for(from, "deleting the thinking message", |r| r.method == "DELETE" && r.path == delete_path).await;
    let followup_path = format!("/api/v10/webhooks/{APP_ID}/{token}");
    let followup = fake.wait_for(from, "private follow-up", |r| r.method == "POST" && r.path == followup_path).await;
    assert!(is_ephemeral(&followup.body), "{:#}", followup.body);
    assert!(embed(&followup.body)["description"].as_str().is_some_and(|d| d.contains("no challenge 42")));

    // Coach-only sections: refused to a member (privately), shown to a coach (privately).
    let coach_only = {
        let knowledge = bot.app.knowledge();
        let config = &bot.app.config;
        let section = knowledge
            .guide
            .sections
            .iter()
            .find(|s| hackcoach::commands::is_coach_only(&knowledge.guide, s, &config.hints.coach_only))
            .expect("the shipped guide has coach-only sections");
        section.id.clone()
    };
    let options = json!([{ "name": "query", "type": 3, "value": coach_only }]);
    let (callback, _) = bot.callback(fake.slash_command(&member, "hint", options.clone())).await;
    let refused = &callback.body["data"];
    assert!(is_ephemeral(refused), "{refused:#}");
    assert!(embed(refused)["description"].as_str().is_some_and(|d| d.contains("for coaches")), "{refused:#}");
    let (callback, _) = bot.callback(fake.slash_command(&coach, "hint", options.clone())).await;
    let shown = &callback.body["data"];
    assert!(is_ephemeral(shown), "{shown:#}");
    assert!(embed(shown)["footer"]["text"].as_str().is_some_and(|f| f.contains("coaches only")), "{shown:#}");
    // Manage Server counts as coach; the role list was read from Discord by name.
    let admin = Person { permissions: 1 << 5, ..Person::member(1003, "Linus") };
    let (callback, _) = bot.callback(fake.slash_command(&admin, "hint", options)).await;
    assert!(embed(&callback.body["data"])["footer"]["text"].as_str().is_some_and(|f| f.contains("coaches only")));
    assert!(fake.requests().iter().any(|r| r.path == format!("/api/v10/guilds/{GUILD_ID}/roles")));

    // Approvals: a member's /approve refused privately, a coach's announced, /status shows it.
    let options = json!([{ "name": "challenge", "type": 4, "value": 1 }]);
    let (callback, _) = bot.callback(fake.slash_command(&member, "approve", options.clone())).await;
    assert!(is_ephemeral(&callback.body["data"]), "{:#}", callback.body);
    assert!(embed(&callback.body["data"])["description"].as_str().is_some_and(|d| d.contains("Only coaches")));
    let mut with_note = options.as_array().cloned().unwrap_or_default();
    with_note.push(json!({ "name": "note", "type": 3, "value": "great work @everyone" }));
    let (callback, _) = bot.callback(fake.slash_command(&coach, "approve", json!(with_note))).await;
    let announced = &callback.body["data"];
    assert!(!is_ephemeral(announced), "an approval is announced: {announced:#}");
    assert_eq!(embed(announced)["title"].as_str(), Some("Challenge 1 approved"), "{announced:#}");
    assert!(!announced.to_string().contains("@everyone"), "the note cannot ping: {announced:#}");
    let (callback, _) = bot.callback(fake.slash_command(&member, "status", json!([]))).await;
    let status = embed(&callback.body["data"])["description"].as_str().unwrap_or("").to_string();
    assert!(status.contains("Challenge 1") && status.contains("Grace"), "{status}");
    // Autocomplete ranks the team's current challenge (now 2) first.
    let (callback, _) = bot.callback(fake.autocomplete(&member, "hint", "query", 3, "")).await;
    assert_eq!(callback.body["data"]["choices"][0]["value"], json!("challenge-2"), "{:#}", callback.body);
    // A subcommand: /team name.
    let options =
        json!([{ "name": "name", "type": 1, "options": [{ "name": "name", "type": 3, "value": "Blue Whales" }] }]);
    bot.callback(fake.slash_command(&member, "team", options)).await;
    let (callback, _) = bot.callback(fake.slash_command(&coach, "board", json!([]))).await;
    assert!(callback.body["data"].to_string().contains("Blue Whales"), "{:#}", callback.body);

    // A command this build does not know (registered by an older one) gets a sentence.
    let (callback, _) = bot.callback(fake.slash_command(&member, "leaderboard", json!([]))).await;
    assert!(is_ephemeral(&callback.body["data"]), "{:#}", callback.body);
    assert!(embed(&callback.body["data"])["description"].as_str().is_some_and(|d| d.contains("/help")));

    // Nothing went to a route the fake does not know.
    let known = ["/gateway", "/commands", "/callback", "/webhooks/", "/roles"];
    let unknown: Vec<Request> =
        fake.requests().into_iter().filter(|r| !known.iter().any(|k| r.path.contains(k))).collect();
    assert!(unknown.is_empty(), "unexpected requests: {unknown:#?}");

    if let Some((rss, peak)) = resident_kib() {
        eprintln!("resident memory while serving (test process: bot + fake Discord): {rss} KiB, peak {peak} KiB");
        assert!(peak < 50 * 1024, "peak resident memory {peak} KiB is over 50 MB");
    }
    bot.stop().await;

    // Logged at every level, by every crate: what happened, never the token.
    let logs = logs.text();
    assert!(logs.contains("command handled") && logs.contains("deferred=true"), "the bot logs its work");
    assert!(logs.contains("shutting down"), "shutdown is logged");
    let leaks: Vec<String> =
        logs.lines().filter(|line| line.contains(TOKEN)).map(|line| line.chars().take(400).collect()).collect();
    assert!(leaks.is_empty(), "the token reached {} log lines: {leaks:#?}", leaks.len());
    assert!(logs.contains("TRACE"), "tracing at TRACE level ran");
    assert!(!logs.contains("Sending frame") && !logs.contains("Received message"), "websocket frames are not traced");
}

/// Every command and button deferred (as a slow cluster check would be): the thinking
/// state first, then the original response (or the paged message) edited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_commands_and_buttons_defer_then_edit() {
    let bot = start_bot_with(Options { defer_at_once: vec!["hint", "button"], ..Options::default() }).await;
    let fake = &bot.fake;
    let member = Person::member(2001, "Barbara");
    let coach = Person::coach(2002, "Frances");
    let original = |token: &str| format!("/api/v10/webhooks/{APP_ID}/{token}/messages/@original");

    let long_id = {
        let knowledge = bot.app.knowledge();
        knowledge.guide.sections.iter().find(|s| s.heading() == "Long walkthrough").map(|s| s.id.clone())
    };
    let long_id = long_id.expect("long section");

    // A public reply: the thinking message becomes the answer.
    let from = fake.mark();
    let options = json!([{ "name": "query", "type": 3, "value": "challenge 4 ingress" }]);
    let (callback, token) = bot.callback(fake.slash_command(&member, "hint", options)).await;
    assert_eq!(callback.body["type"].as_u64(), Some(DEFERRED_CHANNEL_MESSAGE), "{:#}", callback.body);
    let path = original(&token);
    let edit = fake.wait_for(from, "the deferred hint", |r| r.method == "PATCH" && r.path == path).await;
    assert_eq!(embed(&edit.body)["title"].as_str(), Some("Challenge 4 › Ingress"), "{:#}", edit.body);

    // A private reply (a coach's): the thinking message goes, a private follow-up comes.
    let from = fake.mark();
    let options = json!([{ "name": "query", "type": 3, "value": long_id }]);
    let (_, token) = bot.callback(fake.slash_command(&coach, "hint", options)).await;
    let path = original(&token);
    fake.wait_for(from, "deleting the thinking message", |r| r.method == "DELETE" && r.path == path).await;
    let path = format!("/api/v10/webhooks/{APP_ID}/{token}");
    let edit = fake.wait_for(from, "the private follow-up", |r| r.method == "POST" && r.path == path).await;
    assert!(is_ephemeral(&edit.body), "{:#}", edit.body);
    assert!(embed(&edit.body)["footer"]["text"].as_str().is_some_and(|f| f.contains("page 1 of")), "{:#}", edit.body);

    // A page button: acknowledged (type 6), then the message it sits on is edited.
    let next = buttons(&edit.body)[1].1.clone();
    let from = fake.mark();
    let (callback, token) = bot.callback(fake.button_press(&coach, &next, edit.body["components"].clone())).await;
    assert_eq!(callback.body["type"].as_u64(), Some(DEFERRED_UPDATE_MESSAGE), "{:#}", callback.body);
    let path = original(&token);
    let edit = fake.wait_for(from, "the paged edit", |r| r.method == "PATCH" && r.path == path).await;
    assert!(embed(&edit.body)["footer"]["text"].as_str().is_some_and(|f| f.contains("page 2 of")), "{:#}", edit.body);

    // A page button whose section is gone: acknowledged, then a private follow-up, the
    // message left as it was.
    let from = fake.mark();
    let (_, token) = bot.callback(fake.button_press(&member, "hc:ps:1:no-such-section", json!([]))).await;
    let path = format!("/api/v10/webhooks/{APP_ID}/{token}");
    let followup = fake.wait_for(from, "the refusal", |r| r.method == "POST" && r.path == path).await;
    assert!(is_ephemeral(&followup.body), "{:#}", followup.body);
    assert!(!fake.requests().iter().skip(from).any(|r| r.method == "PATCH" && r.path == original(&token)));
    bot.stop().await;
}
