//! The scripted `ask` session of issue 3, run through the real binary on one database
//! file: every command is a fresh process, so the database also survives restarts.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Session {
    dir: tempfile::TempDir,
    db: PathBuf,
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Session {
    fn new() -> Session {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("data/hackcoach.db");
        Session { dir, db }
    }

    fn run(&self, args: &[&str]) -> Output {
        let guide = Path::new(env!("CARGO_MANIFEST_DIR")).join("guide");
        let output = Command::new(env!("CARGO_BIN_EXE_hackcoach"))
            // A folder without config.toml, so only the flags below count.
            .current_dir(self.dir.path())
            .arg("--guide")
            .arg(&guide)
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .output()
            .expect("run hackcoach");
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs `/command` as `role` in channel 1 and checks the reply holds every fragment.
    fn ask(&self, role: &str, command: &str, fragments: &[&str]) -> String {
        let output = self.run(&["ask", "--as", role, "--user", if role == "coach" { "7" } else { "3" }, "--", command]);
        assert_eq!(output.code, 0, "{command}: {}", output.stderr);
        for fragment in fragments {
            assert!(output.stdout.contains(fragment), "{command}: expected {fragment:?} in\n{}", output.stdout);
        }
        output.stdout
    }
}

const PRIVATE: &str = "(only you can see this)";

#[test]
fn a_coached_session_is_recorded_survives_restarts_and_exports() {
    let session = Session::new();
    // A member asks for hints: one step at a time, counted.
    let first = session.ask("member", "/hint challenge 1 sql", &["Challenge 1 › SQL", "step 1 of 8", "[Next hint]"]);
    assert!(!first.contains(PRIVATE), "a team's hint is for the whole team");
    let second =
        session.ask("member", "/hint challenge 1 sql", &["step 2 of 8", "create a database in your local server"]);
    assert!(second.contains("SQL Server on DockerHub"), "earlier steps stay visible");
    // The coach sees the whole section at once, privately.
    session.ask("coach", "/hint challenge 1 sql", &["the port, if specified", PRIVATE]);
    // Members are told a coach-only section is for coaches, without its text.
    let refused = session.ask("member", "/hint challenge 1 follow up questions", &["is for coaches", PRIVATE]);
    assert!(!refused.contains("How do you get logs"), "{refused}");
    // The coach approves 1 and 2: announced to the channel.
    let approved = session.ask(
        "coach",
        "/approve 1 note:great work",
        &["Challenge 1 approved", "approved by coach-7", "great work"],
    );
    assert!(!approved.contains(PRIVATE), "{approved}");
    session.ask("coach", "/approve 2", &["Challenge 2 approved", "Next up: challenge 3"]);
    // Approving again changes nothing and says by whom.
    session.ask("coach", "/approve 2", &["already approved (by coach-7", PRIVATE]);
    // Skipping a challenge needs force.
    session.ask("coach", "/approve 4", &["Challenge 3 before it is not approved yet", "force:true", PRIVATE]);
    // A member may not approve.
    session.ask("member", "/approve 3", &["Only coaches can approve", PRIVATE]);
    // The coach revokes 2.
    session.ask("coach", "/revoke 2 reason:missed criteria", &["Challenge 2 approval revoked", "missed criteria"]);
    session.ask("coach", "/revoke 2", &["not approved for this team", PRIVATE]);
    session.ask("member", "/team name Blue Whales", &["is now **Blue Whales**"]);
    // Status as a member.
    let status = session.ask(
        "member",
        "/status",
        &[
            "Progress: Blue Whales",
            "Challenge 1: approved by coach-7",
            "· 2 hints",
            "**Challenge 2: current**, for",
            "approval revoked by coach-7",
            "Challenge 3: locked",
            "Cluster: no check yet.",
        ],
    );
    assert!(!status.contains(PRIVATE), "{status}");
    // Another team starts; the board lists both, the team longest on its current
    // challenge first: Blue Whales has been on challenge 2 since before team-2 existed.
    session.run(&["ask", "--as", "member", "--channel", "2", "--", "/hint challenge 1 docker networking"]);
    let board = session.ask(
        "coach",
        "/board",
        &["Board: 2 teams", "team-2** — challenge 1", "Blue Whales** — challenge 2", PRIVATE],
    );
    assert!(board.find("Blue Whales").expect("Blue Whales") < board.find("team-2").expect("team-2"), "{board}");
    assert!(board.contains("1 hint on it"), "{board}");
    session.ask("member", "/board", &["The board is for coaches", PRIVATE]);

    // Everything is in the export, read by a fresh process.
    let export = session.run(&["export", "--csv"]);
    assert_eq!(export.code, 0, "{}", export.stderr);
    let rows = csv_rows(&export.stdout);
    let pick = |record: &str, channel: &str| -> Vec<&Vec<String>> {
        rows.iter().filter(|r| r[0] == record && r[2] == channel).collect()
    };
    let approvals = pick("approval", "1");
    let summary: Vec<(&str, &str, &str, &str)> =
        approvals.iter().map(|r| (r[4].as_str(), r[5].as_str(), r[7].as_str(), r[9].as_str())).collect();
    assert_eq!(summary, [("1", "live", "coach-7", "great work"), ("2", "revoked", "coach-7", "")]);
    let revocations = pick("revocation", "1");
    assert_eq!(revocations.len(), 1);
    assert_eq!((revocations[0][4].as_str(), revocations[0][9].as_str()), ("2", "missed criteria"));
    let hints = pick("hint", "1");
    assert_eq!(hints.len(), 1);
    assert_eq!((hints[0][12].as_str(), hints[0][13].as_str()), ("challenge-1/sql", "2"));
    let states: Vec<&str> = pick("challenge", "1").iter().map(|r| r[5].as_str()).take(3).collect();
    assert_eq!(states, ["approved", "current", "locked"]);
    assert_eq!(pick("rename", "1")[0][9], "team-1 -> Blue Whales");
    assert_eq!(pick("team", "2").len(), 1);

    // And the plain text export tells the same story.
    let text = session.run(&["export"]);
    assert!(text.stdout.contains("revoked by coach-7 on"), "{}", text.stdout);
}

#[test]
fn replies_as_json_say_who_sees_them() {
    let session = Session::new();
    let public = session.run(&["ask", "--json", "--as", "coach", "--", "/approve 1"]);
    assert!(public.stdout.contains("\"ephemeral\":false"), "{}", public.stdout);
    let private = session.run(&["ask", "--json", "--as", "member", "--", "/approve 2"]);
    assert!(private.stdout.contains("\"ephemeral\":true"), "{}", private.stdout);
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_string).collect();
    assert_eq!(
        header,
        [
            "record",
            "guild_id",
            "channel_id",
            "team",
            "challenge",
            "state",
            "user_id",
            "user_name",
            "at",
            "text",
            "forced",
            "approval_id",
            "section",
            "hints"
        ]
    );
    reader.records().map(|r| r.expect("row").iter().map(str::to_string).collect()).collect()
}

#[test]
fn asks_started_at_once_on_a_fresh_file_all_succeed() {
    let session = Session::new();
    let guide = Path::new(env!("CARGO_MANIFEST_DIR")).join("guide");
    let children: Vec<_> = (1..=8)
        .map(|channel| {
            Command::new(env!("CARGO_BIN_EXE_hackcoach"))
                .current_dir(session.dir.path())
                .arg("--guide")
                .arg(&guide)
                .arg("--db")
                .arg(&session.db)
                .args(["ask", "--as", "coach", "--channel", &channel.to_string(), "--", "/approve 1"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("wait");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let export = session.run(&["export", "--csv"]);
    assert_eq!(export.stdout.lines().filter(|l| l.starts_with("approval,")).count(), 8);
}

#[test]
fn console_keeps_progress_in_the_same_database_as_ask() {
    use std::io::Write as _;
    let session = Session::new();
    let guide = Path::new(env!("CARGO_MANIFEST_DIR")).join("guide");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hackcoach"))
        .current_dir(session.dir.path())
        .arg("--guide")
        .arg(&guide)
        .arg("--db")
        .arg(&session.db)
        .args(["console", "--as", "member"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn console");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"/hint challenge 1 sql\n/hint challenge 1 sql\n/approve 1\n")
        .expect("write");
    let output = child.wait_with_output().expect("console");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("step 1 of 8") && text.contains("step 2 of 8"), "{text}");
    assert!(text.contains("Only coaches can approve"), "{text}");
    // The next process continues where the console stopped.
    session.ask("member", "/hint challenge 1 sql", &["step 3 of 8"]);
}
