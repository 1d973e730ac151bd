//! The kubeconfig key on a real data folder: created at start, a bad one refused at start,
//! and `hackcoach rotate-key` re-sealing stored kubeconfigs — with a key file, finishing
//! an interrupted rotation, refusing (and changing nothing) when a record opens with
//! neither key, and with the keys in the environment. Kubeconfigs are sealed through the
//! crypto and store API, then the binary rotates them as an operator would.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::Utc;
use hackcoach::cluster::crypto::KubeconfigKey;
use hackcoach::store::{Store, Team, TeamKey};

const OLD: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const NEW: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const OTHER: &str = "3333333333333333333333333333333333333333333333333333333333333333";

/// A data folder with a database, a key file holding `OLD` and three teams whose
/// kubeconfigs are sealed with it.
struct Folder {
    _dir: tempfile::TempDir,
    data: PathBuf,
    teams: Vec<Team>,
}

impl Folder {
    async fn new() -> Folder {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("data folder");
        write_key(&data.join("kubeconfig.key"), OLD);
        let mut folder = Folder { _dir: dir, data, teams: Vec::new() };
        folder.teams = folder.seal(OLD, 1..=3).await;
        folder
    }

    /// `new`, plus team 4 whose kubeconfig was sealed with a third key, `OTHER`.
    async fn with_unreadable_team() -> Folder {
        let mut folder = Folder::new().await;
        let unreadable = folder.seal(OTHER, 4..=4).await;
        folder.teams.extend(unreadable);
        folder
    }

    /// Seals the kubeconfig of each channel's team with `hex`, as the bot would have.
    async fn seal(&self, hex: &str, channels: std::ops::RangeInclusive<u64>) -> Vec<Team> {
        let store = Store::open(&db(&self.data)).await.expect("open");
        let key = KubeconfigKey::from_hex(hex).expect("key");
        let mut teams = Vec::new();
        for channel in channels {
            teams.push(seal_for(&store, &key, channel).await);
        }
        store.close().await;
        teams
    }

    fn key_file(&self) -> PathBuf {
        self.data.join("kubeconfig.key")
    }

    fn pending(&self) -> PathBuf {
        self.data.join("kubeconfig.key.new")
    }

    fn hackcoach(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hackcoach"));
        command
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("HACKCOACH_KEY")
            .env_remove("HACKCOACH_NEW_KEY")
            .args(["--db", &db(&self.data)])
            .args(args);
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().expect("runs")
    }

    /// Every team's stored record, in team order.
    async fn records(&self) -> Vec<Vec<u8>> {
        let store = Store::open(&db(&self.data)).await.expect("open");
        let mut records = Vec::new();
        for team in &self.teams {
            records.push(store.sealed_kubeconfig(team.id).await.expect("read").expect("stored"));
        }
        store.close().await;
        records
    }

    /// Asserts every stored kubeconfig opens with `hex` (to its original text) and not with `not`.
    async fn assert_sealed_with(&self, hex: &str, not: &str) {
        let key = KubeconfigKey::from_hex(hex).expect("key");
        let wrong = KubeconfigKey::from_hex(not).expect("key");
        for (team, record) in self.teams.iter().zip(self.records().await) {
            let opened = key.open(team.guild_id, team.channel_id, &record).expect("opens with the expected key");
            assert_eq!(opened.as_slice(), kubeconfig(team.channel_id).as_bytes());
            assert!(wrong.open(team.guild_id, team.channel_id, &record).is_err(), "still opens with the other key");
        }
    }
}

fn db(data: &Path) -> String {
    data.join("hackcoach.db").display().to_string()
}

fn kubeconfig(channel: u64) -> String {
    format!("apiVersion: v1\nkind: Config\n# team {channel}\n")
}

fn write_key(path: &Path, hex: &str) {
    std::fs::write(path, format!("{hex}\n")).expect("write key");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

async fn seal_for(store: &Store, key: &KubeconfigKey, channel: u64) -> Team {
    let team =
        store.team(TeamKey { guild_id: 9, channel_id: channel }, &format!("team-{channel}"), 1, Utc::now()).await;
    let team = team.expect("team");
    let sealed = key.seal(9, channel, kubeconfig(channel).as_bytes()).expect("seal");
    store.save_kubeconfig(team.id, &sealed, "https://203.0.113.1", 1, Utc::now()).await.expect("save");
    team
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

fn key_text(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read key").trim().to_string()
}

#[test]
fn a_fresh_data_folder_gets_its_database_and_key_file_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let output = Command::new(env!("CARGO_BIN_EXE_hackcoach"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("HACKCOACH_KEY")
        .args(["--db", &db(&data), "ask", "--", "/challenge 1"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", text(&output));
    assert!(data.join("hackcoach.db").is_file());
    assert_eq!(mode(&data.join("kubeconfig.key")), 0o600);
    assert_eq!(key_text(&data.join("kubeconfig.key")).len(), 64);
}

#[test]
fn a_bad_key_file_stops_the_start_with_a_sentence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("data");
    let check = |content: &str, file_mode: u32, expected: &str| {
        let path = data.join("kubeconfig.key");
        std::fs::write(&path, content).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(file_mode)).expect("chmod");
        let output = Command::new(env!("CARGO_BIN_EXE_hackcoach"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("HACKCOACH_KEY")
            .args(["--db", &db(&data), "ask", "--", "/challenge 1"])
            .output()
            .expect("runs");
        assert!(!output.status.success(), "started with a bad key file: {content:?}");
        let message = text(&output);
        assert!(message.contains(expected), "{message}");
        assert!(message.contains("kubeconfig.key"), "{message}");
        assert!(output.stdout.is_empty(), "the command ran: {message}");
    };
    check("not a key\n", 0o600, "must be 64 hexadecimal characters");
    check(&format!("{OLD}\n"), 0o644, "chmod 600");
}

#[tokio::test]
async fn rotation_reseals_every_kubeconfig_and_replaces_the_key_file() {
    let folder = Folder::new().await;
    let output = folder.hackcoach(&["rotate-key"], &[]);
    let message = text(&output);
    assert!(output.status.success(), "{message}");
    assert!(message.contains("re-sealed 3 stored kubeconfig(s) with the new key (0 already had it)"), "{message}");
    let new = key_text(&folder.key_file());
    assert_ne!(new, OLD);
    assert_eq!(new.len(), 64);
    assert_eq!(mode(&folder.key_file()), 0o600);
    assert!(!folder.pending().exists());
    assert!(!message.contains(&new) && !message.contains(OLD), "a key was printed: {message}");
    folder.assert_sealed_with(&new, OLD).await;
    // The bot starts with the new key file.
    let output = folder.hackcoach(&["ask", "--channel", "1", "--guild", "9", "--", "/status"], &[]);
    assert!(output.status.success(), "{}", text(&output));
}

#[tokio::test]
async fn an_interrupted_rotation_blocks_the_start_and_a_rerun_finishes_it() {
    let folder = Folder::new().await;
    // Interrupted after the next key was written and one record re-sealed with it (as a
    // run that crashed, or one whose transaction never committed, would leave things).
    write_key(&folder.pending(), NEW);
    folder.seal(NEW, 1..=1).await;

    let output = folder.hackcoach(&["ask", "--", "/challenge 1"], &[]);
    assert!(!output.status.success(), "started during a rotation");
    assert!(text(&output).contains("run `hackcoach rotate-key` again to finish it"), "{}", text(&output));

    let output = folder.hackcoach(&["rotate-key"], &[]);
    let message = text(&output);
    assert!(output.status.success(), "{message}");
    assert!(message.contains("re-sealed 2 stored kubeconfig(s) with the new key (1 already had it)"), "{message}");
    assert!(message.contains("finished the interrupted rotation"), "{message}");
    assert_eq!(key_text(&folder.key_file()), NEW, "the pending key was installed, not a fresh one");
    assert!(!folder.pending().exists());
    folder.assert_sealed_with(NEW, OLD).await;

    // Interrupted after the commit, before the rename: every record is new already.
    write_key(&folder.pending(), OTHER);
    folder.seal(OTHER, 1..=3).await;
    let output = folder.hackcoach(&["rotate-key"], &[]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("re-sealed 0 stored kubeconfig(s) with the new key (3 already had it)"));
    assert_eq!(key_text(&folder.key_file()), OTHER);
    folder.assert_sealed_with(OTHER, NEW).await;
    assert!(folder.hackcoach(&["ask", "--", "/challenge 1"], &[]).status.success());
}

#[tokio::test]
async fn a_record_that_opens_with_neither_key_refuses_the_rotation_and_changes_nothing() {
    let folder = Folder::with_unreadable_team().await;
    let before = folder.records().await;

    let output = folder.hackcoach(&["rotate-key"], &[]);
    let message = text(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("1 stored kubeconfig(s) open with neither"), "{message}");
    assert!(message.contains("no record was changed"), "{message}");
    assert!(message.contains("the bot can start"), "{message}");
    assert!(message.contains("\"team-4\" (guild 9, channel 4)"), "{message}");
    assert!(!message.contains("team-1"), "{message}");
    assert_eq!(folder.records().await, before, "records changed");
    assert_eq!(key_text(&folder.key_file()), OLD);
    assert!(!folder.pending().exists(), "the unused next key was left behind");
    assert!(folder.hackcoach(&["ask", "--", "/challenge 1"], &[]).status.success());
}

/// An interrupted rotation meets a record no key opens. While nothing uses the next key,
/// the refusal removes it, so the bot starts and the team can reconnect; once records use
/// it, it stays and the operator is told why the bot still will not start.
#[tokio::test]
async fn an_interrupted_rotation_refused_by_an_unreadable_record_does_not_strand_the_bot() {
    let folder = Folder::with_unreadable_team().await;
    // Crashed after writing the next key, before the re-seal.
    write_key(&folder.pending(), NEW);
    let before = folder.records().await;

    let output = folder.hackcoach(&["rotate-key"], &[]);
    let message = text(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("\"team-4\" (guild 9, channel 4)"), "{message}");
    assert!(message.contains("the bot can start"), "{message}");
    assert!(!folder.pending().exists(), "the unused next key still blocks the start");
    assert_eq!(folder.records().await, before, "records changed");
    assert_eq!(key_text(&folder.key_file()), OLD);
    let started = folder.hackcoach(&["ask", "--", "/challenge 1"], &[]);
    assert!(started.status.success(), "{}", text(&started));

    // Now a record already uses the next key: dropping it would lose that team's kubeconfig.
    write_key(&folder.pending(), NEW);
    folder.seal(NEW, 1..=1).await;
    let before = folder.records().await;
    let output = folder.hackcoach(&["rotate-key"], &[]);
    let message = text(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("so it stays and the bot will not start"), "{message}");
    assert_eq!(key_text(&folder.pending()), NEW, "the next key some records need was removed");
    assert_eq!(folder.records().await, before, "records changed");
}

#[tokio::test]
async fn with_the_key_in_the_environment_the_new_key_comes_from_the_environment_too() {
    let folder = Folder::new().await;
    std::fs::remove_file(folder.key_file()).expect("no key file: the environment has it");

    let output = folder.hackcoach(&["rotate-key"], &[("HACKCOACH_KEY", OLD)]);
    assert!(!output.status.success());
    assert!(text(&output).contains("HACKCOACH_NEW_KEY"), "{}", text(&output));
    let output = folder.hackcoach(&["rotate-key"], &[("HACKCOACH_KEY", OLD), ("HACKCOACH_NEW_KEY", OLD)]);
    assert!(!output.status.success());
    assert!(text(&output).contains("the same key"), "{}", text(&output));
    folder.assert_sealed_with(OLD, NEW).await;

    let output = folder.hackcoach(&["rotate-key"], &[("HACKCOACH_KEY", OLD), ("HACKCOACH_NEW_KEY", NEW)]);
    let message = text(&output);
    assert!(output.status.success(), "{message}");
    assert!(message.contains("update your secret: HACKCOACH_KEY must be set to the value of HACKCOACH_NEW_KEY"));
    assert!(!message.contains(OLD) && !message.contains(NEW), "a key was printed: {message}");
    assert!(!folder.key_file().exists() && !folder.pending().exists(), "no key file is written");
    folder.assert_sealed_with(NEW, OLD).await;
}
