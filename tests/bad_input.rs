//! Bad input through the real binary: each gets a specific error, and nothing is left
//! half-written (no database created, no row recorded, a damaged file left as it was).

use std::path::{Path, PathBuf};
use std::process::Command;

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn hackcoach(dir: &Path, db: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_hackcoach"))
        .current_dir(dir)
        .arg("--guide")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("guide"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("run hackcoach");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("hackcoach.db");
    (dir, db)
}

/// The approval rows of the export.
fn approvals(dir: &Path, db: &Path) -> Vec<String> {
    let export = hackcoach(dir, db, &["export", "--csv"]);
    assert_eq!(export.code, 0, "{}", export.stderr);
    export.stdout.lines().filter(|line| line.starts_with("approval,")).map(str::to_string).collect()
}

#[test]
fn a_non_numeric_challenge_is_refused_before_the_database_is_touched() {
    let (dir, db) = setup();
    for command in ["/approve three", "/revoke x", "/approve", "/approve 3 great work"] {
        let output = hackcoach(dir.path(), &db, &["ask", "--as", "coach", "--", command]);
        assert_eq!(output.code, 2, "{command}");
        assert!(
            ["not a challenge number", "Give the challenge number", "Put the text after `note:`"]
                .iter()
                .any(|fragment| output.stderr.contains(fragment)),
            "{command}: {}",
            output.stderr
        );
    }
    assert!(!db.exists(), "a command that does not parse opens no database");
}

#[test]
fn an_out_of_range_challenge_is_refused_and_nothing_recorded() {
    let (dir, db) = setup();
    for command in ["/approve 99", "/approve 0", "/approve -1", "/approve 99999999999", "/revoke 9"] {
        let output = hackcoach(dir.path(), &db, &["ask", "--as", "coach", "--", command]);
        assert_eq!(output.code, 0, "{command}: {}", output.stderr);
        assert!(
            output.stdout.contains("in the guide. The challenges are: 1, 2, 3, 4, 5, 6, 7, 8."),
            "{}",
            output.stdout
        );
        assert!(output.stdout.contains("(only you can see this)"), "{}", output.stdout);
    }
    assert!(approvals(dir.path(), &db).is_empty());
}

#[test]
fn a_ten_thousand_character_note_is_refused_and_nothing_recorded() {
    let (dir, db) = setup();
    let note = "x".repeat(10_000);
    for command in [format!("/approve 1 note:{note}"), format!("/revoke 1 reason:{note}")] {
        let output = hackcoach(dir.path(), &db, &["ask", "--as", "coach", "--", &command]);
        assert_eq!(output.code, 0, "{}", output.stderr);
        assert!(output.stdout.contains("has 10000 characters; keep it to 1000 or fewer"), "{}", output.stdout);
        assert!(output.stdout.contains("Nothing was recorded"), "{}", output.stdout);
    }
    assert!(approvals(dir.path(), &db).is_empty());
    // A note at the limit is fine.
    let at_limit = format!("/approve 1 note:{}", "y".repeat(1000));
    let output = hackcoach(dir.path(), &db, &["ask", "--as", "coach", "--", &at_limit]);
    assert!(output.stdout.contains("Challenge 1 approved"), "{}", output.stdout);
    assert_eq!(approvals(dir.path(), &db).len(), 1);
}

#[test]
fn a_database_under_a_file_is_a_specific_error() {
    let (dir, _) = setup();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"x").expect("write");
    let db = file.join("data/hackcoach.db");
    let output = hackcoach(dir.path(), &db, &["ask", "--", "/status"]);
    assert_eq!(output.code, 1);
    assert!(output.stderr.contains("cannot create the database folder"), "{}", output.stderr);
    assert!(output.stderr.contains("writable folder"), "{}", output.stderr);
    assert_eq!(std::fs::read(&file).expect("read"), b"x");
}

#[test]
fn a_database_in_a_read_only_folder_is_a_specific_error() {
    let (dir, _) = setup();
    // Tests may run as root, which ignores file modes; /proc refuses new files to anyone.
    for db in ["/proc/hackcoach-test.db", "/proc/hackcoach-test-dir/hackcoach.db"] {
        let output = hackcoach(dir.path(), Path::new(db), &["ask", "--", "/status"]);
        assert_eq!(output.code, 1, "{db}");
        assert!(
            output.stderr.contains("cannot open or create the database file")
                || output.stderr.contains("cannot create the database folder"),
            "{db}: {}",
            output.stderr
        );
        assert!(!Path::new(db).exists());
    }
}

#[test]
fn a_corrupt_database_file_is_refused_and_left_as_it_was() {
    let (dir, db) = setup();
    let garbage: Vec<u8> = (0..64 * 1024).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&db, &garbage).expect("write");
    for args in [&["ask", "--", "/status"][..], &["export", "--csv"][..]] {
        let output = hackcoach(dir.path(), &db, args);
        assert_eq!(output.code, 1, "{args:?}");
        assert!(output.stderr.contains("is damaged or not an SQLite database"), "{}", output.stderr);
        assert!(output.stderr.contains("left untouched"), "{}", output.stderr);
        assert!(output.stdout.is_empty(), "{}", output.stdout);
    }
    assert_eq!(std::fs::read(&db).expect("read"), garbage);
}

#[test]
fn search_and_guide_lint_never_open_a_database() {
    let (dir, _) = setup();
    let db = dir.path().join("never/created.db");
    let output = hackcoach(dir.path(), &db, &["search", "ingress"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    hackcoach(dir.path(), &db, &["guide", "lint"]);
    assert!(!db.exists() && !dir.path().join("never").exists());
}
