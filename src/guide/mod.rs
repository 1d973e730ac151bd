//! The coaches' guide as data: markdown files parsed into a tree of sections.
//!
//! A guide is one markdown file, or a folder of them, under the guide directory. The
//! top-level `#` heading of a file is its title; every deeper heading starts a section
//! whose path lists the headings from the top-level section down. Sections named
//! `Challenge N` (and everything below them) belong to challenge N.
//!
//! This module only models and loads; ranking lives in `lookup`, lint rules in `lint`.

mod lint;
mod parse;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use lint::{LintReport, lint};
pub use parse::{parse_markdown, unclosed_fence};

/// A challenge number as the guide numbers them (1-based).
pub type ChallengeNumber = u32;

/// Every guide file loaded from the guide directory, as one searchable set of sections.
#[derive(Debug, Clone, Default)]
pub struct Guide {
    pub sections: Vec<Section>,
    /// Files that failed to load, with the reason; the rest of the guide still loads.
    pub problems: Vec<LoadProblem>,
    by_id: HashMap<String, usize>,
}

/// One heading and the content under it up to the next heading.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Stable id: the slugs of the heading path joined with `/`, e.g. `challenge-4/ingress`.
    pub id: String,
    /// Headings from the top-level section down, the document title left out.
    pub path: Vec<String>,
    /// Markdown heading level (2 for `##`).
    pub level: u8,
    /// The title of the file this section comes from.
    pub document: String,
    /// File and 1-based line of the heading.
    pub source: PathBuf,
    pub line: usize,
    /// The challenge this section belongs to, if any.
    pub challenge: Option<ChallengeNumber>,
    /// True for the `Challenge N` heading itself.
    pub is_challenge: bool,
    /// Index of the parent section in `Guide::sections`.
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// Content in reading order; each block is one step of a progressive hint.
    pub blocks: Vec<Block>,
    pub links: Vec<Link>,
}

/// One unit of content: a paragraph, a list item, a code block or a quote.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: BlockKind,
    /// Discord-flavoured markdown for display (code blocks fenced, links masked).
    pub markdown: String,
    /// Plain words for search: no markup, link targets left out.
    pub plain: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockKind {
    Paragraph,
    /// A list item, with its nesting depth (0 for the outer list) and its number when ordered.
    ListItem {
        depth: usize,
        number: Option<u64>,
    },
    Code {
        language: String,
    },
    Quote,
    /// A table of contents: only links to headings of the same document. Not searched.
    Contents,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub text: String,
    pub target: String,
    /// 1-based line of the link in its file.
    pub line: usize,
}

/// A guide file that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for LoadProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path.display(), line, self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// Largest guide file accepted; the shipped guide is about 30 KB.
pub const MAX_GUIDE_FILE_BYTES: u64 = 4 * 1024 * 1024;

impl Guide {
    /// Loads every guide under `dir`: its `*.md` files and one level of sub-folders, except
    /// the folders holding other data (`troubleshooting/`). A file that cannot be read or
    /// parsed is recorded in `problems` and the others still load.
    pub fn load(dir: &Path) -> anyhow::Result<Guide> {
        use anyhow::Context as _;
        let mut files = Vec::new();
        let entries = std::fs::read_dir(dir).with_context(|| format!("reading guide directory {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("reading guide directory {}", dir.display()))?;
            let path = entry.path();
            if path.is_dir() {
                let name = entry.file_name();
                if name == "troubleshooting" || name.to_string_lossy().starts_with('.') {
                    continue;
                }
                let sub =
                    std::fs::read_dir(&path).with_context(|| format!("reading guide directory {}", path.display()))?;
                for sub_entry in sub {
                    let sub_path =
                        sub_entry.with_context(|| format!("reading guide directory {}", path.display()))?.path();
                    if is_markdown(&sub_path) {
                        files.push(sub_path);
                    }
                }
            } else if is_markdown(&path) {
                files.push(path);
            }
        }
        files.sort();
        let mut documents = Vec::new();
        let mut problems = Vec::new();
        for path in files {
            match read_guide_file(&path) {
                Ok(text) => documents.push((path, text)),
                Err(problem) => problems.push(problem),
            }
        }
        let mut guide = Guide::from_documents(documents.iter().map(|(p, t)| (p.as_path(), t.as_str())));
        guide.problems.extend(problems);
        Ok(guide)
    }

    /// Builds a guide from in-memory documents (path, markdown), in order.
    pub fn from_documents<'a>(documents: impl IntoIterator<Item = (&'a Path, &'a str)>) -> Guide {
        let mut guide = Guide::default();
        for (path, text) in documents {
            if let Some(line) = unclosed_fence(text) {
                guide.problems.push(LoadProblem {
                    path: path.to_path_buf(),
                    line: Some(line),
                    message:
                        "this code block is never closed, so everything after it would be code; the file was not loaded"
                            .to_string(),
                });
                continue;
            }
            let parsed = parse_markdown(path, text);
            if parsed.is_empty() {
                guide.problems.push(LoadProblem {
                    path: path.to_path_buf(),
                    line: None,
                    message: "no sections: the file has no `##` headings".to_string(),
                });
            }
            let offset = guide.sections.len();
            for mut section in parsed {
                section.parent = section.parent.map(|p| p + offset);
                section.children = section.children.iter().map(|c| c + offset).collect();
                if guide.by_id.contains_key(&section.id) {
                    // Two guides with the same heading path: the later one is qualified by
                    // its file name, so both stay addressable and ids stay stable.
                    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                    section.id = format!("{}:{}", slug(&stem), section.id);
                }
                guide.by_id.insert(section.id.clone(), guide.sections.len());
                guide.sections.push(section);
            }
        }
        guide
    }

    pub fn section(&self, id: &str) -> Option<&Section> {
        self.by_id.get(id).map(|&i| &self.sections[i])
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The `Challenge N` sections, in guide order.
    pub fn challenges(&self) -> impl Iterator<Item = &Section> {
        self.sections.iter().filter(|s| s.is_challenge)
    }

    pub fn challenge(&self, number: ChallengeNumber) -> Option<&Section> {
        self.challenges().find(|s| s.challenge == Some(number))
    }

    /// Challenge numbers in ascending order, without duplicates.
    pub fn challenge_numbers(&self) -> Vec<ChallengeNumber> {
        let mut numbers: Vec<_> = self.challenges().filter_map(|s| s.challenge).collect();
        numbers.sort_unstable();
        numbers.dedup();
        numbers
    }

    pub fn children(&self, section: &Section) -> impl Iterator<Item = &Section> {
        section.children.iter().map(|&i| &self.sections[i])
    }
}

impl Section {
    /// The heading of this section (last element of the path).
    pub fn heading(&self) -> &str {
        self.path.last().map(String::as_str).unwrap_or(&self.document)
    }

    /// The path as people read it: `Challenge 4 › Ingress`.
    pub fn display_path(&self) -> String {
        if self.path.is_empty() {
            return self.document.clone();
        }
        self.path.join(" › ")
    }

    /// Plain text of the section's own blocks, for search and lint.
    pub fn plain_text(&self) -> String {
        let mut text = String::new();
        for block in self.blocks.iter().filter(|b| b.kind != BlockKind::Contents) {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&block.plain);
        }
        text
    }

    /// Markdown of the section's own blocks, joined as they would be displayed.
    pub fn markdown(&self) -> String {
        join_blocks(self.blocks.iter().filter(|b| b.kind != BlockKind::Contents))
    }

    /// The blocks a hint reveals step by step (tables of contents left out).
    pub fn steps(&self) -> Vec<&Block> {
        self.blocks.iter().filter(|b| b.kind != BlockKind::Contents).collect()
    }
}

/// Joins blocks into one markdown text: list items on consecutive lines, other blocks
/// separated by a blank line.
pub fn join_blocks<'a>(blocks: impl IntoIterator<Item = &'a Block>) -> String {
    let mut out = String::new();
    let mut previous_was_item = false;
    for block in blocks {
        let is_item = matches!(block.kind, BlockKind::ListItem { .. });
        if !out.is_empty() {
            out.push_str(if is_item && previous_was_item { "\n" } else { "\n\n" });
        }
        out.push_str(&block.markdown);
        previous_was_item = is_item;
    }
    out
}

/// Lowercase ASCII-and-unicode-letter slug: runs of anything else become one `-`.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_dash = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.extend(c.to_lowercase());
        } else {
            pending_dash = true;
        }
    }
    out
}

fn is_markdown(path: &Path) -> bool {
    path.is_file() && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("md"))
}

fn read_guide_file(path: &Path) -> Result<String, LoadProblem> {
    let problem = |line, message: String| LoadProblem { path: path.to_path_buf(), line, message };
    let size = std::fs::metadata(path).map_err(|e| problem(None, format!("cannot read: {e}")))?.len();
    if size > MAX_GUIDE_FILE_BYTES {
        return Err(problem(None, format!("too large: {size} bytes (at most {MAX_GUIDE_FILE_BYTES})")));
    }
    let bytes = std::fs::read(path).map_err(|e| problem(None, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        problem(Some(line), "not valid UTF-8".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_slug(input: &str, expected: &str) {
        assert_eq!(slug(input), expected, "slug of {input:?}");
    }

    #[test]
    fn slugs_fold_case_and_punctuation() {
        check_slug("AAD Integration & RBAC", "aad-integration-rbac");
        check_slug("OpenHack - An Introduction for Coaches", "openhack-an-introduction-for-coaches");
        check_slug("Coaches Guide – Containers", "coaches-guide-containers");
        check_slug("  Ünïcode  Überschrift ", "ünïcode-überschrift");
        check_slug("---", "");
    }

    #[test]
    fn duplicate_paths_across_files_get_qualified_ids() {
        let a = "# A\n## Challenge 1\ntext\n";
        let b = "# B\n## Challenge 1\nother\n";
        let guide = Guide::from_documents([(Path::new("a.md"), a), (Path::new("b.md"), b)]);
        let ids: Vec<_> = guide.sections.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["challenge-1", "b:challenge-1"]);
    }

    #[test]
    fn a_malformed_file_is_reported_with_its_line_and_the_rest_load() {
        let broken = "## Challenge 2\n\n```bash\nkubectl get pods\n## Challenge 3\n";
        let good = "## Challenge 1\ntext\n";
        let guide = Guide::from_documents([(Path::new("broken.md"), broken), (Path::new("good.md"), good)]);
        assert_eq!(guide.challenge_numbers(), [1]);
        assert_eq!(guide.problems.len(), 1);
        assert!(guide.problems[0].to_string().starts_with("broken.md:3: this code block is never closed"));
    }

    #[test]
    fn a_file_without_headings_is_a_problem_not_a_failure() {
        let guide =
            Guide::from_documents([(Path::new("empty.md"), "just text"), (Path::new("g.md"), "## Challenge 1\nx")]);
        assert_eq!(guide.sections.len(), 1);
        assert_eq!(guide.problems.len(), 1);
        assert!(guide.problems[0].to_string().contains("empty.md"));
    }
}
