//! Troubleshooting playbooks: the project's own pages in `guide/troubleshooting/*.md`,
//! one per problem, with TOML front matter between `+++` lines:
//!
//! ```toml
//! id = "image-pull"               # equals the file name
//! title = "Pods stuck in ImagePullBackOff"
//! aliases = ["image pull", "acr pull"]
//! errors = ["ErrImagePull", "Back-off pulling image"]   # fixed words of real errors
//! challenges = [2]
//! see_also = ["challenge-2"]      # guide section ids
//! ```
//!
//! The body is markdown: what the symptom means, then numbered steps.

mod matcher;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::guide::{LoadProblem, join_blocks, parse_markdown};
use crate::lookup::Document;

pub use matcher::{ErrorMatch, ErrorMatcher, error_words};

/// A loaded playbook.
#[derive(Debug, Clone, PartialEq)]
pub struct Playbook {
    pub id: String,
    pub title: String,
    pub aliases: Vec<String>,
    /// Fixed fragments of the error messages it covers.
    pub errors: Vec<String>,
    pub challenges: Vec<u32>,
    /// Guide section ids.
    pub see_also: Vec<String>,
    /// The body as Discord markdown: headings become bold lines.
    pub markdown: String,
    /// The body as plain words, for search.
    pub plain: String,
    pub source: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    title: String,
    aliases: Vec<String>,
    #[serde(default)]
    errors: Vec<String>,
    challenges: Vec<u32>,
    see_also: Vec<String>,
}

/// Largest playbook file accepted.
const MAX_PLAYBOOK_BYTES: u64 = 256 * 1024;

/// Loads every `*.md` in `dir` (a missing folder means no playbooks). Files that fail are
/// reported with path and line; the others load.
pub fn load_playbooks(dir: &Path) -> (Vec<Playbook>, Vec<LoadProblem>) {
    let mut playbooks = Vec::new();
    let mut problems = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (playbooks, problems);
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("md")))
        .collect();
    paths.sort();
    for path in paths {
        let problem = |line, message: String| LoadProblem { path: path.clone(), line, message };
        let text = match std::fs::metadata(&path) {
            Ok(meta) if meta.len() > MAX_PLAYBOOK_BYTES => {
                problems.push(problem(None, format!("too large: {} bytes (at most {MAX_PLAYBOOK_BYTES})", meta.len())));
                continue;
            }
            _ => match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) => {
                    problems.push(problem(None, format!("cannot read: {e}")));
                    continue;
                }
            },
        };
        match parse_playbook(&path, &text) {
            Ok(playbook) => playbooks.push(playbook),
            Err((line, message)) => problems.push(problem(line, message)),
        }
    }
    (playbooks, problems)
}

/// Parses one playbook file; the error carries a line when one is known.
pub fn parse_playbook(path: &Path, text: &str) -> Result<Playbook, (Option<usize>, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text.strip_prefix("+++\n").or_else(|| text.strip_prefix("+++\r\n")) else {
        return Err((Some(1), "the file must start with `+++` front matter".to_string()));
    };
    let Some(end) = rest.find("\n+++") else {
        return Err((Some(1), "the `+++` front matter is never closed".to_string()));
    };
    let front = &rest[..end + 1];
    let body = rest[end + 4..].trim_start_matches(['\r', '\n']);
    let front: FrontMatter = toml::from_str(front).map_err(|e| {
        let line = e.span().map(|span| front[..span.start].lines().count().max(1) + 1);
        (line, format!("front matter: {}", e.message()))
    })?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let checks = [
        (front.id != stem, format!("id “{}” must equal the file name “{stem}”", front.id)),
        (front.title.trim().is_empty(), "title is empty".to_string()),
        (front.aliases.iter().all(|a| a.trim().is_empty()), "aliases must name at least one topic".to_string()),
        (front.challenges.is_empty(), "challenges must name at least one challenge".to_string()),
        (front.see_also.is_empty(), "see_also must name at least one guide section".to_string()),
        (body.trim().is_empty(), "the body is empty".to_string()),
    ];
    if let Some((_, message)) = checks.into_iter().find(|(failed, _)| *failed) {
        return Err((Some(2), message));
    }
    for error in &front.errors {
        if error_words(error).iter().all(|w| w.is_empty()) {
            return Err((Some(2), format!("error “{error}” has no fixed words")));
        }
    }
    let sections = parse_markdown(path, &format!("## \n{body}"));
    let mut markdown = String::new();
    let mut plain = String::new();
    for section in &sections {
        let heading = section.heading().trim();
        if !heading.is_empty() {
            markdown.push_str(&format!("**{heading}**\n"));
        }
        markdown.push_str(&join_blocks(&section.blocks));
        markdown.push_str("\n\n");
        plain.push_str(&section.plain_text());
        plain.push('\n');
    }
    Ok(Playbook {
        id: front.id,
        title: front.title.trim().to_string(),
        aliases: front.aliases,
        errors: front.errors,
        challenges: front.challenges,
        see_also: front.see_also,
        markdown: markdown.trim().to_string(),
        plain,
        source: path.to_path_buf(),
    })
}

/// Problems `guide lint` reports about the playbooks: files that failed to load, links
/// to guide sections that do not exist, and error strings claimed twice.
pub fn lint(
    playbooks: &[Playbook],
    problems: &[LoadProblem],
    guide: &crate::guide::Guide,
    matcher: &ErrorMatcher,
) -> Vec<String> {
    let mut errors: Vec<String> = problems.iter().map(LoadProblem::to_string).collect();
    for playbook in playbooks {
        for id in &playbook.see_also {
            if guide.section(id).is_none() {
                errors.push(format!(
                    "{}: see_also names “{id}”, which is no guide section id",
                    playbook.source.display()
                ));
            }
        }
    }
    for (fragment, first, second) in matcher.duplicates() {
        errors.push(format!(
            "error string “{fragment}” is claimed by both {} and {}",
            playbooks[first].id, playbooks[second].id
        ));
    }
    let mut ids: Vec<&str> = playbooks.iter().map(|p| p.id.as_str()).collect();
    ids.sort_unstable();
    for pair in ids.windows(2) {
        if pair[0] == pair[1] {
            errors.push(format!("playbook id “{}” is used twice", pair[0]));
        }
    }
    errors
}

impl Playbook {
    /// The playbook as a searchable document: title as heading, aliases and id as
    /// aliases, the body and the error strings as body.
    pub fn document(&self) -> Document {
        let mut aliases = self.aliases.clone();
        aliases.push(self.id.replace('-', " "));
        Document {
            heading: self.title.clone(),
            aliases,
            context: Vec::new(),
            body: format!("{}\n{}", self.plain, self.errors.join("\n")),
            challenge: if self.challenges.len() == 1 { self.challenges.first().copied() } else { None },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Playbook, (Option<usize>, String)> {
        parse_playbook(Path::new("guide/troubleshooting/x.md"), text)
    }

    const GOOD: &str = "+++\nid = \"x\"\ntitle = \"X\"\naliases = [\"ex\"]\nerrors = [\"Boom happened\"]\nchallenges = [1]\nsee_also = [\"challenge-1\"]\n+++\n\n## What it means\n\nIt broke.\n\n## Steps\n\n1. Run `x`.\n2. Look.\n";

    #[test]
    fn a_complete_playbook_parses() {
        let playbook = parse(GOOD).expect("parses");
        assert_eq!(playbook.title, "X");
        assert!(playbook.markdown.starts_with("**What it means**\nIt broke."), "{}", playbook.markdown);
        assert!(playbook.markdown.contains("1. Run `x`.\n2. Look."), "{}", playbook.markdown);
    }

    fn check_refused(text: &str, fragment: &str) {
        let (_, message) = parse(text).expect_err("refused");
        assert!(message.contains(fragment), "{message}");
    }

    #[test]
    fn incomplete_front_matter_is_refused_by_name() {
        check_refused("no front matter", "must start with `+++`");
        check_refused("+++\nid = \"x\"\n", "never closed");
        check_refused(&GOOD.replace("title = \"X\"\n", ""), "missing field `title`");
        check_refused(&GOOD.replace("id = \"x\"", "id = \"y\""), "must equal the file name");
        check_refused(&GOOD.replace("see_also = [\"challenge-1\"]", "see_also = []"), "see_also");
        check_refused(&GOOD.replace("errors = [\"Boom happened\"]", "errors = [\"123 456\"]"), "no fixed words");
        check_refused(&GOOD.replace("challenges = [1]", "challenges = [1]\ncolour = 1"), "unknown field `colour`");
    }
}
