//! Lookup speed on the shipped guide: one query through the index, against a baseline
//! with no index (strsim similarity of the query to every heading path, best wins), and
//! building the index. Run with `cargo bench --bench lookup`.

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
