//! From an interaction to a sent answer: who is asking (and whether they coach), run the
//! command, render, send within Discord's 3 seconds.
//!
//! One path serves slash commands and button presses. A command that finishes within
//! `Options::defer_after` is answered directly; a slower one is deferred and its
//! original response edited when done, so Discord never shows "did not respond".

use std::collections::HashMap;

use anyhow::Context as _;
use poise::serenity_prelude as serenity;

use crate::commands::{self, Command, Invocation};
use crate::config::{DiscordConfig, RoleRef};
use crate::guide::ChallengeNumber;
use crate::progress::Progress;
use crate::render::{self, Message};
use crate::reply::{Action, Reply, Tone, resolve_id};
use crate::store::TeamKey;

use super::{Context, Data, Error};

const GUILD_ONLY: &str = "hackcoach works in your team's channel on the event's server, not in direct messages.";

/// What Discord tells us about a member on an interaction: their roles (with names when
/// known) and whether they may manage the server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberFacts {
    pub roles: Vec<(u64, Option<String>)>,
    pub manage_guild: bool,
}

/// Whether a member coaches: a configured coach role (by id, or by name ignoring case),
/// or Manage Server when `coach_manage_guild` is on.
pub fn is_coach(config: &DiscordConfig, member: &MemberFacts) -> bool {
    if config.coach_manage_guild && member.manage_guild {
        return true;
    }
    member.roles.iter().any(|(id, name)| {
        config.coach_roles.iter().any(|wanted| match wanted {
            RoleRef::Id(wanted) => wanted == id,
            RoleRef::Name(wanted) => {
                // Ids may be written as strings in TOML; accept both spellings.
                wanted.trim() == id.to_string()
                    || name.as_deref().is_some_and(|name| name.trim().eq_ignore_ascii_case(wanted.trim()))
            }
        })
    })
}

/// Answers a slash command: builds the invocation, runs the command, sends the reply.
pub(super) async fn answer(ctx: Context<'_>, command: Command) -> Result<(), Error> {
    let poise::Context::Application(app_ctx) = ctx else {
        anyhow::bail!("hackcoach has slash commands only");
    };
    let interaction = app_ctx.interaction;
    let serenity_ctx = ctx.serenity_context();
    let data = ctx.data();
    let target = Target::Command(interaction);
    let asker = Asker {
        guild_id: interaction.guild_id,
        channel_id: interaction.channel_id,
        channel: interaction.channel.as_ref(),
        user: &interaction.user,
        member: interaction.member.as_deref(),
    };
    let Some(invocation) = invocation(serenity_ctx, &data.app.config.discord, &asker).await else {
        return respond_now(&serenity_ctx.http, target, &Reply::refusal(GUILD_ONLY), Kind::New).await;
    };
    deliver(&serenity_ctx.http, target, data, &invocation, command, Kind::New).await
}

/// Answers a slash command with a private sentence (the user's mistake, or ours).
pub(super) async fn refuse(ctx: &serenity::Context, interaction: &serenity::CommandInteraction, sentence: &str) {
    let target = Target::Command(interaction);
    if let Err(error) = respond_now(&ctx.http, target, &Reply::refusal(sentence), Kind::New).await {
        tracing::error!(error = super::redact_urls(&format!("{error:#}")), "refusing an interaction failed");
    }
}

/// Answers a slash command, or a press of one of our buttons, with a private sentence
/// instead of running it. False for anything else (autocomplete, others' components),
/// which the caller handles as usual.
pub(super) async fn refuse_interaction(
    ctx: &serenity::Context,
    interaction: &serenity::Interaction,
    sentence: &str,
) -> bool {
    let (target, name) = match interaction {
        serenity::Interaction::Command(command) => (Target::Command(command), command.data.name.as_str()),
        serenity::Interaction::Component(press) if Action::parse(&press.data.custom_id).is_some() => {
            (Target::Component(press), "button")
        }
        _ => return false,
    };
    match respond_now(&ctx.http, target, &Reply::refusal(sentence), Kind::New).await {
        Ok(()) => tracing::info!(command = name, "refused while shutting down"),
        Err(error) => {
            tracing::error!(error = super::redact_urls(&format!("{error:#}")), "refusing an interaction failed")
        }
    }
    true
}

/// Handles a button press whose custom id is one of ours; ignores any other.
pub(super) async fn button(ctx: &serenity::Context, data: &Data, press: &serenity::ComponentInteraction) {
    let Some(action) = Action::parse(&press.data.custom_id) else {
        tracing::debug!(custom_id = %press.data.custom_id, "component is not hackcoach's; ignored");
        return;
    };
    // Page buttons turn the page of the message they sit on; others answer anew.
    let kind = if matches!(action, Action::Page { .. }) { Kind::Update } else { Kind::New };
    let target = Target::Component(press);
    let asker = Asker {
        guild_id: press.guild_id,
        channel_id: press.channel_id,
        channel: press.channel.as_ref(),
        user: &press.user,
        member: press.member.as_ref(),
    };
    let result = match invocation(ctx, &data.app.config.discord, &asker).await {
        Some(invocation) => deliver(&ctx.http, target, data, &invocation, Command::Button(action), kind).await,
        None => respond_now(&ctx.http, target, &Reply::refusal(GUILD_ONLY), Kind::New).await,
    };
    if let Err(error) = result {
        tracing::error!(custom_id = %press.data.custom_id, error = super::redact_urls(&format!("{error:#}")), "answering a button failed");
    }
}

/// Whether the person typing into an autocomplete field coaches (to offer coach-only
/// sections). Decided the same way as for commands.
pub(super) async fn autocomplete_is_coach(ctx: Context<'_>) -> bool {
    let poise::Context::Application(app_ctx) = ctx else { return false };
    let interaction = app_ctx.interaction;
    let (Some(guild_id), Some(member)) = (interaction.guild_id, interaction.member.as_deref()) else {
        return false;
    };
    let facts = member_facts(ctx.serenity_context(), &ctx.data().app.config.discord, guild_id, member).await;
    is_coach(&ctx.data().app.config.discord, &facts)
}

/// The challenge the asking team is on (the first one not approved), to rank its
/// sections first in autocomplete. `None` for a team that has not used the bot yet, or
/// when the database cannot say; autocomplete works without it.
pub(super) async fn team_challenge(ctx: Context<'_>) -> Option<ChallengeNumber> {
    let poise::Context::Application(app_ctx) = ctx else { return None };
    let app = &ctx.data().app;
    let store = app.store().ok()?;
    let key =
        TeamKey { guild_id: app_ctx.interaction.guild_id?.get(), channel_id: app_ctx.interaction.channel_id.get() };
    let found = async {
        let Some(team) = store.find_team(key).await? else { return Ok(None) };
        let approvals = store.approvals(team.id).await?;
        let numbers = app.knowledge().guide.challenge_numbers();
        anyhow::Ok(Progress::new(&numbers, &team, &approvals, &[]).current)
    };
    match found.await {
        Ok(current) => current,
        Err(error) => {
            tracing::warn!(
                error = super::redact_urls(&format!("{error:#}")),
                "reading the team's challenge for autocomplete failed"
            );
            None
        }
    }
}

/// An autocomplete value comes back as the `/hint` query: a section id, or `#hash` for
/// an id too long for Discord, mapped back here.
pub(super) fn section_value(data: &Data, query: &str) -> String {
    let query = query.trim();
    if !query.starts_with('#') {
        return query.to_string();
    }
    let knowledge = data.app.knowledge();
    resolve_id(query, knowledge.guide.sections.iter().map(|s| s.id.as_str())).unwrap_or(query).to_string()
}

/// The parts of an interaction that say who is asking, and where.
struct Asker<'a> {
    guild_id: Option<serenity::GuildId>,
    channel_id: serenity::ChannelId,
    channel: Option<&'a serenity::PartialChannel>,
    user: &'a serenity::User,
    member: Option<&'a serenity::Member>,
}

/// The invocation for an interaction in a server; `None` in direct messages.
async fn invocation(ctx: &serenity::Context, config: &DiscordConfig, asker: &Asker<'_>) -> Option<Invocation> {
    let guild_id = asker.guild_id?;
    let member = asker.member?;
    let facts = member_facts(ctx, config, guild_id, member).await;
    let channel_name = asker
        .channel
        .and_then(|channel| channel.name.clone())
        .unwrap_or_else(|| format!("channel-{}", asker.channel_id.get()));
    Some(Invocation {
        guild_id: guild_id.get(),
        channel_id: asker.channel_id.get(),
        channel_name,
        user_id: asker.user.id.get(),
        user_name: member.display_name().to_string(),
        is_coach: is_coach(config, &facts),
        now: chrono::Utc::now(),
    })
}

/// The member's roles and permissions, with role names looked up only when the config
/// names coach roles by name (from the cache, else one REST call).
async fn member_facts(
    ctx: &serenity::Context,
    config: &DiscordConfig,
    guild_id: serenity::GuildId,
    member: &serenity::Member,
) -> MemberFacts {
    let manage_guild = member.permissions.is_some_and(|p| p.manage_guild() || p.administrator());
    let by_name = config.coach_roles.iter().any(|r| matches!(r, RoleRef::Name(name) if name.parse::<u64>().is_err()));
    let mut names: HashMap<serenity::RoleId, String> = HashMap::new();
    if by_name && !member.roles.is_empty() {
        let cached: Option<HashMap<serenity::RoleId, String>> = ctx
            .cache
            .guild(guild_id)
            .map(|guild| guild.roles.iter().map(|(id, role)| (*id, role.name.clone())).collect());
        names = match cached {
            Some(names) => names,
            None => match guild_id.roles(&ctx.http).await {
                Ok(roles) => roles.into_iter().map(|(id, role)| (id, role.name)).collect(),
                Err(error) => {
                    tracing::warn!(guild = guild_id.get(), error = %error, "could not read the server's roles");
                    HashMap::new()
                }
            },
        };
    }
    let roles = member.roles.iter().map(|id| (id.get(), names.get(id).cloned())).collect();
    MemberFacts { roles, manage_guild }
}

/// Whether a reply creates a new message or replaces the one its button sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    New,
    Update,
}

/// The interaction being answered; both kinds answer the same way.
#[derive(Clone, Copy)]
enum Target<'a> {
    Command(&'a serenity::CommandInteraction),
    Component(&'a serenity::ComponentInteraction),
}

impl Target<'_> {
    async fn create_response(
        self,
        http: &serenity::Http,
        builder: serenity::CreateInteractionResponse,
    ) -> serenity::Result<()> {
        match self {
            Target::Command(i) => i.create_response(http, builder).await,
            Target::Component(i) => i.create_response(http, builder).await,
        }
    }

    async fn edit_response(
        self,
        http: &serenity::Http,
        builder: serenity::EditInteractionResponse,
    ) -> serenity::Result<()> {
        match self {
            Target::Command(i) => i.edit_response(http, builder).await.map(drop),
            Target::Component(i) => i.edit_response(http, builder).await.map(drop),
        }
    }

    async fn delete_response(self, http: &serenity::Http) -> serenity::Result<()> {
        match self {
            Target::Command(i) => i.delete_response(http).await,
            Target::Component(i) => i.delete_response(http).await,
        }
    }

    async fn create_followup(
        self,
        http: &serenity::Http,
        builder: serenity::CreateInteractionResponseFollowup,
    ) -> serenity::Result<()> {
        match self {
            Target::Command(i) => i.create_followup(http, builder).await.map(drop),
            Target::Component(i) => i.create_followup(http, builder).await.map(drop),
        }
    }
}

/// Runs the command and sends its reply, deferring first when it runs long.
async fn deliver(
    http: &serenity::Http,
    target: Target<'_>,
    data: &Data,
    invocation: &Invocation,
    command: Command,
    kind: Kind,
) -> anyhow::Result<()> {
    let name = command.name();
    let at_once = data.options.defer_at_once.contains(&name);
    let work = commands::execute(&data.app, invocation, command);
    tokio::pin!(work);
    let ready = if at_once { None } else { tokio::time::timeout(data.options.defer_after, &mut work).await.ok() };
    let deferred = ready.is_none();
    match ready {
        Some(reply) => respond_now(http, target, &reply, kind).await?,
        None => {
            let defer = match kind {
                Kind::New => {
                    serenity::CreateInteractionResponse::Defer(serenity::CreateInteractionResponseMessage::new())
                }
                Kind::Update => serenity::CreateInteractionResponse::Acknowledge,
            };
            target.create_response(http, defer).await.context("deferring the response")?;
            let reply = if at_once {
                // Commands deferred at once are the long ones (cluster checks, read-only):
                // at shutdown they stop and say so, instead of outliving the drain.
                let mut stopping = data.stopping.clone();
                tokio::select! {
                    reply = &mut work => reply,
                    Ok(_) = stopping.wait_for(|stopping| *stopping) => {
                        tracing::info!(command = name, "stopped by shutdown");
                        Reply::refusal(super::RESTARTING)
                    }
                }
            } else {
                work.await
            };
            respond_later(http, target, &reply, kind).await?;
        }
    }
    tracing::info!(
        command = name,
        guild = invocation.guild_id,
        channel = invocation.channel_id,
        coach = invocation.is_coach,
        deferred,
        "command handled"
    );
    Ok(())
}

/// Page replies replace the message they came from; refusals never do.
fn updates_in_place(reply: &Reply) -> bool {
    reply.source.is_some() && reply.tone != Tone::Refusal
}

async fn respond_now(http: &serenity::Http, target: Target<'_>, reply: &Reply, kind: Kind) -> anyhow::Result<()> {
    let messages = render::render(reply);
    let Some((first, rest)) = messages.split_first() else { return Ok(()) };
    let response = if kind == Kind::Update && updates_in_place(reply) {
        serenity::CreateInteractionResponse::UpdateMessage(response_message(first))
    } else {
        serenity::CreateInteractionResponse::Message(response_message(first))
    };
    target.create_response(http, response).await.context("answering the interaction")?;
    send_followups(http, target, rest).await
}

async fn respond_later(http: &serenity::Http, target: Target<'_>, reply: &Reply, kind: Kind) -> anyhow::Result<()> {
    let messages = render::render(reply);
    let Some((first, rest)) = messages.split_first() else { return Ok(()) };
    match kind {
        // The deferred "thinking" message is public; a private reply replaces it with an
        // ephemeral follow-up.
        Kind::New if first.ephemeral => {
            target.delete_response(http).await.context("removing the deferred response")?;
            send_followups(http, target, &messages).await
        }
        Kind::New => {
            target.edit_response(http, edit_message(first)).await.context("editing the deferred response")?;
            send_followups(http, target, rest).await
        }
        Kind::Update if updates_in_place(reply) => {
            target.edit_response(http, edit_message(first)).await.context("editing the paged message")?;
            send_followups(http, target, rest).await
        }
        Kind::Update => send_followups(http, target, &messages).await,
    }
}

async fn send_followups(http: &serenity::Http, target: Target<'_>, messages: &[Message]) -> anyhow::Result<()> {
    for message in messages {
        target.create_followup(http, followup_message(message)).await.context("sending a follow-up message")?;
    }
    Ok(())
}

fn response_message(message: &Message) -> serenity::CreateInteractionResponseMessage {
    let mut builder = serenity::CreateInteractionResponseMessage::new()
        .embeds(message.embeds.iter().map(embed).collect())
        .components(message.components.iter().map(action_row).collect())
        .allowed_mentions(serenity::CreateAllowedMentions::new())
        .ephemeral(message.ephemeral);
    if !message.content.is_empty() {
        builder = builder.content(&message.content);
    }
    builder
}

fn followup_message(message: &Message) -> serenity::CreateInteractionResponseFollowup {
    let mut builder = serenity::CreateInteractionResponseFollowup::new()
        .embeds(message.embeds.iter().map(embed).collect())
        .components(message.components.iter().map(action_row).collect())
        .allowed_mentions(serenity::CreateAllowedMentions::new())
        .ephemeral(message.ephemeral);
    if !message.content.is_empty() {
        builder = builder.content(&message.content);
    }
    builder
}

fn edit_message(message: &Message) -> serenity::EditInteractionResponse {
    let mut builder = serenity::EditInteractionResponse::new()
        .embeds(message.embeds.iter().map(embed).collect())
        .components(message.components.iter().map(action_row).collect())
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    if !message.content.is_empty() {
        builder = builder.content(&message.content);
    }
    builder
}

fn embed(embed: &render::Embed) -> serenity::CreateEmbed {
    let mut builder = serenity::CreateEmbed::new().color(embed.color);
    if let Some(title) = &embed.title {
        builder = builder.title(title);
    }
    if let Some(description) = &embed.description {
        builder = builder.description(description);
    }
    for field in &embed.fields {
        builder = builder.field(&field.name, &field.value, field.inline);
    }
    if let Some(footer) = &embed.footer {
        builder = builder.footer(serenity::CreateEmbedFooter::new(&footer.text));
    }
    builder
}

fn action_row(row: &render::ActionRow) -> serenity::CreateActionRow {
    serenity::CreateActionRow::Buttons(
        row.components
            .iter()
            .map(|button| {
                let style = match button.style {
                    1 => serenity::ButtonStyle::Primary,
                    3 => serenity::ButtonStyle::Success,
                    4 => serenity::ButtonStyle::Danger,
                    _ => serenity::ButtonStyle::Secondary,
                };
                serenity::CreateButton::new(&button.custom_id)
                    .label(&button.label)
                    .style(style)
                    .disabled(button.disabled)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(coach_roles: &[RoleRef], manage_setting: bool, member: MemberFacts, expected: bool) {
        let config = DiscordConfig {
            coach_roles: coach_roles.to_vec(),
            coach_manage_guild: manage_setting,
            ..DiscordConfig::default()
        };
        assert_eq!(is_coach(&config, &member), expected, "{coach_roles:?} {manage_setting} {member:?}");
    }

    fn member(roles: &[(u64, Option<&str>)], manage_guild: bool) -> MemberFacts {
        MemberFacts { roles: roles.iter().map(|(id, name)| (*id, name.map(str::to_string))).collect(), manage_guild }
    }

    #[test]
    fn coaches_by_role_id_name_or_permission() {
        let coaches = || RoleRef::Name("Coaches".into());
        check(&[RoleRef::Id(7)], false, member(&[(7, None)], false), true);
        check(&[RoleRef::Id(7)], false, member(&[(8, None)], false), false);
        check(&[RoleRef::Name("7".into())], false, member(&[(7, None)], false), true);
        check(&[coaches()], false, member(&[(9, Some("coaches"))], false), true);
        check(&[coaches()], false, member(&[(9, Some("Coaching staff"))], false), false);
        check(&[coaches()], false, member(&[(9, None)], false), false);
        check(&[], true, member(&[], true), true);
        check(&[], false, member(&[], true), false);
        check(&[], true, member(&[(1, Some("Coaches"))], false), false);
    }
}
