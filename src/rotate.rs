//! `hackcoach rotate-key`: re-seal every stored kubeconfig with a new key, crash-safe and
//! resumable.
//!
//! With a key file, the steps are: write the next key to `<key file>.new` (mode 0600,
//! synced), re-seal every record in one transaction, then rename `<key file>.new` over the
//! key file and sync the folder. A crash at any point leaves a state a rerun finishes:
//! the pending key is reused, records that already open with it are skipped, and while
//! `<key file>.new` exists the bot refuses to start (`cluster::crypto::refuse_unfinished_rotation`).
//! With `HACKCOACH_KEY` in the environment there is no file to rename: the next key comes
//! from `HACKCOACH_NEW_KEY` and the operator updates their secret afterwards.
//!
//! A record that opens with neither key stops the rotation before anything is written: the
//! operator learns which teams, and the database and key file stay exactly as they were.
//! The next key goes too unless records of an interrupted run already need it, so a
//! refusal never leaves the bot unable to start when nothing depends on the pending key.
//! No key is ever printed.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::cluster::crypto::{KEY_ENV, KubeconfigKey, NEW_KEY_ENV, install_pending_key, pending_key_path};
use crate::store::{Reseal, ResealOutcome, Store, UnreadableKubeconfig};

/// Where the keys came from and went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPlace {
    /// The key file now holds the new key; `resumed` when an interrupted rotation was finished.
    File { key_file: PathBuf, resumed: bool },
    /// Keys from `HACKCOACH_KEY` and `HACKCOACH_NEW_KEY`: the operator must update the secret.
    Environment,
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    Done {
        place: KeyPlace,
        /// Records re-sealed with the new key.
        resealed: usize,
        /// Records that already opened with the new key (an interrupted rotation's work).
        already_new: usize,
    },
    /// These teams' records open with neither key; no record was changed.
    Refused {
        teams: Vec<UnreadableKubeconfig>,
        /// True when `<key file>.new` had to stay because records already open with it
        /// only (an interrupted rotation got that far): the bot still refuses to start.
        next_key_kept: bool,
    },
}

/// Rotates the key. `env_key` and `env_new_key` are the contents of `HACKCOACH_KEY` and
/// `HACKCOACH_NEW_KEY`; without `env_key` the key lives in `key_file`.
pub async fn rotate_key(
    store: &Store,
    key_file: &Path,
    env_key: Option<&str>,
    env_new_key: Option<&str>,
) -> anyhow::Result<Rotation> {
    match env_key {
        Some(env_key) => rotate_environment_key(store, env_key, env_new_key).await,
        None => rotate_key_file(store, key_file).await,
    }
}

async fn rotate_key_file(store: &Store, key_file: &Path) -> anyhow::Result<Rotation> {
    if !key_file.exists() {
        bail!(
            "there is no key file at {}, so there is nothing to rotate (the bot creates one on first start; \
             set cluster.key_file or --db if it lives elsewhere)",
            key_file.display()
        );
    }
    let old = KubeconfigKey::from_file(key_file)?;
    let pending = pending_key_path(key_file);
    let resumed = pending.exists();
    let new = if resumed {
        KubeconfigKey::from_file(&pending).context("reading the next key of the interrupted rotation")?
    } else {
        KubeconfigKey::create_file(&pending)?
    };
    // On an error the pending key stays: some records may be sealed with it, and the bot
    // refuses to start until a rerun finishes the rotation.
    let (outcome, opened_with_new) = reseal(store, &old, &new).await?;
    match outcome {
        ResealOutcome::Refused(teams) => {
            // A refused re-seal wrote nothing. When no record opens with the next key, nothing
            // needs it: removing it, even one left by an interrupted run, puts everything back
            // as before the rotation, so the bot can start and the listed teams can
            // `/cluster connect` again or `/cluster forget`.
            let next_key_kept = opened_with_new > 0;
            if !next_key_kept {
                std::fs::remove_file(&pending)
                    .with_context(|| format!("removing the unused next key {}", pending.display()))?;
            }
            Ok(Rotation::Refused { teams, next_key_kept })
        }
        ResealOutcome::Done { replaced, kept } => {
            install_pending_key(key_file)?;
            let place = KeyPlace::File { key_file: key_file.to_path_buf(), resumed };
            Ok(Rotation::Done { place, resealed: replaced, already_new: kept })
        }
    }
}

async fn rotate_environment_key(store: &Store, env_key: &str, env_new_key: Option<&str>) -> anyhow::Result<Rotation> {
    let old = KubeconfigKey::from_hex(env_key).with_context(|| format!("reading the key from {KEY_ENV}"))?;
    let Some(env_new_key) = env_new_key else {
        bail!(
            "the key comes from {KEY_ENV}, so the new key must come from {NEW_KEY_ENV}: set it to 64 new hexadecimal \
             characters (for example from `openssl rand -hex 32`) and run rotate-key again"
        );
    };
    if env_new_key.trim().eq_ignore_ascii_case(env_key.trim()) {
        bail!("{NEW_KEY_ENV} holds the same key as {KEY_ENV}; generate a new one (`openssl rand -hex 32`)");
    }
    let new =
        KubeconfigKey::from_hex(env_new_key).with_context(|| format!("reading the new key from {NEW_KEY_ENV}"))?;
    Ok(match reseal(store, &old, &new).await?.0 {
        ResealOutcome::Refused(teams) => Rotation::Refused { teams, next_key_kept: false },
        ResealOutcome::Done { replaced, kept } => {
            Rotation::Done { place: KeyPlace::Environment, resealed: replaced, already_new: kept }
        }
    })
}

/// One transaction: a record that opens with the new key stays, one that opens with the
/// old key is sealed again with the new one, any other refuses the whole re-seal. Also
/// says how many records opened with the new key, refused or not.
async fn reseal(store: &Store, old: &KubeconfigKey, new: &KubeconfigKey) -> anyhow::Result<(ResealOutcome, usize)> {
    let mut opened_with_new = 0;
    let outcome = store
        .reseal_kubeconfigs(|team, sealed| {
            if new.open(team.guild_id, team.channel_id, sealed).is_ok() {
                opened_with_new += 1;
                return Ok(Reseal::Keep);
            }
            let Ok(plaintext) = old.open(team.guild_id, team.channel_id, sealed) else {
                return Ok(Reseal::Unreadable);
            };
            Ok(Reseal::Replace(new.seal(team.guild_id, team.channel_id, &plaintext)?))
        })
        .await?;
    Ok((outcome, opened_with_new))
}
