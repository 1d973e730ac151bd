//! Guide reload without a restart: a coach's `/guide reload` and SIGHUP re-read the guide
//! and playbooks; a guide that fails lint is refused with its errors while the one already
//! loaded keeps answering.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{TimeZone as _, Utc};
use common::bot_process::BotProcess;
use common::fake_discord::{FakeDiscord, Person};
use hackcoach::app::App;
use hackcoach::commands::{Invocation, execute, parse_slash};
use hackcoach::config::Config;
use serde_json::json;

const TOKEN: &str = "reload-test-token-OTg3NjU0";
const NEW_HEADING: &str = "Frobnicating the zorblax gateway";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// A copy of the shipped guide the test may edit.
fn guide_copy(dir: &Path) -> PathBuf {
    let guide = dir.join("guide");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("guide"), &guide);
    guide
}

fn add_section(guide: &Path) {
    let file = guide.join("containers-coach-guide.md");
    let mut text = std::fs::read_to_string(&file).expect("read guide");
    text.push_str(&format!(
        "\n\n### {NEW_HEADING}\n\nRestart the zorblax gateway pod after rotating its frobnication secret.\n"
    ));
    std::fs::write(&file, text).expect("write guide");
}

/// A second guide file whose code fence never closes: a load problem, so lint fails.
fn break_guide(guide: &Path) {
    std::fs::write(guide.join("broken.md"), "# Extra\n\n## Notes\n\n```yaml\nkind: Pod\n").expect("write broken file");
}

fn person(is_coach: bool) -> Invocation {
    Invocation {
        guild_id: 1,
        channel_id: 2,
        channel_name: "team-1".into(),
        user_id: 3,
        user_name: "Ada".into(),
        is_coach,
        now: Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).single().expect("valid time"),
    }
}

async fn say(app: &App, who: &Invocation, text: &str) -> hackcoach::reply::Reply {
    execute(app, who, parse_slash(text).expect("command parses")).await
}

#[tokio::test]
async fn a_coach_reload_picks_up_edits_and_a_failing_guide_leaves_the_old_one_live() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let guide = guide_copy(dir.path());
    let config = Config {
        guide_dir: guide.clone(),
        database: dir.path().join("hackcoach.db").display().to_string(),
        ..Config::default()
    };
    let app = App::open(config).await.expect("open the app");
    let coach = person(true);
    let sections_before = app.knowledge().guide.sections.len();

    // Members may not reload.
    let refused = say(&app, &person(false), "/guide reload").await;
    assert!(refused.body.contains("for coaches"), "{}", refused.body);

    // An edit is invisible until reloaded, then found.
    add_section(&guide);
    let before = say(&app, &coach, "/hint zorblax frobnication").await;
    assert!(!before.title.as_deref().unwrap_or("").contains(NEW_HEADING), "{before:?}");
    let reloaded = say(&app, &coach, "/guide reload").await;
    assert_eq!(reloaded.title.as_deref(), Some("Guide reloaded"), "{}", reloaded.body);
    assert!(reloaded.body.contains(&format!("{} sections", sections_before + 1)), "{}", reloaded.body);
    assert!(reloaded.private);
    let after = say(&app, &coach, "/hint zorblax frobnication").await;
    assert!(after.title.as_deref().unwrap_or("").contains(NEW_HEADING), "{after:?}");

    // A broken file: refused with the file and line, and the guide in memory stays.
    break_guide(&guide);
    let refused = say(&app, &coach, "/guide reload").await;
    assert!(refused.body.contains("not** reloaded"), "{}", refused.body);
    assert!(refused.body.contains("broken.md"), "the error names the file: {}", refused.body);
    assert_eq!(app.knowledge().guide.sections.len(), sections_before + 1);
    let still = say(&app, &coach, "/hint zorblax frobnication").await;
    assert!(still.title.as_deref().unwrap_or("").contains(NEW_HEADING), "{still:?}");

    // A guide folder that vanished: refused too, nothing lost.
    std::fs::remove_dir_all(&guide).expect("remove the guide");
    let refused = say(&app, &coach, "/guide reload").await;
    assert!(refused.body.contains("not** reloaded"), "{}", refused.body);
    assert_eq!(app.knowledge().guide.sections.len(), sections_before + 1);
}

fn callback_text(body: &serde_json::Value) -> String {
    let data = &body["data"];
    let mut text = data["content"].as_str().unwrap_or("").to_string();
    for embed in data["embeds"].as_array().into_iter().flatten() {
        text.push_str(embed["title"].as_str().unwrap_or(""));
        text.push('\n');
        text.push_str(embed["description"].as_str().unwrap_or(""));
    }
    text
}

async fn ask(fake: &FakeDiscord, who: &Person, name: &str, options: serde_json::Value) -> String {
    let from = fake.mark();
    let (id, token) = fake.interact(fake.slash_command(who, name, options));
    let callback = format!("/api/v10/interactions/{id}/{token}/callback");
    let request = fake.wait_for(from, &callback, |r| r.path == callback).await;
    callback_text(&request.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_running_bot_and_slash_reload_refuses_a_broken_guide() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("temporary folder");
    let guide = guide_copy(dir.path());
    let mut bot = BotProcess::start(&fake, TOKEN, dir, &guide, "");
    fake.wait_until_connected().await;

    let coach = Person::coach(4001, "Grace");
    let hint = json!([{ "name": "query", "type": 3, "value": "zorblax frobnication" }]);
    assert!(!ask(&fake, &coach, "hint", hint.clone()).await.contains(NEW_HEADING));

    // SIGHUP: the edit shows up without a restart (the reload runs in the background,
    // so ask until it has landed).
    add_section(&guide);
    bot.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if ask(&fake, &coach, "hint", hint.clone()).await.contains(NEW_HEADING) {
            break;
        }
        assert!(Instant::now() < deadline, "the SIGHUP reload never showed the new section");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // `/guide reload` over Discord with a broken file: refused, and the guide stays.
    break_guide(&guide);
    let options = json!([{ "name": "reload", "type": 1, "options": [] }]);
    let refused = ask(&fake, &coach, "guide", options).await;
    assert!(refused.contains("not** reloaded") && refused.contains("broken.md"), "{refused}");
    assert!(ask(&fake, &coach, "hint", hint).await.contains(NEW_HEADING));

    bot.signal("TERM");
    let (status, _) = bot.exit_within(Duration::from_secs(15)).await;
    let log = bot.log();
    assert!(status.success(), "exit {status:?}; log:\n{log}");
    assert!(log.contains("guide reloaded") && log.contains("SIGHUP"), "{log}");
    assert!(log.contains("guide reload refused"), "{log}");
    assert!(!log.contains(TOKEN), "the token reached the log");
}
