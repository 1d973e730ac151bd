//! `/hint QUERY`: the guide section that answers a topic, or choices when unsure.
//!
//! Team members get a section step by step (DESIGN.md, "Hints"): each `/hint` on it, or
//! its "Next hint" button, reveals one more step, counted per team in the store. Coaches,
//! and everyone when `hints.reveal = "full"`, get the whole section at once.

use crate::app::{App, Knowledge};
use crate::config::{RevealMode, heading_matches};
use crate::guide::{Guide, Section, join_blocks};
use crate::lookup::{DocKey, Outcome};
use crate::reply::{Action, ButtonStyle, Reply, Source, Tone, resolve_id};

use super::Invocation;
use super::team::{team_for_reading, team_of};

/// A best result scoring at least this is shown even when a runner-up is close (with the
/// runners-up offered as buttons); below it, the reply only offers choices.
const SHOW_ANYWAY: f64 = 0.3;

/// Answers `/hint QUERY`.
pub async fn hint(app: &App, invocation: &Invocation, query: &str) -> anyhow::Result<Reply> {
    let knowledge = app.knowledge();
    // Autocomplete and buttons send a section id; typed queries are searched.
    if knowledge.guide.section(query.trim()).is_some() {
        return hint_section(app, invocation, query.trim()).await;
    }
    let options = knowledge.search_options(&app.config);
    let guide = &knowledge.guide;
    let patterns = &app.config.hints.coach_only;
    let outcome = knowledge.index.search(query, &options);
    let outcome = if invocation.is_coach {
        outcome
    } else {
        // A member who names a coach-only section is told it is for coaches; otherwise
        // their lookup ranks only what they may read.
        if let Some(&(best, _)) = section_hits(guide, &outcome).first()
            && outcome.confident
            && is_coach_only(guide, best, patterns)
            && names_heading(query, best)
        {
            return show_section(app, invocation, guide, best, 0, Step::Next).await;
        }
        knowledge.index.search_where(query, &options, &|key| match key {
            DocKey::Section(i) => guide.sections.get(i).is_some_and(|s| !is_coach_only(guide, s, patterns)),
            DocKey::Playbook(_) => true,
        })
    };
    let sections = section_hits(guide, &outcome);
    let Some(&(best, best_score)) = sections.first() else {
        return Ok(nothing_found(&knowledge, query, &outcome));
    };
    if !outcome.confident && best_score < SHOW_ANYWAY {
        return Ok(did_you_mean(query, &sections));
    }
    let mut reply = show_section(app, invocation, &knowledge.guide, best, 0, Step::Next).await?;
    if !outcome.confident && reply.tone != Tone::Refusal {
        for &(other, _) in sections.iter().skip(1).take(3) {
            reply = reply.with_button(
                format!("Or: {}", other.display_path()),
                Action::Show(other.id.clone()),
                ButtonStyle::Secondary,
            );
        }
    }
    Ok(reply)
}

/// `/hint` on exactly one section by id (a "did you mean" or "Next hint" button, or an
/// autocomplete choice): for team members, reveals its next step.
pub async fn hint_section(app: &App, invocation: &Invocation, id: &str) -> anyhow::Result<Reply> {
    section_by_id(app, invocation, id, 0, Step::Next).await
}

/// Shows page `page` of a section by id (a page button): reveals nothing new.
pub async fn section_page(app: &App, invocation: &Invocation, id: &str, page: usize) -> anyhow::Result<Reply> {
    section_by_id(app, invocation, id, page, Step::Same).await
}

/// Whether showing a section to a team member reveals its next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Next,
    Same,
}

async fn section_by_id(app: &App, invocation: &Invocation, id: &str, page: usize, step: Step) -> anyhow::Result<Reply> {
    let knowledge = app.knowledge();
    let guide = &knowledge.guide;
    let Some(id) = resolve_id(id, guide.sections.iter().map(|s| s.id.as_str())) else {
        return Ok(Reply::refusal(
            "That part of the guide is no longer there (the guide was updated). Try `/hint` again.",
        ));
    };
    let Some(section) = guide.section(id) else {
        return Ok(Reply::refusal("That part of the guide is no longer there. Try `/hint` again."));
    };
    show_section(app, invocation, guide, section, page, step).await
}

/// True when the query names the section's heading (every content word of it, typos
/// allowed): "challenge 1 follow up" names "Challenge 1 Follow Up Questions".
fn names_heading(query: &str, section: &Section) -> bool {
    let query_words = crate::lookup::text::words(query);
    let heading_words = crate::lookup::text::words(section.heading());
    let significant: Vec<&String> = heading_words.iter().filter(|w| w.len() > 2).collect();
    !significant.is_empty()
        && significant.iter().filter(|w| query_words.iter().any(|q| strsim::damerau_levenshtein(q, w) <= 2)).count() * 2
            >= significant.len()
}

/// True when the section, or one of its parents, matches a coach-only heading pattern.
pub fn is_coach_only(guide: &Guide, section: &Section, patterns: &[String]) -> bool {
    let mut current = Some(section);
    while let Some(s) = current {
        if patterns.iter().any(|p| heading_matches(p, s.heading())) {
            return true;
        }
        current = s.parent.map(|p| &guide.sections[p]);
    }
    false
}

async fn show_section(
    app: &App,
    invocation: &Invocation,
    guide: &Guide,
    section: &Section,
    page: usize,
    step: Step,
) -> anyhow::Result<Reply> {
    let coach_only = is_coach_only(guide, section, &app.config.hints.coach_only);
    if coach_only && !invocation.is_coach {
        return Ok(Reply::refusal(format!(
            "“{}” is for coaches only. Ask your coach, or try `/hint` on a topic.",
            section.display_path()
        )));
    }
    let progressive = !invocation.is_coach && app.config.hints.reveal == RevealMode::Progressive;
    if progressive && !section.steps().is_empty() {
        return reveal_steps(app, invocation, guide, section, step).await;
    }
    let mut body = section.markdown();
    append_topics(&mut body, app, invocation, guide, section);
    if body.trim().is_empty() {
        body = "This section has no text of its own.".to_string();
    }
    let mut reply = Reply::new(section.display_path(), body).with_footer(footer(section, coach_only));
    reply.source = Some(Source::Section(section.id.clone()));
    reply.page = page;
    // Coaches read the guide privately; a team's hint is for the whole team.
    reply.private = invocation.is_coach;
    if coach_only {
        reply.tone = Tone::Warning;
    }
    Ok(reply)
}

/// A team member's hint: the steps revealed so far (one more with `Step::Next`), "step 2
/// of 5", and a "Next hint" button until the last step.
async fn reveal_steps(
    app: &App,
    invocation: &Invocation,
    guide: &Guide,
    section: &Section,
    step: Step,
) -> anyhow::Result<Reply> {
    let steps = section.steps();
    let total = u32::try_from(steps.len()).unwrap_or(u32::MAX);
    let store = app.store()?;
    // A reveal records the team's activity in its own commit (one synced write instead
    // of two); only a page turn, which reveals nothing, records it here.
    let team = match step {
        Step::Next => team_for_reading(store, invocation).await?,
        Step::Same => team_of(store, invocation).await?,
    };
    let mut revealed = match step {
        Step::Next => 0,
        Step::Same => store.revealed(team.id, &section.id).await?,
    };
    if revealed == 0 {
        revealed = store
            .reveal_hint(team.id, &section.id, section.challenge, total, invocation.user_id, invocation.now)
            .await?;
    }
    let shown = usize::try_from(revealed).unwrap_or(usize::MAX).min(steps.len());
    let mut body = join_blocks(steps.into_iter().take(shown));
    if revealed >= total {
        append_topics(&mut body, app, invocation, guide, section);
    }
    let progress = if revealed >= total {
        format!("step {revealed} of {total}, the last")
    } else {
        format!("step {revealed} of {total}")
    };
    let mut reply = Reply::new(section.display_path(), body).with_footer(format!("{} · {progress}", section.document));
    if revealed < total {
        reply = reply.with_button("Next hint", Action::NextHint(section.id.clone()), ButtonStyle::Primary);
    }
    Ok(reply)
}

/// Adds the list of sub-sections the person may open.
fn append_topics(body: &mut String, app: &App, invocation: &Invocation, guide: &Guide, section: &Section) {
    let topics: Vec<&Section> = guide
        .children(section)
        .filter(|child| invocation.is_coach || !is_coach_only(guide, child, &app.config.hints.coach_only))
        .collect();
    if !topics.is_empty() {
        let list = topics.iter().map(|t| format!("- {}", t.heading())).collect::<Vec<_>>().join("\n");
        if !body.is_empty() {
            body.push_str("\n\n");
        }
        body.push_str(&format!("**Topics in this part:**\n{list}"));
    }
}

fn footer(section: &Section, coach_only: bool) -> String {
    let mut footer = section.document.clone();
    if coach_only {
        footer.push_str(" · coaches only");
    }
    footer
}

fn section_hits<'a>(guide: &'a Guide, outcome: &Outcome) -> Vec<(&'a Section, f64)> {
    outcome
        .hits
        .iter()
        .filter_map(|hit| match hit.key {
            DocKey::Section(i) => guide.sections.get(i).map(|s| (s, hit.score)),
            DocKey::Playbook(_) => None,
        })
        .collect()
}

fn did_you_mean(query: &str, sections: &[(&Section, f64)]) -> Reply {
    let mut reply =
        Reply::new("Did you mean…", format!("I am not sure which part of the guide “{query}” is about. Pick one:"))
            .private();
    for &(section, _) in sections.iter().take(5) {
        reply = reply.with_button(section.display_path(), Action::Show(section.id.clone()), ButtonStyle::Primary);
    }
    reply
}

fn nothing_found(knowledge: &Knowledge, query: &str, outcome: &Outcome) -> Reply {
    let challenges: Vec<String> =
        knowledge.guide.challenge_numbers().iter().map(|n| format!("`/challenge {n}`")).collect();
    let mut body = format!("I found nothing in the guide about “{query}”.");
    if !outcome.unmatched.is_empty() {
        body.push_str(&format!(" These words are not in it: {}.", outcome.unmatched.join(", ")));
    }
    body.push_str(
        " Try other words, name a challenge (`/hint challenge 4 ingress`), or see a challenge's topics with ",
    );
    body.push_str(&challenges.join(", "));
    body.push('.');
    Reply::refusal(body)
}
