//! `hackcoach backup` and the documented restore on real files: a backup taken by the
//! binary while this process keeps committing approvals is a consistent snapshot that
//! `Store::open` accepts; a backup never overwrites a file; restoring (stop, replace the
//! file, remove -wal/-shm, start) brings back exactly the rows `export` showed; and the
//! start-up inspection refuses a restored file that is not a hackcoach database.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use hackcoach::store::{ApprovalRequest, ApproveOutcome, Person, Store, TeamKey};

async fn hackcoach(db: &Path, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_hackcoach"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("HACKCOACH_KEY")
        .args(["--db", &db.display().to_string()])
        .args(args)
        .output()
        .await
        .expect("runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Approves challenge 1, then 2, … for channel 1, 2, … until told to stop; returns how
/// many approvals committed.
async fn write_approvals(store: Store, stop: Arc<AtomicBool>) -> usize {
    let mut committed = 0;
    let coach = Person { id: 7, name: "Coach Carla" };
    for channel in 1.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let team = store.team(TeamKey { guild_id: 5, channel_id: channel }, "t", 1, Utc::now()).await.expect("team");
        for challenge in 1..=3 {
            let request = ApprovalRequest { challenge, earlier: &[], coach, note: Some("ok"), force: false };
            let outcome = store.approve(team.id, request, Utc::now()).await.expect("approve");
            assert!(matches!(outcome, ApproveOutcome::Approved(_)), "{outcome:?}");
            committed += 1;
        }
    }
    committed
}

/// Approval ids in a database, ascending.
async fn approval_ids(db: &Path) -> Vec<i64> {
    let store = Store::open(&db.display().to_string()).await.expect("opens with Store::open");
    assert_eq!(store.integrity_check().await.expect("check"), "ok");
    let mut ids: Vec<i64> =
        store.all_records().await.expect("records").iter().flat_map(|r| r.approvals.iter().map(|a| a.id)).collect();
    store.close().await;
    ids.sort_unstable();
    ids
}

fn sidecars(db: &Path) -> [PathBuf; 2] {
    let name = db.display().to_string();
    [PathBuf::from(format!("{name}-wal")), PathBuf::from(format!("{name}-shm"))]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_approvals_are_written_is_a_consistent_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("data").join("hackcoach.db");
    let store = Store::open(&db.display().to_string()).await.expect("open");
    let stop = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(write_approvals(store.clone(), Arc::clone(&stop)));
    // Let the writer get going, then back up three times while it runs.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mut backups = Vec::new();
    for round in 0..3 {
        let backup = dir.path().join(format!("backup-{round}.db"));
        let output = hackcoach(&db, &["backup", &backup.display().to_string()]).await;
        assert!(output.status.success(), "{}", text(&output));
        assert!(text(&output).contains("backed up"), "{}", text(&output));
        backups.push(backup);
    }
    stop.store(true, Ordering::Relaxed);
    let committed = writer.await.expect("writer");
    store.close().await;

    let live = approval_ids(&db).await;
    assert_eq!(live.len(), committed);
    let mut sizes = Vec::new();
    for backup in &backups {
        assert!(!dir.path().join(format!("{}.partial", backup.display())).exists());
        let copied = approval_ids(backup).await;
        // One snapshot: a prefix of what was committed, no gaps, nothing half-written.
        assert!(!copied.is_empty() && copied.len() < live.len(), "{} of {}", copied.len(), live.len());
        assert_eq!(copied, live[..copied.len()], "the backup is not a prefix of the committed approvals");
        sizes.push(copied.len());
    }
    assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
}

#[tokio::test]
async fn a_backup_never_overwrites_a_file_and_needs_a_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("hackcoach.db");
    let existing = dir.path().join("existing.db");
    std::fs::write(&existing, "keep me").expect("write");

    let output = hackcoach(&db, &["backup", &existing.display().to_string()]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("There is no database at"), "{}", text(&output));
    assert!(!db.exists(), "the backup created the database it was asked to copy");

    Store::open(&db.display().to_string()).await.expect("create").close().await;
    let output = hackcoach(&db, &["backup", &existing.display().to_string()]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("already exists; choose a new file name"), "{}", text(&output));
    assert_eq!(std::fs::read_to_string(&existing).expect("read"), "keep me");

    let missing = dir.path().join("no-such-folder").join("copy.db");
    let output = hackcoach(&db, &["backup", &missing.display().to_string()]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("does not exist; create it"), "{}", text(&output));
}

#[tokio::test]
async fn restoring_a_backup_brings_back_exactly_the_exported_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("data").join("hackcoach.db");
    let backup = dir.path().join("backup.db");
    let ask = |args: &'static [&'static str]| {
        let db = db.clone();
        async move {
            let mut full = vec!["ask", "--guild", "5", "--channel", "6", "--"];
            full.extend_from_slice(args);
            let output = hackcoach(&db, &full).await;
            assert!(output.status.success(), "{}", text(&output));
        }
    };
    ask(&["/approve 1 note:solid"]).await;
    ask(&["/approve 2"]).await;
    ask(&["/revoke 2 reason:too quick"]).await;
    let exported = hackcoach(&db, &["export", "--csv"]).await;
    assert!(exported.status.success(), "{}", text(&exported));
    assert!(text(&exported).contains("too quick"), "{}", text(&exported));

    let output = hackcoach(&db, &["backup", &backup.display().to_string()]).await;
    assert!(output.status.success(), "{}", text(&output));
    // Work after the backup, which the restore must undo.
    ask(&["/approve 2"]).await;
    ask(&["/approve 3"]).await;
    let later = hackcoach(&db, &["export", "--csv"]).await;
    assert_ne!(later.stdout, exported.stdout);

    // The README's restore: stop the bot, replace the file, remove -wal/-shm, start.
    std::fs::copy(&backup, &db).expect("replace the database");
    for sidecar in sidecars(&db) {
        if sidecar.exists() {
            std::fs::remove_file(sidecar).expect("remove");
        }
    }
    let restored = hackcoach(&db, &["export", "--csv"]).await;
    assert!(restored.status.success(), "{}", text(&restored));
    assert_eq!(String::from_utf8_lossy(&restored.stdout), String::from_utf8_lossy(&exported.stdout));
}

#[tokio::test]
async fn the_start_refuses_a_restored_file_that_is_not_a_hackcoach_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("hackcoach.db");
    let check = |content: &'static [u8], expected: &'static str| {
        let db = db.clone();
        async move {
            std::fs::write(&db, content).expect("write");
            let output = hackcoach(&db, &["export"]).await;
            assert!(!output.status.success(), "exported from {content:?}");
            assert!(text(&output).contains(expected), "{}", text(&output));
            assert_eq!(std::fs::read(&db).expect("read"), content, "the refused file was changed");
        }
    };
    check(b"this is a text file, not a database\n", "is damaged or not an SQLite database").await;
    let mut torn = include_bytes!("../Cargo.lock")[..4096].to_vec();
    torn[..16].copy_from_slice(b"SQLite format 3\0");
    check(Box::leak(torn.into_boxed_slice()), "left untouched").await;
}
