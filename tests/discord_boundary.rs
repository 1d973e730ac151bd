//! Architecture invariant (ARCHITECTURE.md): only `src/discord/` names serenity or poise,
//! so every command stays testable without Discord and the console shares its logic.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_discord_module_names_serenity_or_poise() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 10);
    let offenders: Vec<String> = files
        .iter()
        .filter(|path| !path.starts_with(src.join("discord")))
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            text.lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .any(|line| line.contains("serenity") || line.contains("poise"))
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "serenity or poise named outside src/discord/: {offenders:?}");
}
