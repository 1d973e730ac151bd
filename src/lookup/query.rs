//! Finding the challenge a query names, wherever and however it is written.

use crate::guide::ChallengeNumber;

/// A query split into the challenge it names and the words left to search for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub challenge: Option<ChallengeNumber>,
    /// The query's words without the challenge reference.
    pub words: Vec<String>,
}

/// Finds a challenge reference in lowercase `words`: `challenge 4`, `challenge4`,
/// `chalenge 4`, `ch 4`, `ch4`, `c4`, `#4`, or a bare number in range at the start or end
/// of the query. Numbers beyond `max_challenge` are left alone (`port 80`).
pub fn parse_scope(words: &[String], max_challenge: ChallengeNumber) -> Scope {
    let in_range = |n: ChallengeNumber| n >= 1 && n <= max_challenge;
    for (i, word) in words.iter().enumerate() {
        // `challenge 4`, `ch 4`, `c 4` and misspellings of `challenge` before a number.
        if is_challenge_word(word)
            && let Some(n) = words.get(i + 1).and_then(|w| w.parse::<ChallengeNumber>().ok())
            && in_range(n)
        {
            return Scope { challenge: Some(n), words: without(words, &[i, i + 1]) };
        }
        // `challenge4`, `ch4`, `c4`.
        if let Some(n) = glued_number(word)
            && in_range(n)
        {
            return Scope { challenge: Some(n), words: without(words, &[i]) };
        }
    }
    // A bare number at either end: `4 ingress`, `ingress 4`.
    let ends = [0, words.len().saturating_sub(1)];
    for &i in &ends {
        if let Some(n) = words.get(i).and_then(|w| w.parse::<ChallengeNumber>().ok())
            && in_range(n)
            && words.get(i.wrapping_sub(1)).is_none_or(|w| w != "port")
        {
            return Scope { challenge: Some(n), words: without(words, &[i]) };
        }
    }
    Scope { challenge: None, words: words.to_vec() }
}

fn is_challenge_word(word: &str) -> bool {
    if matches!(word, "c" | "ch" | "chal" | "challenge" | "challenges") {
        return true;
    }
    word.len() >= 6 && word.starts_with('c') && strsim::damerau_levenshtein(word, "challenge") <= 2
}

fn glued_number(word: &str) -> Option<ChallengeNumber> {
    let digits_at = word.find(|c: char| c.is_ascii_digit())?;
    let (prefix, digits) = word.split_at(digits_at);
    if prefix.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) || digits.len() > 3 {
        return None;
    }
    if !is_challenge_word(prefix) {
        return None;
    }
    digits.parse().ok()
}

fn without(words: &[String], skip: &[usize]) -> Vec<String> {
    words.iter().enumerate().filter(|(i, _)| !skip.contains(i)).map(|(_, w)| w.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lookup::text::words;

    fn check(query: &str, challenge: Option<ChallengeNumber>, rest: &str) {
        let scope = parse_scope(&words(query), 8);
        assert_eq!(scope.challenge, challenge, "challenge of {query:?}");
        assert_eq!(scope.words.join(" "), rest, "rest of {query:?}");
    }

    #[test]
    fn challenge_references_in_every_spelling() {
        check("challenge 4 ingress", Some(4), "ingress");
        check("c4 helm", Some(4), "helm");
        check("ch 8 istio", Some(8), "istio");
        check("4 ingress", Some(4), "ingress");
        check("ingress 4", Some(4), "ingress");
        check("chalenge 4 ingres", Some(4), "ingres");
        check("challange 1 follow up", Some(1), "follow up");
        check("istio challenge8", Some(8), "istio");
        check("Challenge #3 aad", Some(3), "aad");
        check("what about challenge 2", Some(2), "what about");
    }

    #[test]
    fn numbers_that_are_not_challenges_stay() {
        check("port 80", None, "port 80");
        check("challenge 9 anything", None, "challenge 9 anything");
        check("expose port 8", None, "expose port 8");
        check("challenges", None, "challenges");
        check("seq 1 2000", None, "seq 1 2000");
    }
}
