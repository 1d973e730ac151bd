//! The boundaries ARCHITECTURE.md writes down as absences, checked: only `src/discord/`
//! names serenity or poise, only `src/store/` names sqlx, only `src/cluster/client.rs`
//! names kube.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn check(crate_names: &[&str], allowed: &dyn Fn(&str) -> bool) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut offenders = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        if allowed(&relative) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read");
        for name in crate_names {
            let uses = text.lines().any(|line| {
                let code = line.split("//").next().unwrap_or("");
                code.contains(&format!("{name}::")) || code.contains(&format!("use {name}"))
            });
            if uses {
                offenders.push(format!("{relative} names {name}"));
            }
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}

#[test]
fn only_the_discord_module_names_serenity_or_poise() {
    check(&["serenity", "poise"], &|path| path.starts_with("discord/"));
}

#[test]
fn only_the_store_names_sqlx() {
    check(&["sqlx"], &|path| path.starts_with("store/") || path == "store.rs");
}

#[test]
fn only_the_cluster_client_names_kube() {
    check(&["kube"], &|path| path == "cluster/client.rs");
}
