//! Autocomplete latency on the shipped guide (`cargo bench --bench autocomplete`): one
//! call per keystroke, so it must stay far under a millisecond. The baseline is the naive
//! version: every heading path and playbook title that contains the typed text, first 25.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use hackcoach::app::App;
use hackcoach::config::Config;
use hackcoach::discord::{challenge_choices, topic_choices};

fn autocomplete(c: &mut Criterion) {
    let guide = Path::new(env!("CARGO_MANIFEST_DIR")).join("guide");
    let Ok(app) = App::load(Config { guide_dir: guide, ..Config::default() }) else {
        panic!("the shipped guide must load for the benchmark");
    };
    let knowledge = app.knowledge();
    for partial in ["c", "challenge 4 ingr", "kv al", "imagepullb", ""] {
        c.bench_function(&format!("topic_choices {partial:?}"), |b| {
            b.iter(|| topic_choices(&knowledge, &app.config, black_box(partial), Some(4), false))
        });
    }
    let mut names: Vec<String> = knowledge.guide.sections.iter().map(|s| s.path.join(" ").to_lowercase()).collect();
    names.extend(knowledge.playbooks.iter().map(|p| p.title.to_lowercase()));
    for partial in ["c", "challenge 4 ingr", "kv al", "imagepullb", ""] {
        c.bench_function(&format!("baseline_contains {partial:?}"), |b| {
            b.iter(|| {
                let partial = black_box(partial).to_lowercase();
                black_box(names.iter().filter(|n| n.contains(&partial)).take(25).count())
            })
        });
    }
    c.bench_function("challenge_choices \"4\"", |b| b.iter(|| challenge_choices(&knowledge, black_box("4"))));
}

criterion_group!(benches, autocomplete);
criterion_main!(benches);
