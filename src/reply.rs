//! What a command answers, before any transport: a title, a markdown body, fields,
//! buttons and who may see it. `render` turns it into Discord's message shape; the
//! console prints it as text.

/// A command's answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reply {
    pub title: Option<String>,
    /// Discord-flavoured markdown.
    pub body: String,
    pub fields: Vec<Field>,
    pub footer: Option<String>,
    pub buttons: Vec<Button>,
    /// Only the person who asked sees it.
    pub private: bool,
    pub tone: Tone,
    /// Where the body comes from, so a page button can rebuild it after a restart.
    pub source: Option<Source>,
    /// Which page of a long body to show (0-based).
    pub page: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub label: String,
    pub action: Action,
    pub style: ButtonStyle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ButtonStyle {
    #[default]
    Primary,
    Secondary,
    Success,
    Danger,
}

/// The colour of a reply: what kind of news it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    Info,
    Success,
    Warning,
    /// The user asked for something that cannot be done; says what to do instead.
    Refusal,
}

/// What a long body is, so any page of it can be rebuilt from ids alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A guide section, shown whole (coaches, or reveal mode "full").
    Section(String),
    /// A playbook by id.
    Playbook(String),
}

/// What a button does when pressed. Encoded into Discord's `custom_id` (at most 100
/// characters), so buttons keep working across restarts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Show a section (a "did you mean" choice): `/hint` on exactly this section.
    Show(String),
    /// Reveal the next step of a section's hint.
    NextHint(String),
    /// Show page `page` of a source.
    Page { source: Source, page: usize },
    /// Show a playbook (a `/troubleshoot` choice).
    Playbook(String),
}

/// Discord's limit on a component's custom id.
pub const MAX_CUSTOM_ID: usize = 100;

impl Action {
    /// The custom id for this action. Ids too long for Discord are replaced by a stable
    /// hash that `Action::parse` callers resolve against the loaded guide.
    pub fn custom_id(&self) -> String {
        let (tag, id, page) = match self {
            Action::Show(id) => ("show", id.as_str(), None),
            Action::NextHint(id) => ("next", id.as_str(), None),
            Action::Playbook(id) => ("pb", id.as_str(), None),
            Action::Page { source: Source::Section(id), page } => ("ps", id.as_str(), Some(*page)),
            Action::Page { source: Source::Playbook(id), page } => ("pp", id.as_str(), Some(*page)),
        };
        let page = page.map(|p| format!(":{p}")).unwrap_or_default();
        let full = format!("hc:{tag}{page}:{id}");
        if full.len() <= MAX_CUSTOM_ID {
            return full;
        }
        format!("hc:{tag}{page}:#{:016x}", stable_hash(id))
    }

    /// Parses a custom id made by `custom_id`. A hashed id comes back as `#<hex>`; use
    /// `resolve_id` to map it to the real id.
    pub fn parse(custom_id: &str) -> Option<Action> {
        let rest = custom_id.strip_prefix("hc:")?;
        let (head, id) = rest.split_once(':').map(|(head, tail)| {
            // `ps:3:challenge-4/ingress` has the page between tag and id.
            match head {
                "ps" | "pp" => tail
                    .split_once(':')
                    .map(|(page, id)| (format!("{head}:{page}"), id))
                    .unwrap_or((head.to_string(), tail)),
                _ => (head.to_string(), tail),
            }
        })?;
        if id.is_empty() {
            return None;
        }
        let id = id.to_string();
        let (tag, page) = match head.split_once(':') {
            Some((tag, page)) => (tag.to_string(), Some(page.parse::<usize>().ok()?)),
            None => (head, None),
        };
        match (tag.as_str(), page) {
            ("show", None) => Some(Action::Show(id)),
            ("next", None) => Some(Action::NextHint(id)),
            ("pb", None) => Some(Action::Playbook(id)),
            ("ps", Some(page)) => Some(Action::Page { source: Source::Section(id), page }),
            ("pp", Some(page)) => Some(Action::Page { source: Source::Playbook(id), page }),
            _ => None,
        }
    }
}

/// Maps an id from a custom id back to one of `candidates` (it may be a `#hash`).
pub fn resolve_id<'a>(id: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let hash = id.strip_prefix('#').and_then(|h| u64::from_str_radix(h, 16).ok());
    candidates.into_iter().find(|candidate| match hash {
        Some(hash) => stable_hash(candidate) == hash,
        None => *candidate == id,
    })
}

/// `id` itself when it has at most `max_len` bytes, otherwise `#<hash>` (which
/// `resolve_id` maps back). For ids sent through Discord fields with a length limit.
pub fn compact_id(id: &str, max_len: usize) -> String {
    if id.len() <= max_len { id.to_string() } else { format!("#{:016x}", stable_hash(id)) }
}

/// FNV-1a: stable across builds and platforms, unlike `DefaultHasher`.
fn stable_hash(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf29ce484222325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    hash
}

impl Reply {
    /// A plain reply with a title and body, seen by the channel.
    pub fn new(title: impl Into<String>, body: impl Into<String>) -> Reply {
        Reply { title: Some(title.into()), body: body.into(), ..Reply::default() }
    }

    /// A refusal the user caused: private, one sentence saying what to do instead.
    pub fn refusal(body: impl Into<String>) -> Reply {
        Reply { body: body.into(), private: true, tone: Tone::Refusal, ..Reply::default() }
    }

    /// Something went wrong on our side; the cause is in the log, not here.
    pub fn apology() -> Reply {
        Reply::refusal("Sorry, something went wrong on my side. It has been logged; please try again in a moment.")
    }

    pub fn private(mut self) -> Reply {
        self.private = true;
        self
    }

    pub fn with_tone(mut self, tone: Tone) -> Reply {
        self.tone = tone;
        self
    }

    pub fn with_footer(mut self, footer: impl Into<String>) -> Reply {
        self.footer = Some(footer.into());
        self
    }

    pub fn with_field(mut self, name: impl Into<String>, value: impl Into<String>, inline: bool) -> Reply {
        self.fields.push(Field { name: name.into(), value: value.into(), inline });
        self
    }

    pub fn with_button(mut self, label: impl Into<String>, action: Action, style: ButtonStyle) -> Reply {
        self.buttons.push(Button { label: label.into(), action, style });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(action: Action) {
        let id = action.custom_id();
        assert!(id.len() <= MAX_CUSTOM_ID, "{id}");
        assert_eq!(Action::parse(&id), Some(action), "{id}");
    }

    #[test]
    fn actions_survive_their_custom_ids() {
        round_trip(Action::Show("challenge-4/ingress".into()));
        round_trip(Action::NextHint("challenge-1/sql".into()));
        round_trip(Action::Playbook("image-pull".into()));
        round_trip(Action::Page { source: Source::Section("challenge-8/istio".into()), page: 3 });
        round_trip(Action::Page { source: Source::Playbook("ingress".into()), page: 0 });
    }

    #[test]
    fn long_ids_are_hashed_and_resolve() {
        let long = format!("challenge-1/{}", "very-long-heading-".repeat(10));
        let id = Action::NextHint(long.clone()).custom_id();
        assert!(id.len() <= MAX_CUSTOM_ID);
        let Some(Action::NextHint(hashed)) = Action::parse(&id) else { panic!("parses: {id}") };
        assert_eq!(resolve_id(&hashed, ["other", long.as_str()]), Some(long.as_str()));
    }

    #[test]
    fn garbage_custom_ids_are_none() {
        for id in ["", "hc:", "hc:show:", "hc:ps:x:id", "hc:zz:id", "other:show:x", "hc:ps:1"] {
            assert_eq!(Action::parse(id), None, "{id}");
        }
    }
}
