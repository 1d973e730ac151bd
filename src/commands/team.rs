//! `/team name NEW`, and the team every progress command works on: the channel's.

use crate::app::App;
use crate::reply::{Reply, Tone};
use crate::store::{Store, Team, TeamKey};

use super::Invocation;

/// Longest team name accepted, in characters.
pub const MAX_TEAM_NAME: usize = 80;

/// Renames the channel's team.
pub async fn rename(app: &App, invocation: &Invocation, name: &str) -> anyhow::Result<Reply> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(Reply::refusal("Give the new name, for example `/team name Blue Whales`."));
    }
    let length = name.chars().count();
    if length > MAX_TEAM_NAME {
        return Ok(Reply::refusal(format!(
            "Team names are at most {MAX_TEAM_NAME} characters; this one has {length}. Pick a shorter name."
        )));
    }
    if name.chars().any(char::is_control) {
        return Ok(Reply::refusal("Team names are one line of text; leave out line breaks and tabs."));
    }
    let store = app.store()?;
    let team = team_of(store, invocation).await?;
    if team.name == name {
        return Ok(Reply::refusal(format!("The team is already called “{name}”.")));
    }
    let renamed = store.rename_team(team.id, name, invocation.user_id, invocation.now).await?;
    Ok(Reply::new(
        "Team renamed",
        format!("“{}” is now **{}** (renamed by {}).", team.name, renamed.name, invocation.user_name),
    )
    .with_tone(Tone::Success))
}

/// The team of the invocation's channel, created on first use and marked active now.
pub async fn team_of(store: &Store, invocation: &Invocation) -> anyhow::Result<Team> {
    let key = TeamKey { guild_id: invocation.guild_id, channel_id: invocation.channel_id };
    store.team(key, &invocation.channel_name, invocation.user_id, invocation.now).await
}

/// The team of the invocation's channel for a read-only command such as `/status`: created
/// on first use, but looking is not activity, so an existing team is not written to.
pub async fn team_for_reading(store: &Store, invocation: &Invocation) -> anyhow::Result<Team> {
    let key = TeamKey { guild_id: invocation.guild_id, channel_id: invocation.channel_id };
    match store.find_team(key).await? {
        Some(team) => Ok(team),
        None => team_of(store, invocation).await,
    }
}
