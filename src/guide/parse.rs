//! Markdown to sections, with pulldown-cmark.
//!
//! Walks the event stream once, cutting a new section at every heading below the
//! document title and collecting each section's content as blocks (paragraphs, list
//! items, code blocks, quotes). Headings inside code blocks are code, not headings,
//! because pulldown-cmark reports them as code text.

use std::path::Path;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::{Block, BlockKind, ChallengeNumber, Link, Section, slug};

/// Parses one markdown document into sections in document order. Parent and child
/// indices are relative to the returned vector.
pub fn parse_markdown(path: &Path, text: &str) -> Vec<Section> {
    let lines = LineIndex::new(text);
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let events: Vec<_> = Parser::new_ext(text, options).into_offset_iter().collect();

    let fallback_title = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mut builder = Builder {
        path,
        lines: &lines,
        document: fallback_title,
        title_seen: false,
        any_heading_seen: false,
        sections: Vec::new(),
        stack: Vec::new(),
        preamble: Vec::new(),
        preamble_links: Vec::new(),
        inline: Inline::default(),
        list_stack: Vec::new(),
        item_stack: Vec::new(),
        quote_depth: 0,
        heading: None,
        code: None,
        table_row: Vec::new(),
        table_cell: None,
    };
    for (event, range) in events {
        builder.event(event, range.start);
    }
    builder.finish()
}

/// The 1-based line of a fenced code block that is never closed, if any: everything
/// after it would silently become code, so the file is reported instead of loaded.
pub fn unclosed_fence(text: &str) -> Option<usize> {
    let mut open: Option<(char, usize, usize)> = None;
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let Some(marker) = trimmed.chars().next().filter(|c| *c == '`' || *c == '~') else { continue };
        let run = trimmed.chars().take_while(|&c| c == marker).count();
        if run < 3 {
            continue;
        }
        match open {
            None => {
                // An info string with a backtick cannot open a backtick fence.
                if indent < 4 || marker == '~' {
                    let info = &trimmed[run..];
                    if !(marker == '`' && info.contains('`')) {
                        open = Some((marker, run, number + 1));
                    }
                }
            }
            Some((open_marker, open_run, _)) => {
                if marker == open_marker && run >= open_run && trimmed[run..].trim().is_empty() {
                    open = None;
                }
            }
        }
    }
    open.map(|(_, _, line)| line)
}

/// Byte offset to 1-based line number.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// Inline content being collected: display markdown and plain words side by side.
#[derive(Default)]
struct Inline {
    markdown: String,
    plain: String,
    /// Link being collected: target and the length of `markdown` when it started.
    link: Option<(String, usize, usize)>,
    /// Number of links and of non-link characters, to recognise tables of contents.
    links: usize,
    links_to_anchors: usize,
    other_chars: usize,
}

impl Inline {
    fn take(&mut self) -> Inline {
        std::mem::take(self)
    }

    fn is_blank(&self) -> bool {
        self.markdown.trim().is_empty()
    }

    fn text(&mut self, text: &str) {
        if self.link.is_none() {
            self.other_chars += text.chars().filter(|c| !c.is_whitespace()).count();
        }
        for c in text.chars() {
            if matches!(c, '\\' | '*' | '_' | '~' | '`' | '|') {
                self.markdown.push('\\');
            }
            self.markdown.push(c);
        }
        self.plain.push_str(text);
    }

    fn code(&mut self, code: &str) {
        if self.link.is_none() {
            self.other_chars += code.len();
        }
        let fence = if code.contains('`') { "``" } else { "`" };
        let pad = if code.starts_with('`') || code.ends_with('`') { " " } else { "" };
        self.markdown.push_str(&format!("{fence}{pad}{code}{pad}{fence}"));
        self.plain.push_str(code);
    }

    fn raw(&mut self, markup: &str) {
        self.markdown.push_str(markup);
    }

    fn space(&mut self) {
        self.markdown.push(' ');
        self.plain.push(' ');
    }
}

struct ListState {
    ordered_next: Option<u64>,
}

/// A list item being collected: its own text, plus the blocks of anything nested in it.
struct ItemState {
    depth: usize,
    number: Option<u64>,
    /// The item's marker was already written (text before a nested list or code block);
    /// text after it continues the item without a new marker.
    marked: bool,
    inline: Inline,
    /// Index in the current section's blocks where this item's block goes.
    slot: usize,
}

struct HeadingState {
    level: u8,
    line: usize,
    inline: Inline,
}

struct CodeState {
    language: String,
    text: String,
}

struct OpenSection {
    index: usize,
    level: u8,
}

struct Builder<'a> {
    path: &'a Path,
    lines: &'a LineIndex,
    document: String,
    title_seen: bool,
    any_heading_seen: bool,
    sections: Vec<Section>,
    stack: Vec<OpenSection>,
    /// Content before the first section heading.
    preamble: Vec<Block>,
    preamble_links: Vec<Link>,
    inline: Inline,
    list_stack: Vec<ListState>,
    item_stack: Vec<ItemState>,
    quote_depth: usize,
    heading: Option<HeadingState>,
    code: Option<CodeState>,
    table_row: Vec<String>,
    table_cell: Option<Inline>,
}

impl Builder<'_> {
    fn event(&mut self, event: Event<'_>, offset: usize) {
        if let Some(code) = &mut self.code {
            match event {
                Event::Text(text) => code.text.push_str(&text),
                Event::End(TagEnd::CodeBlock) => self.end_code_block(),
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag, offset),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.current_inline().text(&text),
            Event::Code(code) => self.current_inline().code(&code),
            Event::InlineMath(math) | Event::DisplayMath(math) => self.current_inline().code(&math),
            Event::SoftBreak => self.current_inline().space(),
            Event::HardBreak => {
                let inline = self.current_inline();
                inline.markdown.push('\n');
                inline.plain.push('\n');
            }
            Event::Html(_) | Event::InlineHtml(_) | Event::FootnoteReference(_) | Event::TaskListMarker(_) => {}
            Event::Rule => {}
        }
    }

    fn current_inline(&mut self) -> &mut Inline {
        if let Some(heading) = &mut self.heading {
            return &mut heading.inline;
        }
        if let Some(cell) = &mut self.table_cell {
            return cell;
        }
        if let Some(item) = self.item_stack.last_mut() {
            return &mut item.inline;
        }
        &mut self.inline
    }

    fn start(&mut self, tag: Tag<'_>, offset: usize) {
        match tag {
            Tag::Heading { level, .. } => {
                self.heading = Some(HeadingState {
                    level: heading_level(level),
                    line: self.lines.line(offset),
                    inline: Inline::default(),
                });
            }
            Tag::CodeBlock(kind) => {
                self.flush_open_item_text();
                let language = match kind {
                    CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or("").to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some(CodeState { language, text: String::new() });
            }
            Tag::List(first) => {
                self.flush_open_item_text();
                self.list_stack.push(ListState { ordered_next: first });
            }
            Tag::Item => {
                let depth = self.list_stack.len().saturating_sub(1);
                let number = self.list_stack.last_mut().and_then(|list| {
                    let n = list.ordered_next?;
                    list.ordered_next = Some(n + 1);
                    Some(n)
                });
                let slot = self.blocks_mut().len();
                self.item_stack.push(ItemState { depth, number, marked: false, inline: Inline::default(), slot });
            }
            Tag::BlockQuote(_) => self.quote_depth += 1,
            Tag::Emphasis => self.current_inline().raw("*"),
            Tag::Strong => self.current_inline().raw("**"),
            Tag::Strikethrough => self.current_inline().raw("~~"),
            Tag::Link { dest_url, .. } => {
                let line = self.lines.line(offset);
                let inline = self.current_inline();
                let start = inline.markdown.len();
                inline.link = Some((dest_url.to_string(), start, line));
            }
            Tag::TableCell => self.table_cell = Some(Inline::default()),
            Tag::Paragraph
            | Tag::Image { .. }
            | Tag::HtmlBlock
            | Tag::FootnoteDefinition(_)
            | Tag::Table(_)
            | Tag::TableHead
            | Tag::TableRow
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::Superscript
            | Tag::Subscript
            | Tag::MetadataBlock(_) => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) => {
                if let Some(heading) = self.heading.take() {
                    self.heading_done(heading);
                }
            }
            TagEnd::Paragraph => {
                if self.item_stack.is_empty() && self.table_cell.is_none() {
                    let inline = self.inline.take();
                    let kind = if self.quote_depth > 0 { BlockKind::Quote } else { BlockKind::Paragraph };
                    self.push_inline_block(kind, inline);
                } else if let Some(item) = self.item_stack.last_mut() {
                    // Paragraphs inside a loose list item stay in the item, one line apart.
                    item.inline.markdown.push('\n');
                    item.inline.plain.push('\n');
                }
            }
            TagEnd::Item => {
                if let Some(item) = self.item_stack.pop() {
                    self.item_done(item);
                }
            }
            TagEnd::List(_) => {
                self.list_stack.pop();
            }
            TagEnd::BlockQuote(_) => self.quote_depth = self.quote_depth.saturating_sub(1),
            TagEnd::Emphasis => self.current_inline().raw("*"),
            TagEnd::Strong => self.current_inline().raw("**"),
            TagEnd::Strikethrough => self.current_inline().raw("~~"),
            TagEnd::Link => self.link_done(),
            TagEnd::TableCell => {
                if let Some(cell) = self.table_cell.take() {
                    self.table_row.push(cell.plain.trim().to_string());
                }
            }
            TagEnd::TableHead | TagEnd::TableRow => {
                let row = std::mem::take(&mut self.table_row).join(" | ");
                let inline = Inline { markdown: row.clone(), plain: row, ..Inline::default() };
                if self.item_stack.is_empty() {
                    self.push_inline_block(BlockKind::Paragraph, inline);
                }
            }
            TagEnd::CodeBlock => self.end_code_block(),
            _ => {}
        }
    }

    fn link_done(&mut self) {
        let line_for_link;
        let link = {
            let inline = self.current_inline();
            let Some((target, start, line)) = inline.link.take() else { return };
            line_for_link = line;
            let text_markdown = inline.markdown[start..].to_string();
            let text_plain = text_markdown.replace('\\', "");
            inline.links += 1;
            let is_web = target.starts_with("http://") || target.starts_with("https://");
            if target.starts_with('#') {
                inline.links_to_anchors += 1;
            }
            if is_web && !text_markdown.trim().is_empty() {
                inline.markdown.truncate(start);
                // Discord masks links only in embeds; `<url>` avoids a preview card.
                let shown = if text_plain.trim() == target {
                    format!("<{target}>")
                } else {
                    format!("[{text_markdown}](<{target}>)")
                };
                inline.markdown.push_str(&shown);
            }
            Link { text: text_plain, target, line: line_for_link }
        };
        self.links_mut().push(link);
    }

    fn heading_done(&mut self, heading: HeadingState) {
        self.flush_paragraph();
        let text = collapse_whitespace(&heading.inline.plain);
        let first_heading = !self.any_heading_seen;
        self.any_heading_seen = true;
        if heading.level == 1 && first_heading && !self.title_seen {
            self.title_seen = true;
            if !text.is_empty() {
                self.document = text;
            }
            return;
        }
        if self.sections.is_empty() {
            self.emit_preamble();
        }
        while self.stack.last().is_some_and(|open| open.level >= heading.level) {
            self.stack.pop();
        }
        let parent = self.stack.last().map(|open| open.index);
        let mut path = parent.map(|p| self.sections[p].path.clone()).unwrap_or_default();
        path.push(text.clone());
        let parent_challenge = parent.and_then(|p| self.sections[p].challenge);
        let (challenge, is_challenge) = match (parent_challenge, challenge_heading(&text)) {
            (Some(n), _) => (Some(n), false),
            (None, Some((n, exact))) => (Some(n), exact),
            (None, None) => (None, false),
        };
        let id = path.iter().map(|p| slug(p)).collect::<Vec<_>>().join("/");
        let index = self.sections.len();
        if let Some(p) = parent {
            self.sections[p].children.push(index);
        }
        self.sections.push(Section {
            id,
            path,
            level: heading.level,
            document: self.document.clone(),
            source: self.path.to_path_buf(),
            line: heading.line,
            challenge,
            is_challenge,
            parent,
            children: Vec::new(),
            blocks: Vec::new(),
            links: Vec::new(),
        });
        self.stack.push(OpenSection { index, level: heading.level });
    }

    fn emit_preamble(&mut self) {
        let blocks = std::mem::take(&mut self.preamble);
        let links = std::mem::take(&mut self.preamble_links);
        if blocks.iter().all(|b| b.kind == BlockKind::Contents) && links.iter().all(|l| l.target.starts_with('#')) {
            return;
        }
        self.sections.push(Section {
            id: slug(&self.document),
            path: Vec::new(),
            level: 1,
            document: self.document.clone(),
            source: self.path.to_path_buf(),
            line: 1,
            challenge: None,
            is_challenge: false,
            parent: None,
            children: Vec::new(),
            blocks,
            links,
        });
    }

    fn item_done(&mut self, mut item: ItemState) {
        let inline = item.inline.take();
        if inline.is_blank() {
            return;
        }
        let block = item_block(&item, inline);
        let slot = item.slot.min(self.blocks_mut().len());
        self.blocks_mut().insert(slot, block);
    }

    /// Text typed in a list item before a nested list or code block becomes its own block
    /// now, so the nested content follows it in reading order.
    fn flush_open_item_text(&mut self) {
        let Some(item) = self.item_stack.last_mut() else {
            self.flush_paragraph();
            return;
        };
        if item.inline.is_blank() {
            return;
        }
        let inline = item.inline.take();
        let block = item_block(item, inline);
        item.marked = true;
        let slot = item.slot;
        let blocks = self.blocks_mut();
        let at = slot.min(blocks.len());
        blocks.insert(at, block);
        let next_slot = self.blocks_mut().len();
        if let Some(item) = self.item_stack.last_mut() {
            item.slot = next_slot;
        }
    }

    fn flush_paragraph(&mut self) {
        if !self.inline.is_blank() {
            let inline = self.inline.take();
            self.push_inline_block(BlockKind::Paragraph, inline);
        }
    }

    fn end_code_block(&mut self) {
        let Some(code) = self.code.take() else { return };
        let body = code.text.trim_end_matches('\n').to_string();
        // A fence inside the code would end the block early in Discord; widen the fence.
        let fence = if body.contains("```") { "````" } else { "```" };
        let block = Block {
            kind: BlockKind::Code { language: code.language.clone() },
            markdown: format!("{fence}{}\n{body}\n{fence}", code.language),
            plain: body,
        };
        let blocks = self.blocks_mut();
        blocks.push(block);
        let next = blocks.len();
        if let Some(item) = self.item_stack.last_mut() {
            item.slot = next;
        }
    }

    fn push_inline_block(&mut self, kind: BlockKind, inline: Inline) {
        if inline.is_blank() {
            return;
        }
        let kind = if inline.links > 0 && inline.links == inline.links_to_anchors && inline.other_chars == 0 {
            BlockKind::Contents
        } else {
            kind
        };
        let markdown = match kind {
            BlockKind::Quote => inline.markdown.trim().lines().map(|l| format!("> {l}")).collect::<Vec<_>>().join("\n"),
            _ => inline.markdown.trim().to_string(),
        };
        self.blocks_mut().push(Block { kind, markdown, plain: collapse_whitespace(&inline.plain) });
    }

    fn blocks_mut(&mut self) -> &mut Vec<Block> {
        match self.stack.last() {
            Some(open) => &mut self.sections[open.index].blocks,
            None => &mut self.preamble,
        }
    }

    fn links_mut(&mut self) -> &mut Vec<Link> {
        match self.stack.last() {
            Some(open) => &mut self.sections[open.index].links,
            None => &mut self.preamble_links,
        }
    }

    fn finish(mut self) -> Vec<Section> {
        self.flush_paragraph();
        if self.sections.is_empty() && !self.preamble.is_empty() && self.any_heading_seen {
            self.emit_preamble();
        }
        self.sections
    }
}

/// A list item's block: `- text` or `3. text`, indented by depth; text that continues
/// an item after a nested list or code block is indented without a marker.
fn item_block(item: &ItemState, inline: Inline) -> Block {
    let indent = "  ".repeat(item.depth);
    let kind = if inline.links > 0 && inline.links == inline.links_to_anchors && inline.other_chars == 0 {
        BlockKind::Contents
    } else {
        BlockKind::ListItem { depth: item.depth, number: item.number }
    };
    let marker = match (item.marked, item.number) {
        (true, _) => "  ".to_string(),
        (false, Some(n)) => format!("{n}."),
        (false, None) => "-".to_string(),
    };
    let body = inline.markdown.trim().replace('\n', &format!("\n{indent}  "));
    Block { kind, markdown: format!("{indent}{marker} {body}"), plain: collapse_whitespace(&inline.plain) }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// `Challenge 4`, `Challenge 4: Ingress`, `challenge 12 - Extra` → (4, true) …;
/// `Challenge 1 Follow Up Questions` → (1, false): it belongs to challenge 1 but is not
/// the challenge's own heading.
fn challenge_heading(heading: &str) -> Option<(ChallengeNumber, bool)> {
    let lower = heading.trim().to_lowercase();
    let rest = lower.strip_prefix("challenge")?;
    let rest = rest.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > 4 {
        return None;
    }
    let number: ChallengeNumber = digits.parse().ok()?;
    let after = rest[digits.len()..].trim_start();
    let exact = after.is_empty() || after.starts_with([':', '-', '–', '—', '.', '(', '|']);
    Some((number, exact))
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Section> {
        parse_markdown(Path::new("test.md"), text)
    }

    fn paths(text: &str) -> Vec<String> {
        parse(text).iter().map(|s| s.path.join(" > ")).collect()
    }

    #[test]
    fn headings_inside_code_blocks_are_not_headings() {
        let text = "# T\n## Real\n```bash\n## not a heading\n# nor this\n```\n";
        assert_eq!(paths(text), ["Real"]);
        let section = &parse(text)[0];
        assert_eq!(section.blocks.len(), 1);
        assert_eq!(section.blocks[0].kind, BlockKind::Code { language: "bash".into() });
        assert!(section.blocks[0].plain.contains("## not a heading"));
    }

    #[test]
    fn nested_levels_build_paths_and_parents() {
        let text = "# T\n## A\n### B\n#### C\n### D\n## E\n";
        assert_eq!(paths(text), ["A", "A > B", "A > B > C", "A > D", "E"]);
        let sections = parse(text);
        assert_eq!(sections[2].parent, Some(1));
        assert_eq!(sections[0].children, [1, 3]);
        assert_eq!(sections[2].id, "a/b/c");
    }

    #[test]
    fn skipped_levels_still_nest_under_the_nearest_heading() {
        assert_eq!(paths("# T\n## A\n#### Deep\n## B\n"), ["A", "A > Deep", "B"]);
    }

    #[test]
    fn empty_sections_are_kept() {
        let sections = parse("# T\n## Empty\n## Full\ntext\n");
        assert_eq!(sections.len(), 2);
        assert!(sections[0].blocks.is_empty());
    }

    #[test]
    fn unicode_title_is_the_document_and_left_out_of_paths() {
        let sections = parse("# Coaches Guide – Containers\n\nIntro text.\n\n## Challenge 1\nGo.\n");
        assert_eq!(sections[0].document, "Coaches Guide – Containers");
        assert_eq!(sections[0].id, "coaches-guide-containers");
        assert!(sections[0].path.is_empty());
        assert_eq!(sections[1].path, ["Challenge 1"]);
    }

    #[test]
    fn unicode_headings_keep_their_letters() {
        assert_eq!(parse("## Überblick – Grundlagen\n")[0].id, "überblick-grundlagen");
    }

    #[test]
    fn a_file_with_no_headings_has_no_sections() {
        assert!(parse("Just a paragraph.\n\n- and a list\n").is_empty());
        assert!(parse("").is_empty());
    }

    #[test]
    fn challenges_are_found_from_their_headings() {
        let sections = parse("## Challenge 1\n### Challenge 1 Follow Up Questions\n## Challenge 12: Extra\n## Other\n");
        let found: Vec<_> = sections.iter().map(|s| (s.challenge, s.is_challenge)).collect();
        assert_eq!(found, [(Some(1), true), (Some(1), false), (Some(12), true), (None, false)]);
    }

    #[test]
    fn list_items_are_blocks_and_nested_items_follow_their_parent() {
        let sections = parse("## S\n- one\n- two\n    - two a\n    - two b\n- three\n");
        let items: Vec<_> = sections[0].blocks.iter().map(|b| b.markdown.as_str()).collect();
        assert_eq!(items, ["- one", "- two", "  - two a", "  - two b", "- three"]);
    }

    #[test]
    fn tables_of_contents_are_marked_and_not_searched() {
        let sections = parse("# T\n1. [A](#A)\n1. [B](#B)\n## A\n- real [link](https://x.test) text\n");
        assert_eq!(sections.len(), 1, "a preamble of only contents is dropped");
        assert_eq!(sections[0].links[0].target, "https://x.test");
        assert_eq!(sections[0].blocks[0].plain, "real link text");
    }

    #[test]
    fn code_spans_and_emphasis_survive_as_markdown() {
        let sections = parse("## S\nRun **`helm repo update`** before *anything* with snake_case.\n");
        assert_eq!(sections[0].blocks[0].markdown, "Run **`helm repo update`** before *anything* with snake\\_case.");
        assert_eq!(sections[0].blocks[0].plain, "Run helm repo update before anything with snake_case.");
    }

    #[test]
    fn unclosed_fences_are_found_with_their_line() {
        assert_eq!(unclosed_fence("## A\n```yaml\nx: 1\n```\n"), None);
        assert_eq!(unclosed_fence("## A\n\n```yaml\nx: 1\n## B\n"), Some(3));
        assert_eq!(unclosed_fence("````\n```\n````\n"), None);
        assert_eq!(unclosed_fence("- item\n   ~~~\n   code\n"), Some(2));
        assert_eq!(unclosed_fence("inline ``` is text"), None);
    }

    #[test]
    fn headings_know_their_line() {
        let sections = parse("# T\n\n## A\n\ntext\n\n## B\n");
        assert_eq!((sections[0].line, sections[1].line), (3, 7));
    }
}
#[cfg(test)]
mod continuation_tests {
    use super::*;

    #[test]
    fn text_after_a_code_block_continues_the_item() {
        let sections = parse_markdown(
            Path::new("t.md"),
            "## S\n1. Run:\n\n   ```bash\n   ls\n   ```\n\n   You see files.\n2. Next.\n",
        );
        let blocks: Vec<_> = sections[0].blocks.iter().map(|b| b.markdown.as_str()).collect();
        assert_eq!(blocks, ["1. Run:", "```bash\nls\n```", "   You see files.", "2. Next."]);
    }
}
