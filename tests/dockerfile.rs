//! The container image, checked without Docker (these machines have no daemon): the
//! Dockerfile is parsed with a small line parser, its rules are asserted (every local
//! COPY source exists and is not ignored, the build is `--locked`, the runtime stage runs
//! as a non-root user with a HEALTHCHECK and `run` by default, no secret in ENV or ARG),
//! and the runtime stage's layout is recreated in a temporary folder from its COPY,
//! WORKDIR and VOLUME lines. The built binary is then started there the way the image
//! starts it — same working directory, the ENTRYPOINT's arguments with `ask` instead of
//! the default `run`, as an unprivileged user when the test runs as root — and must find
//! its guide and create its database and key file in the data volume, and nothing else.

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Command;

/// An unprivileged user and group that exist on Debian (`nobody`/`nogroup`).
const UNPRIVILEGED: u32 = 65534;

#[derive(Debug, Clone)]
struct Instruction {
    keyword: String,
    args: String,
}

#[derive(Debug)]
struct Stage {
    from: String,
    instructions: Vec<Instruction>,
}

impl Stage {
    fn all(&self, keyword: &str) -> impl Iterator<Item = &Instruction> {
        let keyword = keyword.to_string();
        self.instructions.iter().filter(move |i| i.keyword == keyword)
    }

    fn last(&self, keyword: &str) -> Option<&Instruction> {
        self.all(keyword).last()
    }
}

/// Instructions by stage: comments and blank lines dropped, `\` continuations joined.
fn parse(text: &str) -> Vec<Stage> {
    let mut logical = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(start) => {
                current.push_str(start);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                logical.push(std::mem::take(&mut current));
            }
        }
    }
    let mut stages: Vec<Stage> = Vec::new();
    for line in logical.into_iter().filter(|l| !l.trim().is_empty()) {
        let (keyword, args) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
        let instruction = Instruction { keyword: keyword.to_uppercase(), args: args.trim().to_string() };
        if instruction.keyword == "FROM" {
            stages.push(Stage { from: instruction.args.clone(), instructions: Vec::new() });
        } else {
            stages.last_mut().expect("an instruction before the first FROM").instructions.push(instruction);
        }
    }
    stages
}

/// The JSON (exec) form of ENTRYPOINT, CMD and HEALTHCHECK CMD; `None` for the shell form.
fn exec_form(args: &str) -> Option<Vec<String>> {
    args.trim().starts_with('[').then(|| serde_json::from_str(args).expect("exec form is a JSON array of strings"))
}

/// A COPY: flags, sources and destination.
struct Copy {
    from_stage: bool,
    sources: Vec<String>,
    destination: String,
}

fn copy(instruction: &Instruction) -> Copy {
    let words: Vec<String> =
        exec_form(&instruction.args).unwrap_or_else(|| instruction.args.split_whitespace().map(String::from).collect());
    let from_stage = words.iter().any(|w| w.starts_with("--from="));
    let mut paths: Vec<String> = words.into_iter().filter(|w| !w.starts_with("--")).collect();
    let destination = paths.pop().expect("COPY has a destination");
    assert!(!paths.is_empty(), "COPY without a source: {}", instruction.args);
    Copy { from_stage, sources: paths, destination }
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn dockerfile() -> Vec<Stage> {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).expect("Dockerfile at the top level");
    let stages = parse(&text);
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage");
    stages
}

fn runtime() -> Stage {
    dockerfile().pop().expect("runtime stage")
}

fn dockerignore() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join(".dockerignore")).expect(".dockerignore");
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect()
}

#[test]
fn every_local_copy_source_exists_and_is_not_ignored() {
    let ignored = dockerignore();
    for stage in dockerfile() {
        for instruction in stage.all("COPY") {
            let copy = copy(instruction);
            if copy.from_stage {
                continue;
            }
            for source in &copy.sources {
                assert!(repo().join(source).exists(), "COPY {source}: no such path in the repository");
                let source = source.trim_end_matches('/');
                for pattern in ignored.iter().filter(|p| !p.starts_with('!')) {
                    let pattern = pattern.trim_end_matches('/');
                    assert!(
                        source != pattern && !source.starts_with(&format!("{pattern}/")),
                        "COPY {source} is excluded by .dockerignore's {pattern}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_build_stage_copies_every_build_input_and_builds_locked() {
    let stages = dockerfile();
    let build = &stages[0];
    assert!(build.from.starts_with("rust:"), "{}", build.from);
    let copied: Vec<String> = build
        .all("COPY")
        .map(copy)
        .filter(|c| !c.from_stage)
        .flat_map(|c| c.sources)
        .map(|s| s.trim_end_matches('/').to_string())
        .collect();
    let is_copied = |path: &str| copied.iter().any(|c| path == c || path.starts_with(&format!("{c}/")));
    // The inputs cargo reads: manifest, lock file, build script, sources, migrations
    // (sqlx::migrate!), declared bench targets, and files the sources include.
    let mut inputs = vec!["Cargo.toml".to_string(), "Cargo.lock".into(), "build.rs".into(), "migrations".into()];
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo().join("Cargo.toml")).expect("read")).expect("Cargo.toml parses");
    for bench in manifest.get("bench").and_then(|b| b.as_array()).into_iter().flatten() {
        let name = bench.get("name").and_then(|n| n.as_str()).expect("bench name");
        inputs.push(format!("benches/{name}.rs"));
    }
    inputs.extend(included_files(&repo().join("src")));
    assert!(inputs.iter().any(|i| i == "guide/lookup.toml"), "{inputs:?}");
    for input in &inputs {
        assert!(is_copied(input), "the build reads {input} but the build stage does not COPY it");
    }
    let build_command =
        build.all("RUN").map(|i| i.args.as_str()).find(|a| a.contains("cargo build")).expect("a cargo build");
    assert!(build_command.contains("--release") && build_command.contains("--locked"), "{build_command}");
}

/// Files named by `include_str!`/`include_bytes!` outside test code, relative to the repository.
fn included_files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for path in files_under(dir) {
        if path.extension().is_none_or(|e| e != "rs") || path.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let parts = ["include_str!(\"", "include_bytes!(\""].into_iter().flat_map(|m| code.split(m).skip(1));
        for part in parts {
            let Some((relative, _)) = part.split_once('"') else { continue };
            let resolved = path.parent().expect("parent").join(relative);
            let resolved = resolved.canonicalize().expect("included file exists");
            let inside = resolved.strip_prefix(repo().canonicalize().expect("repo")).expect("inside the repo");
            found.push(inside.display().to_string());
        }
    }
    found
}

#[test]
fn the_runtime_stage_runs_as_a_non_root_user_with_a_healthcheck_and_run_by_default() {
    let stage = runtime();
    assert!(stage.from.starts_with("debian:bookworm-slim"), "{}", stage.from);
    let user = stage.last("USER").expect("USER in the runtime stage").args.clone();
    let name = user.split(':').next().unwrap_or("");
    assert!(!["", "root", "0"].contains(&name), "runs as {user}");
    assert!(name.parse::<u32>().is_ok(), "USER {user}: numeric, so Kubernetes' runAsNonRoot can check it");

    let entrypoint =
        exec_form(&stage.last("ENTRYPOINT").expect("ENTRYPOINT").args).expect("exec form: signals reach it");
    assert_eq!(entrypoint[0], "hackcoach");
    let command = exec_form(&stage.last("CMD").expect("CMD").args).expect("exec form");
    assert_eq!(command, ["run"], "`run` is the default command");

    let healthcheck = stage.last("HEALTHCHECK").expect("HEALTHCHECK").args.clone();
    let (_, probe) = healthcheck.split_once("CMD").expect("HEALTHCHECK CMD");
    let probe = exec_form(probe).expect("exec form");
    assert_eq!((probe[0].as_str(), probe.last().map(String::as_str)), ("hackcoach", Some("health")), "{probe:?}");

    let workdir = stage.last("WORKDIR").expect("WORKDIR").args.clone();
    let volumes = volumes(&stage);
    assert!(volumes.iter().any(|v| v.starts_with(&format!("{workdir}/"))), "a data volume under {workdir}");
}

#[test]
fn no_secret_is_baked_into_the_image() {
    for stage in dockerfile() {
        for instruction in stage.instructions.iter().filter(|i| i.keyword == "ENV" || i.keyword == "ARG") {
            // `ENV NAME=value …`, `ARG NAME[=value]`, or the legacy `ENV NAME value`.
            let words: Vec<&str> = instruction.args.split_whitespace().collect();
            let assignments: Vec<(&str, &str)> = match words.as_slice() {
                [name, rest @ ..] if !name.contains('=') && !rest.is_empty() => vec![(name, rest[0])],
                _ => words.iter().map(|w| w.split_once('=').unwrap_or((w, ""))).collect(),
            };
            for (name, value) in assignments {
                let assignment = format!("{name}={value}");
                let secret_like =
                    ["TOKEN", "KEY", "PASSWORD", "SECRET"].iter().any(|word| name.to_uppercase().contains(word));
                assert!(!secret_like || value.is_empty(), "{} {assignment} bakes a secret in", instruction.keyword);
            }
        }
        for copy in stage.all("COPY").map(copy) {
            for source in copy.sources {
                assert!(!source.ends_with(".key") && !source.ends_with(".db"), "COPY {source}");
                assert_ne!(source, "config.toml", "the operator's config.toml (the image has deploy/config.toml)");
            }
        }
    }
    let ignored = dockerignore();
    for pattern in ["target/", "data/", "**/*.db", "**/*.key", ".git", "config.toml"] {
        assert!(ignored.iter().any(|p| p == pattern), ".dockerignore lacks {pattern}");
    }
}

fn volumes(stage: &Stage) -> Vec<String> {
    stage
        .all("VOLUME")
        .flat_map(|v| exec_form(&v.args).unwrap_or_else(|| v.args.split_whitespace().map(String::from).collect()))
        .collect()
}

/// The runtime stage's files under its final WORKDIR, recreated in `root`: each local
/// COPY at the same place relative to the WORKDIR, each VOLUME as an empty folder.
fn recreate_layout(stage: &Stage, root: &Path) {
    let final_workdir = stage.last("WORKDIR").expect("WORKDIR").args.clone();
    let mut workdir = String::from("/");
    for instruction in &stage.instructions {
        match instruction.keyword.as_str() {
            "WORKDIR" => workdir = instruction.args.clone(),
            "COPY" => {
                let copy = copy(instruction);
                if copy.from_stage {
                    continue;
                }
                let destination = if copy.destination.starts_with('/') {
                    PathBuf::from(&copy.destination)
                } else {
                    Path::new(&workdir).join(&copy.destination)
                };
                let relative = destination
                    .strip_prefix(&final_workdir)
                    .unwrap_or_else(|_| panic!("COPY to {} lands outside {final_workdir}", destination.display()));
                for source in &copy.sources {
                    copy_path(&repo().join(source), &root.join(relative));
                }
            }
            _ => {}
        }
    }
    for volume in volumes(stage) {
        let relative = Path::new(&volume).strip_prefix(&final_workdir).expect("volume under the working directory");
        std::fs::create_dir_all(root.join(relative)).expect("volume folder");
    }
}

fn copy_path(source: &Path, destination: &Path) {
    if source.is_dir() {
        std::fs::create_dir_all(destination).expect("create folder");
        for entry in std::fs::read_dir(source).expect("read folder") {
            let entry = entry.expect("entry");
            copy_path(&entry.path(), &destination.join(entry.file_name()));
        }
    } else {
        std::fs::copy(source, destination).expect("copy file");
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn running_as_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let uid = status.lines().find_map(|l| l.strip_prefix("Uid:")).expect("Uid line");
    uid.split_whitespace().next() == Some("0")
}

#[test]
fn the_binary_started_like_the_image_finds_its_guide_and_creates_its_data() {
    let stage = runtime();
    let temp = tempfile::tempdir().expect("tempdir");
    let root = temp.path().join("app");
    recreate_layout(&stage, &root);
    let data_volume = volumes(&stage).into_iter().next().expect("a volume");
    let final_workdir = stage.last("WORKDIR").expect("WORKDIR").args.clone();
    let data = root.join(Path::new(&data_volume).strip_prefix(&final_workdir).expect("under workdir"));
    let before: Vec<PathBuf> = files_under(&root);

    let entrypoint = exec_form(&stage.last("ENTRYPOINT").expect("ENTRYPOINT").args).expect("exec form");
    let mut args: Vec<String> = entrypoint[1..].to_vec();
    args.extend(["ask", "--", "/hint challenge 4 ingress"].map(String::from));
    let as_root = running_as_root();
    let mut command = if as_root {
        // As the image does for its user: the data volume belongs to the unprivileged user,
        // everything else to root and is read-only to it.
        std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::os::unix::fs::chown(&data, Some(UNPRIVILEGED), Some(UNPRIVILEGED)).expect("chown the data volume");
        let mut command = Command::new("setpriv");
        command
            .args([format!("--reuid={UNPRIVILEGED}"), format!("--regid={UNPRIVILEGED}"), "--clear-groups".into()])
            .arg(env!("CARGO_BIN_EXE_hackcoach"));
        command
    } else {
        Command::new(env!("CARGO_BIN_EXE_hackcoach"))
    };
    let output = command
        .args(&args)
        .current_dir(&root)
        .env_remove("HACKCOACH_KEY")
        .env_remove("DISCORD_TOKEN")
        .env_remove("RUST_LOG")
        .output()
        .expect("setpriv (util-linux) and the binary run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.starts_with("## Challenge 4 › Ingress"), "{stdout}");
    assert!(stdout.contains("ssl-redirect"), "{stdout}");

    let database = data.join("hackcoach.db");
    let key = data.join("kubeconfig.key");
    assert!(database.is_file(), "no database in the data volume");
    let metadata = std::fs::metadata(&key).expect("a key file in the data volume");
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    if as_root {
        assert_eq!((metadata.uid(), std::fs::metadata(&database).expect("db").uid()), (UNPRIVILEGED, UNPRIVILEGED));
    }
    // Nothing written outside the data volume: the root file system can be read-only.
    let written: Vec<PathBuf> = files_under(&root).into_iter().filter(|f| !before.contains(f)).collect();
    assert!(written.iter().all(|f| f.starts_with(&data)), "{written:?}");
}
