//! Lookup speed on the shipped guide: one query through the index, against a baseline
//! with no index (strsim similarity of the query to every heading path, best wins), and
//! building the index; and the pasted-error matcher on a 200 KB log against a naive
//! substring scan. Run with `cargo bench --bench lookup`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use hackcoach::app::Knowledge;
use hackcoach::config::Config;
use hackcoach::guide::Guide;
use hackcoach::lookup::{SearchOptions, Vocabulary};
use hackcoach::playbook::load_playbooks;

const QUERIES: &[&str] = &[
    "challenge 4 ingress",
    "chalenge 4 ingres",
    "kv aliases",
    "how many challenges should teams finish",
    "promethues",
    "docker-networking",
];

/// The baseline: no index, no scope, no synonyms; the heading path most similar to the
/// whole query (normalised Levenshtein), as a naive bot would do it.
fn baseline<'a>(guide: &'a Guide, query: &str) -> Option<&'a str> {
    let query = query.to_lowercase();
    guide
        .sections
        .iter()
        .map(|s| (strsim::normalized_levenshtein(&query, &s.path.join(" ").to_lowercase()), s.id.as_str()))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, id)| id)
}

fn benches(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("guide");
    let config = Config { guide_dir: dir.clone(), ..Config::default() };
    let knowledge = Knowledge::load(&config).expect("shipped guide loads");
    let options = SearchOptions::default();

    let mut group = c.benchmark_group("lookup");
    group.bench_function("index_one_query", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % QUERIES.len();
            black_box(knowledge.index.search(black_box(QUERIES[i]), &options))
        })
    });
    group.bench_function("baseline_strsim_every_heading", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % QUERIES.len();
            black_box(baseline(&knowledge.guide, black_box(QUERIES[i])))
        })
    });
    let autocomplete = SearchOptions { prefix_last: true, limit: 25, prefer_challenge: Some(4), ..options };
    group.bench_function("index_autocomplete_prefix", |b| {
        b.iter(|| black_box(knowledge.index.search(black_box("ingr"), &autocomplete)))
    });
    group.finish();

    // A 200 KB log with one real error line in the middle, as a team pastes it.
    let mut log = String::new();
    let mut i = 0;
    while log.len() < 100 * 1024 {
        log.push_str(&format!("2026-12-04T10:{:02}:{:02}Z INFO poi request id={i:08x} status=200\n", i % 60, i % 59));
        i += 1;
    }
    let log = format!("{log}Warning  BackOff  kubelet  Back-off restarting failed container\n{log}");
    let errors: Vec<String> =
        knowledge.playbooks.iter().flat_map(|p| p.errors.iter().map(|e| e.to_lowercase())).collect();
    let mut group = c.benchmark_group("troubleshoot");
    group.bench_function("error_matcher_200kb_log", |b| b.iter(|| black_box(knowledge.errors.find(black_box(&log)))));
    // The baseline: lowercase the log, then look for every playbook's error strings in it.
    group.bench_function("baseline_substring_scan_200kb_log", |b| {
        b.iter(|| {
            let lower = black_box(&log).to_lowercase();
            black_box(errors.iter().filter(|e| lower.contains(e.as_str())).count())
        })
    });
    group.finish();

    let mut group = c.benchmark_group("index");
    let guide = Guide::load(&dir).expect("guide");
    let (playbooks, _) = load_playbooks(&dir.join("troubleshooting"));
    let vocabulary = Vocabulary::load(&dir).expect("vocabulary");
    group.bench_function("build_from_parsed_guide", |b| {
        b.iter(|| black_box(Knowledge::build(guide.clone(), playbooks.clone(), Vec::new(), vocabulary.clone())))
    });
    group.bench_function("load_and_build_from_files", |b| {
        b.iter(|| black_box(Knowledge::load(&config).expect("loads")))
    });
    group.finish();
}

criterion_group!(lookup, benches);
criterion_main!(lookup);
