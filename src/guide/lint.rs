//! `hackcoach guide lint`: what a guide author needs to know before an event.

use std::collections::HashSet;

use super::{Guide, slug};
use crate::render::{char_len, limits};

/// Findings about a guide. Errors make `guide lint` exit non-zero; warnings do not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LintReport {
    pub challenges: Vec<u32>,
    pub sections: usize,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

impl LintReport {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

impl std::fmt::Display for LintReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let challenges = self.challenges.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
        writeln!(f, "sections: {}", self.sections)?;
        writeln!(f, "challenges found: {}", if challenges.is_empty() { "none".to_string() } else { challenges })?;
        for warning in &self.warnings {
            writeln!(f, "warning: {warning}")?;
        }
        for error in &self.errors {
            writeln!(f, "error: {error}")?;
        }
        write!(f, "{} error(s), {} warning(s)", self.errors.len(), self.warnings.len())
    }
}

/// Checks a loaded guide: load problems, challenges, sections too long for one embed,
/// links to headings that do not exist.
pub fn lint(guide: &Guide) -> LintReport {
    let mut report = LintReport { sections: guide.sections.len(), ..LintReport::default() };
    for problem in &guide.problems {
        report.errors.push(problem.to_string());
    }
    let mut numbers: Vec<u32> = guide.challenges().filter_map(|s| s.challenge).collect();
    let mut seen = HashSet::new();
    for section in guide.challenges() {
        if let Some(n) = section.challenge
            && !seen.insert(n)
        {
            report.warnings.push(format!(
                "{}:{}: challenge {n} appears twice; the first one is used",
                section.source.display(),
                section.line
            ));
        }
    }
    numbers.sort_unstable();
    numbers.dedup();
    if numbers.is_empty() {
        report.errors.push("no challenges: the guide needs headings such as `## Challenge 1`".to_string());
    } else if let Some(&last) = numbers.last() {
        let missing: Vec<String> = (1..=last).filter(|n| !numbers.contains(n)).map(|n| n.to_string()).collect();
        if !missing.is_empty() {
            report.warnings.push(format!("challenge numbers skip {}", missing.join(", ")));
        }
    }
    report.challenges = numbers;

    let anchors: HashSet<String> = guide.sections.iter().map(|s| slug(s.heading())).collect();
    for section in &guide.sections {
        let length = char_len(&section.markdown());
        if length > limits::EMBED_DESCRIPTION {
            report.warnings.push(format!(
                "{}:{}: section “{}” has {length} characters, more than one Discord embed ({}); it will be shown in pages",
                section.source.display(),
                section.line,
                section.display_path(),
                limits::EMBED_DESCRIPTION
            ));
        }
        for link in &section.links {
            if let Some(anchor) = link.target.strip_prefix('#')
                && !anchors.contains(&slug(anchor))
            {
                report.warnings.push(format!(
                    "{}:{}: link to #{anchor} matches no heading",
                    section.source.display(),
                    link.line
                ));
            }
            if link.target.trim().is_empty() {
                report.warnings.push(format!(
                    "{}:{}: link “{}” has no target",
                    section.source.display(),
                    link.line,
                    link.text
                ));
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn lint_text(text: &str) -> LintReport {
        lint(&Guide::from_documents([(Path::new("g.md"), text)]))
    }

    #[test]
    fn a_guide_without_challenges_is_an_error() {
        let report = lint_text("# T\n## Intro\ntext\n");
        assert!(!report.is_ok());
        assert!(report.errors[0].contains("no challenges"));
    }

    #[test]
    fn long_sections_and_broken_anchors_are_warned() {
        let long = "word ".repeat(1000);
        let report = lint_text(&format!("## Challenge 1\n{long}\n\n[x](#Nowhere) [y](#Challenge-1)\n## Challenge 3\n"));
        assert!(report.is_ok());
        assert_eq!(report.challenges, [1, 3]);
        let warnings = report.warnings.join("\n");
        assert!(warnings.contains("skip 2"), "{warnings}");
        assert!(warnings.contains("more than one Discord embed"), "{warnings}");
        assert!(warnings.contains("#Nowhere"), "{warnings}");
        assert!(!warnings.contains("#Challenge-1"), "{warnings}");
    }
}
