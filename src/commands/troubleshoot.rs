//! `/troubleshoot TOPIC or pasted error`: the playbook for a problem.
//!
//! A pasted error is matched on its fixed words first (`playbook::ErrorMatcher`); a topic
//! goes through the same lookup as `/hint`, playbooks before guide sections. Every team
//! member sees the whole playbook: unblocking is not a solution.

use crate::app::{App, Knowledge};
use crate::lookup::{DocKey, Kinds, SearchOptions};
use crate::playbook::Playbook;
use crate::reply::{Action, ButtonStyle, Reply, Source};

use super::Invocation;

/// Topic searches read at most this much of the input: a pasted log that matched no
/// error fragment is not a topic, and its first words say most.
const TOPIC_CHARS: usize = 300;
/// A playbook scoring at least this on a topic is shown even when a runner-up is close.
const SHOW_ANYWAY: f64 = 0.3;

pub fn troubleshoot(app: &App, _invocation: &Invocation, text: &str) -> Reply {
    let knowledge = app.knowledge();
    let text = text.trim();
    if text.is_empty() {
        return choices(
            &knowledge,
            "What are you stuck on? Pick a topic, or paste the error line after `/troubleshoot`.",
            &[],
        );
    }
    if let Some(playbook) = knowledge.playbook(&text.to_lowercase()) {
        return show(&knowledge, playbook, 0, None);
    }
    let errors = knowledge.errors.find(text);
    if let Some(best) = errors.first() {
        let playbook = &knowledge.playbooks[best.playbook];
        let matched =
            format!("Matched: {}", best.fragments.iter().map(|f| format!("“{f}”")).collect::<Vec<_>>().join(", "));
        let mut reply = show(&knowledge, playbook, 0, Some(matched));
        for other in errors.iter().skip(1).take(2) {
            let title = &knowledge.playbooks[other.playbook].title;
            reply = reply.with_button(
                format!("Also: {title}"),
                Action::Playbook(knowledge.playbooks[other.playbook].id.clone()),
                ButtonStyle::Secondary,
            );
        }
        return reply;
    }
    let topic: String = text.chars().take(TOPIC_CHARS).collect();
    let options = SearchOptions { kinds: Kinds::Both, limit: 8, ..knowledge.search_options(&app.config) };
    let outcome = knowledge.index.search(&topic, &options);
    let playbook_hits: Vec<_> = outcome.hits.iter().filter(|h| matches!(h.key, DocKey::Playbook(_))).collect();
    if let Some(best) = playbook_hits.first()
        && let DocKey::Playbook(i) = best.key
        && (outcome.confident && outcome.best().is_some_and(|b| b.key == best.key) || best.score >= SHOW_ANYWAY)
    {
        let matched = format!("Matched words: {}", best.matched.join(", "));
        let mut reply = show(&knowledge, &knowledge.playbooks[i], 0, Some(matched));
        if !outcome.confident {
            for hit in playbook_hits.iter().skip(1).take(2) {
                if let DocKey::Playbook(j) = hit.key {
                    let other = &knowledge.playbooks[j];
                    reply = reply.with_button(
                        format!("Or: {}", other.title),
                        Action::Playbook(other.id.clone()),
                        ButtonStyle::Secondary,
                    );
                }
            }
        }
        return reply;
    }
    let keys: Vec<DocKey> = outcome.hits.iter().map(|h| h.key).collect();
    let intro = if keys.is_empty() {
        format!(
            "I have no playbook for “{}”. These are the problems I know; pick one, or paste the exact error line.",
            short(text)
        )
    } else {
        format!("I am not sure which problem “{}” is. Did you mean one of these?", short(text))
    };
    choices(&knowledge, &intro, &keys)
}

/// Shows page `page` of a playbook by id (page buttons, "Also" buttons).
pub fn playbook_page(app: &App, id: &str, page: usize) -> Reply {
    let knowledge = app.knowledge();
    let ids = knowledge.playbooks.iter().map(|p| p.id.as_str());
    let Some(playbook) = crate::reply::resolve_id(id, ids).and_then(|id| knowledge.playbook(id)) else {
        return Reply::refusal("That playbook is no longer there (the guide was updated). Try `/troubleshoot` again.");
    };
    show(&knowledge, playbook, page, None)
}

fn show(knowledge: &Knowledge, playbook: &Playbook, page: usize, matched: Option<String>) -> Reply {
    let see_also: Vec<String> = playbook
        .see_also
        .iter()
        .filter_map(|id| knowledge.guide.section(id))
        .map(|section| format!("{} — `/hint {}`", section.display_path(), section.id))
        .collect();
    let mut reply = Reply::new(playbook.title.clone(), playbook.markdown.clone());
    if !see_also.is_empty() {
        reply = reply.with_field("See also in the guide", see_also.join("\n"), false);
    }
    reply.footer = Some(match matched {
        Some(matched) => format!("{matched} · playbook {}", playbook.id),
        None => format!("playbook {}", playbook.id),
    });
    reply.source = Some(Source::Playbook(playbook.id.clone()));
    reply.page = page;
    reply
}

/// A private list of topics to pick from: the given results, or every playbook.
fn choices(knowledge: &Knowledge, intro: &str, keys: &[DocKey]) -> Reply {
    let mut lines = Vec::new();
    let mut reply = Reply::new("Troubleshooting", "").private();
    let keys: Vec<DocKey> =
        if keys.is_empty() { (0..knowledge.playbooks.len()).map(DocKey::Playbook).collect() } else { keys.to_vec() };
    for key in &keys {
        match *key {
            DocKey::Playbook(i) => {
                let playbook = &knowledge.playbooks[i];
                lines.push(format!("- **{}** — `/troubleshoot {}`", playbook.title, playbook.id));
                if reply.buttons.len() < 5 {
                    reply = reply.with_button(
                        playbook.title.clone(),
                        Action::Playbook(playbook.id.clone()),
                        ButtonStyle::Primary,
                    );
                }
            }
            DocKey::Section(i) => {
                let section = &knowledge.guide.sections[i];
                lines.push(format!("- Guide: **{}** — `/hint {}`", section.display_path(), section.id));
                if reply.buttons.len() < 5 {
                    reply = reply.with_button(
                        section.display_path(),
                        Action::Show(section.id.clone()),
                        ButtonStyle::Secondary,
                    );
                }
            }
        }
    }
    reply.body = format!("{intro}\n\n{}", lines.join("\n"));
    reply
}

fn short(text: &str) -> String {
    crate::render::truncate(text.lines().next().unwrap_or(""), 80)
}
