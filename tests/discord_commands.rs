//! `hackcoach commands --json` prints the application commands exactly as registered,
//! and they obey Discord's rules for application commands (developers docs,
//! "Application Commands": naming, lengths, option limits, total size).

use std::process::Command;

use serde_json::Value;

const MAX_OPTIONS: usize = 25;
const MAX_CHOICES: usize = 25;
const MAX_TOTAL: usize = 8000;

fn commands_json() -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_hackcoach"))
        .args(["commands", "--json"])
        .env_remove("DISCORD_TOKEN")
        .output()
        .expect("run hackcoach commands --json");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("commands --json prints JSON")
}

/// `^[-_\p{L}\p{N}]{1,32}$`, lowercase where the letter has a lowercase form.
fn name_problem(name: &str) -> Option<String> {
    let length = name.chars().count();
    if !(1..=32).contains(&length) {
        return Some(format!("name {name:?} has {length} characters"));
    }
    if !name.chars().all(|c| c == '-' || c == '_' || c.is_alphabetic() || c.is_numeric()) {
        return Some(format!("name {name:?} has characters outside [-_\\p{{L}}\\p{{N}}]"));
    }
    if name.chars().any(|c| c.to_lowercase().to_string() != c.to_string()) {
        return Some(format!("name {name:?} is not lowercase"));
    }
    None
}

fn description_problem(what: &str, description: Option<&str>) -> Option<String> {
    let length = description.map_or(0, |d| d.chars().count());
    (!(1..=100).contains(&length)).then(|| format!("{what}: description has {length} characters"))
}

/// Every rule broken by one command (with its options), as sentences.
fn problems(command: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let name = command["name"].as_str().unwrap_or("");
    problems.extend(name_problem(name));
    problems.extend(description_problem(name, command["description"].as_str()));
    let mut total = name.chars().count() + command["description"].as_str().map_or(0, |d| d.chars().count());
    check_options(name, command["options"].as_array().map(Vec::as_slice).unwrap_or(&[]), &mut total, &mut problems);
    if total > MAX_TOTAL {
        problems.push(format!("{name}: {total} characters of names, descriptions and choices (over {MAX_TOTAL})"));
    }
    problems
}

fn check_options(parent: &str, options: &[Value], total: &mut usize, problems: &mut Vec<String>) {
    if options.len() > MAX_OPTIONS {
        problems.push(format!("{parent}: {} options", options.len()));
    }
    let mut seen_optional = false;
    for option in options {
        let name = option["name"].as_str().unwrap_or("");
        let what = format!("{parent} {name}");
        problems.extend(name_problem(name));
        problems.extend(description_problem(&what, option["description"].as_str()));
        *total += name.chars().count() + option["description"].as_str().map_or(0, |d| d.chars().count());
        let required = option["required"].as_bool().unwrap_or(false);
        if required && seen_optional {
            problems.push(format!("{what}: a required option after an optional one"));
        }
        seen_optional |= !required;
        let choices = option["choices"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        if choices.len() > MAX_CHOICES {
            problems.push(format!("{what}: {} choices", choices.len()));
        }
        if !choices.is_empty() && option["autocomplete"].as_bool() == Some(true) {
            problems.push(format!("{what}: choices and autocomplete together"));
        }
        for choice in choices {
            let choice_name = choice["name"].as_str().unwrap_or("");
            if !(1..=100).contains(&choice_name.chars().count()) {
                problems.push(format!("{what}: choice {choice_name:?} has a bad length"));
            }
            *total += choice_name.chars().count() + choice["value"].as_str().map_or(0, |v| v.chars().count());
        }
        let nested = option["options"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        check_options(&what, nested, total, problems);
    }
}

#[test]
fn registered_commands_obey_discords_rules() {
    let commands = commands_json();
    let commands = commands.as_array().expect("a JSON array of commands");
    assert!(!commands.is_empty());
    assert!(commands.len() <= 100, "Discord allows 100 slash commands");
    let all: Vec<String> = commands.iter().flat_map(problems).collect();
    assert!(all.is_empty(), "{all:#?}");
    let mut names: Vec<&str> = commands.iter().filter_map(|c| c["name"].as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), commands.len(), "command names are unique");
}

#[test]
fn every_command_of_the_offline_cli_is_registered_with_the_same_description() {
    let commands = commands_json();
    for spec in hackcoach::commands::COMMANDS {
        let registered = commands
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == spec.name)
            .unwrap_or_else(|| panic!("/{} is not registered", spec.name));
        assert_eq!(registered["description"], spec.description);
    }
}

#[test]
fn the_rules_catch_broken_commands() {
    let broken = serde_json::json!({
        "name": "Hint Me",
        "description": "",
        "options": [
            { "name": "later", "description": "optional", "required": false, "type": 3 },
            { "name": "first", "description": "x".repeat(101), "required": true, "type": 3 }
        ]
    });
    let found = problems(&broken);
    for expected in ["outside", "description has 0", "description has 101", "required option after"] {
        assert!(found.iter().any(|p| p.contains(expected)), "{expected}: {found:#?}");
    }
    assert!(name_problem("Hint").is_some_and(|p| p.contains("lowercase")));
    assert!(name_problem(&"a".repeat(33)).is_some());
    assert!(name_problem("cluster-check_2").is_none());
    let many = serde_json::json!({
        "name": "big", "description": "d",
        "options": (0..26).map(|i| serde_json::json!({ "name": format!("o{i}"), "description": "d".repeat(100), "required": false, "type": 3,
            "choices": (0..25).map(|j| serde_json::json!({ "name": format!("{j}{}", "c".repeat(90)), "value": "v" })).collect::<Vec<_>>() })).collect::<Vec<_>>()
    });
    let found = problems(&many);
    assert!(found.iter().any(|p| p.contains("26 options")), "{found:#?}");
    assert!(found.iter().any(|p| p.contains("over 8000")), "{found:#?}");
}

#[test]
fn run_without_a_token_refuses_clearly() {
    for token in [None, Some("   ")] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hackcoach"));
        command.arg("run").env_remove("DISCORD_TOKEN");
        if let Some(token) = token {
            command.env("DISCORD_TOKEN", token);
        }
        let output = command.output().expect("run hackcoach run");
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("DISCORD_TOKEN is not set"), "{stderr}");
    }
}
