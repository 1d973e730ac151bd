//! The real `hackcoach run` process against the fake Discord, as the process tests start
//! it: a config in a temporary folder, the token and the fake's URL in the environment,
//! the log read as it is written, signals sent with `kill`.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::fake_discord::{COACH_ROLE_ID, FakeDiscord, GUILD_ID};

/// A running `hackcoach run`; killed on drop if it is still running.
pub struct BotProcess {
    child: Child,
    pub pid: u32,
    /// The database file in the bot's folder.
    pub db: PathBuf,
    pub config_path: PathBuf,
    log: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl BotProcess {
    /// Starts the bot with `token`, the guide at `guide`, the fake's guild and coach role,
    /// and `extra_toml` appended to its config (for `[ops]` and the like). The config and
    /// the database live in `dir`, which the process keeps until it is dropped.
    pub fn start(
        fake: &FakeDiscord,
        token: &str,
        dir: tempfile::TempDir,
        guide: &Path,
        extra_toml: &str,
    ) -> BotProcess {
        let db = dir.path().join("hackcoach.db");
        let config = format!(
            "guide_dir = {:?}\ndatabase = {:?}\n[discord]\nguilds = [{GUILD_ID}]\ncoach_roles = [{COACH_ROLE_ID}]\n{extra_toml}",
            guide.display().to_string(),
            db.display().to_string()
        );
        let config_path = dir.path().join("config.toml");
        std::fs::write(&config_path, config).expect("write config");
        let mut child = Command::new(env!("CARGO_BIN_EXE_hackcoach"))
            .arg("--config")
            .arg(&config_path)
            .arg("run")
            .env("DISCORD_TOKEN", token)
            .env("HACKCOACH_DISCORD_API_URL", &fake.api_url)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start hackcoach run");
        let log = Arc::new(Mutex::new(String::new()));
        let reader = child.stderr.take().map(|stderr| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Ok(mut log) = log.lock() {
                        log.push_str(&line);
                        log.push('\n');
                    }
                }
            })
        });
        let pid = child.id();
        BotProcess { child, pid, db, config_path, log, reader, _dir: dir }
    }

    /// The shipped guide, for bots that do not need their own copy.
    pub fn shipped_guide() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("guide")
    }

    /// Sends `signal` (`"TERM"`, `"HUP"`) with `kill`.
    pub fn signal(&self, signal: &str) {
        let sent =
            Command::new("kill").args([&format!("-{signal}"), &self.pid.to_string()]).status().expect("run kill");
        assert!(sent.success(), "SIG{signal} could not be sent");
    }

    /// Waits for the process to exit and its log to be read to the end; panics (after
    /// killing it) past `limit`.
    pub async fn exit_within(&mut self, limit: Duration) -> (ExitStatus, Duration) {
        let began = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the bot") {
                if let Some(reader) = self.reader.take() {
                    let _ = reader.join();
                }
                return (status, began.elapsed());
            }
            if began.elapsed() > limit {
                let _ = self.child.kill();
                panic!("the bot did not exit within {limit:?}; log tail:\n{}", self.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Everything the bot has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().map(|log| log.clone()).unwrap_or_default()
    }

    /// The last 40 lines of the log, leaving out the per-command lines.
    pub fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().filter(|l| !l.contains("command handled")).collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// (VmRSS, VmHWM) in KiB, while the process runs.
    pub fn memory_kib(&self) -> Option<(u64, u64)> {
        memory_kib(self.pid)
    }

    /// CPU time the bot has used (user + system), from /proc/PID/stat in clock ticks
    /// (USER_HZ, 100 on Linux).
    pub fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // Fields after the command name in parentheses; utime and stime are the 14th and 15th.
        let fields: Vec<&str> =
            stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
        (ticks(11) + ticks(12)) / 100.0
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// (VmRSS, VmHWM) of process `pid` in KiB, from /proc; `None` once it has exited.
pub fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}
