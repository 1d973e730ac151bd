//! Every reply users can get stays inside Discord's limits: each section of the shipped
//! guide (as a member and as a coach, every page), each challenge, each playbook text,
//! and adversarial guides (a 50 KB section, a 3,000-character code block, a heading of
//! 300 characters, `@everyone` in text).

use std::path::Path;

use hackcoach::app::App;
use hackcoach::commands::{self, Command, Invocation};
use hackcoach::config::{Config, RevealMode};
use hackcoach::render::{self, Message, check_limits};
use hackcoach::reply::{Reply, Source};

fn person(is_coach: bool) -> Invocation {
    Invocation {
        guild_id: 1,
        channel_id: 2,
        channel_name: "team-red".into(),
        user_id: 3,
        user_name: "Ada".into(),
        is_coach,
        now: chrono::DateTime::UNIX_EPOCH,
    }
}

/// Every message of a reply: for a paged reply, every page.
fn all_messages(reply: &Reply) -> Vec<Message> {
    if reply.source.is_none() {
        return render::render(reply);
    }
    let pages = render::page_count(&render::neutralize_mentions(&reply.body));
    (0..pages).flat_map(|page| render::render(&Reply { page, ..reply.clone() })).collect()
}

fn check_reply(what: &str, reply: &Reply) -> usize {
    assert_ne!(reply, &Reply::apology(), "{what}: an internal error, not a real reply");
    let messages = all_messages(reply);
    assert!(!messages.is_empty(), "{what}: no message");
    for message in &messages {
        if let Err(broken) = check_limits(message) {
            panic!("{what}: {broken}\n{message:#?}");
        }
        let json = serde_json::to_string(message).expect("serializes");
        assert!(!json.contains("@everyone") && !json.contains("@here"), "{what}: a mention can ping: {json}");
        for embed in &message.embeds {
            assert!(embed.title.is_some() || embed.description.is_some(), "{what}: an empty embed");
        }
    }
    messages.len()
}

async fn check_every_section(app: &App) -> usize {
    let knowledge = app.knowledge();
    let mut checked = 0;
    for section in &knowledge.guide.sections {
        for is_coach in [false, true] {
            let command = Command::Hint { query: section.id.clone() };
            let reply = commands::execute(app, &person(is_coach), command).await;
            check_reply(&format!("{} (coach: {is_coach})", section.id), &reply);
            checked += 1;
        }
    }
    for number in knowledge.guide.challenge_numbers() {
        for is_coach in [false, true] {
            let reply =
                commands::execute(app, &person(is_coach), Command::Challenge { number: i64::from(number) }).await;
            check_reply(&format!("challenge {number}"), &reply);
        }
    }
    check_reply("help", &commands::execute(app, &person(true), Command::Help).await);
    checked
}

/// The app over `guide_dir` with a fresh database, revealing hints `reveal`.
async fn open_app(guide_dir: std::path::PathBuf, reveal: RevealMode) -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut config = Config { guide_dir, ..Config::default() };
    config.database = dir.path().join("hackcoach.db").display().to_string();
    config.hints.reveal = reveal;
    (App::open(config).await.expect("the guide loads and the database opens"), dir)
}

fn shipped() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("guide")
}

#[tokio::test]
async fn every_section_of_the_shipped_guide_fits_discord() {
    for reveal in [RevealMode::Progressive, RevealMode::Full] {
        let (app, _dir) = open_app(shipped(), reveal).await;
        let checked = check_every_section(&app).await;
        assert!(checked > 50, "only {checked} replies checked");
    }
}

#[tokio::test]
async fn every_playbook_fits_discord() {
    let (app, _dir) = open_app(shipped(), RevealMode::Progressive).await;
    let knowledge = app.knowledge();
    assert!(knowledge.playbooks.len() >= 10, "only {} playbooks", knowledge.playbooks.len());
    for playbook in &knowledge.playbooks {
        let reply = commands::execute(&app, &person(false), Command::Troubleshoot { query: playbook.id.clone() }).await;
        assert_eq!(reply.source, Some(Source::Playbook(playbook.id.clone())), "{}", playbook.id);
        check_reply(&playbook.id, &reply);
        // The raw file too, as one unsourced reply split into messages.
        let text = std::fs::read_to_string(&playbook.source).expect("playbook reads");
        check_reply(&playbook.id, &Reply::new(playbook.title.clone(), text));
    }
    let list = commands::execute(&app, &person(false), Command::Troubleshoot { query: String::new() }).await;
    check_reply("the list of playbooks", &list);
}

#[tokio::test]
async fn adversarial_guides_still_fit_discord() {
    let dir = tempfile::tempdir().expect("temporary guide");
    let paragraph = "The pod restarts because the probe hits the wrong port; check the service too. ";
    let huge: String = (0..650).map(|i| format!("{i}. {paragraph}\n\n")).collect();
    assert!(huge.len() > 50_000);
    let code: String =
        (0..60).map(|i| format!("kubectl get pods -n team-{i:02} -o wide --show-labels # check\n")).collect();
    let code = format!("{}{}", code, "x".repeat(3000usize.saturating_sub(code.len())));
    assert!(code.len() >= 3000);
    let one_line_code = "y".repeat(3000);
    let heading = "Very long heading ".repeat(17);
    assert!(heading.len() >= 300);
    let text = format!(
        "# Adversarial\n\n## Challenge 1\n\nGoal @everyone @here <@&42> <@123>.\n\n\
         ### Huge section\n\n{huge}\n\
         ### Code block\n\nBefore.\n\n```yaml\n{code}```\n\nAfter.\n\n\
         ### One line of code\n\n```\n{one_line_code}\n```\n\n\
         ### {heading}\n\nShort text under a long heading, pinging @everyone.\n\n\
         ### Lists\n\n{}\n",
        (0..400).map(|i| format!("- item {i} with `code` and **bold** text")).collect::<Vec<_>>().join("\n")
    );
    std::fs::write(dir.path().join("adversarial.md"), text).expect("write the guide");
    let (progressive, _db) = open_app(dir.path().to_path_buf(), RevealMode::Progressive).await;
    assert!(check_every_section(&progressive).await >= 10);
    let (app, _db) = open_app(dir.path().to_path_buf(), RevealMode::Full).await;
    let checked = check_every_section(&app).await;
    assert!(checked >= 10, "{checked}");

    // The 50 KB section becomes many pages, all reachable, none losing text.
    let knowledge = app.knowledge();
    let section = knowledge.guide.sections.iter().find(|s| s.heading() == "Huge section").expect("huge section");
    let reply = commands::execute(&app, &person(false), Command::Hint { query: section.id.clone() }).await;
    let messages = all_messages(&reply);
    assert!(messages.len() > 12, "{} pages", messages.len());
    let joined: String = messages.iter().filter_map(|m| m.embeds[0].description.clone()).collect();
    assert!(joined.contains("649. The pod restarts"), "the last paragraph is on a page");
}
