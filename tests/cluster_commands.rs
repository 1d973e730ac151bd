//! `/cluster connect`, `/cluster check`, `/cluster forget` and `/status` end to end: the
//! commands against the fake API server on 127.0.0.1, with a real SQLite file and key file;
//! and `ask --attach kubeconfig=FILE -- "/cluster connect"` through the binary.

mod support;

use std::path::Path;

use hackcoach::app::App;
use hackcoach::cluster::Upload;
use hackcoach::commands::{self, Command, Invocation};
use hackcoach::config::Config;
use hackcoach::reply::Tone;
use support::fake_apiserver::*;

fn config(dir: &Path) -> Config {
    let mut config = Config {
        guide_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/guide").into(),
        database: dir.join("hackcoach.db").display().to_string(),
        ..Config::default()
    };
    config.cluster.allow_private = true;
    config
}

fn invocation(channel_id: u64) -> Invocation {
    Invocation {
        guild_id: 7,
        channel_id,
        channel_name: format!("team-{channel_id}"),
        user_id: 42,
        user_name: "member".into(),
        is_coach: false,
        now: chrono::Utc::now(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_check_status_forget() {
    let server = FakeApiServer::start({
        let mut scenario = Scenario::empty();
        scenario.add("/api/v1/pods", waiting_pod("api", "poi-1", "poi", "CrashLoopBackOff", 5, Some(("Error", 1))));
        scenario
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let app = App::open(config(dir.path())).await.expect("app");
    let team = invocation(1);

    let help = commands::execute(&app, &team, Command::ClusterConnect { kubeconfig: None }).await;
    assert!(help.private && help.body.contains("kubectl create serviceaccount"), "{}", help.body);

    let exec =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/kubeconfigs/malicious/exec-kubelogin.yaml"))
            .expect("suite file");
    let refused = commands::execute(&app, &team, Command::ClusterConnect { kubeconfig: Some(Upload::new(exec)) }).await;
    assert_eq!(refused.tone, Tone::Refusal);
    assert!(refused.body.contains("users[0].user.exec"), "{}", refused.body);

    let upload = Upload::new(server.kubeconfig().into_bytes());
    let connected = commands::execute(&app, &team, Command::ClusterConnect { kubeconfig: Some(upload) }).await;
    assert_eq!(connected.title.as_deref(), Some("Cluster connected"), "{}", connected.body);
    assert!(connected.private);
    assert!(!connected.body.contains(TOKEN));
    let key_file = dir.path().join("kubeconfig.key");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&key_file).expect("key file").permissions().mode() & 0o777, 0o600);

    let checked = commands::execute(&app, &team, Command::ClusterCheck { challenge: Some(2) }).await;
    assert_eq!(checked.title.as_deref(), Some("Cluster check: 1 errors, 0 warnings"), "{}", checked.body);
    assert!(checked.body.contains("poi-1"), "{}", checked.body);
    assert_eq!(checked.fields[0].name, "Challenge 2");

    let status = commands::execute(&app, &team, Command::Status).await;
    assert!(status.body.contains("Cluster: last checked"), "{}", status.body);
    assert!(status.body.contains("pod-crashloop"), "{}", status.body);
    let coach = Invocation { user_id: 43, user_name: "coach".into(), is_coach: true, ..invocation(1) };
    let board = commands::execute(&app, &coach, Command::Board).await;
    assert!(board.body.contains("cluster: 1 error ") && board.body.contains("pod-crashloop"), "{}", board.body);

    let other = commands::execute(&app, &invocation(2), Command::ClusterCheck { challenge: None }).await;
    assert_eq!(other.tone, Tone::Refusal, "another channel has no cluster");

    if let Ok(store) = app.store() {
        store.close().await;
    }
    let database = std::fs::read(dir.path().join("hackcoach.db")).expect("db file");
    let wal = std::fs::read(dir.path().join("hackcoach.db-wal")).unwrap_or_default();
    for bytes in [&database, &wal] {
        assert!(
            !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
            "the token is in the database in the clear"
        );
    }

    let app = App::open(config(dir.path())).await.expect("app reopened");
    // Without a number, the check covers the team's current challenge: 2, once 1 is approved.
    let coach = Invocation { user_id: 43, user_name: "coach".into(), is_coach: true, ..invocation(1) };
    let approve = Command::Approve { challenge: 1, note: None, force: false };
    assert_eq!(commands::execute(&app, &coach, approve).await.title.as_deref(), Some("Challenge 1 approved"));
    let again = commands::execute(&app, &team, Command::ClusterCheck { challenge: None }).await;
    assert!(again.title.as_deref().is_some_and(|t| t.starts_with("Cluster check")), "after a restart: {}", again.body);
    assert_eq!(again.fields.first().map(|f| f.name.as_str()), Some("Challenge 2"), "{}", again.body);
    let forgotten = commands::execute(&app, &team, Command::ClusterForget).await;
    assert_eq!(forgotten.title.as_deref(), Some("Cluster forgotten"));
    let gone = commands::execute(&app, &team, Command::ClusterCheck { challenge: None }).await;
    assert_eq!(gone.tone, Tone::Refusal);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_attaches_a_kubeconfig_to_cluster_connect() {
    let server = FakeApiServer::start(Scenario::empty()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("team.yaml");
    std::fs::write(&kubeconfig, server.kubeconfig()).expect("kubeconfig");
    let config_file = dir.path().join("config.toml");
    std::fs::write(
        &config_file,
        format!(
            "guide_dir = \"{}\"\ndatabase = \"{}\"\n[cluster]\nallow_private = true\n",
            concat!(env!("CARGO_MANIFEST_DIR"), "/guide"),
            dir.path().join("db.sqlite").display()
        ),
    )
    .expect("config");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_hackcoach"))
        .arg("--config")
        .arg(&config_file)
        .args(["ask", "--channel", "5", "--attach"])
        .arg(format!("kubeconfig={}", kubeconfig.display()))
        .args(["--", "/cluster connect"])
        .env_remove("HACKCOACH_KEY")
        .output()
        .await
        .expect("run ask");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("Cluster connected") && stdout.contains("token credential"), "{stdout}");
    assert!(!stdout.contains(TOKEN));
    assert!(dir.path().join("kubeconfig.key").exists(), "key file created beside the database");
}
