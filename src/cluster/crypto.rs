//! Kubeconfigs at rest: XChaCha20-Poly1305 with the team (guild id + channel id) as
//! associated data, so a record copied to another team's row fails to decrypt.
//!
//! The key comes from `HACKCOACH_KEY` (64 hex characters) or a key file; when neither exists
//! the bot creates the key file with mode 0600 beside the database on first start. The key
//! never reaches a log: `KubeconfigKey`'s Debug prints nothing of it.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;
use zeroize::Zeroizing;

/// The environment variable holding the key as 64 hex characters.
pub const KEY_ENV: &str = "HACKCOACH_KEY";
/// The environment variable holding the next key during `hackcoach rotate-key`, when the
/// key comes from `HACKCOACH_KEY` rather than a file.
pub const NEW_KEY_ENV: &str = "HACKCOACH_NEW_KEY";
const NONCE_LEN: usize = 24;
/// Format version, first byte of every sealed record.
const VERSION: u8 = 1;

/// The 256-bit key that seals stored kubeconfigs.
pub struct KubeconfigKey {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for KubeconfigKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KubeconfigKey(..)")
    }
}

/// Where the key came from, for the start-up log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    File(PathBuf),
    Created(PathBuf),
}

impl KubeconfigKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> KubeconfigKey {
        KubeconfigKey { cipher: XChaCha20Poly1305::new(bytes.into()) }
    }

    /// The key from `env_value` (the content of `HACKCOACH_KEY`, if set), else from
    /// `key_file`, else a new random key written to `key_file` with mode 0600.
    pub fn load_or_create(env_value: Option<&str>, key_file: &Path) -> anyhow::Result<(KubeconfigKey, KeySource)> {
        if let Some(value) = env_value {
            let bytes = parse_hex_key(value).with_context(|| format!("reading the key from {KEY_ENV}"))?;
            return Ok((KubeconfigKey::from_bytes(&bytes), KeySource::Environment));
        }
        if key_file.exists() {
            let key = KubeconfigKey::from_file(key_file)?;
            return Ok((key, KeySource::File(key_file.to_path_buf())));
        }
        match KubeconfigKey::create_file(key_file) {
            Ok(key) => Ok((key, KeySource::Created(key_file.to_path_buf()))),
            // Another process created it between the check and now: use theirs.
            Err(_) if key_file.exists() => {
                Ok((KubeconfigKey::from_file(key_file)?, KeySource::File(key_file.to_path_buf())))
            }
            Err(error) => Err(error),
        }
    }

    /// The key in an existing key file (64 hex characters, mode 0600).
    pub fn from_file(key_file: &Path) -> anyhow::Result<KubeconfigKey> {
        check_permissions(key_file)?;
        let text = Zeroizing::new(
            std::fs::read_to_string(key_file).with_context(|| format!("reading key file {}", key_file.display()))?,
        );
        let bytes = parse_hex_key(&text).with_context(|| format!("reading key file {}", key_file.display()))?;
        Ok(KubeconfigKey::from_bytes(&bytes))
    }

    /// The key in `value`, 64 hex characters (an environment variable's content).
    pub fn from_hex(value: &str) -> anyhow::Result<KubeconfigKey> {
        Ok(KubeconfigKey::from_bytes(&parse_hex_key(value)?))
    }

    /// A new random key, written to `key_file` (which must not exist) with mode 0600 and
    /// synced, folder entry included, before it is returned.
    pub fn create_file(key_file: &Path) -> anyhow::Result<KubeconfigKey> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(bytes.as_mut());
        if !write_new_key_file(key_file, &bytes)? {
            bail!("key file {} already exists; it was left as it is", key_file.display());
        }
        sync_folder_of(key_file)?;
        Ok(KubeconfigKey::from_bytes(&bytes))
    }

    /// Seals `plaintext` for the team `(guild_id, channel_id)`.
    pub fn seal(&self, guild_id: u64, channel_id: u64, plaintext: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = associated_data(guild_id, channel_id);
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: &aad })
            .map_err(|_| anyhow::anyhow!("encrypting a kubeconfig failed"))?;
        let mut record = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        record.push(VERSION);
        record.extend_from_slice(&nonce);
        record.extend_from_slice(&sealed);
        Ok(record)
    }

    /// Opens a record sealed for the same team; fails for another team, another key or any change.
    pub fn open(&self, guild_id: u64, channel_id: u64, record: &[u8]) -> anyhow::Result<Zeroizing<Vec<u8>>> {
        if record.len() < 1 + NONCE_LEN || record[0] != VERSION {
            bail!("stored kubeconfig record has an unknown format");
        }
        let (nonce, sealed) = record[1..].split_at(NONCE_LEN);
        let aad = associated_data(guild_id, channel_id);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| anyhow::anyhow!("stored kubeconfig does not decrypt for this team with this key"))
    }
}

/// Where the key file lives: `key_file` when set, else `kubeconfig.key` beside the
/// database (`database` is a path or a `sqlite:` URL, as in the config).
pub fn key_path(key_file: &str, database: &str) -> PathBuf {
    if !key_file.trim().is_empty() {
        return PathBuf::from(key_file);
    }
    let path = database.strip_prefix("sqlite://").or_else(|| database.strip_prefix("sqlite:")).unwrap_or(database);
    let path = path.split('?').next().unwrap_or(path);
    match Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join("kubeconfig.key"),
        _ => PathBuf::from("kubeconfig.key"),
    }
}

/// Where `hackcoach rotate-key` keeps the next key until every record is re-sealed:
/// `<key file>.new`.
pub fn pending_key_path(key_file: &Path) -> PathBuf {
    let mut name = key_file.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".new");
    key_file.with_file_name(name)
}

/// Refuses to go on while a key rotation is unfinished (`<key file>.new` exists): records
/// may already be sealed with the next key, which only `hackcoach rotate-key` installs.
pub fn refuse_unfinished_rotation(key_file: &Path) -> anyhow::Result<()> {
    let pending = pending_key_path(key_file);
    if pending.exists() {
        bail!(
            "a key rotation was interrupted ({} exists): run `hackcoach rotate-key` again to finish it, then start the bot",
            pending.display()
        );
    }
    Ok(())
}

/// Makes the pending key the key: renames `<key file>.new` over the key file and syncs
/// the folder, so after a crash either the old or the new name holds the new key.
pub fn install_pending_key(key_file: &Path) -> anyhow::Result<()> {
    let pending = pending_key_path(key_file);
    std::fs::rename(&pending, key_file)
        .with_context(|| format!("renaming {} to {}", pending.display(), key_file.display()))?;
    sync_folder_of(key_file)
}

fn sync_folder_of(path: &Path) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::File::open(dir).and_then(|d| d.sync_all()).with_context(|| format!("syncing folder {}", dir.display()))
}

/// `hackcoach-kubeconfig-v1` ‖ guild id ‖ channel id, big-endian.
fn associated_data(guild_id: u64, channel_id: u64) -> Vec<u8> {
    let mut aad = b"hackcoach-kubeconfig-v1".to_vec();
    aad.extend_from_slice(&guild_id.to_be_bytes());
    aad.extend_from_slice(&channel_id.to_be_bytes());
    aad
}

fn parse_hex_key(text: &str) -> anyhow::Result<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("the key must be 64 hexadecimal characters (32 bytes)");
    }
    let mut key = [0u8; 32];
    for (index, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[index * 2..index * 2 + 2], 16).context("parsing the key")?;
    }
    Ok(key)
}

/// Writes the key to a temporary file (mode 0600 from the start), syncs it, then links
/// it to `path`. Linking fails when `path` exists, so a key another process just wrote is
/// never replaced, and nobody ever reads a half-written key file. `false`: `path` existed.
#[cfg(unix)]
fn write_new_key_file(path: &Path, key: &[u8; 32]) -> anyhow::Result<bool> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let hex: Zeroizing<String> = Zeroizing::new(key.iter().map(|b| format!("{b:02x}")).collect());
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".{}.{:016x}.tmp", std::process::id(), rand::rngs::OsRng.next_u64()));
    let temporary = path.with_file_name(name);
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)
            .with_context(|| format!("creating key file {}", temporary.display()))?;
        file.write_all(hex.as_bytes()).with_context(|| format!("writing key file {}", temporary.display()))?;
        file.write_all(b"\n").with_context(|| format!("writing key file {}", temporary.display()))?;
        file.sync_all().with_context(|| format!("syncing key file {}", temporary.display()))?;
        match std::fs::hard_link(&temporary, path) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(error) => Err(error).with_context(|| format!("creating key file {}", path.display())),
        }
    })();
    let _ = std::fs::remove_file(&temporary);
    written
}

#[cfg(unix)]
fn check_permissions(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.permissions().mode();
    if mode & 0o077 != 0 {
        bail!("key file {} is readable by others (mode {:o}); run chmod 600 on it", path.display(), mode & 0o777);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> KubeconfigKey {
        KubeconfigKey::from_bytes(&[7u8; 32])
    }

    #[test]
    fn sealed_record_opens_for_the_same_team_only() {
        let record = key().seal(1, 2, b"apiVersion: v1").expect("seal");
        assert_eq!(key().open(1, 2, &record).expect("open").as_slice(), b"apiVersion: v1");
        assert!(key().open(1, 3, &record).is_err(), "another channel");
        assert!(key().open(9, 2, &record).is_err(), "another guild");
        assert!(KubeconfigKey::from_bytes(&[8u8; 32]).open(1, 2, &record).is_err(), "another key");
        let mut tampered = record.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(key().open(1, 2, &tampered).is_err(), "tampered");
        assert!(!record.windows(14).any(|w| w == b"apiVersion: v1"), "plaintext visible");
    }

    #[test]
    fn the_key_file_sits_beside_the_database() {
        let check = |key_file: &str, database: &str, expected: &str| {
            assert_eq!(key_path(key_file, database), PathBuf::from(expected), "{key_file:?} {database:?}");
        };
        check("", "data/hackcoach.db", "data/kubeconfig.key");
        check("", "sqlite://data/hackcoach.db?mode=rwc", "data/kubeconfig.key");
        check("", "sqlite:/var/lib/hackcoach/db.sqlite", "/var/lib/hackcoach/kubeconfig.key");
        check("", "hackcoach.db", "kubeconfig.key");
        check("/etc/hackcoach/key", "data/hackcoach.db", "/etc/hackcoach/key");
    }

    #[test]
    fn two_seals_differ() {
        assert_ne!(key().seal(1, 2, b"x").expect("seal"), key().seal(1, 2, b"x").expect("seal"));
    }

    #[test]
    fn key_file_is_created_with_mode_0600_and_reused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("data").join("kubeconfig.key");
        let (first, source) = KubeconfigKey::load_or_create(None, &path).expect("create");
        assert_eq!(source, KeySource::Created(path.clone()));
        let mode = std::fs::metadata(&path).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let record = first.seal(1, 2, b"secret").expect("seal");
        let (second, source) = KubeconfigKey::load_or_create(None, &path).expect("load");
        assert_eq!(source, KeySource::File(path.clone()));
        assert_eq!(second.open(1, 2, &record).expect("open").as_slice(), b"secret");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(KubeconfigKey::load_or_create(None, &path).is_err(), "group-readable key file refused");
    }

    #[test]
    fn key_from_environment_wins_and_must_be_hex() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("kubeconfig.key");
        let hex = "ab".repeat(32);
        let (_, source) = KubeconfigKey::load_or_create(Some(&hex), &path).expect("env key");
        assert_eq!(source, KeySource::Environment);
        assert!(!path.exists(), "no file written when the environment has the key");
        assert!(KubeconfigKey::load_or_create(Some("short"), &path).is_err());
    }
}
