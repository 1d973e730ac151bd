//! Autocomplete choices for `/hint` topics and `/challenge` numbers, from the in-memory
//! index. Pure functions (no Discord types) so they are tested and timed directly; `timed`
//! records how long each handler took for `/metrics`.
//!
//! Discord's rules: at most 25 choices, names and string values 1 to 100 characters.

use crate::app::Knowledge;
use crate::commands::is_coach_only;
use crate::config::Config;
use crate::guide::{ChallengeNumber, Section};
use crate::lookup::{DocKey, Kinds, SearchOptions};
use crate::ops::{AutocompleteKind, Metrics};
use crate::render::{limits, truncate};
use crate::reply::compact_id;

/// One autocomplete choice: what people read, and what Discord sends back as the option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub name: String,
    /// A section id (or `#hash` for an id longer than Discord allows).
    pub value: String,
}

/// Guide sections matching what has been typed so far, best first; the team's current
/// challenge first when known. Coach-only sections are offered to coaches only.
pub fn topic_choices(
    knowledge: &Knowledge,
    config: &Config,
    partial: &str,
    prefer_challenge: Option<ChallengeNumber>,
    is_coach: bool,
) -> Vec<Choice> {
    let guide = &knowledge.guide;
    let visible = |section: &Section| is_coach || !is_coach_only(guide, section, &config.hints.coach_only);
    let sections: Vec<&Section> = if partial.trim().is_empty() {
        // Nothing typed yet: the challenges, the team's own first.
        let mut challenges: Vec<&Section> = guide.challenges().collect();
        challenges.sort_by_key(|s| (s.challenge != prefer_challenge || prefer_challenge.is_none(), s.challenge));
        challenges
    } else {
        let options = SearchOptions {
            prefix_last: true,
            prefer_challenge,
            limit: limits::AUTOCOMPLETE_CHOICES,
            ..SearchOptions::default()
        };
        let outcome = knowledge.index.search(partial, &options);
        outcome
            .hits
            .iter()
            .filter_map(|hit| match hit.key {
                DocKey::Section(i) => guide.sections.get(i),
                DocKey::Playbook(_) => None,
            })
            .collect()
    };
    sections
        .into_iter()
        .filter(|section| visible(section))
        .take(limits::AUTOCOMPLETE_CHOICES)
        .map(|section| Choice {
            name: choice_name(&section.display_path()),
            value: compact_id(&section.id, limits::CHOICE_NAME),
        })
        .collect()
}

/// Playbooks for what has been typed: error fragments it contains first (a pasted error
/// line), then the topic search; every playbook when nothing is typed.
pub fn problem_choices(knowledge: &Knowledge, partial: &str) -> Vec<Choice> {
    let mut picked: Vec<usize> = Vec::new();
    if partial.trim().is_empty() {
        picked.extend(0..knowledge.playbooks.len());
    } else {
        picked.extend(knowledge.errors.find(partial).iter().map(|found| found.playbook));
        let options = SearchOptions {
            kinds: Kinds::Playbooks,
            prefix_last: true,
            limit: limits::AUTOCOMPLETE_CHOICES,
            ..SearchOptions::default()
        };
        let outcome = knowledge.index.search(partial, &options);
        for hit in &outcome.hits {
            if let DocKey::Playbook(i) = hit.key
                && !picked.contains(&i)
            {
                picked.push(i);
            }
        }
    }
    picked
        .into_iter()
        .filter_map(|i| knowledge.playbooks.get(i))
        .take(limits::AUTOCOMPLETE_CHOICES)
        .map(|playbook| Choice {
            name: choice_name(&playbook.title),
            value: compact_id(&playbook.id, limits::CHOICE_NAME),
        })
        .collect()
}

/// Challenges whose number starts with what has been typed (all of them for nothing),
/// named `Challenge 4: <opening words of its goal>`.
pub fn challenge_choices(knowledge: &Knowledge, partial: &str) -> Vec<(String, ChallengeNumber)> {
    let typed: String = partial.chars().filter(char::is_ascii_digit).collect();
    knowledge
        .guide
        .challenges()
        .filter_map(|section| section.challenge.map(|number| (section, number)))
        .filter(|(_, number)| number.to_string().starts_with(&typed))
        .take(limits::AUTOCOMPLETE_CHOICES)
        .map(|(section, number)| {
            let goal = section.steps().first().map(|block| block.plain.replace('\n', " ")).unwrap_or_default();
            let name = if goal.trim().is_empty() {
                section.display_path()
            } else {
                format!("{}: {}", section.display_path(), goal.trim())
            };
            (choice_name(&name), number)
        })
        .collect()
}

/// Runs one autocomplete handler, timing it (lookups included) for `/metrics`.
pub async fn timed<T>(metrics: &Metrics, kind: AutocompleteKind, handler: impl Future<Output = T>) -> T {
    let started = std::time::Instant::now();
    let answer = handler.await;
    metrics.record_autocomplete(kind, started.elapsed());
    answer
}

fn choice_name(text: &str) -> String {
    let name = truncate(text.trim(), limits::CHOICE_NAME - 1);
    if name.is_empty() { "(untitled)".to_string() } else { name }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knowledge() -> Knowledge {
        let config =
            Config { guide_dir: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("guide"), ..Config::default() };
        Knowledge::load(&config).expect("the shipped guide loads")
    }

    fn check(partial: &str, is_coach: bool, expected_first: Option<&str>) {
        let knowledge = knowledge();
        let choices = topic_choices(&knowledge, &Config::default(), partial, None, is_coach);
        assert!(choices.len() <= 25, "{partial}: {} choices", choices.len());
        for choice in &choices {
            assert!((1..100).contains(&choice.name.chars().count()), "{choice:?}");
            assert!((1..=100).contains(&choice.value.len()), "{choice:?}");
        }
        assert_eq!(choices.first().map(|c| c.value.as_str()), expected_first, "{partial}: {choices:?}");
    }

    #[test]
    fn partial_words_find_sections() {
        check("challenge 4 ingr", false, Some("challenge-4/ingress"));
        check("c4 ingress", false, Some("challenge-4/ingress"));
        check("", false, Some("challenge-1"));
        check("zzzqqqxxx", false, None);
    }

    #[test]
    fn coach_only_sections_are_offered_to_coaches_only() {
        let knowledge = knowledge();
        let member = topic_choices(&knowledge, &Config::default(), "follow up questions", None, false);
        let coach = topic_choices(&knowledge, &Config::default(), "follow up questions", None, true);
        assert!(member.iter().all(|c| !c.name.to_lowercase().contains("follow up")), "{member:?}");
        assert!(coach.iter().any(|c| c.name.to_lowercase().contains("follow up")), "{coach:?}");
    }

    #[test]
    fn the_team_challenge_comes_first_when_nothing_is_typed() {
        let knowledge = knowledge();
        let choices = topic_choices(&knowledge, &Config::default(), " ", Some(6), false);
        assert_eq!(choices[0].value, "challenge-6");
    }

    fn check_problem(partial: &str, expected_first: Option<&str>) {
        let knowledge = knowledge();
        let choices = problem_choices(&knowledge, partial);
        assert!(choices.len() <= 25, "{partial}: {} choices", choices.len());
        assert!(choices.iter().all(|c| (1..100).contains(&c.name.chars().count())), "{choices:?}");
        assert_eq!(choices.first().map(|c| c.value.as_str()), expected_first, "{partial}: {choices:?}");
    }

    #[test]
    fn problems_complete_from_topics_and_pasted_errors() {
        check_problem("imagepullb", Some("image-pull"));
        check_problem("Back-off pulling image \"myregistry.azurecr.io/api:v1\"", Some("image-pull"));
        check_problem("crashloop", Some("crashloopbackoff"));
        check_problem("qqqzzzxxx", None);
        assert_eq!(problem_choices(&knowledge(), "").len(), knowledge().playbooks.len().min(25));
    }

    #[test]
    fn challenge_numbers_complete_by_prefix() {
        let knowledge = knowledge();
        let all = challenge_choices(&knowledge, "");
        assert_eq!(all.iter().map(|c| c.1).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(challenge_choices(&knowledge, "4").iter().map(|c| c.1).collect::<Vec<_>>(), [4]);
        assert!(challenge_choices(&knowledge, "9").is_empty());
        assert!(all.iter().all(|(name, _)| name.starts_with("Challenge ") && name.chars().count() < 100));
    }
}
