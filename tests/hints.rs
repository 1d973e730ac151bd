//! Progressive hints through `commands::execute` on a real database: one step per
//! `/hint` or "Next hint" press, counted per team; coaches and reveal mode "full" get the
//! whole section; a page button reveals nothing new.

use std::path::Path;

use chrono::{TimeZone as _, Utc};
use hackcoach::app::{App, Knowledge};
use hackcoach::commands::{Command, Invocation, execute};
use hackcoach::config::{Config, RevealMode};
use hackcoach::reply::{Action, Reply, Source, Tone};
use hackcoach::store::Store;

const SECTION: &str = "challenge-1/sql";

async fn open_app(dir: &tempfile::TempDir, reveal: RevealMode) -> App {
    let mut config = Config {
        guide_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("guide"),
        database: dir.path().join("hints.db").display().to_string(),
        ..Config::default()
    };
    config.hints.reveal = reveal;
    let knowledge = Knowledge::load(&config).expect("guide");
    let store = Store::open(&config.database_url()).await.expect("store");
    App::with_store(config, knowledge, store)
}

fn person(channel: u64, is_coach: bool) -> Invocation {
    Invocation {
        guild_id: 1,
        channel_id: channel,
        channel_name: format!("team-{channel}"),
        user_id: if is_coach { 7 } else { 3 },
        user_name: "someone".into(),
        is_coach,
        now: Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).single().expect("time"),
    }
}

fn hint(query: &str) -> Command {
    Command::Hint { query: query.into() }
}

fn has_next_button(reply: &Reply) -> bool {
    reply.buttons.iter().any(|b| b.action == Action::NextHint(SECTION.into()) && b.label == "Next hint")
}

#[tokio::test]
async fn members_reveal_one_step_at_a_time_until_the_last() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = open_app(&dir, RevealMode::Progressive).await;
    let member = person(1, false);
    let first = execute(&app, &member, hint("challenge 1 sql")).await;
    let footer = first.footer.clone().unwrap_or_default();
    assert!(footer.ends_with("step 1 of 8"), "{footer}");
    assert!(has_next_button(&first) && !first.private);
    let mut last = first;
    for step in 2..=8 {
        last = execute(&app, &member, Command::Button(Action::NextHint(SECTION.into()))).await;
        let footer = last.footer.clone().unwrap_or_default();
        assert!(footer.contains(&format!("step {step} of 8")), "{footer}");
    }
    assert!(!has_next_button(&last), "no Next hint after the last step");
    assert!(last.footer.unwrap_or_default().ends_with("the last"));
    assert!(last.body.contains("{name},{port}"), "the last step shows: {}", last.body);
    // Asking again stays on the last step; a "did you mean" choice is a /hint too.
    let again = execute(&app, &member, Command::Button(Action::Show(SECTION.into()))).await;
    assert!(again.footer.unwrap_or_default().contains("step 8 of 8"));
    // Another team starts from the first step.
    let other = execute(&app, &person(2, false), hint("challenge 1 sql")).await;
    assert!(other.footer.unwrap_or_default().ends_with("step 1 of 8"));
}

#[tokio::test]
async fn a_page_button_shows_what_is_revealed_without_revealing_more() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = open_app(&dir, RevealMode::Progressive).await;
    let member = person(1, false);
    execute(&app, &member, hint("challenge 1 sql")).await;
    execute(&app, &member, hint("challenge 1 sql")).await;
    let page = Command::Button(Action::Page { source: Source::Section(SECTION.into()), page: 0 });
    let shown = execute(&app, &member, page).await;
    assert!(shown.footer.unwrap_or_default().ends_with("step 2 of 8"));
}

#[tokio::test]
async fn coaches_and_full_mode_get_the_whole_section() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = open_app(&dir, RevealMode::Progressive).await;
    let coach = execute(&app, &person(1, true), hint("challenge 1 sql")).await;
    assert!(coach.private && coach.body.contains("{name},{port}") && !has_next_button(&coach));
    let full_dir = tempfile::tempdir().expect("tempdir");
    let full = open_app(&full_dir, RevealMode::Full).await;
    let member = execute(&full, &person(1, false), hint("challenge 1 sql")).await;
    assert!(!member.private && member.body.contains("{name},{port}") && !has_next_button(&member));
    assert_eq!(member.tone, Tone::Info);
}

#[tokio::test]
async fn members_never_see_coach_only_sections() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = open_app(&dir, RevealMode::Progressive).await;
    let reply = execute(
        &app,
        &person(1, false),
        Command::Button(Action::NextHint("challenge-1/challenge-1-follow-up-questions".into())),
    )
    .await;
    assert_eq!(reply.tone, Tone::Refusal, "{reply:?}");
    assert!(reply.body.contains("for coaches") && !reply.body.contains("How do you get logs"), "{}", reply.body);
}

#[tokio::test]
async fn status_counts_revealed_steps_per_challenge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = open_app(&dir, RevealMode::Progressive).await;
    let member = person(1, false);
    for _ in 0..3 {
        execute(&app, &member, hint("challenge 1 sql")).await;
    }
    let status = execute(&app, &member, Command::Status).await;
    assert!(status.body.contains("Challenge 1: current**, for 0 s · 3 hints"), "{}", status.body);
}
