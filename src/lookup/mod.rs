//! One index over the guide's sections and the troubleshooting playbooks, serving
//! `/hint`, `/troubleshoot` topics, autocomplete and `hackcoach search`.
//!
//! Ranking, in order:
//! 1. **Scope.** A challenge named anywhere in the query (`challenge 4`, `c4`, `ch 8`,
//!    `chalenge 4`, a leading or trailing `4`) restricts the answer to that challenge;
//!    sections outside it are kept only as weak alternatives.
//! 2. **Slots.** The rest of the query becomes slots, one per meaning: a synonym phrase
//!    from `lookup.toml` (`kv` → key vault), two words that are one compound in the guide
//!    (`port forward` → `port-forward`), or a single word. Each slot has alternatives:
//!    the word's stem, its synonyms, words within a small edit distance (strsim
//!    Damerau–Levenshtein, found through a deletion index rather than by scanning the
//!    vocabulary), prefixes and two-word splits, each with a weight below 1.
//! 3. **Score.** BM25F over four fields (heading, aliases, parent headings, body), the
//!    best alternative per slot, normalised by what a perfect match would score, plus a
//!    bonus for how much of the heading the query covers.
//! 4. **Confidence.** The answer is confident when the best score is clear of the
//!    runner-up by `confidence_ratio`, or when the query covers a heading entirely.

mod index;
mod query;
pub mod text;
mod vocabulary;

pub use index::{DocKey, Document, Index};
pub use query::{Scope, parse_scope};
pub use vocabulary::{DEFAULT_VOCABULARY, Vocabulary};

use crate::guide::ChallengeNumber;

/// One ranked result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub key: DocKey,
    /// 0 to 1: how well the query matches, comparable across queries.
    pub score: f64,
    /// The query words (as typed) that matched this result.
    pub matched: Vec<String>,
}

/// The ranked results of one query and what the lookup made of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub hits: Vec<Hit>,
    /// True when the first hit is clearly the answer; false means "offer choices".
    pub confident: bool,
    /// The challenge the query named, if any.
    pub scope: Option<ChallengeNumber>,
    /// Query words that matched nothing in the guide.
    pub unmatched: Vec<String>,
}

impl Outcome {
    pub fn best(&self) -> Option<&Hit> {
        self.hits.first()
    }
}

/// What to search and how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchOptions {
    pub limit: usize,
    pub min_score: f64,
    pub confidence_ratio: f64,
    /// Only sections, only playbooks, or both.
    pub kinds: Kinds,
    /// Treat the last word as the start of a word (autocomplete).
    pub prefix_last: bool,
    /// Rank results from this challenge first (autocomplete in a team's channel).
    pub prefer_challenge: Option<ChallengeNumber>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kinds {
    Sections,
    Playbooks,
    Both,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: 5,
            min_score: 0.08,
            confidence_ratio: 1.2,
            kinds: Kinds::Sections,
            prefix_last: false,
            prefer_challenge: None,
        }
    }
}
