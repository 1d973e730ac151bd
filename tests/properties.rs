//! Properties that hold for any input: the parser, the lookup, the error matcher and the
//! renderer never panic, and rendered messages always stay inside Discord's limits.

use std::path::Path;
use std::sync::OnceLock;

use hackcoach::app::Knowledge;
use hackcoach::config::Config;
use hackcoach::guide::{Guide, parse_markdown};
use hackcoach::lookup::{Kinds, SearchOptions};
use hackcoach::render::{check_limits, render};
use hackcoach::reply::{Reply, Source};
use proptest::prelude::*;

fn knowledge() -> &'static Knowledge {
    static KNOWLEDGE: OnceLock<Knowledge> = OnceLock::new();
    KNOWLEDGE.get_or_init(|| {
        let config = Config { guide_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("guide"), ..Config::default() };
        Knowledge::load(&config).expect("shipped guide loads")
    })
}

/// Markdown-ish text: headings, fences, list markers, links and unicode mixed at random.
fn markdownish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("# ".to_string()),
        Just("## ".to_string()),
        Just("### Challenge 4\n".to_string()),
        Just("```".to_string()),
        Just("~~~".to_string()),
        Just("\n".to_string()),
        Just("- ".to_string()),
        Just("1. ".to_string()),
        Just("   ".to_string()),
        Just("[a](#b)".to_string()),
        Just("**".to_string()),
        Just("`".to_string()),
        Just("> ".to_string()),
        Just("| a | b |\n|---|---|\n".to_string()),
        Just("–é漢🙂\u{200b}".to_string()),
        "[a-zA-Z0-9 ]{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn the_parser_never_panics_and_keeps_ids_well_formed(text in markdownish()) {
        let sections = parse_markdown(Path::new("any.md"), &text);
        for (i, section) in sections.iter().enumerate() {
            prop_assert!(section.parent.is_none_or(|p| p < i));
            prop_assert!(section.children.iter().all(|&c| c > i && c < sections.len()));
            prop_assert!(!section.id.contains(char::is_whitespace));
        }
        let guide = Guide::from_documents([(Path::new("any.md"), text.as_str())]);
        let _ = hackcoach::guide::lint(&guide);
    }

    #[test]
    fn the_lookup_never_panics(query in any::<String>(), prefix in any::<bool>()) {
        let knowledge = knowledge();
        let options = SearchOptions { kinds: Kinds::Both, prefix_last: prefix, prefer_challenge: Some(4), ..SearchOptions::default() };
        let outcome = knowledge.index.search(&query, &options);
        prop_assert!(outcome.hits.len() <= options.limit);
        for hit in &outcome.hits {
            prop_assert!(hit.score.is_finite() && hit.score >= 0.0 && hit.score <= 1.0, "score {}", hit.score);
        }
        let _ = knowledge.errors.find(&query);
    }

    #[test]
    fn the_lookup_never_panics_on_words_near_the_guide(words in prop::collection::vec("(challenge|c|ch|[0-9]{1,3}|ingres+|kv|helm|sql|-|#|[a-z]{1,10})", 0..12)) {
        let query = words.join(" ");
        let outcome = knowledge().index.search(&query, &SearchOptions::default());
        prop_assert!(outcome.hits.iter().all(|h| h.score.is_finite()));
    }

    #[test]
    fn rendered_replies_always_fit_discord(title in any::<String>(), body in markdownish(), page in 0usize..5, sourced in any::<bool>()) {
        let mut reply = Reply::new(title, body).with_field("f", "v", true);
        if sourced {
            reply.source = Some(Source::Section("challenge-1".into()));
            reply.page = page;
        }
        for message in render(&reply) {
            prop_assert!(check_limits(&message).is_ok(), "{:?}", check_limits(&message));
        }
    }
}
