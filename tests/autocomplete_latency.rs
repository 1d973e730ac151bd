//! Autocomplete must answer well inside Discord's 3 seconds and keep up with typing:
//! under 1 ms per call on the shipped guide, measured over every prefix of every
//! heading as people type it. (Timed in the test profile; `cargo bench --bench
//! autocomplete` gives the optimised numbers for BENCHMARKS.md.)

use std::path::Path;
use std::time::{Duration, Instant};

use hackcoach::app::App;
use hackcoach::config::Config;
use hackcoach::discord::{challenge_choices, problem_choices, topic_choices};

/// What people type, keystroke by keystroke: every prefix of every section's path
/// (`challenge 4 i`, `challenge 4 in`, …) and some free text.
fn typed_prefixes(app: &App) -> Vec<String> {
    let knowledge = app.knowledge();
    let mut typed = Vec::new();
    let free = ["challenge 4 ingress", "c4 ingres", "kv aliases", "imagepullbackoff", "port forward", "sql server pw"];
    let paths = knowledge.guide.sections.iter().map(|s| s.path.join(" ").to_lowercase());
    for text in free.iter().map(|s| s.to_string()).chain(paths) {
        let chars: Vec<char> = text.chars().collect();
        for end in 1..=chars.len() {
            typed.push(chars[..end].iter().collect());
        }
    }
    typed
}

#[test]
fn autocomplete_answers_in_under_a_millisecond_per_call() {
    let guide = Path::new(env!("CARGO_MANIFEST_DIR")).join("guide");
    let app = App::load(Config { guide_dir: guide, ..Config::default() }).expect("the shipped guide loads");
    let knowledge = app.knowledge();
    let typed = typed_prefixes(&app);
    assert!(typed.len() > 1000, "{} prefixes", typed.len());

    // Warm up caches, then time every call.
    for text in typed.iter().take(200) {
        topic_choices(&knowledge, &app.config, text, None, false);
    }
    let mut times: Vec<Duration> = Vec::with_capacity(typed.len());
    let mut choices = 0;
    for (i, text) in typed.iter().enumerate() {
        let prefer = u32::try_from(i % 9).ok().filter(|&n| n > 0);
        let start = Instant::now();
        let answer = topic_choices(&knowledge, &app.config, text, prefer, i % 2 == 0);
        times.push(start.elapsed());
        assert!(answer.len() <= 25);
        choices += answer.len();
    }
    let start = Instant::now();
    for text in ["", "1", "4", "8", "12"] {
        challenge_choices(&knowledge, text);
    }
    let challenge_time = start.elapsed() / 5;
    let start = Instant::now();
    for text in &typed {
        assert!(problem_choices(&knowledge, text).len() <= 25);
    }
    let problem_mean = start.elapsed() / u32::try_from(typed.len()).unwrap_or(u32::MAX);

    times.sort_unstable();
    let total: Duration = times.iter().sum();
    let mean = total / u32::try_from(times.len()).unwrap_or(u32::MAX);
    let p99 = times[times.len() * 99 / 100];
    let max = times[times.len() - 1];
    eprintln!(
        "autocomplete over {} typed prefixes: mean {mean:?}, p99 {p99:?}, max {max:?}; {choices} choices; challenge numbers {challenge_time:?}; troubleshoot problems mean {problem_mean:?}",
        times.len()
    );
    assert!(choices > typed.len(), "most prefixes find something");
    assert!(mean < Duration::from_millis(1), "mean {mean:?} per call");
    assert!(p99 < Duration::from_millis(1), "p99 {p99:?} per call");
    assert!(challenge_time < Duration::from_millis(1), "challenge numbers {challenge_time:?}");
    assert!(problem_mean < Duration::from_millis(1), "troubleshoot problems {problem_mean:?}");
}
