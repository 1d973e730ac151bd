//! Slash commands typed as text (`ask`, `console`): `/hint challenge 4 ingress`,
//! `/approve 3 note:great work force:true`. The same shapes Discord's own option
//! parser produces, so both paths meet at `Command`.

use super::Command;

/// One command as people type it.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub name: &'static str,
    /// Shown in `/help` and in Discord: imperative, under 100 characters.
    pub description: &'static str,
    /// Usage, as typed.
    pub usage: &'static str,
    pub coach_only: bool,
}

/// Every command, in the order `/help` lists them.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "hint",
        description: "Find the guide section for a topic, e.g. challenge 4 ingress",
        usage: "/hint QUERY",
        coach_only: false,
    },
    CommandSpec {
        name: "challenge",
        description: "Show a challenge's goal and its topics",
        usage: "/challenge N",
        coach_only: false,
    },
    CommandSpec { name: "help", description: "List what hackcoach can do", usage: "/help", coach_only: false },
];

/// Parses `/name args…` into a command, or says what is wrong in one sentence.
pub fn parse_slash(text: &str) -> Result<Command, String> {
    let text = text.trim();
    let Some(rest) = text.strip_prefix('/') else {
        return Err(format!("Commands start with `/`, for example `/hint {text}`."));
    };
    let (name, args) = match rest.split_once(char::is_whitespace) {
        Some((name, args)) => (name, args.trim()),
        None => (rest, ""),
    };
    let name = name.to_lowercase();
    match name.as_str() {
        "hint" => {
            let query = strip_option_name(args, "query");
            if query.is_empty() {
                return Err("Tell me what you need a hint on, for example `/hint challenge 4 ingress`.".to_string());
            }
            Ok(Command::Hint { query: query.to_string() })
        }
        "troubleshoot" => Ok(Command::Troubleshoot { query: strip_option_name(args, "problem").to_string() }),
        "challenge" => {
            let value = strip_option_name(args, "number");
            Ok(Command::Challenge { number: challenge_number(value)? })
        }
        "help" => Ok(Command::Help),
        other => {
            let known: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
            let closest = known.iter().min_by_key(|k| strsim::levenshtein(k, other)).copied().unwrap_or("help");
            Err(format!("There is no `/{other}` command. Did you mean `/{closest}`? `/help` lists them all."))
        }
    }
}

/// `query:ingress` → `ingress`; anything else is returned as it is.
fn strip_option_name<'a>(args: &'a str, option: &str) -> &'a str {
    args.strip_prefix(option).and_then(|rest| rest.strip_prefix(':')).map(str::trim).unwrap_or(args)
}

/// A challenge number as typed: `4`, `#4`, `challenge 4`.
pub fn challenge_number(text: &str) -> Result<i64, String> {
    let cleaned = text.trim().trim_start_matches(|c: char| c.is_alphabetic() || c == '#' || c.is_whitespace());
    if text.trim().is_empty() {
        return Err("Give a challenge number, for example `/challenge 4`.".to_string());
    }
    cleaned
        .parse::<i64>()
        .map_err(|_| format!("“{}” is not a challenge number; use a number such as `4`.", text.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<Command, &str>) {
        let parsed = parse_slash(text);
        match expected {
            Ok(command) => assert_eq!(parsed, Ok(command), "{text}"),
            Err(fragment) => {
                let error = parsed.expect_err(text);
                assert!(error.contains(fragment), "{text}: {error}");
            }
        }
    }

    #[test]
    fn hint_takes_the_whole_rest_as_query() {
        check("/hint challenge 4 ingress", Ok(Command::Hint { query: "challenge 4 ingress".into() }));
        check("/hint query: kv aliases", Ok(Command::Hint { query: "kv aliases".into() }));
        check("/hint", Err("what you need a hint on"));
    }

    #[test]
    fn challenge_numbers_in_several_spellings() {
        check("/challenge 4", Ok(Command::Challenge { number: 4 }));
        check("/challenge #7", Ok(Command::Challenge { number: 7 }));
        check("/challenge number:2", Ok(Command::Challenge { number: 2 }));
        check("/challenge four", Err("not a challenge number"));
        check("/challenge", Err("Give a challenge number"));
    }

    #[test]
    fn unknown_commands_suggest_the_closest() {
        check("/hnt x", Err("Did you mean `/hint`"));
        check("hint x", Err("start with `/`"));
    }
}
