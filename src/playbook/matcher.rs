//! Matching a pasted error line (or a whole log) against the playbooks' error fragments.
//!
//! Both sides become words the same way: lowercase, split on anything that is not a
//! letter or digit, and every word holding a digit dropped. What is left of a pasted
//! line is its fixed words (`back off pulling image myacr azurecr io poi`); names,
//! hashes, IPs, ports, counts and timestamps are gone. A fragment matches where its
//! words stand together in the line. The longest fragment wins: it is the most specific.

use std::collections::HashMap;

/// The fixed words of a text: lowercase, no punctuation, no word with a digit in it.
pub fn error_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !w.chars().any(|c| c.is_ascii_digit()))
        .map(str::to_lowercase)
        .collect()
}

/// A playbook whose error fragments occur in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorMatch {
    /// Index into the playbooks the matcher was built from.
    pub playbook: usize,
    /// The fragments found, as written in the playbook, longest first.
    pub fragments: Vec<String>,
    /// Words of the longest fragment, plus a little for each further one.
    pub score: f64,
}

#[derive(Debug, Clone, Default)]
pub struct ErrorMatcher {
    fragments: Vec<Fragment>,
    /// Fragments by their first word, so a long log is read once.
    by_first_word: HashMap<String, Vec<usize>>,
}

#[derive(Debug, Clone)]
struct Fragment {
    playbook: usize,
    words: Vec<String>,
    text: String,
}

impl ErrorMatcher {
    /// Builds the matcher from each playbook's error fragments, in playbook order.
    pub fn new<'a>(playbooks: impl IntoIterator<Item = &'a [String]>) -> ErrorMatcher {
        let mut matcher = ErrorMatcher::default();
        for (playbook, errors) in playbooks.into_iter().enumerate() {
            for text in errors {
                let words = error_words(text);
                let Some(first) = words.first().cloned() else { continue };
                matcher.by_first_word.entry(first).or_default().push(matcher.fragments.len());
                matcher.fragments.push(Fragment { playbook, words, text: text.clone() });
            }
        }
        matcher
    }

    /// Playbooks whose fragments occur in `text`, best first.
    pub fn find(&self, text: &str) -> Vec<ErrorMatch> {
        let words = error_words(text);
        let mut found: HashMap<usize, Vec<usize>> = HashMap::new();
        for (at, word) in words.iter().enumerate() {
            let Some(candidates) = self.by_first_word.get(word) else { continue };
            for &candidate in candidates {
                let fragment = &self.fragments[candidate];
                let end = at + fragment.words.len();
                if end <= words.len() && words[at..end] == fragment.words[..] {
                    let list = found.entry(fragment.playbook).or_default();
                    if !list.contains(&candidate) {
                        list.push(candidate);
                    }
                }
            }
        }
        let mut matches: Vec<ErrorMatch> = found
            .into_iter()
            .map(|(playbook, mut fragments)| {
                fragments.sort_by_key(|&f| std::cmp::Reverse(self.fragments[f].words.len()));
                let longest = self.fragments[fragments[0]].words.len() as f64;
                ErrorMatch {
                    playbook,
                    score: longest + 0.25 * (fragments.len() - 1) as f64,
                    fragments: fragments.iter().map(|&f| self.fragments[f].text.clone()).collect(),
                }
            })
            .collect();
        matches.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.playbook.cmp(&b.playbook)));
        matches
    }

    /// Fragments claimed by more than one playbook: (fragment, first, second) indices.
    pub fn duplicates(&self) -> Vec<(String, usize, usize)> {
        let mut seen: HashMap<&[String], usize> = HashMap::new();
        let mut duplicates = Vec::new();
        for fragment in &self.fragments {
            match seen.get(fragment.words.as_slice()) {
                Some(&other) if other != fragment.playbook => {
                    duplicates.push((fragment.text.clone(), other, fragment.playbook))
                }
                Some(_) => {}
                None => {
                    seen.insert(&fragment.words, fragment.playbook);
                }
            }
        }
        duplicates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher() -> ErrorMatcher {
        let errors = [
            vec!["ImagePullBackOff".to_string(), "Back-off pulling image".to_string()],
            vec!["Login failed for user 'sa'".to_string()],
            vec!["no such host".to_string()],
            vec!["Failed to query datasource: dial tcp: lookup prometheus: no such host".to_string()],
        ];
        ErrorMatcher::new(errors.iter().map(Vec::as_slice))
    }

    fn check(line: &str, expected: Option<usize>) {
        let found = matcher().find(line);
        assert_eq!(found.first().map(|m| m.playbook), expected, "{line}: {found:?}");
    }

    #[test]
    fn variable_parts_are_ignored() {
        check(
            "Warning  Failed  12s (x3 over 1m)  kubelet  Back-off pulling image \"myacr.azurecr.io/poi:1.0\"",
            Some(0),
        );
        check("poi-7d9f8b6c5-x2k4q   0/1   ImagePullBackOff   0   2m", Some(0));
        check("Sqlcmd: Error: Microsoft SQL Server: Login failed for user 'sa'..", Some(1));
    }

    #[test]
    fn the_longest_fragment_wins() {
        check("Failed to query datasource: dial tcp: lookup prometheus on 10.0.0.10:53: no such host", Some(2));
        check("logger=tsdb msg=\"Failed to query datasource: dial tcp: lookup prometheus: no such host\"", Some(3));
    }

    #[test]
    fn unrelated_text_matches_nothing() {
        check("everything is fine", None);
        check("", None);
        check("pulling", None);
    }

    #[test]
    fn words_drop_numbers_and_punctuation() {
        assert_eq!(
            error_words("0/3 nodes are available: 3 Insufficient cpu."),
            ["nodes", "are", "available", "insufficient", "cpu"]
        );
        assert_eq!(error_words("10.244.1.7:8080 i/o timeout"), ["i", "o", "timeout"]);
    }
}
