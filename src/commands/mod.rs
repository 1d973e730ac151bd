//! The commands: an `Invocation` and a `Command` in, a `Reply` out.
//!
//! Discord and the console both call `execute`; neither holds logic. A command body
//! reads: fetch, decide, render. Expected refusals are `Reply::refusal`; an `Err` is an
//! internal failure, logged here once with its cause chain and shown as an apology.

mod approve;
mod board;
mod challenge;
mod cluster;
mod guide;
mod help;
mod hint;
mod parse;
mod status;
mod team;
mod troubleshoot;

use chrono::{DateTime, Utc};

use crate::app::App;
use crate::ops::CommandOutcome;
use crate::reply::{Action, Reply};

pub use guide::log as log_reload;
pub use hint::is_coach_only;
pub use parse::{COMMANDS, CommandSpec, parse_slash};

/// Who asked, where, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub guild_id: u64,
    pub channel_id: u64,
    /// The channel's name, used to name the team on first use.
    pub channel_name: String,
    pub user_id: u64,
    pub user_name: String,
    /// Decided by the caller from roles and permissions on every invocation.
    pub is_coach: bool,
    pub now: DateTime<Utc>,
}

/// A slash command with its options, already typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/hint QUERY`: the best-matching guide section.
    Hint { query: String },
    /// `/challenge N`: a challenge's goal and topics.
    Challenge { number: i64 },
    /// `/troubleshoot TOPIC`: the playbook for a topic or a pasted error.
    Troubleshoot { query: String },
    /// `/help`.
    Help,
    /// `/status`: the team's progress.
    Status,
    /// `/approve N [note] [force]` (coach).
    Approve { challenge: i64, note: Option<String>, force: bool },
    /// `/revoke N [reason]` (coach).
    Revoke { challenge: i64, reason: Option<String> },
    /// `/board` (coach): every team of the guild.
    Board,
    /// `/team name NEW`.
    TeamName { name: String },
    /// `/cluster connect` with the kubeconfig attachment (`None`: show how to make one).
    ClusterConnect { kubeconfig: Option<crate::cluster::Upload> },
    /// `/cluster check [challenge]`.
    ClusterCheck { challenge: Option<i64> },
    /// `/cluster forget`.
    ClusterForget,
    /// `/guide reload` (coach): re-read the guide and playbooks.
    GuideReload,
    /// A button press, decoded from its custom id.
    Button(Action),
}

impl Command {
    /// The command's name for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Hint { .. } => "hint",
            Command::Challenge { .. } => "challenge",
            Command::Troubleshoot { .. } => "troubleshoot",
            Command::Help => "help",
            Command::Status => "status",
            Command::Approve { .. } => "approve",
            Command::Revoke { .. } => "revoke",
            Command::Board => "board",
            Command::TeamName { .. } => "team",
            Command::ClusterConnect { .. } => "cluster connect",
            Command::ClusterCheck { .. } => "cluster check",
            Command::ClusterForget => "cluster forget",
            Command::GuideReload => "guide reload",
            Command::Button(_) => "button",
        }
    }
}

/// Runs a command. Never fails: internal errors are logged and become an apology.
/// Every command is counted and timed here, once, for `/metrics`.
pub async fn execute(app: &App, invocation: &Invocation, command: Command) -> Reply {
    let name = command.name();
    let started = std::time::Instant::now();
    let (reply, outcome) = match run(app, invocation, command).await {
        Ok(reply) if reply.tone == crate::reply::Tone::Refusal => (reply, CommandOutcome::Refused),
        Ok(reply) => (reply, CommandOutcome::Answered),
        Err(error) => {
            tracing::error!(
                command = name,
                channel = invocation.channel_id,
                error = format!("{error:#}"),
                "command failed"
            );
            (Reply::apology(), CommandOutcome::Error)
        }
    };
    app.metrics.record_command(name, outcome, started.elapsed());
    reply
}

async fn run(app: &App, invocation: &Invocation, command: Command) -> anyhow::Result<Reply> {
    match command {
        Command::Hint { query } => hint::hint(app, invocation, &query).await,
        Command::Challenge { number } => Ok(challenge::challenge(app, invocation, number)),
        Command::Troubleshoot { query } => Ok(troubleshoot::troubleshoot(app, invocation, &query)),
        Command::Help => Ok(help::help(invocation)),
        Command::Status => status::status(app, invocation).await,
        Command::Approve { challenge, note, force } => {
            approve::approve(app, invocation, challenge, note.as_deref(), force).await
        }
        Command::Revoke { challenge, reason } => approve::revoke(app, invocation, challenge, reason.as_deref()).await,
        Command::Board => board::board(app, invocation).await,
        Command::ClusterConnect { kubeconfig } => cluster::connect(app, invocation, kubeconfig).await,
        Command::ClusterCheck { challenge } => cluster::check(app, invocation, challenge).await,
        Command::ClusterForget => cluster::forget(app, invocation).await,
        Command::GuideReload => Ok(guide::reload(app, invocation)),
        Command::TeamName { name } => team::rename(app, invocation, &name).await,
        Command::Button(action) => button(app, invocation, action).await,
    }
}

async fn button(app: &App, invocation: &Invocation, action: Action) -> anyhow::Result<Reply> {
    match action {
        Action::Show(id) | Action::NextHint(id) => hint::hint_section(app, invocation, &id).await,
        Action::Page { source: crate::reply::Source::Section(id), page } => {
            hint::section_page(app, invocation, &id, page).await
        }
        Action::Page { source: crate::reply::Source::Playbook(id), page } => {
            Ok(troubleshoot::playbook_page(app, &id, page))
        }
        Action::Playbook(id) => Ok(troubleshoot::playbook_page(app, &id, 0)),
    }
}
