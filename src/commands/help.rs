//! `/help`: what the bot does, for the person asking.

use crate::reply::Reply;

use super::{COMMANDS, Invocation};

pub fn help(invocation: &Invocation) -> Reply {
    let lines: Vec<String> = COMMANDS
        .iter()
        .filter(|c| invocation.is_coach || !c.coach_only)
        .map(|c| format!("`{}` — {}", c.usage, c.description))
        .collect();
    Reply::new("hackcoach", lines.join("\n")).private()
}
