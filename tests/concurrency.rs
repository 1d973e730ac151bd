//! Concurrent approvals and revocations on one real SQLite file: no update is lost, none
//! fails with "database is locked", and the rows match exactly what the operations report.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{TimeZone as _, Utc};
use hackcoach::store::{ApprovalRequest, ApproveOutcome, Person, RevokeOutcome, Store, TeamKey};
use tokio::sync::Mutex;

const TASKS: u64 = 50;
const CHANNELS: u64 = 10;
const OPERATIONS: u64 = 1000;
const CHALLENGES: u32 = 4;

/// What the operations on one (channel, challenge) reported.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    approved: u32,
    already: u32,
    revoked: u32,
    not_approved: u32,
}

/// A small deterministic generator, so a failure can be replayed.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    *state >> 33
}

async fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join("hackcoach.db").display().to_string()).await.expect("open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_tasks_approving_and_revoking_leave_exactly_the_implied_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir).await;
    let now = Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).single().expect("time");
    let mut teams = Vec::new();
    for channel in 0..CHANNELS {
        let key = TeamKey { guild_id: 1, channel_id: channel };
        teams.push(store.team(key, &format!("team-{channel}"), 1, now).await.expect("team").id);
    }
    let teams = Arc::new(teams);
    let tallies: Arc<Mutex<HashMap<(u64, u32), Tally>>> = Arc::default();
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let (store, teams, tallies) = (store.clone(), Arc::clone(&teams), Arc::clone(&tallies));
        handles.push(tokio::spawn(async move {
            let mut seed = task + 1;
            for _ in 0..OPERATIONS / TASKS {
                let channel = next(&mut seed) % CHANNELS;
                let challenge = u32::try_from(next(&mut seed) % u64::from(CHALLENGES)).expect("small") + 1;
                let coach = Person { id: 100 + task, name: "coach" };
                let team = teams[usize::try_from(channel).expect("small")];
                let approve = next(&mut seed).is_multiple_of(2);
                let outcome = if approve {
                    match store
                        .approve(
                            team,
                            ApprovalRequest { challenge, earlier: &[], coach, note: Some("ok"), force: true },
                            now,
                        )
                        .await
                    {
                        Ok(ApproveOutcome::Approved(_)) => |t: &mut Tally| t.approved += 1,
                        Ok(ApproveOutcome::AlreadyApproved(_)) => |t: &mut Tally| t.already += 1,
                        other => panic!("approve failed: {other:?}"),
                    }
                } else {
                    match store.revoke(team, challenge, coach, None, now).await {
                        Ok(RevokeOutcome::Revoked(_)) => |t: &mut Tally| t.revoked += 1,
                        Ok(RevokeOutcome::NotApproved) => |t: &mut Tally| t.not_approved += 1,
                        Err(error) => panic!("revoke failed: {error:#}"),
                    }
                };
                outcome(tallies.lock().await.entry((channel, challenge)).or_default());
            }
        }));
    }
    for handle in handles {
        handle.await.expect("task");
    }
    let tallies = tallies.lock().await;
    let total: u32 = tallies.values().map(|t| t.approved + t.already + t.revoked + t.not_approved).sum();
    assert_eq!(u64::from(total), OPERATIONS);
    let records = store.all_records().await.expect("records");
    for record in &records {
        for challenge in 1..=CHALLENGES {
            let tally = tallies.get(&(record.team.channel_id, challenge)).copied().unwrap_or_default();
            let rows: Vec<_> = record.approvals.iter().filter(|a| a.challenge == challenge).collect();
            let revoked = rows.iter().filter(|a| a.revocation.is_some()).count();
            let live = rows.len() - revoked;
            let context = format!("channel {} challenge {challenge}: {tally:?}", record.team.channel_id);
            assert_eq!(rows.len(), tally.approved as usize, "{context}");
            assert_eq!(revoked, tally.revoked as usize, "{context}");
            assert!(live <= 1, "two live approvals: {context}");
            assert_eq!(live, (tally.approved - tally.revoked) as usize, "{context}");
        }
    }
    assert_eq!(store.integrity_check().await.expect("check"), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_coaches_approving_the_same_challenge_at_once_leave_one_approval() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir).await;
    let now = Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).single().expect("time");
    let team = store.team(TeamKey { guild_id: 1, channel_id: 1 }, "t", 1, now).await.expect("team");
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let mut handles = Vec::new();
    for coach in 0..20u64 {
        let (store, barrier) = (store.clone(), Arc::clone(&barrier));
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            store
                .approve(
                    team.id,
                    ApprovalRequest {
                        challenge: 1,
                        earlier: &[],
                        coach: Person { id: coach, name: "coach" },
                        note: None,
                        force: false,
                    },
                    now,
                )
                .await
        }));
    }
    let mut approved = 0;
    let mut already = 0;
    for handle in handles {
        match handle.await.expect("task").expect("no database error") {
            ApproveOutcome::Approved(_) => approved += 1,
            ApproveOutcome::AlreadyApproved(_) => already += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((approved, already), (1, 19));
    assert_eq!(store.approvals(team.id).await.expect("read").len(), 1);
}
