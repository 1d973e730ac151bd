//! Team progress in SQLite: teams, approvals and revocations (an append-only audit trail),
//! hint reveals and activity. The only module that names sqlx.
//!
//! Every function takes the time as `now`. Writes that read before they write run in
//! `BEGIN IMMEDIATE` transactions: the write lock is taken up front, so two coaches
//! approving at once queue behind the busy timeout instead of one losing its update or
//! failing with "database is locked" when upgrading a read lock.
//!
//! Inside one process, writes queue on `Store::writer`, first come first served, so they
//! never meet SQLite's busy handler: it sleeps and polls, which made the slowest approvals
//! wait far longer than the queue in front of them (BENCHMARKS.md). The writes queued at
//! once commit together, one fsync for the batch, each in its own savepoint
//! (`writer.rs`). The busy timeout still covers another process writing the same file.

mod cluster;
mod maintenance;
mod open;
mod writer;

use std::collections::{BTreeSet, HashMap};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};

pub use cluster::LastCheck;
pub use maintenance::{Reseal, ResealOutcome, UnreadableKubeconfig};
pub use open::{APPLICATION_ID, OpenError, database_path};

/// The schema, embedded at build time from `migrations/`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// The progress database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    /// Commits this process's writes, in arrival order, in batches.
    writer: writer::Writer,
}

/// A team is a channel of a guild.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TeamKey {
    pub guild_id: u64,
    pub channel_id: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: i64,
    pub guild_id: u64,
    pub channel_id: u64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub created_by: u64,
    pub renamed_at: Option<DateTime<Utc>>,
    pub renamed_by: Option<u64>,
    pub last_activity_at: DateTime<Utc>,
}

/// Someone acting: a Discord user id and the name shown at the time.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub id: u64,
    pub name: &'a str,
}

/// An approval, with its revocation when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub id: i64,
    pub team_id: i64,
    pub challenge: u32,
    pub coach_id: u64,
    pub coach_name: String,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
    /// Approved although an earlier challenge was not (the coach passed `force`).
    pub forced: bool,
    pub revocation: Option<Revocation>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub id: i64,
    pub approval_id: i64,
    pub coach_id: u64,
    pub coach_name: String,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

/// One rename of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    pub team_id: i64,
    pub old_name: String,
    pub new_name: String,
    pub renamed_by: u64,
    pub renamed_at: DateTime<Utc>,
}

/// How far a team has revealed a guide section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintReveal {
    pub team_id: i64,
    pub section_id: String,
    pub challenge: Option<u32>,
    /// Steps revealed so far (at least 1).
    pub revealed: u32,
    pub first_by: u64,
    pub first_at: DateTime<Utc>,
    pub last_by: u64,
    pub last_at: DateTime<Utc>,
}

/// A team with its whole history, for `/board` and export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRecord {
    pub team: Team,
    /// Every approval, revoked ones included, oldest first.
    pub approvals: Vec<Approval>,
    pub hints: Vec<HintReveal>,
    pub renames: Vec<Rename>,
}

/// What a coach asks `Store::approve` to record.
#[derive(Debug, Clone, Copy)]
pub struct ApprovalRequest<'a> {
    pub challenge: u32,
    /// The guide's challenges before this one, which must be approved unless `force`.
    pub earlier: &'a [u32],
    pub coach: Person<'a>,
    pub note: Option<&'a str>,
    pub force: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApproveOutcome {
    Approved(Approval),
    /// The challenge already has a live approval: nothing was written.
    AlreadyApproved(Approval),
    /// These earlier challenges are not approved and `force` was not given: nothing was written.
    EarlierNotApproved(Vec<u32>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeOutcome {
    /// The approval, now carrying its revocation.
    Revoked(Approval),
    /// The challenge has no live approval: nothing was written.
    NotApproved,
}

impl Store {
    /// Wraps a pool that already has the migrations applied (`#[sqlx::test]`).
    #[cfg(test)]
    fn from_pool(pool: SqlitePool) -> Store {
        Store::new(pool)
    }

    fn new(pool: SqlitePool) -> Store {
        let writer = writer::Writer::start(pool.clone());
        Store { pool, writer }
    }

    /// Waits for this process's turn to write outside the batches; the write runs while
    /// the guard lives.
    async fn write_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writer.turn().await
    }

    /// For other modules' tests: holds the writers' turn, as a long write would, until
    /// the guard drops.
    #[cfg(test)]
    pub(crate) async fn hold_writes(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.write_turn().await
    }

    /// The team of a channel, created (named after the channel) on first use; records
    /// `now` as its latest activity.
    pub async fn team(&self, key: TeamKey, channel_name: &str, by: u64, now: DateTime<Utc>) -> anyhow::Result<Team> {
        let at = millis(now);
        let channel_name = channel_name.to_string();
        let row: TeamRow = self
            .writer
            .write(move |connection| {
                Box::pin(async move {
                    sqlx::query_as(
                        "INSERT INTO teams (guild_id, channel_id, name, created_at, created_by, last_activity_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?4)
             ON CONFLICT (guild_id, channel_id)
             DO UPDATE SET last_activity_at = max(last_activity_at, excluded.last_activity_at)
             RETURNING *",
                    )
                    .bind(db_id(key.guild_id))
                    .bind(db_id(key.channel_id))
                    .bind(channel_name)
                    .bind(at)
                    .bind(db_id(by))
                    .fetch_one(&mut *connection)
                    .await
                    .context("creating or touching the team")
                })
            })
            .await?;
        Ok(row.into())
    }

    /// The team of a channel, if it has one yet.
    pub async fn find_team(&self, key: TeamKey) -> anyhow::Result<Option<Team>> {
        let row: Option<TeamRow> = sqlx::query_as("SELECT * FROM teams WHERE guild_id = ? AND channel_id = ?")
            .bind(db_id(key.guild_id))
            .bind(db_id(key.channel_id))
            .fetch_optional(&self.pool)
            .await
            .context("looking up a team")?;
        Ok(row.map(Team::from))
    }

    /// Renames a team, keeping the old name in `team_renames`.
    pub async fn rename_team(&self, team_id: i64, new_name: &str, by: u64, now: DateTime<Utc>) -> anyhow::Result<Team> {
        let new_name = new_name.to_string();
        let row = self.writer.write(move |connection| Box::pin(rename(connection, team_id, new_name, by, now))).await?;
        Ok(row.into())
    }

    /// Approves `challenge` for a team. Refused (nothing written) when it already has a
    /// live approval, or when one of `earlier` has none and `force` is false. `forced` is
    /// recorded when `force` actually skipped an unapproved challenge.
    pub async fn approve(
        &self,
        team_id: i64,
        request: ApprovalRequest<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<ApproveOutcome> {
        let ApprovalRequest { challenge, earlier, coach, note, force } = request;
        let request = OwnedApproval {
            challenge,
            earlier: earlier.to_vec(),
            coach_id: coach.id,
            coach_name: coach.name.to_string(),
            note: note.map(str::to_string),
            force,
        };
        self.writer.write(move |connection| Box::pin(approve(connection, team_id, request, now))).await
    }

    /// Revokes the live approval of `challenge`, keeping both rows.
    pub async fn revoke(
        &self,
        team_id: i64,
        challenge: u32,
        coach: Person<'_>,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<RevokeOutcome> {
        let (coach_id, coach_name, reason) = (coach.id, coach.name.to_string(), reason.map(str::to_string));
        self.writer
            .write(move |connection| {
                Box::pin(revoke(connection, team_id, challenge, (coach_id, coach_name), reason, now))
            })
            .await
    }

    /// Every approval of a team, revoked ones included, oldest first.
    pub async fn approvals(&self, team_id: i64) -> anyhow::Result<Vec<Approval>> {
        let rows: Vec<ApprovalRow> = sqlx::query_as(&format!("{APPROVALS} WHERE a.team_id = ? ORDER BY a.id"))
            .bind(team_id)
            .fetch_all(&self.pool)
            .await
            .context("reading approvals")?;
        Ok(rows.into_iter().map(Approval::from).collect())
    }

    /// Reveals one more step of a section for a team (never past `steps`) and returns how
    /// many steps are now revealed, recording the team's activity in the same synced commit.
    /// The count is one statement, so concurrent reveals never lose a step.
    pub async fn reveal_hint(
        &self,
        team_id: i64,
        section_id: &str,
        challenge: Option<u32>,
        steps: u32,
        by: u64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<u32> {
        anyhow::ensure!(steps >= 1, "a section without steps has nothing to reveal");
        let at = millis(now);
        let section_id = section_id.to_string();
        let revealed = self
            .writer
            .write(move |connection| {
                Box::pin(async move {
                    let revealed: i64 = sqlx::query_scalar(
            "INSERT INTO hint_reveals (team_id, section_id, challenge, revealed, first_by, first_at, last_by, last_at)
             VALUES (?1, ?2, ?3, 1, ?4, ?5, ?4, ?5)
             ON CONFLICT (team_id, section_id) DO UPDATE SET
                 revealed = min(revealed + 1, ?6), challenge = excluded.challenge, last_by = ?4, last_at = ?5
             RETURNING revealed",
        )
        .bind(team_id)
        .bind(&section_id)
        .bind(challenge)
        .bind(db_id(by))
        .bind(at)
        .bind(steps)
        .fetch_one(&mut *connection)
        .await
        .context("recording a hint")?;
                    touch(&mut *connection, team_id, now).await?;
                    Ok(revealed)
                })
            })
            .await?;
        Ok(u32::try_from(revealed).unwrap_or(0))
    }

    /// Steps of a section a team has revealed (0 when none).
    pub async fn revealed(&self, team_id: i64, section_id: &str) -> anyhow::Result<u32> {
        let revealed: Option<i64> =
            sqlx::query_scalar("SELECT revealed FROM hint_reveals WHERE team_id = ? AND section_id = ?")
                .bind(team_id)
                .bind(section_id)
                .fetch_optional(&self.pool)
                .await
                .context("reading a hint count")?;
        Ok(revealed.and_then(|n| u32::try_from(n).ok()).unwrap_or(0))
    }

    /// Every section a team has revealed, in section id order.
    pub async fn hints(&self, team_id: i64) -> anyhow::Result<Vec<HintReveal>> {
        let rows: Vec<HintRow> = sqlx::query_as("SELECT * FROM hint_reveals WHERE team_id = ? ORDER BY section_id")
            .bind(team_id)
            .fetch_all(&self.pool)
            .await
            .context("reading hints")?;
        Ok(rows.into_iter().map(HintReveal::from).collect())
    }

    /// Every team of a guild with its history, for `/board`.
    pub async fn guild_records(&self, guild_id: u64) -> anyhow::Result<Vec<TeamRecord>> {
        self.records(Some(guild_id)).await
    }

    /// Every team with its history, for export.
    pub async fn all_records(&self) -> anyhow::Result<Vec<TeamRecord>> {
        self.records(None).await
    }

    /// `PRAGMA integrity_check`: "ok", or what is wrong.
    pub async fn integrity_check(&self) -> anyhow::Result<String> {
        let lines: Vec<String> =
            sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&self.pool).await.context("checking integrity")?;
        Ok(lines.join("\n"))
    }

    /// Proves the database takes a writer now, for `/healthz`: takes SQLite's write lock
    /// (`BEGIN IMMEDIATE`) and rolls back, all within `timeout`. Fails when the store is
    /// closed, the file cannot be written by this process, or another writer has held
    /// the lock for longer than `timeout`. Nothing is written.
    pub async fn probe_write(&self, timeout: std::time::Duration) -> anyhow::Result<()> {
        let probe = async {
            // In the queue like any writer, so the wait counts against `timeout`.
            let _turn = self.write_turn().await;
            let tx = self.pool.begin_with("BEGIN IMMEDIATE").await.context("taking the database's write lock")?;
            tx.rollback().await.context("releasing the database's write lock")
        };
        // Cancelling is safe: sqlx rolls back a BEGIN that completes after its caller left.
        tokio::time::timeout(timeout, probe)
            .await
            .map_err(|_| anyhow::anyhow!("the database's write lock was not free within {timeout:?}"))?
    }

    /// Closes every connection, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Four queries whatever the number of teams, grouped here.
    async fn records(&self, guild_id: Option<u64>) -> anyhow::Result<Vec<TeamRecord>> {
        // `?1 IS NULL` selects every guild; reads run in one transaction for one snapshot.
        let guild = guild_id.map(db_id);
        let mut tx = self.pool.begin().await.context("starting a read")?;
        let teams: Vec<TeamRow> =
            sqlx::query_as("SELECT * FROM teams WHERE ?1 IS NULL OR guild_id = ?1 ORDER BY guild_id, channel_id")
                .bind(guild)
                .fetch_all(&mut *tx)
                .await
                .context("reading teams")?;
        let in_scope = "team_id IN (SELECT id FROM teams WHERE ?1 IS NULL OR guild_id = ?1)";
        let approvals: Vec<ApprovalRow> = sqlx::query_as(&format!("{APPROVALS} WHERE a.{in_scope} ORDER BY a.id"))
            .bind(guild)
            .fetch_all(&mut *tx)
            .await
            .context("reading approvals")?;
        let hints: Vec<HintRow> =
            sqlx::query_as(&format!("SELECT * FROM hint_reveals WHERE {in_scope} ORDER BY section_id"))
                .bind(guild)
                .fetch_all(&mut *tx)
                .await
                .context("reading hints")?;
        let renames: Vec<RenameRow> =
            sqlx::query_as(&format!("SELECT * FROM team_renames WHERE {in_scope} ORDER BY id"))
                .bind(guild)
                .fetch_all(&mut *tx)
                .await
                .context("reading renames")?;
        tx.commit().await.context("ending a read")?;
        let mut records: Vec<TeamRecord> = teams
            .into_iter()
            .map(|row| TeamRecord { team: row.into(), approvals: Vec::new(), hints: Vec::new(), renames: Vec::new() })
            .collect();
        let position: HashMap<i64, usize> = records.iter().enumerate().map(|(i, r)| (r.team.id, i)).collect();
        for approval in approvals.into_iter().map(Approval::from) {
            if let Some(&i) = position.get(&approval.team_id) {
                records[i].approvals.push(approval);
            }
        }
        for hint in hints.into_iter().map(HintReveal::from) {
            if let Some(&i) = position.get(&hint.team_id) {
                records[i].hints.push(hint);
            }
        }
        for rename in renames.into_iter().map(Rename::from) {
            if let Some(&i) = position.get(&rename.team_id) {
                records[i].renames.push(rename);
            }
        }
        Ok(records)
    }
}

/// Approvals with their revocation columns (prefixed `r_`, NULL when live).
const APPROVALS: &str = "SELECT a.*, r.id AS r_id, r.coach_id AS r_coach_id, r.coach_name AS r_coach_name,
        r.at AS r_at, r.reason AS r_reason
    FROM approvals a LEFT JOIN revocations r ON r.approval_id = a.id";

async fn live_approvals(tx: &mut sqlx::SqliteConnection, team_id: i64) -> anyhow::Result<Vec<Approval>> {
    let rows: Vec<ApprovalRow> =
        sqlx::query_as(&format!("{APPROVALS} WHERE a.team_id = ? AND r.id IS NULL ORDER BY a.id"))
            .bind(team_id)
            .fetch_all(&mut *tx)
            .await
            .context("reading live approvals")?;
    Ok(rows.into_iter().map(Approval::from).collect())
}

async fn touch(tx: &mut sqlx::SqliteConnection, team_id: i64, now: DateTime<Utc>) -> anyhow::Result<()> {
    sqlx::query("UPDATE teams SET last_activity_at = max(last_activity_at, ?) WHERE id = ?")
        .bind(millis(now))
        .bind(team_id)
        .execute(&mut *tx)
        .await
        .context("recording activity")?;
    Ok(())
}

async fn rename(
    connection: &mut SqliteConnection,
    team_id: i64,
    new_name: String,
    by: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<TeamRow> {
    let old_name: String = sqlx::query_scalar("SELECT name FROM teams WHERE id = ?")
        .bind(team_id)
        .fetch_one(&mut *connection)
        .await
        .context("reading the team's name")?;
    sqlx::query(
        "INSERT INTO team_renames (team_id, old_name, new_name, renamed_by, renamed_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(team_id)
    .bind(&old_name)
    .bind(&new_name)
    .bind(db_id(by))
    .bind(millis(now))
    .execute(&mut *connection)
    .await
    .context("recording the rename")?;
    let row: TeamRow = sqlx::query_as(
        "UPDATE teams SET name = ?2, renamed_at = ?3, renamed_by = ?4,
             last_activity_at = max(last_activity_at, ?3)
         WHERE id = ?1 RETURNING *",
    )
    .bind(team_id)
    .bind(&new_name)
    .bind(millis(now))
    .bind(db_id(by))
    .fetch_one(&mut *connection)
    .await
    .context("renaming the team")?;
    Ok(row)
}

/// `ApprovalRequest` with owned fields, to travel to the writer.
struct OwnedApproval {
    challenge: u32,
    earlier: Vec<u32>,
    coach_id: u64,
    coach_name: String,
    note: Option<String>,
    force: bool,
}

async fn approve(
    connection: &mut SqliteConnection,
    team_id: i64,
    request: OwnedApproval,
    now: DateTime<Utc>,
) -> anyhow::Result<ApproveOutcome> {
    let OwnedApproval { challenge, earlier, coach_id, coach_name, note, force } = request;
    let live = live_approvals(&mut *connection, team_id).await?;
    if let Some(existing) = live.iter().find(|a| a.challenge == challenge).cloned() {
        return Ok(ApproveOutcome::AlreadyApproved(existing));
    }
    let approved: BTreeSet<u32> = live.iter().map(|a| a.challenge).collect();
    let missing: Vec<u32> = earlier.iter().copied().filter(|c| !approved.contains(c)).collect();
    if !missing.is_empty() && !force {
        return Ok(ApproveOutcome::EarlierNotApproved(missing));
    }
    let row: ApprovalRow = sqlx::query_as(
        "INSERT INTO approvals (team_id, challenge, coach_id, coach_name, at, note, forced)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         RETURNING *, NULL AS r_id, NULL AS r_coach_id, NULL AS r_coach_name, NULL AS r_at, NULL AS r_reason",
    )
    .bind(team_id)
    .bind(challenge)
    .bind(db_id(coach_id))
    .bind(coach_name)
    .bind(millis(now))
    .bind(note)
    .bind(!missing.is_empty())
    .fetch_one(&mut *connection)
    .await
    .context("recording the approval")?;
    touch(&mut *connection, team_id, now).await?;
    Ok(ApproveOutcome::Approved(row.into()))
}

async fn revoke(
    connection: &mut SqliteConnection,
    team_id: i64,
    challenge: u32,
    (coach_id, coach_name): (u64, String),
    reason: Option<String>,
    now: DateTime<Utc>,
) -> anyhow::Result<RevokeOutcome> {
    let live = live_approvals(&mut *connection, team_id).await?;
    let Some(mut approval) = live.into_iter().find(|a| a.challenge == challenge) else {
        return Ok(RevokeOutcome::NotApproved);
    };
    let row: RevocationRow = sqlx::query_as(
        "INSERT INTO revocations (approval_id, coach_id, coach_name, at, reason) VALUES (?, ?, ?, ?, ?) RETURNING *",
    )
    .bind(approval.id)
    .bind(db_id(coach_id))
    .bind(coach_name)
    .bind(millis(now))
    .bind(reason)
    .fetch_one(&mut *connection)
    .await
    .context("recording the revocation")?;
    touch(&mut *connection, team_id, now).await?;
    approval.revocation = Some(row.into());
    Ok(RevokeOutcome::Revoked(approval))
}

/// Discord ids are unsigned 64-bit; SQLite integers are signed. Stored bit for bit, so
/// every id survives the round trip (ids above `i64::MAX` read back negative in raw SQL).
fn db_id(id: u64) -> i64 {
    i64::from_ne_bytes(id.to_ne_bytes())
}

fn from_db_id(id: i64) -> u64 {
    u64::from_ne_bytes(id.to_ne_bytes())
}

fn millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

fn time(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

fn challenge_number(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

#[derive(sqlx::FromRow)]
struct TeamRow {
    id: i64,
    guild_id: i64,
    channel_id: i64,
    name: String,
    created_at: i64,
    created_by: i64,
    renamed_at: Option<i64>,
    renamed_by: Option<i64>,
    last_activity_at: i64,
}

impl From<TeamRow> for Team {
    fn from(row: TeamRow) -> Team {
        Team {
            id: row.id,
            guild_id: from_db_id(row.guild_id),
            channel_id: from_db_id(row.channel_id),
            name: row.name,
            created_at: time(row.created_at),
            created_by: from_db_id(row.created_by),
            renamed_at: row.renamed_at.map(time),
            renamed_by: row.renamed_by.map(from_db_id),
            last_activity_at: time(row.last_activity_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct ApprovalRow {
    id: i64,
    team_id: i64,
    challenge: i64,
    coach_id: i64,
    coach_name: String,
    at: i64,
    note: Option<String>,
    forced: bool,
    r_id: Option<i64>,
    r_coach_id: Option<i64>,
    r_coach_name: Option<String>,
    r_at: Option<i64>,
    r_reason: Option<String>,
}

impl From<ApprovalRow> for Approval {
    fn from(row: ApprovalRow) -> Approval {
        let revocation = match (row.r_id, row.r_coach_id, row.r_coach_name, row.r_at) {
            (Some(id), Some(coach_id), Some(coach_name), Some(at)) => Some(Revocation {
                id,
                approval_id: row.id,
                coach_id: from_db_id(coach_id),
                coach_name,
                at: time(at),
                reason: row.r_reason,
            }),
            _ => None,
        };
        Approval {
            id: row.id,
            team_id: row.team_id,
            challenge: challenge_number(row.challenge),
            coach_id: from_db_id(row.coach_id),
            coach_name: row.coach_name,
            at: time(row.at),
            note: row.note,
            forced: row.forced,
            revocation,
        }
    }
}

#[derive(sqlx::FromRow)]
struct RevocationRow {
    id: i64,
    approval_id: i64,
    coach_id: i64,
    coach_name: String,
    at: i64,
    reason: Option<String>,
}

impl From<RevocationRow> for Revocation {
    fn from(row: RevocationRow) -> Revocation {
        Revocation {
            id: row.id,
            approval_id: row.approval_id,
            coach_id: from_db_id(row.coach_id),
            coach_name: row.coach_name,
            at: time(row.at),
            reason: row.reason,
        }
    }
}

#[derive(sqlx::FromRow)]
struct HintRow {
    team_id: i64,
    section_id: String,
    challenge: Option<i64>,
    revealed: i64,
    first_by: i64,
    first_at: i64,
    last_by: i64,
    last_at: i64,
}

impl From<HintRow> for HintReveal {
    fn from(row: HintRow) -> HintReveal {
        HintReveal {
            team_id: row.team_id,
            section_id: row.section_id,
            challenge: row.challenge.map(challenge_number),
            revealed: u32::try_from(row.revealed).unwrap_or(0),
            first_by: from_db_id(row.first_by),
            first_at: time(row.first_at),
            last_by: from_db_id(row.last_by),
            last_at: time(row.last_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct RenameRow {
    team_id: i64,
    old_name: String,
    new_name: String,
    renamed_by: i64,
    renamed_at: i64,
}

impl From<RenameRow> for Rename {
    fn from(row: RenameRow) -> Rename {
        Rename {
            team_id: row.team_id,
            old_name: row.old_name,
            new_name: row.new_name,
            renamed_by: from_db_id(row.renamed_by),
            renamed_at: time(row.renamed_at),
        }
    }
}

#[cfg(test)]
mod tests;
