//! Architecture invariant: only `src/cluster/client.rs` names the kube crate, so the rules
//! of DESIGN.md's Security section are enforced in one file.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_cluster_client_names_kube() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let pattern = regex::Regex::new(r"\bkube(_client|_core)?::").expect("regex");
    let offenders: Vec<String> = files
        .iter()
        .filter(|path| !path.ends_with("cluster/client.rs"))
        .filter(|path| pattern.is_match(&std::fs::read_to_string(path).expect("read")))
        .map(|path| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "kube named outside src/cluster/client.rs: {offenders:?}");
    let client = std::fs::read_to_string(src.join("cluster/client.rs")).expect("client.rs");
    assert!(pattern.is_match(&client), "the pattern no longer finds kube in client.rs");
}
