//! The slash commands as poise sees them: names, typed options, autocomplete. Each body
//! builds a `Command` and hands it to `respond::answer`; nothing is decided here.
//!
//! Descriptions come from `commands::COMMANDS`, so `/help`, `ask` and Discord agree.

use poise::serenity_prelude as serenity;

use crate::commands::{COMMANDS, Command};
use crate::ops::AutocompleteKind;

use super::{Context, Data, Error, autocomplete, respond};

/// Every command registered with Discord.
pub fn all() -> Vec<poise::Command<Data, Error>> {
    let mut commands = vec![
        hint(),
        troubleshoot(),
        challenge(),
        status(),
        team(),
        approve(),
        revoke(),
        board(),
        cluster(),
        guide(),
        help(),
    ];
    for command in &mut commands {
        if let Some(spec) = COMMANDS.iter().find(|spec| spec.name == command.name) {
            command.description = Some(spec.description.into());
        }
    }
    commands
}

/// Find the guide section for a topic, e.g. challenge 4 ingress
#[poise::command(slash_command)]
async fn hint(
    ctx: Context<'_>,
    #[description = "A topic, e.g. challenge 4 ingress, kv aliases or an error message"]
    #[autocomplete = "topic_autocomplete"]
    #[max_length = 200]
    query: String,
) -> Result<(), Error> {
    let query = respond::section_value(ctx.data(), &query);
    respond::answer(ctx, Command::Hint { query }).await
}

/// Get the troubleshooting playbook for a problem, or paste the error line
#[poise::command(slash_command)]
async fn troubleshoot(
    ctx: Context<'_>,
    #[description = "The problem (e.g. image pull) or the error line; leave empty to list them"]
    #[autocomplete = "problem_autocomplete"]
    problem: Option<String>,
) -> Result<(), Error> {
    respond::answer(ctx, Command::Troubleshoot { query: problem.unwrap_or_default() }).await
}

/// Show a challenge's goal and its topics
#[poise::command(slash_command)]
async fn challenge(
    ctx: Context<'_>,
    #[description = "The challenge's number, e.g. 4"]
    #[autocomplete = "challenge_autocomplete"]
    #[min = 1]
    #[max = 999]
    number: i64,
) -> Result<(), Error> {
    respond::answer(ctx, Command::Challenge { number }).await
}

/// Show your team's progress: challenges, time on the current one, hints used
#[poise::command(slash_command)]
async fn status(ctx: Context<'_>) -> Result<(), Error> {
    respond::answer(ctx, Command::Status).await
}

/// Rename your team
#[poise::command(slash_command, subcommands("team_name"), subcommand_required)]
async fn team(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Rename your team, e.g. Blue Whales
#[poise::command(slash_command, rename = "name")]
async fn team_name(
    ctx: Context<'_>,
    #[description = "The team's new name"]
    #[max_length = 100]
    name: String,
) -> Result<(), Error> {
    respond::answer(ctx, Command::TeamName { name }).await
}

/// Approve a challenge for this team and announce it in the channel (coaches)
#[poise::command(slash_command)]
async fn approve(
    ctx: Context<'_>,
    #[description = "The challenge's number, e.g. 3"]
    #[autocomplete = "challenge_autocomplete"]
    #[min = 1]
    #[max = 999]
    challenge: i64,
    #[description = "A note for the team and the record"]
    #[max_length = 500]
    note: Option<String>,
    #[description = "Approve even if earlier challenges are not approved yet"] force: Option<bool>,
) -> Result<(), Error> {
    respond::answer(ctx, Command::Approve { challenge, note, force: force.unwrap_or(false) }).await
}

/// Revoke a challenge's approval for this team (coaches)
#[poise::command(slash_command)]
async fn revoke(
    ctx: Context<'_>,
    #[description = "The challenge's number, e.g. 3"]
    #[autocomplete = "challenge_autocomplete"]
    #[min = 1]
    #[max = 999]
    challenge: i64,
    #[description = "Why, for the record"]
    #[max_length = 500]
    reason: Option<String>,
) -> Result<(), Error> {
    respond::answer(ctx, Command::Revoke { challenge, reason }).await
}

/// Show every team in this server, the most likely stuck first (coaches)
#[poise::command(slash_command)]
async fn board(ctx: Context<'_>) -> Result<(), Error> {
    respond::answer(ctx, Command::Board).await
}

/// Let hackcoach look at your team's cluster, read-only
#[poise::command(slash_command, subcommands("cluster_connect", "cluster_check", "cluster_forget"), subcommand_required)]
async fn cluster(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Upload a read-only kubeconfig for your cluster (leave it out to see how to make one)
#[poise::command(slash_command, rename = "connect")]
async fn cluster_connect(
    ctx: Context<'_>,
    #[description = "A kubeconfig with a read-only ServiceAccount token (at most 64 KiB)"] kubeconfig: Option<
        serenity::Attachment,
    >,
) -> Result<(), Error> {
    let upload = match kubeconfig {
        None => None,
        // The size Discord reports is checked before anything is downloaded; the
        // sanitizer checks the bytes again.
        Some(file) if file.size as usize > crate::cluster::MAX_KUBECONFIG_BYTES => {
            Some(crate::cluster::Upload::new(vec![0; crate::cluster::MAX_KUBECONFIG_BYTES + 1]))
        }
        Some(file) => match file.download().await {
            Ok(bytes) => Some(crate::cluster::Upload::new(bytes)),
            Err(error) => {
                tracing::warn!(
                    error = super::redact_urls(&error.to_string()),
                    "downloading a kubeconfig attachment failed"
                );
                if let poise::Context::Application(app_ctx) = ctx {
                    let sentence =
                        "I could not download that attachment from Discord. Please try `/cluster connect` again.";
                    respond::refuse(ctx.serenity_context(), app_ctx.interaction, sentence).await;
                }
                return Ok(());
            }
        },
    };
    respond::answer(ctx, Command::ClusterConnect { kubeconfig: upload }).await
}

/// Check your cluster now, against your current challenge or the one you name
#[poise::command(slash_command, rename = "check")]
async fn cluster_check(
    ctx: Context<'_>,
    #[description = "The challenge whose expectations to check (default: your current one)"]
    #[autocomplete = "challenge_autocomplete"]
    #[min = 1]
    #[max = 999]
    challenge: Option<i64>,
) -> Result<(), Error> {
    respond::answer(ctx, Command::ClusterCheck { challenge }).await
}

/// Delete the kubeconfig stored for this team
#[poise::command(slash_command, rename = "forget")]
async fn cluster_forget(ctx: Context<'_>) -> Result<(), Error> {
    respond::answer(ctx, Command::ClusterForget).await
}

/// Reload the guide and playbooks from disk (coaches)
#[poise::command(slash_command, subcommands("guide_reload"), subcommand_required)]
async fn guide(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Re-read the guide and playbooks; a guide that fails lint is refused and the old one stays
#[poise::command(slash_command, rename = "reload")]
async fn guide_reload(ctx: Context<'_>) -> Result<(), Error> {
    respond::answer(ctx, Command::GuideReload).await
}

/// List what hackcoach can do
#[poise::command(slash_command)]
async fn help(ctx: Context<'_>) -> Result<(), Error> {
    respond::answer(ctx, Command::Help).await
}

async fn topic_autocomplete(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    autocomplete::timed(&ctx.data().app.metrics, AutocompleteKind::Topic, async {
        let is_coach = respond::autocomplete_is_coach(ctx).await;
        let team_challenge = respond::team_challenge(ctx).await;
        let knowledge = ctx.data().app.knowledge();
        let choices =
            autocomplete::topic_choices(&knowledge, &ctx.data().app.config, partial, team_challenge, is_coach);
        serenity::CreateAutocompleteResponse::new().set_choices(
            choices.into_iter().map(|choice| serenity::AutocompleteChoice::new(choice.name, choice.value)).collect(),
        )
    })
    .await
}

async fn problem_autocomplete(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    autocomplete::timed(&ctx.data().app.metrics, AutocompleteKind::Problem, async {
        let knowledge = ctx.data().app.knowledge();
        let choices = autocomplete::problem_choices(&knowledge, partial);
        serenity::CreateAutocompleteResponse::new().set_choices(
            choices.into_iter().map(|choice| serenity::AutocompleteChoice::new(choice.name, choice.value)).collect(),
        )
    })
    .await
}

async fn challenge_autocomplete(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    autocomplete::timed(&ctx.data().app.metrics, AutocompleteKind::Challenge, async {
        let knowledge = ctx.data().app.knowledge();
        let choices = autocomplete::challenge_choices(&knowledge, partial);
        serenity::CreateAutocompleteResponse::new().set_choices(
            choices
                .into_iter()
                .map(|(name, number)| serenity::AutocompleteChoice::new(name, i64::from(number)))
                .collect(),
        )
    })
    .await
}
