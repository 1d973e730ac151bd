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
        name: "troubleshoot",
        description: "Find the playbook for a problem: a topic or a pasted error message",
        usage: "/troubleshoot TOPIC-OR-ERROR",
        coach_only: false,
    },
    CommandSpec {
        name: "challenge",
        description: "Show a challenge's goal and its topics",
        usage: "/challenge N",
        coach_only: false,
    },
    CommandSpec { name: "help", description: "List what hackcoach can do", usage: "/help", coach_only: false },
    CommandSpec {
        name: "status",
        description: "Show your team's progress: challenges, time on the current one, hints used",
        usage: "/status",
        coach_only: false,
    },
    CommandSpec {
        name: "team",
        description: "Rename your team, e.g. /team name Blue Whales",
        usage: "/team name NEW",
        coach_only: false,
    },
    CommandSpec {
        name: "cluster",
        description: "Connect a read-only kubeconfig, check your cluster, or forget it",
        usage: "/cluster connect (attach kubeconfig) | /cluster check [challenge] | /cluster forget",
        coach_only: false,
    },
    CommandSpec {
        name: "approve",
        description: "Approve a challenge for this team and announce it in the channel",
        usage: "/approve N [note:TEXT] [force:true]",
        coach_only: true,
    },
    CommandSpec {
        name: "revoke",
        description: "Revoke a challenge's approval for this team (kept in the history)",
        usage: "/revoke N [reason:TEXT]",
        coach_only: true,
    },
    CommandSpec {
        name: "board",
        description: "Show every team in this server, the most likely stuck first",
        usage: "/board",
        coach_only: true,
    },
    CommandSpec {
        name: "guide",
        description: "Reload the guide and playbooks from disk; a guide failing lint is refused",
        usage: "/guide reload",
        coach_only: true,
    },
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
        "status" => Ok(Command::Status),
        "board" => Ok(Command::Board),
        "cluster" => {
            let (sub, rest) = match args.split_once(char::is_whitespace) {
                Some((sub, rest)) => (sub.to_lowercase(), rest.trim()),
                None => (args.to_lowercase(), ""),
            };
            match sub.as_str() {
                "connect" => Ok(Command::ClusterConnect { kubeconfig: None }),
                "check" => {
                    let value = strip_option_name(rest, "challenge");
                    let challenge = if value.is_empty() { None } else { Some(challenge_number(value)?) };
                    Ok(Command::ClusterCheck { challenge })
                }
                "forget" => Ok(Command::ClusterForget),
                _ => Err(
                    "Use `/cluster connect` (attach a kubeconfig), `/cluster check [challenge]` or `/cluster forget`."
                        .to_string(),
                ),
            }
        }
        "approve" => {
            let (leading, options) = split_options(args, &["challenge", "note", "force"])?;
            let challenge = challenge_argument(leading, option(&options, "challenge"), "approve")?;
            let force = match option(&options, "force") {
                Some(value) => yes_or_no(value).ok_or("`force:` takes `true` or `false`, for example `force:true`.")?,
                None => false,
            };
            Ok(Command::Approve { challenge, note: text_option(&options, "note"), force })
        }
        "revoke" => {
            let (leading, options) = split_options(args, &["challenge", "reason"])?;
            let challenge = challenge_argument(leading, option(&options, "challenge"), "revoke")?;
            Ok(Command::Revoke { challenge, reason: text_option(&options, "reason") })
        }
        "guide" => {
            if !args.eq_ignore_ascii_case("reload") {
                return Err("Use `/guide reload` to re-read the guide and playbooks from disk.".to_string());
            }
            Ok(Command::GuideReload)
        }
        "team" => {
            let (subcommand, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
            if !subcommand.eq_ignore_ascii_case("name") {
                return Err(
                    "Use `/team name NEW` to rename your team, for example `/team name Blue Whales`.".to_string()
                );
            }
            Ok(Command::TeamName { name: strip_option_name(rest.trim(), "name").to_string() })
        }
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

/// Options by name, in the order typed.
type Options<'a> = Vec<(&'static str, &'a str)>;

/// Splits `3 note:great work force:true` into the leading text (`3`) and the options
/// named in `keys`. A value runs until the next known `key:`, so it may hold spaces and
/// colons (`note:see http://x`); an unknown `word:` stays part of the value.
fn split_options<'a>(args: &'a str, keys: &[&'static str]) -> Result<(&'a str, Options<'a>), String> {
    // (where the `key:` starts, the key, where its value starts)
    let mut markers: Vec<(usize, &'static str, usize)> = Vec::new();
    for (at, _) in args.char_indices() {
        let starts_word = at == 0 || args[..at].ends_with(char::is_whitespace);
        if !starts_word {
            continue;
        }
        let rest = &args[at..];
        let key = keys.iter().find(|key| {
            rest.get(..key.len()).is_some_and(|head| head.eq_ignore_ascii_case(key))
                && rest[key.len()..].starts_with(':')
        });
        if let Some(&key) = key {
            if markers.iter().any(|&(_, seen, _)| seen == key) {
                return Err(format!("`{key}:` is given twice; give it once."));
            }
            markers.push((at, key, at + key.len() + 1));
        }
    }
    let leading = args[..markers.first().map_or(args.len(), |&(at, _, _)| at)].trim();
    let options = markers
        .iter()
        .enumerate()
        .map(|(i, &(_, key, value_start))| {
            let end = markers.get(i + 1).map_or(args.len(), |&(next, _, _)| next);
            (key, args[value_start..end].trim())
        })
        .collect();
    Ok((leading, options))
}

fn option<'a>(options: &[(&'static str, &'a str)], key: &str) -> Option<&'a str> {
    options.iter().find(|(k, _)| *k == key).map(|(_, value)| *value)
}

/// A free-text option; empty means not given.
fn text_option(options: &[(&'static str, &str)], key: &str) -> Option<String> {
    option(options, key).filter(|value| !value.is_empty()).map(str::to_string)
}

/// The challenge of `/approve` and `/revoke`: typed first, or as `challenge:N`.
fn challenge_argument(leading: &str, option: Option<&str>, command: &str) -> Result<i64, String> {
    let (number, extra) = match option {
        Some(value) => (value, leading),
        None => leading.split_once(char::is_whitespace).unwrap_or((leading, "")),
    };
    if number.trim().is_empty() {
        return Err(format!("Give the challenge number, for example `/{command} 3`."));
    }
    if !extra.trim().is_empty() {
        let key = if command == "approve" { "note" } else { "reason" };
        return Err(format!(
            "Put the text after `{key}:`, for example `/{command} {} {key}:{}`.",
            number.trim(),
            extra.trim()
        ));
    }
    challenge_number(number)
}

fn yes_or_no(value: &str) -> Option<bool> {
    match value.to_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
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
    fn guide_reload_is_the_only_guide_subcommand() {
        check("/guide reload", Ok(Command::GuideReload));
        check("/guide RELOAD", Ok(Command::GuideReload));
        check("/guide", Err("/guide reload"));
        check("/guide delete", Err("/guide reload"));
    }

    #[test]
    fn every_parsed_command_is_listed_for_help() {
        for text in ["/hint x", "/troubleshoot x", "/challenge 1", "/help", "/status", "/team name x", "/cluster check"]
        {
            let name = text[1..].split(' ').next().unwrap_or("");
            assert!(parse_slash(text).is_ok(), "{text}");
            assert!(COMMANDS.iter().any(|c| c.name == name), "{name} is missing from COMMANDS");
        }
        for text in ["/approve 1", "/revoke 1", "/board", "/guide reload"] {
            let name = text[1..].split(' ').next().unwrap_or("");
            assert!(COMMANDS.iter().any(|c| c.name == name && c.coach_only), "{name} is missing or not coach-only");
        }
    }

    #[test]
    fn hint_takes_the_whole_rest_as_query() {
        check("/hint challenge 4 ingress", Ok(Command::Hint { query: "challenge 4 ingress".into() }));
        check("/hint query: kv aliases", Ok(Command::Hint { query: "kv aliases".into() }));
        check("/hint", Err("what you need a hint on"));
    }

    #[test]
    fn cluster_subcommands() {
        check("/cluster connect", Ok(Command::ClusterConnect { kubeconfig: None }));
        check("/cluster check", Ok(Command::ClusterCheck { challenge: None }));
        check("/cluster check 4", Ok(Command::ClusterCheck { challenge: Some(4) }));
        check("/cluster check challenge:6", Ok(Command::ClusterCheck { challenge: Some(6) }));
        check("/cluster forget", Ok(Command::ClusterForget));
        assert!(parse_slash("/cluster delete").is_err());
        assert!(parse_slash("/cluster").is_err());
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
    fn approve_takes_a_number_and_options_whose_values_run_to_the_next_key() {
        let approve = |challenge, note: Option<&str>, force| Command::Approve {
            challenge,
            note: note.map(str::to_string),
            force,
        };
        check("/approve 3", Ok(approve(3, None, false)));
        check("/approve 3 note:great work force:true", Ok(approve(3, Some("great work"), true)));
        check("/approve 3 force:yes note: see http://x.io/a:b ", Ok(approve(3, Some("see http://x.io/a:b"), true)));
        check("/approve challenge:2 note:ok", Ok(approve(2, Some("ok"), false)));
        check("/approve 3 note:", Ok(approve(3, None, false)));
        check("/approve 3 note:a note:b", Err("given twice"));
        check("/approve 3 force:maybe", Err("`force:` takes `true` or `false`"));
        check("/approve 3 great work", Err("Put the text after `note:`"));
        check("/approve", Err("Give the challenge number"));
        check("/approve three", Err("not a challenge number"));
    }

    #[test]
    fn revoke_takes_a_number_and_a_reason() {
        check(
            "/revoke 2 reason:missed criteria",
            Ok(Command::Revoke { challenge: 2, reason: Some("missed criteria".into()) }),
        );
        check("/revoke 2", Ok(Command::Revoke { challenge: 2, reason: None }));
        check("/revoke x2y", Err("not a challenge number"));
    }

    #[test]
    fn team_name_takes_the_rest_of_the_line() {
        check("/team name Blue Whales", Ok(Command::TeamName { name: "Blue Whales".into() }));
        check("/team name name:Blue Whales", Ok(Command::TeamName { name: "Blue Whales".into() }));
        check("/team name", Ok(Command::TeamName { name: String::new() }));
        check("/team colour red", Err("Use `/team name NEW`"));
        check("/status", Ok(Command::Status));
        check("/board", Ok(Command::Board));
    }

    #[test]
    fn unknown_commands_suggest_the_closest() {
        check("/hnt x", Err("Did you mean `/hint`"));
        check("hint x", Err("start with `/`"));
    }
}
