//! The lookup measured on real lookups: `tests/data/queries.tsv` (the project's eval
//! sample) and `tests/data/more_queries.tsv` (other phrasings of the same needs), through
//! the public CLI: `search --json --batch` for ranking and `ask` for the reply.

use std::io::Write as _;
use std::process::Command;

struct Case {
    query: String,
    expected: Vec<Vec<String>>,
    phrases: Vec<String>,
}

fn cases(file: &str) -> Vec<Case> {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("eval file");
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let columns: Vec<&str> = line.split('\t').collect();
            assert_eq!(columns.len(), 3, "three columns in {line:?}");
            Case {
                query: columns[0].to_string(),
                expected: columns[1].split(" | ").map(|p| p.split(" > ").map(str::to_string).collect()).collect(),
                phrases: columns[2].split(" ; ").map(str::to_string).collect(),
            }
        })
        .collect()
}

fn hackcoach() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hackcoach"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// Ranks every case through `search --json --batch`; returns (top-1 hits, top-3 hits, report).
fn rank(cases: &[Case]) -> (usize, usize, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let batch = dir.path().join("queries.txt");
    let mut file = std::fs::File::create(&batch).expect("batch file");
    for case in cases {
        writeln!(file, "{}", case.query).expect("write");
    }
    let output = hackcoach().args(["search", "--json", "--limit", "3", "--batch"]).arg(&batch).output().expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(lines.len(), cases.len());
    let (mut top1, mut top3, mut report) = (0, 0, String::new());
    for (case, line) in cases.iter().zip(&lines) {
        assert_eq!(line["query"], case.query.as_str());
        let paths: Vec<Vec<String>> = line["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["path"].as_array().expect("path").iter().map(|h| h.as_str().expect("str").to_string()).collect())
            .collect();
        let position = paths.iter().position(|p| case.expected.contains(p));
        match position {
            Some(0) => {
                top1 += 1;
                top3 += 1;
            }
            Some(_) => top3 += 1,
            None => {}
        }
        if position != Some(0) {
            report.push_str(&format!("{:?}: expected {:?}, got {:?}\n", case.query, case.expected, paths));
        }
    }
    (top1, top3, report)
}

/// Runs `/hint QUERY` as a member or a coach; returns the printed reply, lowercased.
fn hint_reply(dir: &std::path::Path, role: &str, query: &str) -> String {
    let output = hackcoach()
        .arg("--config")
        .arg(dir.join("config.toml"))
        .arg("--db")
        .arg(dir.join("eval.db"))
        .args(["ask", "--as", role, "--", &format!("/hint {query}")])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).to_lowercase()
}

/// The `/hint` reply must contain the phrases: as a team member with the whole section
/// revealed at once, or, where the expected section is for coaches only (by the default
/// coach-only patterns), as a coach.
fn phrases_missing(cases: &[Case]) -> String {
    let mut missing = String::new();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("config.toml"), "[hints]\nreveal = \"full\"\n").expect("config");
    for case in cases {
        let patterns = hackcoach::config::Config::default().hints.coach_only;
        let for_coaches = case.expected.iter().any(|path| {
            path.iter().any(|heading| patterns.iter().any(|p| hackcoach::config::heading_matches(p, heading)))
        });
        let reply = hint_reply(dir.path(), if for_coaches { "coach" } else { "member" }, &case.query);
        for phrase in &case.phrases {
            if !reply.contains(&phrase.to_lowercase()) {
                missing.push_str(&format!("{:?}: reply lacks {phrase:?}\n", case.query));
            }
        }
    }
    missing
}

#[test]
fn eval_sample_top1_at_least_95_percent_and_top3_all() {
    let cases = cases("queries.tsv");
    assert!(cases.len() >= 20);
    let (top1, top3, report) = rank(&cases);
    let share = top1 as f64 / cases.len() as f64;
    assert!(share >= 0.95, "top-1 {top1}/{}:\n{report}", cases.len());
    assert_eq!(top3, cases.len(), "top-3 misses:\n{report}");
}

#[test]
fn eval_sample_replies_contain_the_phrases() {
    let missing = phrases_missing(&cases("queries.tsv"));
    assert!(missing.is_empty(), "{missing}");
}

#[test]
fn other_phrasings_top1_at_least_90_percent_and_top3_all() {
    let cases = cases("more_queries.tsv");
    let (top1, top3, report) = rank(&cases);
    let share = top1 as f64 / cases.len() as f64;
    eprintln!("other phrasings: top-1 {top1}/{}, top-3 {top3}/{}\n{report}", cases.len(), cases.len());
    assert!(share >= 0.9, "top-1 {top1}/{}:\n{report}", cases.len());
    assert_eq!(top3, cases.len(), "top-3 misses:\n{report}");
}

#[test]
fn other_phrasings_replies_contain_the_phrases() {
    let missing = phrases_missing(&cases("more_queries.tsv"));
    assert!(missing.is_empty(), "{missing}");
}

/// The baseline the index is compared with in BENCHMARKS.md: no index, no scope, no
/// synonyms; the section whose heading path is most similar to the whole query
/// (normalised Levenshtein), as a naive bot would answer.
fn baseline_top1(cases: &[Case]) -> usize {
    let guide = hackcoach::guide::Guide::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("guide"))
        .expect("the shipped guide loads");
    cases
        .iter()
        .filter(|case| {
            let query = case.query.to_lowercase();
            let best = guide
                .sections
                .iter()
                .max_by(|a, b| {
                    let score = |s: &hackcoach::guide::Section| {
                        strsim::normalized_levenshtein(&query, &s.path.join(" ").to_lowercase())
                    };
                    score(a).total_cmp(&score(b))
                })
                .expect("the guide has sections");
            case.expected.contains(&best.path)
        })
        .count()
}

#[test]
fn the_index_ranks_far_better_than_the_strsim_baseline() {
    for file in ["queries.tsv", "more_queries.tsv"] {
        let cases = cases(file);
        let (top1, _, _) = rank(&cases);
        let baseline = baseline_top1(&cases);
        eprintln!("{file}: index top-1 {top1}/{n}, strsim baseline top-1 {baseline}/{n}", n = cases.len());
        assert!(top1 > baseline, "{file}: the index ({top1}) must beat the baseline ({baseline})");
    }
}
