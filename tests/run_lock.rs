//! One bot per database: while `hackcoach run` serves, a second `run` on the same file
//! and `rotate-key` are refused with a sentence and change nothing; once it stops, both
//! work again.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::fake_discord::{FakeDiscord, GUILD_ID};

const TOKEN: &str = "run-lock-test-token-MTIzNDU";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_bot_and_rotate_key_are_refused_while_the_bot_serves() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("temporary folder");
    let guide = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("guide");
    let config = format!(
        "guide_dir = {:?}\ndatabase = {:?}\n[discord]\nguilds = [{GUILD_ID}]\n",
        guide.display().to_string(),
        dir.path().join("data").join("hackcoach.db").display().to_string()
    );
    let config_path = dir.path().join("config.toml");
    std::fs::write(&config_path, config).expect("write config");
    let hackcoach = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hackcoach"));
        command
            .arg("--config")
            .arg(&config_path)
            .env("DISCORD_TOKEN", TOKEN)
            .env("HACKCOACH_DISCORD_API_URL", &fake.api_url);
        command.env_remove("HACKCOACH_KEY").env_remove("HACKCOACH_NEW_KEY");
        command
    };
    let mut bot = hackcoach().arg("run").stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start the bot");
    fake.wait_until_connected().await;
    let key_file = dir.path().join("data").join("kubeconfig.key");
    let key_before = std::fs::read(&key_file).expect("the bot created its key at start");

    let second = hackcoach().arg("run").output().expect("run a second bot");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "a second bot started on the same database");
    assert!(stderr.contains("cannot start the bot") && stderr.contains("stop it first"), "{stderr}");
    assert_eq!(fake.identifies(), 1, "the second bot must not have connected");

    let rotate = hackcoach().arg("rotate-key").output().expect("run rotate-key");
    let stderr = String::from_utf8_lossy(&rotate.stderr);
    assert!(!rotate.status.success(), "rotate-key ran beside the bot");
    assert!(stderr.contains("cannot rotate the key"), "{stderr}");
    assert_eq!(std::fs::read(&key_file).expect("key file"), key_before, "the key changed");

    Command::new("kill").args(["-TERM", &bot.id().to_string()]).status().expect("send SIGTERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    while bot.try_wait().expect("poll the bot").is_none() {
        assert!(Instant::now() < deadline, "the bot did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rotate = hackcoach().arg("rotate-key").output().expect("run rotate-key");
    assert!(rotate.status.success(), "{}", String::from_utf8_lossy(&rotate.stderr));
    assert_ne!(std::fs::read(&key_file).expect("key file"), key_before, "the key was rotated");
}
