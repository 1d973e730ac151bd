//! Against a real kube-apiserver (1.20, built from Debian's source package) on 127.0.0.1,
//! set up by `scripts/kube-apiserver.sh up`, which writes `$HACKCOACH_KUBE_DIR/env`
//! (default `/tmp/hackcoach-kube/env`). Without it these tests skip, except when `CI=true`:
//! then a missing server is a failure, so CI cannot pass without having run them.
//!
//! They prove: the broken TripInsights scenario gives the expected findings; the admin
//! token is refused as over-privileged and the view token accepted; and the server's audit
//! log shows no request from the bot's identities other than reads and access reviews.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use hackcoach::cluster::{self, AddressPolicy, CheckOptions, CheckRefusal, Expectations, Report, SystemResolver};

struct RealServer {
    server: String,
    ca_pem: String,
    admin_token: String,
    view_token: String,
    audit_log: PathBuf,
}

fn real_server() -> Option<RealServer> {
    let dir = std::env::var("HACKCOACH_KUBE_DIR").unwrap_or_else(|_| "/tmp/hackcoach-kube".into());
    let env_file = PathBuf::from(dir).join("env");
    let Ok(text) = std::fs::read_to_string(&env_file) else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "CI=true but no real kube-apiserver: {} is missing (run scripts/kube-apiserver.sh up)",
                env_file.display()
            );
        }
        eprintln!(
            "skipping: no real kube-apiserver ({} missing; run scripts/kube-apiserver.sh up)",
            env_file.display()
        );
        return None;
    };
    let vars: HashMap<&str, &str> = text.lines().filter_map(|line| line.split_once('=')).collect();
    let get = |key: &str| {
        vars.get(key).map(|v| v.to_string()).unwrap_or_else(|| panic!("{key} missing in {}", env_file.display()))
    };
    let ca_pem = std::fs::read_to_string(get("HACKCOACH_KUBE_CA_FILE")).expect("CA file");
    Some(RealServer {
        server: get("HACKCOACH_KUBE_SERVER"),
        ca_pem,
        admin_token: get("HACKCOACH_KUBE_ADMIN_TOKEN"),
        view_token: get("HACKCOACH_KUBE_VIEW_TOKEN"),
        audit_log: get("HACKCOACH_KUBE_AUDIT_LOG").into(),
    })
}

impl RealServer {
    fn kubeconfig(&self, token: &str) -> String {
        use base64::Engine as _;
        let ca = base64::engine::general_purpose::STANDARD.encode(self.ca_pem.as_bytes());
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: real\nclusters:\n- name: real\n  cluster:\n    server: {}\n    certificate-authority-data: {ca}\nusers:\n- name: real\n  user:\n    token: {token}\ncontexts:\n- name: real\n  context:\n    cluster: real\n    user: real\n",
            self.server
        )
    }

    async fn check(&self, token: &str, challenge: Option<u32>) -> Result<Report, CheckRefusal> {
        let policy = AddressPolicy { allow_private: true };
        let kubeconfig = cluster::sanitize(self.kubeconfig(token).as_bytes(), &policy).expect("sanitized");
        let options = CheckOptions { policy, ..CheckOptions::default() };
        let expectations = Expectations::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/guide")))
            .expect("checks.toml");
        cluster::check(&kubeconfig, &options, Arc::new(SystemResolver), &expectations, challenge, chrono::Utc::now())
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_view_token_sees_the_broken_scenario() {
    let Some(real) = real_server() else { return };
    let report = real.check(&real.view_token, Some(2)).await.expect("view token accepted");
    let found: BTreeSet<(String, String)> =
        report.findings.iter().map(|f| (f.code.to_string(), f.name.clone())).collect();
    let expected = [
        ("pod-crashloop", "poi-7d9f-abcde"),
        ("pod-image-pull", "trips-5c6b-xyz12"),
        ("pod-container-config", "userprofile-66f-q1"),
        ("pod-crashloop", "user-java-9-oom"),
        ("pod-restarts", "tripviewer-2"),
        ("pod-unschedulable", "poi-pending"),
        ("deployment-not-ready", "poi"),
        ("deployment-not-ready", "trips"),
        ("service-no-ready-pods", "poi"),
        ("service-selects-nothing", "nothing"),
        ("ingress-no-class", "tripinsights"),
        ("ingress-no-address", "tripinsights"),
        ("ingress-backend-missing", "tripinsights"),
        ("event-warning", "poi-7d9f-abcde"),
        // `view` cannot list nodes or RoleBindings: reported, not fatal.
        ("list-not-visible", ""),
    ];
    for (code, name) in expected {
        assert!(found.contains(&(code.to_string(), name.to_string())), "missing {code} {name} in {found:#?}");
    }
    assert!(!found.iter().any(|(_, name)| name == "tripviewer-1"), "a healthy pod was reported");
    let challenge = report.challenge.expect("challenge 2");
    assert!(!challenge.expectations.is_empty() && challenge.expectations.iter().all(|e| !e.passed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_token_is_refused_as_over_privileged() {
    let Some(real) = real_server() else { return };
    let refusal = real.check(&real.admin_token, None).await.expect_err("admin refused");
    let CheckRefusal::OverPrivileged(rights) = refusal else { panic!("{refusal:?}") };
    assert!(rights.iter().any(|r| r.contains("secrets")), "{rights:?}");
    assert!(rights.iter().any(|r| r.starts_with("create")), "{rights:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offline_check_accepts_view_and_refuses_admin() {
    let Some(real) = real_server() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |token: &str| {
        let file = dir.path().join("kubeconfig");
        std::fs::write(&file, real.kubeconfig(token)).expect("write kubeconfig");
        Command::new(env!("CARGO_BIN_EXE_hackcoach"))
            .args([
                "--guide",
                concat!(env!("CARGO_MANIFEST_DIR"), "/guide"),
                "check",
                "--json",
                "--allow-private",
                "--challenge",
                "4",
            ])
            .arg("--kubeconfig")
            .arg(&file)
            .output()
            .expect("run hackcoach check")
    };
    let view = run(&real.view_token);
    assert_eq!(view.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&view.stderr));
    let json: serde_json::Value = serde_json::from_slice(&view.stdout).expect("JSON report");
    let first = &json["findings"][0];
    for key in ["severity", "code", "kind", "namespace", "name", "message", "kubectl", "help"] {
        assert!(first.get(key).is_some(), "finding lacks {key}: {first}");
    }
    assert_eq!(json["challenge"]["number"], 4);
    for key in ["name", "passed", "detail"] {
        assert!(json["challenge"]["expectations"][0].get(key).is_some(), "expectation lacks {key}");
    }
    let admin = run(&real.admin_token);
    assert_eq!(admin.status.code(), Some(2));
    assert!(admin.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&admin.stderr);
    assert!(stderr.contains("read-only"), "{stderr}");
    assert!(!stderr.contains(&real.admin_token), "the token leaked into stderr");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_shows_only_reads_and_access_reviews_from_the_bot() {
    let Some(real) = real_server() else { return };
    real.check(&real.view_token, None).await.expect("view check");
    let _ = real.check(&real.admin_token, None).await;
    // The audit backend writes as requests complete; give it a moment.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = std::fs::read_to_string(&real.audit_log).expect("audit log");
    let mut seen = HashMap::<String, usize>::new();
    let mut violations = Vec::new();
    for line in log.lines() {
        let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let user = event["user"]["username"].as_str().unwrap_or("");
        if user != "viewer" && user != "bot-admin" {
            continue;
        }
        *seen.entry(user.to_string()).or_default() += 1;
        let verb = event["verb"].as_str().unwrap_or("");
        let resource = event["objectRef"]["resource"].as_str().unwrap_or("");
        let read = matches!(verb, "get" | "list");
        let review = verb == "create" && resource == "selfsubjectaccessreviews";
        if !(read || review) {
            violations.push(format!("{user} {verb} {}", event["requestURI"]));
        }
        if resource == "secrets" {
            violations.push(format!("{user} touched secrets: {}", event["requestURI"]));
        }
    }
    assert!(seen.get("viewer").copied().unwrap_or(0) > 10, "the viewer's requests are not in the audit log: {seen:?}");
    assert!(seen.get("bot-admin").copied().unwrap_or(0) > 0, "the admin's reviews are not in the audit log: {seen:?}");
    assert!(violations.is_empty(), "{violations:#?}");
}
