//! One bot per database: `hackcoach run` holds an exclusive lock on `<database>.lock` for
//! as long as it serves. A second `run` on the same file (every command answered twice)
//! and `rotate-key` while the bot runs (new kubeconfigs sealed with the retiring key) are
//! refused with a sentence. `ask`, `console` and `export` share the database with a
//! running bot by design and take no lock. The kernel drops the lock when the process
//! ends, however it ends, so a crash never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// Held while the bot serves; dropping it releases the lock.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    path: PathBuf,
}

impl RunLock {
    /// The lock file of a database file: `hackcoach.db` → `hackcoach.db.lock`.
    pub fn path_for(database: &Path) -> PathBuf {
        let mut name = database.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock for `database`, or says who holds it. `doing` names what the caller
    /// is about to do, for the refusal ("start the bot", "rotate the key").
    pub fn acquire(database: &Path, doing: &str) -> anyhow::Result<RunLock> {
        let path = RunLock::path_for(database);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(RunLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => bail!(
                "cannot {doing}: a `hackcoach run` is serving from {} (it holds {}); stop it first",
                database.display(),
                path.display()
            ),
            Err(TryLockError::Error(error)) => Err(error).with_context(|| format!("locking {}", path.display())),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("data").join("hackcoach.db");
        let first = RunLock::acquire(&database, "start the bot").expect("first lock");
        assert_eq!(first.path(), dir.path().join("data").join("hackcoach.db.lock"));
        let error = RunLock::acquire(&database, "rotate the key").expect_err("held");
        let message = format!("{error:#}");
        assert!(message.contains("cannot rotate the key") && message.contains("stop it first"), "{message}");
        drop(first);
        RunLock::acquire(&database, "start the bot").expect("free again");
    }
}
