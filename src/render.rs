//! `Reply` → Discord messages, inside every Discord limit.
//!
//! The output types use Discord's own field names, so `ask --json` prints what Discord
//! would receive and the Discord adapter only copies them into serenity builders.
//! Long bodies are split into pages at block boundaries, never inside a code block (a
//! code block longer than a page is cut into several fenced blocks); a reply that knows
//! its `Source` gets one page with Previous/Next buttons, any other gets several
//! messages.

use serde::Serialize;

use crate::reply::{Action, ButtonStyle, Reply, Tone};

/// Discord's limits (https://discord.com/developers/docs/resources/message).
pub mod limits {
    pub const CONTENT: usize = 2000;
    pub const EMBED_TITLE: usize = 256;
    pub const EMBED_DESCRIPTION: usize = 4096;
    pub const EMBED_FIELDS: usize = 25;
    pub const FIELD_NAME: usize = 256;
    pub const FIELD_VALUE: usize = 1024;
    pub const FOOTER: usize = 2048;
    pub const EMBED_TOTAL: usize = 6000;
    pub const EMBEDS: usize = 10;
    pub const BUTTON_LABEL: usize = 80;
    pub const BUTTONS_PER_ROW: usize = 5;
    pub const ROWS: usize = 5;
    pub const CUSTOM_ID: usize = 100;
    pub const AUTOCOMPLETE_CHOICES: usize = 25;
    pub const CHOICE_NAME: usize = 100;
}

/// Characters of body per page: under the description limit, leaving room in the
/// 6000-character embed total for title, fields and footer.
pub const PAGE_BUDGET: usize = 3500;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub content: String,
    pub embeds: Vec<Embed>,
    pub components: Vec<ActionRow>,
    pub allowed_mentions: AllowedMentions,
    pub ephemeral: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Embed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<EmbedField>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub footer: Option<EmbedFooter>,
    pub color: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbedField {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbedFooter {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionRow {
    /// Always 1 (action row).
    #[serde(rename = "type")]
    pub kind: u8,
    pub components: Vec<Component>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Component {
    /// Always 2 (button).
    #[serde(rename = "type")]
    pub kind: u8,
    /// 1 primary, 2 secondary, 3 success, 4 danger.
    pub style: u8,
    pub label: String,
    pub custom_id: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
}

/// Which mentions may ping. Always empty: nothing from the guide or a user pings anyone.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct AllowedMentions {
    pub parse: Vec<String>,
}

/// Renders a reply into one or more messages, each within Discord's limits.
pub fn render(reply: &Reply) -> Vec<Message> {
    let pages = paginate(&neutralize_mentions(&reply.body), PAGE_BUDGET);
    let color = match reply.tone {
        Tone::Info => 0x3b82f6,
        Tone::Success => 0x22c55e,
        Tone::Warning => 0xf59e0b,
        Tone::Refusal => 0xef4444,
    };
    let title = reply.title.as_deref().map(|t| truncate(&neutralize_mentions(t), limits::EMBED_TITLE));
    let fields: Vec<EmbedField> = reply
        .fields
        .iter()
        .take(limits::EMBED_FIELDS)
        .map(|f| EmbedField {
            name: non_empty(truncate(&neutralize_mentions(&f.name), limits::FIELD_NAME)),
            value: non_empty(truncate(&neutralize_mentions(&f.value), limits::FIELD_VALUE)),
            inline: f.inline,
        })
        .collect();
    let mut buttons: Vec<Component> = reply.buttons.iter().map(component).collect();

    let page_count = pages.len();
    if let Some(source) = &reply.source {
        let page = reply.page.min(page_count - 1);
        let footer = page_footer(reply.footer.as_deref(), page, page_count);
        if page_count > 1 {
            let mut paging = Vec::new();
            paging.push(Component {
                kind: 2,
                style: 2,
                label: "◀ Previous".into(),
                custom_id: Action::Page { source: source.clone(), page: page.saturating_sub(1) }.custom_id(),
                disabled: page == 0,
            });
            paging.push(Component {
                kind: 2,
                style: 2,
                label: "Next ▶".into(),
                custom_id: Action::Page { source: source.clone(), page: page + 1 }.custom_id(),
                disabled: page + 1 >= page_count,
            });
            paging.extend(buttons);
            buttons = paging;
        }
        // Fields belong to the whole reply; show them with the first page only.
        let page_fields = if page == 0 { fields } else { Vec::new() };
        let embed = fit_embed(title, &pages[page], page_fields, footer, color);
        return vec![message(vec![embed], rows(buttons), reply.private)];
    }

    let mut messages = Vec::new();
    for (page, body) in pages.iter().enumerate() {
        let last = page + 1 == page_count;
        let embed_title = if page == 0 { title.clone() } else { None };
        let footer = if last { reply.footer.clone() } else { None };
        let embed_fields = if last { fields.clone() } else { Vec::new() };
        let embed = fit_embed(embed_title, body, embed_fields, footer, color);
        let components = if last { rows(std::mem::take(&mut buttons)) } else { Vec::new() };
        messages.push(message(vec![embed], components, reply.private));
    }
    messages
}

/// How many pages a body takes.
pub fn page_count(body: &str) -> usize {
    paginate(body, PAGE_BUDGET).len()
}

fn message(embeds: Vec<Embed>, components: Vec<ActionRow>, ephemeral: bool) -> Message {
    Message { content: String::new(), embeds, components, allowed_mentions: AllowedMentions::default(), ephemeral }
}

fn page_footer(footer: Option<&str>, page: usize, count: usize) -> Option<String> {
    match (footer, count) {
        (footer, 1) => footer.map(str::to_string),
        (Some(footer), _) => Some(format!("{footer} · page {} of {count}", page + 1)),
        (None, _) => Some(format!("Page {} of {count}", page + 1)),
    }
}

/// Builds an embed and trims it to the 6000-character total if fields push it over.
fn fit_embed(
    title: Option<String>,
    body: &str,
    mut fields: Vec<EmbedField>,
    footer: Option<String>,
    color: u32,
) -> Embed {
    let footer = footer.map(|f| EmbedFooter { text: truncate(&neutralize_mentions(&f), limits::FOOTER) });
    let description = if body.trim().is_empty() { None } else { Some(truncate(body, limits::EMBED_DESCRIPTION)) };
    let size = |fields: &[EmbedField]| {
        title.as_deref().map_or(0, char_len)
            + description.as_deref().map_or(0, char_len)
            + footer.as_ref().map_or(0, |f| char_len(&f.text))
            + fields.iter().map(|f| char_len(&f.name) + char_len(&f.value)).sum::<usize>()
    };
    while size(&fields) > limits::EMBED_TOTAL && !fields.is_empty() {
        fields.pop();
    }
    Embed { title, description, fields, footer, color }
}

fn component(button: &crate::reply::Button) -> Component {
    let style = match button.style {
        ButtonStyle::Primary => 1,
        ButtonStyle::Secondary => 2,
        ButtonStyle::Success => 3,
        ButtonStyle::Danger => 4,
    };
    Component {
        kind: 2,
        style,
        label: non_empty(truncate(&button.label, limits::BUTTON_LABEL)),
        custom_id: button.action.custom_id(),
        disabled: false,
    }
}

fn rows(buttons: Vec<Component>) -> Vec<ActionRow> {
    buttons
        .chunks(limits::BUTTONS_PER_ROW)
        .take(limits::ROWS)
        .map(|chunk| ActionRow { kind: 1, components: chunk.to_vec() })
        .collect()
}

/// Splits markdown into pages of at most `budget` characters, breaking between blocks
/// (blank lines), then between lines, and never leaving a code fence open: a code
/// block that must be cut is closed at the cut and reopened, with its language, on the
/// next page.
pub fn paginate(body: &str, budget: usize) -> Vec<String> {
    let budget = budget.max(200);
    let mut pages = Vec::new();
    let mut page = String::new();
    for piece in pieces(body, budget) {
        let extra = if page.is_empty() { 0 } else { 2 };
        if !page.is_empty() && char_len(&page) + extra + char_len(&piece) > budget {
            pages.push(std::mem::take(&mut page));
        }
        if !page.is_empty() {
            page.push_str("\n\n");
        }
        page.push_str(&piece);
    }
    if !page.is_empty() || pages.is_empty() {
        pages.push(page);
    }
    pages
}

/// Blocks of the body (separated by blank lines outside code), each cut to fit `budget`.
fn pieces(body: &str, budget: usize) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut fence: Option<String> = None;
    for line in body.lines() {
        let trimmed = line.trim_start();
        if let Some(open) = &fence {
            current.push('\n');
            current.push_str(line);
            if trimmed.starts_with(open.as_str()) && trimmed.trim_start_matches('`').trim().is_empty() {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") {
            let ticks: String = trimmed.chars().take_while(|&c| c == '`').collect();
            fence = Some(ticks);
        }
        if line.trim().is_empty() && fence.is_none() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            continue;
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(line);
    }
    if let Some(ticks) = fence {
        // A fence the text never closes would swallow everything after it in Discord.
        current.push('\n');
        current.push_str(&ticks);
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks.into_iter().flat_map(|block| cut_block(&block, budget)).map(close_stray_fence).collect()
}

/// A block with an odd number of ``` (one used inline, say) gets a closing fence, so it
/// cannot leave the rest of the message inside a code block.
fn close_stray_fence(mut block: String) -> String {
    if !block.matches("```").count().is_multiple_of(2) {
        block.push_str("\n```");
    }
    block
}

/// Cuts one block to pieces of at most `budget` characters.
fn cut_block(block: &str, budget: usize) -> Vec<String> {
    if char_len(block) <= budget {
        return vec![block.to_string()];
    }
    let first_line = block.lines().next().unwrap_or("");
    let trimmed = first_line.trim_start();
    if trimmed.starts_with("```") {
        let ticks: String = trimmed.chars().take_while(|&c| c == '`').collect();
        let opener = trimmed.to_string();
        let lines: Vec<&str> = block.lines().collect();
        let inner_end =
            if lines.len() > 1 && lines[lines.len() - 1].trim() == ticks { lines.len() - 1 } else { lines.len() };
        let inner = &lines[1..inner_end];
        let room = budget.saturating_sub(char_len(&opener) + ticks.len() + 2).max(50);
        let mut out = Vec::new();
        let mut chunk = String::new();
        for line in inner {
            for part in split_chars(line, room) {
                if !chunk.is_empty() && char_len(&chunk) + 1 + char_len(&part) > room {
                    out.push(format!("{opener}\n{chunk}\n{ticks}"));
                    chunk.clear();
                }
                if !chunk.is_empty() {
                    chunk.push('\n');
                }
                chunk.push_str(&part);
            }
        }
        if !chunk.is_empty() || out.is_empty() {
            out.push(format!("{opener}\n{chunk}\n{ticks}"));
        }
        return out;
    }
    let mut out = Vec::new();
    let mut chunk = String::new();
    for line in block.lines() {
        for part in split_words(line, budget) {
            if !chunk.is_empty() && char_len(&chunk) + 1 + char_len(&part) > budget {
                out.push(std::mem::take(&mut chunk));
            }
            if !chunk.is_empty() {
                chunk.push('\n');
            }
            chunk.push_str(&part);
        }
    }
    if !chunk.is_empty() {
        out.push(chunk);
    }
    out
}

/// Splits a line longer than `budget` at spaces (or anywhere, for one huge word).
fn split_words(line: &str, budget: usize) -> Vec<String> {
    if char_len(line) <= budget {
        return vec![line.to_string()];
    }
    let mut out = Vec::new();
    let mut current = String::new();
    for word in line.split(' ') {
        for part in split_chars(word, budget) {
            if !current.is_empty() && char_len(&current) + 1 + char_len(&part) > budget {
                out.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(&part);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn split_chars(text: &str, budget: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= budget {
        return vec![text.to_string()];
    }
    chars.chunks(budget).map(|c| c.iter().collect()).collect()
}

/// Cuts to at most `max` characters, ending with `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if char_len(text) <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Breaks `@everyone`, `@here` and role/user mention syntax with a zero-width space, as
/// a second lock behind `allowed_mentions`.
pub fn neutralize_mentions(text: &str) -> String {
    text.replace("@everyone", "@\u{200b}everyone").replace("@here", "@\u{200b}here").replace("<@", "<@\u{200b}")
}

fn non_empty(text: String) -> String {
    if text.trim().is_empty() { "\u{200b}".to_string() } else { text }
}

pub fn char_len(text: &str) -> usize {
    text.chars().count()
}

/// Checks a message against every Discord limit; returns the first broken one.
pub fn check_limits(message: &Message) -> Result<(), String> {
    if char_len(&message.content) > limits::CONTENT {
        return Err(format!("content has {} characters", char_len(&message.content)));
    }
    if message.embeds.len() > limits::EMBEDS {
        return Err(format!("{} embeds", message.embeds.len()));
    }
    let mut total = 0;
    for embed in &message.embeds {
        let title = embed.title.as_deref().map_or(0, char_len);
        let description = embed.description.as_deref().map_or(0, char_len);
        let footer = embed.footer.as_ref().map_or(0, |f| char_len(&f.text));
        if title > limits::EMBED_TITLE {
            return Err(format!("title has {title} characters"));
        }
        if description > limits::EMBED_DESCRIPTION {
            return Err(format!("description has {description} characters"));
        }
        if footer > limits::FOOTER {
            return Err(format!("footer has {footer} characters"));
        }
        if embed.fields.len() > limits::EMBED_FIELDS {
            return Err(format!("{} fields", embed.fields.len()));
        }
        total += title + description + footer;
        for field in &embed.fields {
            let (name, value) = (char_len(&field.name), char_len(&field.value));
            if name == 0 || name > limits::FIELD_NAME || value == 0 || value > limits::FIELD_VALUE {
                return Err(format!("field {:?} has name {name} and value {value} characters", field.name));
            }
            total += name + value;
        }
        if let Some(description) = &embed.description
            && !description.matches("```").count().is_multiple_of(2)
        {
            return Err("a code fence is left open".to_string());
        }
    }
    if total > limits::EMBED_TOTAL {
        return Err(format!("embeds total {total} characters"));
    }
    if message.components.len() > limits::ROWS {
        return Err(format!("{} component rows", message.components.len()));
    }
    for row in &message.components {
        if row.components.len() > limits::BUTTONS_PER_ROW {
            return Err(format!("{} buttons in a row", row.components.len()));
        }
        for button in &row.components {
            if button.custom_id.len() > limits::CUSTOM_ID
                || char_len(&button.label) > limits::BUTTON_LABEL
                || button.label.is_empty()
            {
                return Err(format!("button {:?} breaks a limit", button.label));
            }
        }
    }
    if !message.allowed_mentions.parse.is_empty() {
        return Err("mentions are not locked down".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{Reply, Source};

    fn check_all(messages: &[Message]) {
        for message in messages {
            check_limits(message).unwrap_or_else(|e| panic!("{e}: {message:#?}"));
        }
    }

    #[test]
    fn a_short_reply_is_one_message() {
        let messages = render(&Reply::new("Title", "Body"));
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].embeds[0].description.as_deref(), Some("Body"));
        check_all(&messages);
    }

    #[test]
    fn a_long_code_block_is_cut_into_closed_fences() {
        let code = (0..300).map(|i| format!("line {i} of a long yaml file: value")).collect::<Vec<_>>().join("\n");
        let body = format!("Intro.\n\n```yaml\n{code}\n```\n\nOutro.");
        let pages = paginate(&body, 1000);
        assert!(pages.len() > 5);
        for page in &pages {
            assert!(char_len(page) <= 1000, "{}", char_len(page));
            assert_eq!(page.matches("```").count() % 2, 0, "open fence in {page}");
        }
        let joined = pages.join("\n");
        assert!(joined.contains("line 299 of"));
        assert!(pages[1].starts_with("```yaml"));
    }

    #[test]
    fn sourced_replies_page_with_buttons() {
        let body = (0..100).map(|i| format!("Paragraph {i} {}", "word ".repeat(20))).collect::<Vec<_>>().join("\n\n");
        let mut reply = Reply::new("Long", body);
        reply.source = Some(Source::Section("challenge-1/sql".into()));
        reply.page = 1;
        let messages = render(&reply);
        assert_eq!(messages.len(), 1);
        check_all(&messages);
        let buttons = &messages[0].components[0].components;
        assert_eq!(buttons[0].custom_id, "hc:ps:0:challenge-1/sql");
        assert_eq!(buttons[1].custom_id, "hc:ps:2:challenge-1/sql");
        assert!(messages[0].embeds[0].footer.as_ref().is_some_and(|f| f.text.starts_with("Page 2 of")));
    }

    #[test]
    fn unsourced_long_replies_become_several_messages() {
        let body = "x ".repeat(20_000);
        let messages = render(&Reply::new("t", body));
        assert!(messages.len() > 5);
        check_all(&messages);
    }

    #[test]
    fn mentions_never_ping() {
        let messages = render(&Reply::new("@everyone", "hi @here and <@&123> and @everyone"));
        let description = messages[0].embeds[0].description.clone().unwrap_or_default();
        assert!(!description.contains("@everyone") && !description.contains("@here") && !description.contains("<@&"));
        assert!(messages[0].allowed_mentions.parse.is_empty());
    }

    #[test]
    fn oversized_titles_fields_and_labels_are_trimmed() {
        let mut reply = Reply::new("T".repeat(300), "b");
        for i in 0..40 {
            reply = reply.with_field(format!("{i}{}", "n".repeat(300)), "v".repeat(2000), false);
        }
        reply = reply.with_button("L".repeat(200), Action::Show("x".into()), ButtonStyle::Primary);
        check_all(&render(&reply));
    }
}
