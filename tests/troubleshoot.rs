//! `/troubleshoot` on the shipped playbooks: real error lines, topics, titles, unknown
//! input and long pasted logs, through the same command function Discord and `ask` use.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hackcoach::app::App;
use hackcoach::commands::{Command, Invocation, execute};
use hackcoach::config::Config;
use hackcoach::reply::{Reply, Tone};

fn app() -> App {
    let config = Config { guide_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("guide"), ..Config::default() };
    App::load(config).expect("shipped guide loads")
}

fn member() -> Invocation {
    Invocation {
        guild_id: 1,
        channel_id: 2,
        channel_name: "team-2".into(),
        user_id: 3,
        user_name: "member".into(),
        is_coach: false,
        now: chrono::Utc::now(),
    }
}

async fn troubleshoot(app: &App, query: &str) -> Reply {
    execute(app, &member(), Command::Troubleshoot { query: query.to_string() }).await
}

/// The playbook a reply shows, from its footer (`… · playbook ID`).
fn shown_playbook(reply: &Reply) -> Option<String> {
    let footer = reply.footer.as_deref()?;
    Some(footer.rsplit_once("playbook ")?.1.to_string())
}

#[tokio::test]
async fn every_error_line_finds_its_playbook_first() {
    let app = app();
    let table =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/error_lines.tsv")).expect("table");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in table.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (expected, error) = line.split_once('\t').expect("two columns");
        count += 1;
        let reply = troubleshoot(&app, error).await;
        let shown = shown_playbook(&reply);
        if shown.as_deref() != Some(expected) {
            failures.push(format!("{error:?}: expected {expected}, got {shown:?}"));
        }
    }
    assert!(count >= 40, "the table has {count} lines");
    assert!(failures.is_empty(), "{} of {count} failed:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn a_reply_says_which_words_matched() {
    let reply = troubleshoot(&app(), "Warning  Failed  3s  kubelet  Error: ErrImagePull").await;
    assert!(reply.footer.as_deref().is_some_and(|f| f.contains("“ErrImagePull”")), "{:?}", reply.footer);
    let reply = troubleshoot(&app(), "docker networking").await;
    assert!(
        reply.footer.as_deref().is_some_and(|f| f.contains("Matched words: docker networking")),
        "{:?}",
        reply.footer
    );
}

#[tokio::test]
async fn every_playbook_is_found_by_its_title() {
    let app = app();
    let knowledge = app.knowledge();
    assert!(knowledge.playbooks.len() >= 16);
    for playbook in &knowledge.playbooks {
        let reply = troubleshoot(&app, &playbook.title).await;
        assert_eq!(shown_playbook(&reply).as_deref(), Some(playbook.id.as_str()), "title {:?}", playbook.title);
    }
}

#[tokio::test]
async fn every_playbook_is_found_by_its_id_and_links_to_the_guide() {
    let app = app();
    let knowledge = app.knowledge();
    for playbook in &knowledge.playbooks {
        let reply = troubleshoot(&app, &playbook.id).await;
        assert_eq!(shown_playbook(&reply).as_deref(), Some(playbook.id.as_str()));
        assert!(!reply.private, "every team member sees the playbook");
        let see_also = reply.fields.iter().find(|f| f.name == "See also in the guide").expect("see also");
        for id in &playbook.see_also {
            assert!(see_also.value.contains(id.as_str()), "{} links {id}", playbook.id);
        }
    }
}

#[tokio::test]
async fn unknown_and_empty_input_offer_topics() {
    let app = app();
    for query in ["", "   ", "xyzzy frobnicate", "🙂🙂🙂", "```"] {
        let reply = troubleshoot(&app, query).await;
        assert_ne!(reply.tone, Tone::Refusal, "{query:?} is answered, not refused");
        assert!(reply.buttons.len() >= 3, "{query:?} offers topics to pick: {reply:?}");
        assert!(reply.body.contains("/troubleshoot "), "{query:?}");
    }
}

#[tokio::test]
async fn a_100_kb_log_is_handled_in_under_50_ms() {
    let app = app();
    let mut log = String::new();
    let mut i = 0;
    while log.len() < 100 * 1024 {
        log.push_str(&format!(
            "2026-12-04T10:{:02}:{:02}Z INFO poi-7d9f8b6c5-x2k4q request id={i:08x} path=/api/poi status=200 took={}ms\n",
            i % 60,
            (i * 7) % 60,
            i % 97
        ));
        i += 1;
    }
    let with_error =
        format!("{log}Warning  BackOff  2m (x40 over 12m)  kubelet  Back-off restarting failed container\n{log}");
    for (text, expected) in [(log.as_str(), None), (with_error.as_str(), Some("crashloopbackoff"))] {
        let started = Instant::now();
        let reply = troubleshoot(&app, text).await;
        let took = started.elapsed();
        assert!(took < Duration::from_millis(50), "{} KB took {took:?}", text.len() / 1024);
        assert_eq!(shown_playbook(&reply).as_deref(), expected);
    }
}

#[test]
fn ask_shows_the_docker_networking_playbook() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hackcoach"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--db", "sqlite::memory:", "ask", "--", "/troubleshoot docker-networking"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout).to_lowercase();
    assert!(text.contains("user-defined bridge network"), "{text}");
    assert!(text.contains("name resolution") || text.contains("resolve"), "{text}");
    assert!(text.contains("docker network create"), "{text}");
}

/// The baseline in BENCHMARKS.md: the first playbook one of whose error strings appears
/// verbatim (case-insensitive) in the pasted line, as a naive bot would match.
#[test]
fn the_matcher_finds_at_least_what_a_substring_baseline_finds() {
    let app = app();
    let knowledge = app.knowledge();
    let table =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/error_lines.tsv")).expect("table");
    let (mut count, mut matcher, mut baseline) = (0, 0, 0);
    for line in table.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (expected, error) = line.split_once('\t').expect("two columns");
        count += 1;
        let lower = error.to_lowercase();
        let naive = knowledge.playbooks.iter().find(|p| p.errors.iter().any(|e| lower.contains(&e.to_lowercase())));
        baseline += usize::from(naive.is_some_and(|p| p.id == expected));
        let found = knowledge.errors.find(error);
        matcher += usize::from(found.first().is_some_and(|m| knowledge.playbooks[m.playbook].id == expected));
    }
    eprintln!("error lines: matcher first {matcher}/{count}, substring baseline {baseline}/{count}");
    assert!(matcher >= baseline, "the matcher ({matcher}) must find at least what the baseline finds ({baseline})");
}
