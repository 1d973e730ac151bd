//! What an operator does to the database beside serving: an online backup (`hackcoach
//! backup`) and re-sealing every stored kubeconfig under a new key (`hackcoach rotate-key`).
//! The decisions about keys live in `crate::maintenance`; this file only moves rows.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use super::{Store, TeamKey, from_db_id};

/// What the caller decided for one sealed kubeconfig during a re-seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reseal {
    /// Store this record instead.
    Replace(Vec<u8>),
    /// Already sealed the way it should be: leave it.
    Keep,
    /// Opens with no known key: the whole re-seal is refused and nothing is written.
    Unreadable,
}

/// A team whose sealed kubeconfig could not be read, named for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableKubeconfig {
    pub team: TeamKey,
    pub name: String,
}

/// What `Store::reseal_kubeconfigs` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResealOutcome {
    /// Committed: `replaced` records rewritten, `kept` left as they were.
    Done { replaced: usize, kept: usize },
    /// Some records open with no known key: nothing was written.
    Refused(Vec<UnreadableKubeconfig>),
}

impl Store {
    /// Writes a consistent copy of the database to `destination` with `VACUUM INTO`, safe
    /// while the bot runs (it reads one snapshot; writers carry on). Refuses to overwrite an
    /// existing file. The copy is made beside the destination under a temporary name and
    /// linked into place only when complete, so a crash never leaves a half-written
    /// backup under the real name.
    pub async fn backup(&self, destination: &Path) -> anyhow::Result<()> {
        if destination.exists() {
            bail!(
                "{} already exists; choose a new file name (a backup never overwrites a file)",
                destination.display()
            );
        }
        if let Some(dir) = destination.parent().filter(|d| !d.as_os_str().is_empty() && !d.is_dir()) {
            bail!("the folder {} does not exist; create it or choose another place for the backup", dir.display());
        }
        let partial = partial_path(destination);
        if partial.exists() {
            std::fs::remove_file(&partial)
                .with_context(|| format!("removing an unfinished backup {}", partial.display()))?;
        }
        let target = partial.to_str().context("the backup path must be valid UTF-8")?;
        let copied = sqlx::query("VACUUM INTO ?").bind(target).execute(&self.pool).await;
        if let Err(error) = copied {
            let _ = std::fs::remove_file(&partial);
            return Err(error).with_context(|| format!("copying the database to {}", partial.display()));
        }
        let finished = std::fs::File::open(&partial)
            .and_then(|file| file.sync_all())
            .with_context(|| format!("syncing the backup {}", partial.display()));
        // A hard link fails when the destination exists, so a file created meanwhile is
        // never replaced; then the temporary name goes.
        let linked = finished.and_then(|()| {
            std::fs::hard_link(&partial, destination)
                .with_context(|| format!("moving the backup into place at {}", destination.display()))
        });
        let _ = std::fs::remove_file(&partial);
        linked?;
        sync_parent(destination)
    }

    /// Re-seals every stored kubeconfig in one write transaction: `decide` sees each
    /// record with its team and says what to store. When any record is `Unreadable`, the
    /// transaction is rolled back and the unreadable teams are returned; otherwise every
    /// `Replace` is written and committed at once, so a crash leaves all or nothing.
    pub async fn reseal_kubeconfigs(
        &self,
        mut decide: impl FnMut(TeamKey, &[u8]) -> anyhow::Result<Reseal>,
    ) -> anyhow::Result<ResealOutcome> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.context("starting the re-seal")?;
        let rows: Vec<(i64, i64, i64, String, Vec<u8>)> = sqlx::query_as(
            "SELECT c.team_id, t.guild_id, t.channel_id, t.name, c.sealed
             FROM cluster_credentials c JOIN teams t ON t.id = c.team_id ORDER BY c.team_id",
        )
        .fetch_all(&mut *tx)
        .await
        .context("reading the sealed kubeconfigs")?;
        let mut replacements = Vec::new();
        let mut unreadable = Vec::new();
        let mut kept = 0;
        for (team_id, guild_id, channel_id, name, sealed) in rows {
            let team = TeamKey { guild_id: from_db_id(guild_id), channel_id: from_db_id(channel_id) };
            match decide(team, &sealed)? {
                Reseal::Replace(record) => replacements.push((team_id, record)),
                Reseal::Keep => kept += 1,
                Reseal::Unreadable => unreadable.push(UnreadableKubeconfig { team, name }),
            }
        }
        if !unreadable.is_empty() {
            tx.rollback().await.context("ending the refused re-seal")?;
            return Ok(ResealOutcome::Refused(unreadable));
        }
        for (team_id, record) in &replacements {
            sqlx::query("UPDATE cluster_credentials SET sealed = ?1 WHERE team_id = ?2")
                .bind(record)
                .bind(team_id)
                .execute(&mut *tx)
                .await
                .context("storing a re-sealed kubeconfig")?;
        }
        tx.commit().await.context("committing the re-seal")?;
        Ok(ResealOutcome::Done { replaced: replacements.len(), kept })
    }
}

/// `FILE.partial` beside `FILE`.
fn partial_path(destination: &Path) -> PathBuf {
    let mut name = destination.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    destination.with_file_name(name)
}

/// Makes a new directory entry durable.
fn sync_parent(path: &Path) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::File::open(dir).and_then(|d| d.sync_all()).with_context(|| format!("syncing folder {}", dir.display()))
}
