//! Tests for every store function, each on a fresh migrated database (`#[sqlx::test]`),
//! plus `Store::open` on real files in temporary folders.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use sqlx::SqlitePool;

use super::*;

const KEY: TeamKey = TeamKey { guild_id: 10, channel_id: 20 };
const COACH: Person<'static> = Person { id: 7, name: "Coach Carla" };

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).single().expect("valid time") + Duration::minutes(minute)
}

fn request<'a>(challenge: u32, earlier: &'a [u32], note: Option<&'a str>, force: bool) -> ApprovalRequest<'a> {
    ApprovalRequest { challenge, earlier, coach: COACH, note, force }
}

async fn team(store: &Store) -> Team {
    store.team(KEY, "team-blue", 1, at(0)).await.expect("team")
}

fn approved(outcome: ApproveOutcome) -> Approval {
    match outcome {
        ApproveOutcome::Approved(approval) => approval,
        other => panic!("expected an approval, got {other:?}"),
    }
}

#[sqlx::test]
async fn a_team_is_created_once_and_its_activity_only_moves_forward(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let first = store.team(KEY, "team-blue", 1, at(0)).await.expect("created");
    assert_eq!((first.name.as_str(), first.created_by, first.created_at), ("team-blue", 1, at(0)));
    let again = store.team(KEY, "renamed-channel", 2, at(5)).await.expect("found");
    assert_eq!((again.id, again.name.as_str(), again.last_activity_at), (first.id, "team-blue", at(5)));
    let earlier = store.team(KEY, "x", 2, at(1)).await.expect("found");
    assert_eq!(earlier.last_activity_at, at(5), "a late clock does not move activity back");
    let other = store.team(TeamKey { guild_id: 10, channel_id: 21 }, "team-red", 3, at(0)).await.expect("created");
    assert_ne!(other.id, first.id);
}

#[sqlx::test]
async fn find_team_is_none_before_first_use(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    assert_eq!(store.find_team(KEY).await.expect("query"), None);
    let created = team(&store).await;
    assert_eq!(store.find_team(KEY).await.expect("query"), Some(created));
}

#[sqlx::test]
async fn ids_above_i64_max_survive_the_round_trip(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let key = TeamKey { guild_id: u64::MAX, channel_id: u64::MAX - 1 };
    let created = store.team(key, "big", u64::MAX - 2, at(0)).await.expect("created");
    assert_eq!((created.guild_id, created.channel_id, created.created_by), (u64::MAX, u64::MAX - 1, u64::MAX - 2));
    assert_eq!(store.find_team(key).await.expect("query"), Some(created));
}

#[sqlx::test]
async fn rename_keeps_the_old_name(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let created = team(&store).await;
    let renamed = store.rename_team(created.id, "Blue Whales", 4, at(3)).await.expect("renamed");
    assert_eq!((renamed.name.as_str(), renamed.renamed_by, renamed.renamed_at), ("Blue Whales", Some(4), Some(at(3))));
    let records = store.all_records().await.expect("records");
    assert_eq!(records[0].renames.len(), 1);
    assert_eq!(records[0].renames[0].old_name, "team-blue");
    assert_eq!(records[0].renames[0].new_name, "Blue Whales");
}

#[sqlx::test]
async fn approve_records_coach_time_and_note(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let team = team(&store).await;
    let approval =
        approved(store.approve(team.id, request(1, &[], Some("great work"), false), at(10)).await.expect("ok"));
    assert_eq!(
        (approval.challenge, approval.coach_id, approval.coach_name.as_str(), approval.at),
        (1, 7, "Coach Carla", at(10))
    );
    assert_eq!((approval.note.as_deref(), approval.forced, &approval.revocation), (Some("great work"), false, &None));
    assert_eq!(store.approvals(team.id).await.expect("read"), vec![approval]);
    assert_eq!(store.find_team(KEY).await.expect("read").map(|t| t.last_activity_at), Some(at(10)));
}

#[sqlx::test]
async fn approving_twice_writes_one_row_and_names_the_first(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let team = team(&store).await;
    let first = approved(store.approve(team.id, request(1, &[], None, false), at(1)).await.expect("ok"));
    let second = store
        .approve(
            team.id,
            ApprovalRequest { coach: Person { id: 8, name: "Other" }, ..request(1, &[], None, false) },
            at(2),
        )
        .await;
    assert_eq!(second.expect("ok"), ApproveOutcome::AlreadyApproved(first));
    assert_eq!(store.approvals(team.id).await.expect("read").len(), 1);
}

#[sqlx::test]
async fn earlier_challenges_must_be_approved_unless_forced(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let team = team(&store).await;
    let refused = store.approve(team.id, request(3, &[1, 2], None, false), at(1)).await.expect("ok");
    assert_eq!(refused, ApproveOutcome::EarlierNotApproved(vec![1, 2]));
    assert!(store.approvals(team.id).await.expect("read").is_empty());
    let forced = approved(store.approve(team.id, request(3, &[1, 2], None, true), at(2)).await.expect("ok"));
    assert!(forced.forced);
    approved(store.approve(team.id, request(1, &[], None, false), at(3)).await.expect("ok"));
    let unforced = approved(store.approve(team.id, request(2, &[1], None, true), at(4)).await.expect("ok"));
    assert!(!unforced.forced, "force that skipped nothing is not recorded as forced");
}

#[sqlx::test]
async fn revoke_keeps_both_rows_and_allows_approving_again(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let team = team(&store).await;
    assert_eq!(store.revoke(team.id, 1, COACH, None, at(0)).await.expect("ok"), RevokeOutcome::NotApproved);
    let approval = approved(store.approve(team.id, request(1, &[], None, false), at(1)).await.expect("ok"));
    let RevokeOutcome::Revoked(revoked) =
        store.revoke(team.id, 1, Person { id: 9, name: "Rita" }, Some("missed criteria"), at(2)).await.expect("ok")
    else {
        panic!("expected a revocation")
    };
    let revocation = revoked.revocation.clone().expect("revocation");
    assert_eq!((revocation.approval_id, revocation.coach_id, revocation.at), (approval.id, 9, at(2)));
    assert_eq!(revocation.reason.as_deref(), Some("missed criteria"));
    assert_eq!(store.revoke(team.id, 1, COACH, None, at(3)).await.expect("ok"), RevokeOutcome::NotApproved);
    let again = approved(store.approve(team.id, request(1, &[], None, false), at(4)).await.expect("ok"));
    let history = store.approvals(team.id).await.expect("read");
    assert_eq!(history, vec![revoked, again]);
}

#[sqlx::test]
async fn the_audit_trail_cannot_be_edited(pool: SqlitePool) {
    let store = Store::from_pool(pool.clone());
    let team = team(&store).await;
    approved(store.approve(team.id, request(1, &[], None, false), at(1)).await.expect("ok"));
    store.revoke(team.id, 1, COACH, None, at(2)).await.expect("ok");
    for statement in [
        "UPDATE approvals SET note = 'x'",
        "DELETE FROM approvals",
        "UPDATE revocations SET reason = 'x'",
        "DELETE FROM revocations",
    ] {
        let error = sqlx::query(statement).execute(&pool).await.expect_err(statement);
        assert!(error.to_string().contains("append only"), "{statement}: {error}");
    }
}

#[sqlx::test]
async fn hints_count_up_to_the_last_step(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let team = team(&store).await;
    assert_eq!(store.revealed(team.id, "challenge-1/sql").await.expect("read"), 0);
    let mut counts = Vec::new();
    for minute in 1..=4 {
        counts.push(store.reveal_hint(team.id, "challenge-1/sql", Some(1), 3, 5, at(minute)).await.expect("reveal"));
    }
    assert_eq!(counts, [1, 2, 3, 3]);
    assert_eq!(store.revealed(team.id, "challenge-1/sql").await.expect("read"), 3);
    store.reveal_hint(team.id, "challenge-2/aks", Some(2), 4, 6, at(9)).await.expect("reveal");
    let hints = store.hints(team.id).await.expect("read");
    assert_eq!(hints.len(), 2);
    assert_eq!((hints[0].revealed, hints[0].first_by, hints[0].first_at, hints[0].last_at), (3, 5, at(1), at(4)));
    assert_eq!((hints[1].section_id.as_str(), hints[1].challenge, hints[1].last_by), ("challenge-2/aks", Some(2), 6));
    assert_eq!(store.find_team(KEY).await.expect("read").map(|t| t.last_activity_at), Some(at(9)));
    assert!(store.reveal_hint(team.id, "empty", None, 0, 5, at(9)).await.is_err());
}

#[sqlx::test]
async fn records_are_scoped_by_guild_and_complete(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let blue = team(&store).await;
    let red = store.team(TeamKey { guild_id: 10, channel_id: 30 }, "team-red", 1, at(0)).await.expect("team");
    let elsewhere = store.team(TeamKey { guild_id: 99, channel_id: 20 }, "far", 1, at(0)).await.expect("team");
    approved(store.approve(blue.id, request(1, &[], None, false), at(1)).await.expect("ok"));
    approved(store.approve(elsewhere.id, request(1, &[], None, false), at(1)).await.expect("ok"));
    store.reveal_hint(red.id, "challenge-1/sql", Some(1), 3, 5, at(2)).await.expect("reveal");
    let guild = store.guild_records(10).await.expect("records");
    let names: Vec<&str> = guild.iter().map(|r| r.team.name.as_str()).collect();
    assert_eq!(names, ["team-blue", "team-red"]);
    assert_eq!((guild[0].approvals.len(), guild[0].hints.len()), (1, 0));
    assert_eq!((guild[1].approvals.len(), guild[1].hints.len()), (0, 1));
    assert_eq!(store.all_records().await.expect("records").len(), 3);
}

#[sqlx::test]
async fn a_fresh_database_passes_the_integrity_check(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    team(&store).await;
    assert_eq!(store.integrity_check().await.expect("check"), "ok");
}

#[test]
fn locations_become_paths() {
    for (location, path) in [
        ("data/hackcoach.db", "data/hackcoach.db"),
        ("sqlite://data/x.db", "data/x.db"),
        ("sqlite:/abs/x.db?mode=rwc", "/abs/x.db"),
    ] {
        assert_eq!(database_path(location), std::path::PathBuf::from(path), "{location}");
    }
}

#[tokio::test]
async fn open_creates_folder_and_file_in_wal_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nested/deeper/hackcoach.db");
    let store = Store::open(&path.display().to_string()).await.expect("opens");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&store.pool).await.expect("pragma");
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&store.pool).await.expect("pragma");
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&store.pool).await.expect("pragma");
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout").fetch_one(&store.pool).await.expect("pragma");
    let application_id: i32 = sqlx::query_scalar("PRAGMA application_id").fetch_one(&store.pool).await.expect("pragma");
    assert_eq!((mode.as_str(), synchronous, foreign_keys, application_id), ("wal", 2, 1, APPLICATION_ID));
    assert!(busy >= 1000, "busy timeout {busy}");
    store.close().await;
    // Opening again finds its own database and keeps the data.
    let again = Store::open(&format!("sqlite://{}", path.display())).await.expect("reopens");
    again.team(KEY, "t", 1, at(0)).await.expect("writes");
}

#[tokio::test]
async fn an_empty_file_is_set_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("empty.db");
    std::fs::write(&path, b"").expect("write");
    Store::open(&path.display().to_string()).await.expect("an empty file becomes a database");
}

/// Opening `path` fails with a message containing `fragment`, and the file's bytes (and
/// the absence of WAL files) are unchanged.
async fn check_refused(path: &std::path::Path, fragment: &str) {
    let before = std::fs::read(path).expect("read before");
    let error = Store::open(&path.display().to_string()).await.expect_err("refused");
    let message = error.to_string();
    assert!(message.contains(fragment), "{message}");
    assert!(message.contains("untouched"), "{message}");
    assert_eq!(std::fs::read(path).expect("read after"), before, "the file was modified");
    for suffix in ["-wal", "-journal"] {
        let mut sibling = path.as_os_str().to_owned();
        sibling.push(suffix);
        assert!(!std::path::Path::new(&sibling).exists(), "{suffix} file left behind");
    }
}

async fn raw_database(path: &std::path::Path, statements: &[&str]) {
    use sqlx::{ConnectOptions as _, Connection as _};
    let mut connection = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .connect()
        .await
        .expect("connect");
    for statement in statements {
        sqlx::query(statement).execute(&mut connection).await.expect(statement);
    }
    connection.close().await.expect("close");
}

#[tokio::test]
async fn a_database_of_another_program_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("other.db");
    raw_database(
        &path,
        &["CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)", "INSERT INTO users VALUES (1, 'x')"],
    )
    .await;
    check_refused(&path, "not a hackcoach database (it holds other tables: users)").await;
}

#[tokio::test]
async fn a_database_with_another_application_id_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("other.db");
    raw_database(&path, &["PRAGMA application_id = 42", "CREATE TABLE t (x)"]).await;
    check_refused(&path, "its application id is 0x2a").await;
}

#[tokio::test]
async fn a_database_from_a_newer_version_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("newer.db");
    // What a later hackcoach leaves: our application id, and a migration we do not know.
    let application_id = format!("PRAGMA application_id = {APPLICATION_ID}");
    raw_database(
        &path,
        &[
            &application_id,
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
                installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL,
                checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)",
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (1, 'progress', 1, x'00', 0), (9999, 'from the future', 1, x'00', 0)",
        ],
    )
    .await;
    check_refused(&path, "written by a newer hackcoach (it has migration 9999").await;
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("garbage.db");
    std::fs::write(&path, "this is a text file, not a database\n".repeat(200)).expect("write");
    check_refused(&path, "is damaged or not an SQLite database").await;
}

#[tokio::test]
async fn a_database_with_damaged_pages_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("damaged.db");
    let application_id = format!("PRAGMA application_id = {APPLICATION_ID}");
    raw_database(
        &path,
        &[
            &application_id,
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
             INSERT INTO notes SELECT i, printf('%.100c', 'x') FROM n",
        ],
    )
    .await;
    let mut bytes = std::fs::read(&path).expect("read");
    assert!(bytes.len() > 8 * 4096, "database too small to damage: {}", bytes.len());
    // Keep the header page, scribble over the pages after it.
    for byte in &mut bytes[4096..4096 * 8] {
        *byte = 0xA5;
    }
    std::fs::write(&path, &bytes).expect("write");
    check_refused(&path, "is damaged or not an SQLite database").await;
}

#[tokio::test]
async fn a_folder_that_cannot_exist_is_a_specific_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").expect("write");
    let error = Store::open(&file.join("sub/hackcoach.db").display().to_string()).await.expect_err("refused");
    assert!(error.to_string().contains("cannot create the database folder"), "{error}");
    // /proc refuses new files even to root, so this is a real read-only folder.
    let error = Store::open("/proc/hackcoach-test.db").await.expect_err("refused");
    assert!(error.to_string().contains("cannot open or create the database file /proc/hackcoach-test.db"), "{error}");
}

#[tokio::test]
async fn sqlite_memory_is_one_database_for_the_whole_process() {
    let store = Store::open("sqlite::memory:").await.expect("opens");
    let created = team(&store).await;
    // Concurrent users share the one connection, so they see the same tables and rows.
    let (a, b) = tokio::join!(store.find_team(KEY), store.approvals(created.id));
    assert_eq!(a.expect("read"), Some(created));
    assert!(b.expect("read").is_empty());
    assert!(!std::path::Path::new(":memory:").exists(), "no file named :memory:");
}

#[sqlx::test]
async fn a_sealed_kubeconfig_is_saved_replaced_and_forgotten_with_its_last_check(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let team = team(&store).await;
    assert_eq!(store.sealed_kubeconfig(team.id).await.expect("read"), None);
    assert!(!store.forget_kubeconfig(team.id).await.expect("forget nothing"), "nothing to forget yet");

    store.save_kubeconfig(team.id, b"first", "https://a.example:443", 1, at(1)).await.expect("saved");
    store.save_kubeconfig(team.id, b"second", "https://b.example:443", 2, at(2)).await.expect("replaced");
    assert_eq!(store.sealed_kubeconfig(team.id).await.expect("read"), Some(b"second".to_vec()));

    assert_eq!(store.last_check(team.id).await.expect("read"), None);
    let check = LastCheck { checked_at: at(3), errors: 2, warnings: 1, summary: "pod-crashloop api/poi".into() };
    store.record_check(team.id, &check).await.expect("recorded");
    let newer = LastCheck { checked_at: at(4), errors: 0, warnings: 0, summary: "all clear".into() };
    store.record_check(team.id, &newer).await.expect("replaced");
    assert_eq!(store.last_check(team.id).await.expect("read"), Some(newer));

    assert!(store.forget_kubeconfig(team.id).await.expect("forget"), "there was a kubeconfig");
    assert_eq!(store.sealed_kubeconfig(team.id).await.expect("read"), None);
    assert_eq!(store.last_check(team.id).await.expect("read"), None, "the last check goes with it");
}

#[tokio::test]
async fn the_write_probe_takes_the_write_lock_and_fails_while_another_writer_holds_it() {
    use sqlx::ConnectOptions as _;
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("probe.db");
    let store = Store::open(&path.display().to_string()).await.expect("open");
    let timeout = std::time::Duration::from_millis(300);
    store.probe_write(timeout).await.expect("a fresh database takes a writer");

    // Another process's writer: a separate connection holding the write lock.
    let mut other = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).connect().await.expect("connect");
    sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.expect("take the write lock");
    let started = std::time::Instant::now();
    let error = store.probe_write(timeout).await.expect_err("the lock is held");
    assert!(format!("{error:#}").contains("write lock was not free"), "{error:#}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());

    sqlx::query("ROLLBACK").execute(&mut other).await.expect("release the write lock");
    // The cancelled probe's BEGIN may still be waiting in its connection; the next one gets through.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while store.probe_write(timeout).await.is_err() {
        assert!(std::time::Instant::now() < deadline, "the probe never recovered after the lock was released");
    }
    let team = store.team(KEY, "team-red", 1, at(1)).await.expect("writes work after probing");
    assert_eq!(team.name, "team-red");
    store.close().await;
    let error = store.probe_write(timeout).await.expect_err("closed");
    assert!(format!("{error:#}").contains("write lock"), "{error:#}");
}

#[tokio::test]
async fn writes_queued_together_commit_together_and_a_failing_one_leaves_the_others() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let store = Store::open(&dir.path().join("batch.db").display().to_string()).await.expect("open");
    let team = team(&store).await;
    // Hold the writers' turn so every write below queues, then commits in one batch.
    let turn = store.write_turn().await;
    let mut approvals = Vec::new();
    for challenge in [1, 2, 3, 3, 4, 5] {
        let store = store.clone();
        approvals.push(tokio::spawn(async move {
            store.approve(team.id, request(challenge, &[], None, false), at(challenge.into())).await
        }));
    }
    let renamed = tokio::spawn({
        let store = store.clone();
        async move { store.rename_team(team.id + 1000, "nobody", 1, at(9)).await }
    });
    // A write that changes rows and then fails: its savepoint is rolled back alone.
    let half_done = tokio::spawn({
        let store = store.clone();
        async move {
            let half_done = store.writer.write::<(), _>(move |connection| {
                Box::pin(async move {
                    sqlx::query("UPDATE teams SET name = 'half-done' WHERE id = ?")
                        .bind(team.id)
                        .execute(&mut *connection)
                        .await
                        .context("renaming")?;
                    anyhow::bail!("this write gave up after changing a row")
                })
            });
            let revealed = store.reveal_hint(team.id, "s-1", Some(1), 3, 1, at(10));
            tokio::join!(half_done, revealed)
        }
    });
    tokio::task::yield_now().await;
    assert!(store.approvals(team.id).await.expect("read").is_empty(), "nothing commits while the turn is held");
    drop(turn);

    let mut outcomes = Vec::new();
    for approval in approvals {
        outcomes.push(approval.await.expect("task").expect("approval"));
    }
    let already = outcomes.iter().filter(|o| matches!(o, ApproveOutcome::AlreadyApproved(_))).count();
    assert_eq!(already, 1, "two approvals of challenge 3 in one batch leave one: {outcomes:?}");
    let error = renamed.await.expect("task").expect_err("no such team");
    assert!(format!("{error:#}").contains("reading the team's name"), "{error:#}");
    let (half_done, revealed) = half_done.await.expect("task");
    let error = half_done.expect_err("the job failed");
    assert_eq!(format!("{error:#}"), "this write gave up after changing a row");
    assert_eq!(revealed.expect("hint"), 1);

    let approved: Vec<u32> = store.approvals(team.id).await.expect("read").iter().map(|a| a.challenge).collect();
    assert_eq!(approved, [1, 2, 3, 4, 5]);
    let record = store.all_records().await.expect("records").remove(0);
    assert_eq!(record.team.name, "team-blue", "the failed write's change was rolled back");
    assert!(record.renames.is_empty());
    assert_eq!(record.hints.len(), 1);
    store.close().await;
}

#[tokio::test]
async fn closing_settles_queued_writes_and_later_ones_fail() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let store = Store::open(&dir.path().join("close.db").display().to_string()).await.expect("open");
    let team = team(&store).await;
    let mut writes = Vec::new();
    for challenge in 1..=20 {
        let store = store.clone();
        writes.push(tokio::spawn(
            async move { store.approve(team.id, request(challenge, &[], None, false), at(1)).await },
        ));
    }
    tokio::task::yield_now().await;
    let limit = std::time::Duration::from_secs(10);
    tokio::time::timeout(limit, store.close()).await.expect("close finishes");
    let mut committed = 0;
    for write in writes {
        match tokio::time::timeout(limit, write).await.expect("every queued write is answered").expect("task") {
            Ok(_) => committed += 1,
            Err(error) => assert!(format!("{error:#}").contains("closed"), "{error:#}"),
        }
    }
    let error = store.team(KEY, "t", 1, at(2)).await.expect_err("closed");
    assert!(format!("{error:#}").contains("closed"), "{error:#}");
    let reopened = Store::open(&dir.path().join("close.db").display().to_string()).await.expect("reopen");
    assert_eq!(
        reopened.approvals(team.id).await.expect("read").len(),
        committed,
        "what was answered is what is stored"
    );
}

#[tokio::test]
async fn a_panicking_write_fails_alone_and_the_writer_goes_on() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let store = Store::open(&dir.path().join("panic.db").display().to_string()).await.expect("open");
    let team = team(&store).await;
    let panicked = store
        .writer
        .write::<(), _>(move |connection| {
            Box::pin(async move {
                sqlx::query("UPDATE teams SET name = 'half-done' WHERE id = ?")
                    .bind(team.id)
                    .execute(&mut *connection)
                    .await
                    .context("renaming")?;
                panic!("a bug in a write");
            })
        })
        .await;
    assert!(panicked.is_err(), "the caller of a panicking write gets an error");
    // The half-done change was rolled back, the write lock released, and writes go on.
    store.approve(team.id, request(1, &[], None, false), at(2)).await.expect("the writer still serves");
    let record = store.all_records().await.expect("records").remove(0);
    assert_eq!(record.team.name, "team-blue", "the panicking write's change was rolled back");
    assert_eq!(record.approvals.len(), 1);
    store.probe_write(std::time::Duration::from_secs(1)).await.expect("the write lock is free");
    store.close().await;
}
