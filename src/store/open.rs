//! Opening the database: refuse what is not ours before writing anything, then set up
//! the connection (WAL, `synchronous=FULL`, busy timeout, foreign keys) and migrate.
//!
//! The order matters. A file that belongs to another program, a damaged file or one
//! written by a newer hackcoach is inspected through a read-only connection and refused
//! without a single byte written; only a fresh or known database is opened for writing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions as _, Connection as _};

use super::{MIGRATOR, Store};

/// `PRAGMA application_id` of a hackcoach database: "hack" in ASCII. Set by migration 0001.
pub const APPLICATION_ID: i32 = 0x6861_636b;

/// How long a write waits for another writer before giving up. Write transactions are
/// short (milliseconds), so reaching this means something is badly wrong.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections in the pool. SQLite has one writer at a time; readers run beside it in WAL.
const MAX_CONNECTIONS: u32 = 8;

/// Why the database could not be opened. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "cannot create the database folder {}: {source}. Point --db (or `database` in the config) at a writable folder",
        dir.display()
    )]
    Folder { dir: PathBuf, source: std::io::Error },
    #[error(
        "cannot open or create the database file {}: {detail}. Check that its folder exists and is writable, or point --db elsewhere",
        path.display()
    )]
    File { path: PathBuf, detail: String },
    #[error(
        "{} is not a hackcoach database ({reason}). It was left untouched; point --db at a new file or at a hackcoach database",
        path.display()
    )]
    Foreign { path: PathBuf, reason: String },
    #[error(
        "{} is damaged or not an SQLite database ({detail}). It was left untouched; restore it from a backup or move it aside to start afresh",
        path.display()
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "{} was written by a newer hackcoach (it has migration {} that this version does not know). It was left untouched; run a newer hackcoach",
        path.display(),
        versions.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
    )]
    Newer { path: PathBuf, versions: Vec<i64> },
    #[error("migrating the database at {}: {detail}", path.display())]
    Migrate { path: PathBuf, detail: String },
}

/// The file path of a database location: a plain path, `sqlite://PATH` or `sqlite:PATH`
/// (URL parameters after `?` are not used: the store sets its own).
pub fn database_path(location: &str) -> PathBuf {
    let path = location.strip_prefix("sqlite://").or_else(|| location.strip_prefix("sqlite:")).unwrap_or(location);
    let path = path.split_once('?').map(|(path, _)| path).unwrap_or(path);
    PathBuf::from(path)
}

impl Store {
    /// Opens (creating folder and file when missing) and migrates the database at
    /// `location`, a file path or `sqlite:` URL. Refuses, leaving the file untouched, a
    /// database that is damaged, belongs to another program or comes from a newer version.
    pub async fn open(location: &str) -> Result<Store, OpenError> {
        let path = database_path(location);
        if path.as_os_str() == ":memory:" {
            return open_in_memory().await;
        }
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| OpenError::Folder { dir: dir.to_path_buf(), source })?;
        }
        if path.exists() {
            inspect(&path).await?;
        }
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|error| OpenError::File { path: path.clone(), detail: error.to_string() })?;
        migrate(&pool).await.map_err(|error| OpenError::Migrate { path: path.clone(), detail: error.to_string() })?;
        Ok(Store::new(pool))
    }

    /// Opens an existing database to read only (checks after a run, reports): never
    /// creates, migrates or writes it, and refuses a file that is not a hackcoach database.
    pub async fn open_read_only(location: &str) -> Result<Store, OpenError> {
        let path = database_path(location);
        inspect(&path).await?;
        let options = SqliteConnectOptions::new().filename(&path).read_only(true).create_if_missing(false);
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(|error| OpenError::File { path: path.clone(), detail: error.to_string() })?;
        Ok(Store::new(pool))
    }
}

/// `sqlite::memory:`: a database that lives as long as the process, for trying commands
/// without leaving a file behind. One connection, kept open: every connection to
/// `:memory:` would otherwise be a separate, empty database.
async fn open_in_memory() -> Result<Store, OpenError> {
    let path = PathBuf::from(":memory:");
    let options = SqliteConnectOptions::new().in_memory(true).foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await
        .map_err(|error| OpenError::File { path: path.clone(), detail: error.to_string() })?;
    migrate(&pool).await.map_err(|error| OpenError::Migrate { path, detail: error.to_string() })?;
    Ok(Store::new(pool))
}

/// Applies the migrations. Two processes starting on a fresh file at once (two `ask`
/// runs) both try migration 1; SQLite lets one commit and the other fails on the tables
/// it finds. Running again then sees the migration applied and does nothing, so a few
/// attempts make concurrent starts safe.
async fn migrate(pool: &sqlx::SqlitePool) -> Result<(), sqlx::migrate::MigrateError> {
    let mut attempt = 1;
    loop {
        match MIGRATOR.run(pool).await {
            Ok(()) => return Ok(()),
            Err(error) if attempt >= MIGRATE_ATTEMPTS => return Err(error),
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                attempt += 1;
            }
        }
    }
}

const MIGRATE_ATTEMPTS: u64 = 5;

/// Looks at an existing file through a read-only connection and says whether it is ours.
///
/// A WAL database left by a process that was killed needs its WAL index rebuilt before
/// anyone can read it, which a read-only connection may not do (SQLite answers
/// `SQLITE_READONLY_RECOVERY`). Only then is the file inspected through a read-write
/// connection: recovery replays SQLite's own log and changes no data.
async fn inspect(path: &Path) -> Result<(), OpenError> {
    match inspect_with(path, true).await {
        Err(Inspection::Sql(error)) if needs_recovery(&error) => finish(path, inspect_with(path, false).await),
        result => finish(path, result),
    }
}

fn finish(path: &Path, result: Result<(), Inspection>) -> Result<(), OpenError> {
    result.map_err(|error| match error {
        Inspection::Refused(error) => error,
        Inspection::Sql(error) => OpenError::Corrupt { path: path.to_path_buf(), detail: error.to_string() },
    })
}

/// `SQLITE_READONLY_RECOVERY` (776) or `SQLITE_READONLY_CANTINIT` (1288).
fn needs_recovery(error: &sqlx::Error) -> bool {
    let code = error.as_database_error().and_then(|e| e.code());
    matches!(code.as_deref(), Some("776" | "1288"))
}

async fn inspect_with(path: &Path, read_only: bool) -> Result<(), Inspection> {
    let options = SqliteConnectOptions::new().filename(path).read_only(read_only).create_if_missing(false);
    let mut connection = options.connect().await.map_err(|error| {
        Inspection::Refused(OpenError::File { path: path.to_path_buf(), detail: error.to_string() })
    })?;
    let result = inspect_connection(path, &mut connection).await;
    // Closing a connection that only read changes nothing; a failure here changes no verdict.
    let _ = connection.close().await;
    result
}

enum Inspection {
    Refused(OpenError),
    Sql(sqlx::Error),
}

impl From<sqlx::Error> for Inspection {
    fn from(error: sqlx::Error) -> Self {
        Inspection::Sql(error)
    }
}

async fn inspect_connection(path: &Path, connection: &mut sqlx::SqliteConnection) -> Result<(), Inspection> {
    // One read transaction: every read below sees the same snapshot, even while another
    // process applies migration 1 (its history table, its tables and the id) right now.
    sqlx::query("BEGIN").execute(&mut *connection).await?;
    let verdict = inspect_snapshot(path, connection).await;
    let _ = sqlx::query("ROLLBACK").execute(&mut *connection).await;
    verdict
}

async fn inspect_snapshot(path: &Path, connection: &mut sqlx::SqliteConnection) -> Result<(), Inspection> {
    let refuse = |error: OpenError| Err(Inspection::Refused(error));
    let quick_check: String = sqlx::query_scalar("PRAGMA quick_check(1)").fetch_one(&mut *connection).await?;
    if quick_check != "ok" {
        return refuse(OpenError::Corrupt { path: path.to_path_buf(), detail: quick_check });
    }
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .fetch_all(&mut *connection)
            .await?;
    let application_id: i32 = sqlx::query_scalar("PRAGMA application_id").fetch_one(&mut *connection).await?;
    if application_id != APPLICATION_ID {
        if application_id == 0 && tables.iter().all(|t| t == "_sqlx_migrations") {
            // An empty database, or one whose first migration another process is applying
            // right now (sqlx creates its history table before migration 1 commits).
            return Ok(());
        }
        let reason = if application_id == 0 {
            format!("it holds other tables: {}", tables.join(", "))
        } else {
            format!("its application id is {application_id:#x}, not hackcoach's")
        };
        return refuse(OpenError::Foreign { path: path.to_path_buf(), reason });
    }
    if !tables.iter().any(|t| t == "_sqlx_migrations") {
        return refuse(OpenError::Foreign {
            path: path.to_path_buf(),
            reason: "it is marked as hackcoach's but has no migration history".to_string(),
        });
    }
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations").fetch_all(&mut *connection).await?;
    let known: BTreeSet<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    let unknown: Vec<i64> = applied.into_iter().filter(|v| !known.contains(v)).collect();
    if !unknown.is_empty() {
        return refuse(OpenError::Newer { path: path.to_path_buf(), versions: unknown });
    }
    Ok(())
}
