//! The cluster tables: a team's sealed kubeconfig (the store never sees it in the clear:
//! `cluster::crypto` seals it before it arrives here) and the team's latest check.

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::{Store, db_id, millis, time};

/// The latest cluster check of a team, for `/status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastCheck {
    pub checked_at: DateTime<Utc>,
    pub errors: u32,
    pub warnings: u32,
    pub summary: String,
}

const SAVE_KUBECONFIG: &str = "
    INSERT INTO cluster_credentials (team_id, sealed, server, saved_at, saved_by) VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (team_id) DO UPDATE SET sealed = excluded.sealed, server = excluded.server,
        saved_at = excluded.saved_at, saved_by = excluded.saved_by";

const RECORD_CHECK: &str = "
    INSERT INTO cluster_checks (team_id, checked_at, errors, warnings, summary) VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (team_id) DO UPDATE SET checked_at = excluded.checked_at, errors = excluded.errors,
        warnings = excluded.warnings, summary = excluded.summary";

impl Store {
    /// Stores (or replaces) a team's sealed kubeconfig.
    pub async fn save_kubeconfig(
        &self,
        team_id: i64,
        sealed: &[u8],
        server: &str,
        by: u64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let (sealed, server) = (sealed.to_vec(), server.to_string());
        self.writer
            .write(move |connection| {
                Box::pin(async move {
                    sqlx::query(SAVE_KUBECONFIG)
                        .bind(team_id)
                        .bind(&sealed)
                        .bind(&server)
                        .bind(millis(now))
                        .bind(db_id(by))
                        .execute(&mut *connection)
                        .await
                        .context("saving the team's sealed kubeconfig")?;
                    Ok(())
                })
            })
            .await
    }

    /// The team's sealed kubeconfig, if it connected one.
    pub async fn sealed_kubeconfig(&self, team_id: i64) -> anyhow::Result<Option<Vec<u8>>> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT sealed FROM cluster_credentials WHERE team_id = ?1")
            .bind(team_id)
            .fetch_optional(&self.pool)
            .await
            .context("reading the team's sealed kubeconfig")?;
        Ok(row.map(|(sealed,)| sealed))
    }

    /// Deletes the team's kubeconfig and last check; `true` when there was a kubeconfig.
    pub async fn forget_kubeconfig(&self, team_id: i64) -> anyhow::Result<bool> {
        self.writer
            .write(move |connection| {
                Box::pin(async move {
                    let deleted = sqlx::query("DELETE FROM cluster_credentials WHERE team_id = ?1")
                        .bind(team_id)
                        .execute(&mut *connection)
                        .await
                        .context("deleting the team's kubeconfig")?
                        .rows_affected();
                    sqlx::query("DELETE FROM cluster_checks WHERE team_id = ?1")
                        .bind(team_id)
                        .execute(&mut *connection)
                        .await
                        .context("deleting the team's last check")?;
                    Ok(deleted > 0)
                })
            })
            .await
    }

    /// Records the team's latest check, replacing the previous one.
    pub async fn record_check(&self, team_id: i64, check: &LastCheck) -> anyhow::Result<()> {
        let check = check.clone();
        self.writer
            .write(move |connection| {
                Box::pin(async move {
                    sqlx::query(RECORD_CHECK)
                        .bind(team_id)
                        .bind(millis(check.checked_at))
                        .bind(i64::from(check.errors))
                        .bind(i64::from(check.warnings))
                        .bind(&check.summary)
                        .execute(&mut *connection)
                        .await
                        .context("recording the team's cluster check")?;
                    Ok(())
                })
            })
            .await
    }

    /// The latest check of every team in a guild that has one, by team id (for `/board`).
    pub async fn guild_checks(&self, guild_id: u64) -> anyhow::Result<std::collections::HashMap<i64, LastCheck>> {
        let rows: Vec<(i64, i64, i64, i64, String)> = sqlx::query_as(
            "SELECT c.team_id, c.checked_at, c.errors, c.warnings, c.summary
             FROM cluster_checks c JOIN teams t ON t.id = c.team_id WHERE t.guild_id = ?1",
        )
        .bind(db_id(guild_id))
        .fetch_all(&self.pool)
        .await
        .context("reading the guild's cluster checks")?;
        Ok(rows
            .into_iter()
            .map(|(team_id, checked_at, errors, warnings, summary)| {
                (team_id, LastCheck::from_row((checked_at, errors, warnings, summary)))
            })
            .collect())
    }

    /// The team's latest check, if any.
    pub async fn last_check(&self, team_id: i64) -> anyhow::Result<Option<LastCheck>> {
        let row: Option<(i64, i64, i64, String)> =
            sqlx::query_as("SELECT checked_at, errors, warnings, summary FROM cluster_checks WHERE team_id = ?1")
                .bind(team_id)
                .fetch_optional(&self.pool)
                .await
                .context("reading the team's last cluster check")?;
        Ok(row.map(LastCheck::from_row))
    }
}

impl LastCheck {
    /// From `checked_at, errors, warnings, summary` as stored.
    fn from_row((checked_at, errors, warnings, summary): (i64, i64, i64, String)) -> LastCheck {
        LastCheck {
            checked_at: time(checked_at),
            errors: u32::try_from(errors).unwrap_or(0),
            warnings: u32::try_from(warnings).unwrap_or(0),
            summary,
        }
    }
}
