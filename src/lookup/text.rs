//! Words: how text is cut into terms for the index and for queries.
//!
//! Both sides go through the same steps, so they meet: lowercase, split on anything that
//! is not a letter or digit, and stem (Porter2, so `policies` meets `policy`). Compound
//! spellings (`ssl-redirect`, `port-forward`) also yield their joined form, so a query
//! typed either way finds them.

use rust_stemmers::{Algorithm, Stemmer};

/// Lowercase words of `text`, split on everything but letters and digits, in order.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Joined forms of compounds written with `-`, `_` or `.` between letters
/// (`ssl-redirect` → `sslredirect`), for the index only.
pub fn compounds(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .filter(|w| w.contains(['-', '_', '.']))
        .map(|w| w.trim_matches(['-', '_', '.']))
        .filter(|w| w.contains(['-', '_', '.']))
        .map(|w| w.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>())
        .filter(|w| w.chars().count() >= 4)
        .collect()
}

/// Stems words; numbers and short words stay as they are.
pub struct Normalizer {
    stemmer: Stemmer,
}

impl std::fmt::Debug for Normalizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Normalizer")
    }
}

impl Default for Normalizer {
    fn default() -> Self {
        Normalizer { stemmer: Stemmer::create(Algorithm::English) }
    }
}

impl Normalizer {
    /// The index term for one lowercase word.
    pub fn term(&self, word: &str) -> String {
        if word.chars().count() <= 3 || word.chars().any(|c| c.is_ascii_digit()) {
            return word.to_string();
        }
        self.stemmer.stem(word).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_on_punctuation_and_fold_case() {
        assert_eq!(
            words("Docker-Networking: `kubectl port-forward`!"),
            ["docker", "networking", "kubectl", "port", "forward"]
        );
        assert_eq!(words("{name},{port}"), ["name", "port"]);
        assert_eq!(words("  "), Vec::<String>::new());
    }

    #[test]
    fn compounds_are_joined() {
        assert_eq!(compounds("set ssl-redirect: \"false\" and az-cli, kube-dns."), ["sslredirect", "azcli", "kubedns"]);
        assert_eq!(compounds("a-b"), Vec::<String>::new());
    }

    #[test]
    fn stems_meet_across_inflections() {
        let n = Normalizer::default();
        assert_eq!(n.term("policies"), n.term("policy"));
        assert_eq!(n.term("challenges"), n.term("challenge"));
        assert_eq!(n.term("networking"), n.term("network"));
        assert_eq!(n.term("k8s"), "k8s");
        assert_eq!(n.term("aks"), "aks");
    }
}
