//! The lookup's data: stop words and synonym groups, read from `lookup.toml` in the
//! guide folder (the shipped one is embedded as the default).

use std::collections::HashSet;
use std::path::Path;

use anyhow::Context as _;
use serde::Deserialize;

use super::text::words;

/// Stop words and synonym groups, with every phrase already cut into lowercase words.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    pub stopwords: HashSet<String>,
    /// Groups of phrases with one meaning; each phrase is a list of words.
    pub groups: Vec<Vec<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VocabularyFile {
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    synonyms: Vec<SynonymGroup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymGroup {
    terms: Vec<String>,
}

/// The vocabulary shipped with hackcoach, used when the guide folder has none.
pub const DEFAULT_VOCABULARY: &str = include_str!("../../guide/lookup.toml");

impl Vocabulary {
    /// Reads `dir/lookup.toml`, or the shipped default when the folder has none.
    pub fn load(dir: &Path) -> anyhow::Result<Vocabulary> {
        let path = dir.join("lookup.toml");
        if !path.exists() {
            return Vocabulary::parse(DEFAULT_VOCABULARY);
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        Vocabulary::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Vocabulary> {
        let file: VocabularyFile = toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))?;
        let stopwords = file.stopwords.iter().flat_map(|w| words(w)).collect();
        let mut groups = Vec::new();
        for (n, group) in file.synonyms.iter().enumerate() {
            let phrases: Vec<Vec<String>> = group.terms.iter().map(|t| words(t)).filter(|p| !p.is_empty()).collect();
            anyhow::ensure!(phrases.len() >= 2, "synonym group {} needs at least two terms", n + 1);
            groups.push(phrases);
        }
        Ok(Vocabulary { stopwords, groups })
    }

    pub fn is_stopword(&self, word: &str) -> bool {
        self.stopwords.contains(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_vocabulary_parses() {
        let vocabulary = Vocabulary::parse(DEFAULT_VOCABULARY).expect("shipped lookup.toml parses");
        assert!(vocabulary.is_stopword("how"));
        assert!(vocabulary.groups.iter().any(|g| g.contains(&vec!["kv".to_string()])));
    }

    #[test]
    fn malformed_vocabulary_is_refused() {
        assert!(Vocabulary::parse("[[synonyms]]\nterms = [\"alone\"]\n").is_err());
        assert!(Vocabulary::parse("stopword = []\n").is_err());
    }
}
