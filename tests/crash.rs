//! Crash safety: a child process writing approvals in a loop is killed with SIGKILL 20
//! times at random moments. After each kill the database opens, `PRAGMA integrity_check`
//! is `ok`, and every approval the child reported as committed is there.
//!
//! The child is this test binary itself, re-run with `HACKCOACH_CRASH_CHILD` set, so the
//! test needs no extra binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use hackcoach::store::{ApprovalRequest, ApproveOutcome, Person, Store, TeamKey};
use rand::Rng as _;

const KILLS: usize = 20;
const CHILD: &str = "HACKCOACH_CRASH_CHILD";

/// In the child: approve challenge 1 for channel `start`, `start + 1`, … and print
/// `committed N` after each commit, until killed (or a safety limit of 20 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child() {
    let Ok(setting) = std::env::var(CHILD) else { return };
    let (db, start) = setting.split_once('|').expect("db|start");
    let start: u64 = start.parse().expect("start");
    let store = Store::open(db).await.expect("child opens");
    println!("opened");
    let began = Instant::now();
    for channel in start.. {
        if began.elapsed() > Duration::from_secs(20) {
            break;
        }
        let now = Utc::now();
        let team = store.team(TeamKey { guild_id: 1, channel_id: channel }, "t", 1, now).await.expect("team");
        let coach = Person { id: 7, name: "coach" };
        let outcome = store
            .approve(
                team.id,
                ApprovalRequest { challenge: 1, earlier: &[], coach, note: Some("crash test"), force: false },
                now,
            )
            .await
            .expect("approve");
        assert!(matches!(outcome, ApproveOutcome::Approved(_)), "{outcome:?}");
        println!("committed {channel}");
    }
}

#[tokio::test]
async fn approvals_survive_sigkill_at_random_moments() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("crash.db").display().to_string();
    let mut committed: Vec<u64> = Vec::new();
    let mut next_channel = 0u64;
    let mut rng = rand::thread_rng();
    for round in 0..KILLS {
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, format!("{db}|{next_channel}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|line| line.strip_prefix("committed ").and_then(|n| n.parse::<u64>().ok()))
                .collect::<Vec<u64>>()
        });
        // Early rounds may kill the child while it opens or migrates; later ones mid-loop.
        let delay = if round < 3 { rng.gen_range(0..40) } else { rng.gen_range(20..150) };
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        let reported = reader.join().expect("reader");
        if let Some(&last) = reported.last() {
            next_channel = last + 1;
        }
        committed.extend(reported);

        let store = Store::open(&db).await.expect("opens after a kill");
        assert_eq!(store.integrity_check().await.expect("check"), "ok", "round {round}");
        let records = store.all_records().await.expect("records");
        let approved: std::collections::HashSet<u64> = records
            .iter()
            .filter(|r| r.approvals.iter().any(|a| a.challenge == 1 && a.revocation.is_none()))
            .map(|r| r.team.channel_id)
            .collect();
        let lost: Vec<u64> = committed.iter().copied().filter(|c| !approved.contains(c)).collect();
        assert!(lost.is_empty(), "round {round}: reported committed but missing: {lost:?}");
        // An approval committed just before the kill but not yet reported is fine; move past it.
        next_channel = next_channel.max(records.iter().map(|r| r.team.channel_id + 1).max().unwrap_or(0));
        store.close().await;
    }
    eprintln!("{} approvals reported committed across {KILLS} kills, none lost", committed.len());
    assert!(committed.len() >= 20, "the child committed too little to prove anything: {}", committed.len());
}
