//! Every command in the README is one that something runs, or is marked as needing what
//! the tests cannot have. The shell blocks are read line by line; each `cargo run … --`
//! or `hackcoach` command is either marked "(needs Discord)", "(needs Docker)" or "(needs
//! a Kubernetes cluster)", or listed below as run by another test (which must contain its
//! arguments), or run right here, in README order, in one temporary folder (so the
//! database the first commands create is the one `backup` and `rotate-key` work on),
//! and must succeed. `docker` and `kubectl` lines must be marked; `cargo test` and
//! `bash .ci/run` are what CI runs.

use std::path::Path;
use std::process::{Command, Stdio};

const MARKS: [&str; 3] = ["(needs Discord)", "(needs Docker)", "(needs a Kubernetes cluster)"];

/// README commands another test runs (they need files or environment this test does not
/// make): the command as written, the test file, and arguments that file must contain.
const RUN_ELSEWHERE: &[(&str, &str, &[&str])] = &[
    (
        "cargo run --release -- check --kubeconfig team.yaml --challenge 4 --json",
        "tests/cluster_real.rs",
        &["\"check\"", "\"--kubeconfig\"", "\"--challenge\"", "\"--json\""],
    ),
    (
        "cargo run --release -- check --kubeconfig local.yaml --allow-private",
        "tests/cluster_real.rs",
        &["\"check\"", "\"--kubeconfig\"", "\"--allow-private\""],
    ),
    (
        "HACKCOACH_KEY=... HACKCOACH_NEW_KEY=... cargo run --release -- rotate-key",
        "tests/rotate_key.rs",
        &["(\"HACKCOACH_KEY\", OLD), (\"HACKCOACH_NEW_KEY\", NEW)", "&[\"rotate-key\"]"],
    ),
];

/// One command line from a shell block: `\` continuations joined, the comment apart.
#[derive(Debug)]
struct Line {
    words: Vec<String>,
    command: String,
    comment: String,
}

fn readme_lines() -> Vec<Line> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let mut lines = Vec::new();
    let mut in_shell = false;
    let mut pending = String::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_shell = !in_shell && (line == "```bash" || line == "```sh" || line == "```shell");
            continue;
        }
        if !in_shell || line.trim().is_empty() {
            continue;
        }
        match line.trim_end().strip_suffix('\\') {
            Some(start) => pending.push_str(start),
            None => {
                pending.push_str(line);
                let (words, comment) = shell_words(&pending);
                let command = pending.split(" #").next().unwrap_or("").trim().to_string();
                lines.push(Line { words, command, comment });
                pending.clear();
            }
        }
    }
    lines
}

/// Splits a line the way a POSIX shell would for these simple commands: whitespace,
/// double quotes with `\"` escapes, single quotes, and a `#` word starting the comment.
fn shell_words(line: &str) -> (Vec<String>, String) {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' if word.is_none() => return (words, chars.collect()),
            c if c.is_whitespace() => words.extend(word.take()),
            '"' => {
                let current = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$')) => current.extend(chars.next()),
                        c => current.push(c),
                    }
                }
            }
            '\'' => {
                let current = word.get_or_insert_with(String::new);
                current.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    (words, String::new())
}

/// The hackcoach arguments of a `cargo run [flags] -- ARGS` or `hackcoach ARGS` command.
fn hackcoach_args(words: &[String]) -> Option<Vec<String>> {
    let words: Vec<&String> = words.iter().skip_while(|w| is_assignment(w)).collect();
    match words.first().map(|w| w.as_str()) {
        Some("hackcoach") => Some(words[1..].iter().map(|w| w.to_string()).collect()),
        Some("cargo") if words.get(1).is_some_and(|w| *w == "run") => {
            let at = words.iter().position(|w| *w == "--").expect("cargo run … -- ARGS");
            Some(words[at + 1..].iter().map(|w| w.to_string()).collect())
        }
        _ => None,
    }
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=')
        .is_some_and(|(name, _)| !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
}

#[test]
fn the_shell_words_of_a_readme_line() {
    let check = |line: &str, words: &[&str], comment: &str| {
        let (found, found_comment) = shell_words(line);
        assert_eq!(
            (found.iter().map(String::as_str).collect::<Vec<_>>(), found_comment.trim()),
            (words.to_vec(), comment)
        );
    };
    check("cargo run -- ask -- \"/hint c4\"   # note", &["cargo", "run", "--", "ask", "--", "/hint c4"], "note");
    check(r#"x "a \"b\"" 'c d' e\ f"#, &["x", "a \"b\"", "c d", "e f"], "");
    check("A=1 hackcoach run#x", &["A=1", "hackcoach", "run#x"], "");
}

#[test]
fn every_readme_command_is_run_by_a_test_or_marked() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut ran = Vec::new();
    for line in readme_lines() {
        let marked = MARKS.iter().any(|mark| line.comment.contains(mark));
        let first = line.words.iter().find(|w| !is_assignment(w)).map(String::as_str).unwrap_or("");
        if marked {
            continue;
        }
        if let Some(&(_, file, needles)) = RUN_ELSEWHERE.iter().find(|(command, _, _)| *command == line.command) {
            let text = std::fs::read_to_string(repo.join(file)).expect("the listed test exists");
            for needle in needles {
                assert!(text.contains(needle), "{file} no longer runs `{}` (lacks {needle})", line.command);
            }
            continue;
        }
        match (first, line.words.get(1).map(String::as_str)) {
            ("cargo", Some("test")) | ("bash", Some(".ci/run")) => continue,
            ("docker" | "kubectl", _) => panic!("`{}` needs a mark: one of {MARKS:?}", line.command),
            _ => {}
        }
        let args = hackcoach_args(&line.words)
            .unwrap_or_else(|| panic!("`{}`: not a hackcoach command; mark it or teach this test", line.command));
        assert!(
            !line.words.iter().any(|w| is_assignment(w)),
            "`{}` sets environment variables: list it in RUN_ELSEWHERE or mark it",
            line.command
        );
        // In a scratch folder, so the database and any file the commands write stay out
        // of the repository; the shipped guide is passed along.
        let output = Command::new(env!("CARGO_BIN_EXE_hackcoach"))
            .current_dir(scratch.path())
            .env_remove("HACKCOACH_KEY")
            .env_remove("HACKCOACH_NEW_KEY")
            .env_remove("DISCORD_TOKEN")
            .arg("--guide")
            .arg(repo.join("guide"))
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .expect("runs");
        assert!(
            output.status.success(),
            "README command `{}` failed:\n{}{}",
            line.command,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        ran.push(args.join(" "));
    }
    // The README's own promises, run for real here.
    for expected in [
        "ask -- /hint challenge 4 ingress",
        "guide lint",
        "console",
        "commands --json",
        "backup hackcoach-backup.db",
        "rotate-key",
    ] {
        assert!(ran.iter().any(|r| r == expected), "`{expected}` was not run: {ran:#?}");
    }
    assert!(scratch.path().join("hackcoach-backup.db").is_file());
}
