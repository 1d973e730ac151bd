//! The malicious-kubeconfig suite: every file in `tests/data/kubeconfigs/malicious/` is
//! refused with the reason its first line names (`# expect: CODE`), in under 100 ms, and
//! without echoing its content. The offline `check` refuses them too (exit 2), the exec
//! marker never appears, and a file-path field pointing at a FIFO is never opened (opening
//! a FIFO with no writer blocks, so a read would hang the command past its timeout). The
//! command runs under `unshare -n` (loopback only), so a wrong answer cannot reach a network.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hackcoach::cluster::{AddressPolicy, sanitize};

const SECRET_CONTENT: &str = "s3cr3t-content-that-must-never-leave";

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/kubeconfigs/malicious")
}

struct Case {
    name: String,
    expect: String,
    text: String,
}

fn cases(marker: &Path, secret: &Path) -> Vec<Case> {
    let mut cases: Vec<Case> = std::fs::read_dir(suite_dir())
        .expect("suite folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("suite file");
            let expect = text
                .lines()
                .next()
                .and_then(|line| line.strip_prefix("# expect: "))
                .expect("first line is `# expect: CODE`")
                .trim()
                .to_string();
            let text = text
                .replace("@MARKER@", &marker.display().to_string())
                .replace("@SECRET@", &secret.display().to_string());
            Case { name: path.file_stem().expect("stem").to_string_lossy().into_owned(), expect, text }
        })
        .collect();
    let good = std::fs::read_to_string(suite_dir().join("../good-token.yaml")).expect("good kubeconfig");
    // Ten megabytes: a valid kubeconfig padded with a comment, and one padded with exec entries.
    cases.push(Case {
        name: "ten-megabytes".into(),
        expect: "too-large".into(),
        text: format!("{good}#{}\n", "x".repeat(10 * 1024 * 1024)),
    });
    cases.push(Case {
        name: "ten-megabytes-of-users".into(),
        expect: "too-large".into(),
        text: format!("{good}{}", "- name: u\n  user:\n    exec:\n      command: sh\n".repeat(10 * 1024 * 1024 / 40)),
    });
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

#[test]
fn every_malicious_kubeconfig_is_refused_with_its_reason_quickly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("marker");
    let secret = dir.path().join("secret-token");
    std::fs::write(&secret, SECRET_CONTENT).expect("secret file");
    let cases = cases(&marker, &secret);
    assert!(cases.len() >= 30, "the suite has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let started = Instant::now();
        let outcome = sanitize(case.text.as_bytes(), &AddressPolicy::default());
        let elapsed = started.elapsed();
        match outcome {
            Ok(_) => failures.push(format!("{}: accepted", case.name)),
            Err(refusal) => {
                if refusal.code != case.expect {
                    failures.push(format!(
                        "{}: refused as {} ({}), expected {}",
                        case.name, refusal.code, refusal, case.expect
                    ));
                }
                let secret_path = secret.to_str().expect("utf-8 path");
                let needles = [SECRET_CONTENT, "touch", "hunter2", "6dae42f8", "attacker", "lol", "YWJj", secret_path];
                let echoed = needles.iter().find(|needle| refusal.message.contains(**needle));
                if let Some(needle) = echoed {
                    failures.push(format!("{}: the refusal echoes the input ({needle}): {refusal}", case.name));
                }
            }
        }
        if elapsed > Duration::from_millis(100) {
            failures.push(format!("{}: took {elapsed:?}", case.name));
        }
    }
    assert!(!marker.exists(), "the exec marker appeared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_good_kubeconfig_is_accepted_and_rebuilt_minimal() {
    let text = std::fs::read_to_string(suite_dir().join("../good-token.yaml")).expect("good kubeconfig");
    let kubeconfig = sanitize(text.as_bytes(), &AddressPolicy::default()).expect("accepted");
    assert_eq!(kubeconfig.server, "https://aks-team1.hcp.westeurope.azmk8s.io:443");
    assert_eq!(kubeconfig.credentials.kind(), "token");
    let debug = format!("{kubeconfig:?}");
    assert!(!debug.contains("0123456789abcdef"), "Debug shows the token: {debug}");
    // What is stored reads back to the same config.
    let stored = kubeconfig.to_yaml();
    let again = sanitize(stored.as_bytes(), &AddressPolicy::default()).expect("stored form is accepted");
    assert_eq!(again.server, kubeconfig.server);
    assert_eq!(again.ca_pem, kubeconfig.ca_pem);
}

/// Whether commands can run in a network namespace with only loopback (`unshare -n`).
fn can_isolate() -> bool {
    Command::new("unshare").args(["-n", "true"]).status().is_ok_and(|status| status.success())
}

/// Runs `hackcoach check` on a kubeconfig, inside a loopback-only network namespace when
/// `isolated`, so even a broken sanitizer could not reach another machine; kills it after `limit`.
fn run_check(kubeconfig: &Path, limit: Duration, isolated: bool) -> (Option<i32>, String, String) {
    let mut command = if isolated {
        let mut command = Command::new("unshare");
        command.args(["-n", env!("CARGO_BIN_EXE_hackcoach")]);
        command
    } else {
        Command::new(env!("CARGO_BIN_EXE_hackcoach"))
    };
    let mut child = command
        .args(["check", "--kubeconfig"])
        .arg(kubeconfig)
        .arg("--json")
        .env_remove("KUBECONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start hackcoach");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let output = child.wait_with_output().expect("output");
            return (
                status.code(),
                String::from_utf8_lossy(&output.stdout).into_owned(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            );
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return (None, String::new(), String::new());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_offline_check_refuses_them_too_and_runs_and_reads_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("marker");
    // A FIFO with no writer: anything that opens it for reading blocks forever.
    let secret = dir.path().join("secret-fifo");
    let made = Command::new("mkfifo").arg(&secret).status().expect("mkfifo");
    assert!(made.success());
    let isolated = can_isolate();
    if !isolated {
        eprintln!("unshare -n is not available: cases naming a network address are checked in-process only");
    }
    let names_an_address = |case: &Case| {
        matches!(case.expect.as_str(), "server-address-not-public" | "unusual-address" | "bad-server" | "not-https")
    };
    let runnable = cases(&marker, &secret)
        .into_iter()
        .filter(|case| !case.name.starts_with("ten-"))
        .filter(|case| isolated || !names_an_address(case));
    for case in runnable {
        let file = dir.path().join(format!("{}.yaml", case.name));
        std::fs::write(&file, &case.text).expect("write case");
        let (code, stdout, stderr) = run_check(&file, Duration::from_secs(20), isolated);
        assert_eq!(
            code,
            Some(2),
            "{}: exit code (None = hung, so something opened the FIFO); stderr: {stderr}",
            case.name
        );
        assert!(stdout.is_empty(), "{}: printed a report: {stdout}", case.name);
        assert!(stderr.contains(&format!("({})", case.expect)), "{}: stderr {stderr}", case.name);
        assert!(!stderr.contains("touch"), "{}: stderr echoes the input: {stderr}", case.name);
    }
    assert!(!marker.exists(), "the exec marker appeared");
}
