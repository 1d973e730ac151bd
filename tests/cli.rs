//! The offline CLI as scripts use it: `ask`, `search`, `guide lint`, config errors.

use std::path::Path;
use std::process::{Command, Output};

fn hackcoach(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hackcoach"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn ask_hint_prints_the_ingress_section_with_its_yaml_block() {
    // The README's first command, as written: `ask` acts as a coach unless told otherwise
    // (team members get the section step by step: tests/hints.rs).
    let output = hackcoach(&["--db", "sqlite::memory:", "ask", "--", "/hint challenge 4 ingress"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = stdout(&output);
    assert!(text.starts_with("## Challenge 4 › Ingress"), "{text}");
    assert!(
        text.contains("```yaml\ncontroller:\n  config:\n    hsts: \"false\"\n    ssl-redirect: \"false\"\n```"),
        "{text}"
    );
}

#[test]
fn ask_json_prints_the_discord_message_shape() {
    let output =
        hackcoach(&["--db", "sqlite::memory:", "ask", "--json", "--as", "coach", "--", "/hint challenge 4 ingress"]);
    assert!(output.status.success());
    let message: serde_json::Value = serde_json::from_str(stdout(&output).trim()).expect("one JSON object");
    for key in ["content", "embeds", "components", "allowed_mentions", "ephemeral"] {
        assert!(message.get(key).is_some(), "missing {key}: {message}");
    }
    assert_eq!(message["embeds"][0]["title"], "Challenge 4 › Ingress");
    assert!(message["embeds"][0]["description"].as_str().is_some_and(|d| d.contains("ssl-redirect")));
    assert_eq!(message["allowed_mentions"]["parse"], serde_json::json!([]));
}

#[test]
fn ask_refuses_a_malformed_command_with_a_sentence() {
    let output = hackcoach(&["--db", "sqlite::memory:", "ask", "--", "/hnt ingress"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("Did you mean `/hint`"));
}

#[test]
fn search_json_prints_ids_paths_and_scores() {
    let output = hackcoach(&["search", "--json", "c4", "helm"]);
    assert!(output.status.success());
    let line: serde_json::Value = serde_json::from_str(stdout(&output).trim()).expect("json");
    assert_eq!(line["query"], "c4 helm");
    assert_eq!(line["results"][0]["id"], "challenge-4/helm");
    assert_eq!(line["results"][0]["path"], serde_json::json!(["Challenge 4", "Helm"]));
    let score = line["results"][0]["score"].as_f64().expect("score");
    assert!(score > 0.0 && score <= 1.0);
}

#[test]
fn guide_lint_reports_the_challenges_of_the_shipped_guide() {
    let output = hackcoach(&["guide", "lint"]);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("challenges found: 1, 2, 3, 4, 5, 6, 7, 8"), "{text}");
    assert!(text.contains("playbooks: "), "{text}");
}

#[test]
fn guide_lint_fails_on_a_guide_without_challenges_and_names_broken_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("notes.md"), "# Notes\n## Intro\nNothing numbered here.\n").expect("write");
    std::fs::write(dir.path().join("broken.md"), "# B\n## Challenge 1\n```bash\nunclosed\n").expect("write");
    let output = hackcoach(&["--guide", dir.path().to_str().expect("utf-8"), "guide", "lint"]);
    let text = stdout(&output);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("no challenges"), "{text}");
    assert!(text.contains("broken.md:3: this code block is never closed"), "{text}");
}

#[test]
fn a_long_section_is_reported_by_lint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let long = "A sentence that goes on. ".repeat(300);
    std::fs::write(dir.path().join("g.md"), format!("# G\n## Challenge 1\n{long}\n")).expect("write");
    let output = hackcoach(&["--guide", dir.path().to_str().expect("utf-8"), "guide", "lint"]);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("more than one Discord embed"), "{text}");
}

#[test]
fn unknown_config_keys_are_refused_by_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "guide_dir = \"guide\"\n[hints]\nrevael = \"full\"\n").expect("write");
    let output = hackcoach(&["--config", config.to_str().expect("utf-8"), "search", "x"]);
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("revael") && error.contains(&*config.to_string_lossy()), "{error}");
}

#[test]
fn another_guide_of_the_same_shape_works_without_code_changes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let guide = "# Data OpenHack\n\n## Challenge 1: Ingest\n\n### Event Hubs\nPartitions and consumer groups.\n\n## Challenge 2\n\n### Databricks\nNotebooks and clusters.\n";
    std::fs::write(dir.path().join("data.md"), guide).expect("write");
    let dir_arg = dir.path().to_str().expect("utf-8");
    let output = hackcoach(&["--guide", dir_arg, "--db", "sqlite::memory:", "ask", "--", "/hint c2 notebooks"]);
    assert!(stdout(&output).starts_with("## Challenge 2 › Databricks"), "{}", stdout(&output));
    let output = hackcoach(&["--guide", dir_arg, "guide", "lint"]);
    assert!(stdout(&output).contains("challenges found: 1, 2"), "{}", stdout(&output));
    assert!(Path::new(dir_arg).exists());
}
