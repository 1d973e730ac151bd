//! The Discord adapter: the only module that names serenity or poise.
//!
//! It translates and nothing more. A slash command or a button press becomes an
//! `Invocation` and a `Command`; `commands::execute` decides; `render::render` shapes the
//! reply; this module copies the result into serenity's builders and sends it. Adding a
//! command is a poise function in `slash.rs` that builds a `Command` and calls
//! `respond::answer`, plus one entry in `slash::all`.
//!
//! What it guarantees on Discord's side:
//! - every interaction is answered inside Discord's 3 seconds: a command that has not
//!   finished after `Options::defer_after` (or one listed in `Options::defer_at_once`)
//!   is deferred and its original response edited when the answer is ready;
//! - coaches are decided here, on every invocation and every button press, from the
//!   member's roles and permissions as Discord sends them, never from
//!   `default_member_permissions`;
//! - buttons carry what they need in their custom ids, so they work after a restart;
//! - mentions never ping: `allowed_mentions` is empty on every message.

mod autocomplete;
mod drain;
mod respond;
mod slash;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use poise::serenity_prelude as serenity;
use secrecy::{ExposeSecret, SecretString};

use crate::app::App;

pub use autocomplete::{Choice, challenge_choices, problem_choices, topic_choices};
pub use drain::RESTARTING;
pub use respond::{MemberFacts, is_coach};

/// What every command handler can reach.
pub struct Data {
    pub app: Arc<App>,
    pub options: Options,
    /// Turns true when shutdown starts: long commands still running (cluster checks)
    /// stop and tell the team the bot is restarting, rather than outlive the drain.
    stopping: tokio::sync::watch::Receiver<bool>,
}

type Error = anyhow::Error;
type Context<'a> = poise::Context<'a, Data, Error>;

/// How the adapter times its answers.
#[derive(Debug, Clone)]
pub struct Options {
    /// A command still running after this long is deferred ("hackcoach is thinking…") and
    /// its original response edited when done. Discord allows 3 seconds for the first answer.
    pub defer_after: Duration,
    /// Commands (by `Command::name`) deferred before they start, because they are known
    /// to take long (cluster checks).
    pub defer_at_once: Vec<&'static str>,
}

impl Default for Options {
    fn default() -> Self {
        // A cluster check talks to a team's API server: always defer it first.
        Options { defer_after: Duration::from_millis(1500), defer_at_once: vec!["cluster connect", "cluster check"] }
    }
}

/// Where to reach Discord, and the bot token. The token is never logged or printed.
pub struct Connection {
    token: SecretString,
    /// Another base URL for Discord's REST API (tests only: a fake Discord on loopback).
    api_url: Option<String>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("token", &"[redacted]").field("api_url", &self.api_url).finish()
    }
}

impl Connection {
    /// Reads the bot token from `DISCORD_TOKEN`. `HACKCOACH_DISCORD_API_URL`, when set,
    /// points the bot at a Discord stand-in on loopback (tests run the real binary
    /// against the fake Discord this way); any other address is refused.
    pub fn from_env() -> anyhow::Result<Connection> {
        let token = std::env::var("DISCORD_TOKEN").unwrap_or_default();
        if token.trim().is_empty() {
            anyhow::bail!(
                "DISCORD_TOKEN is not set: put the bot's token (Discord developer portal, Bot page) in the \
                 environment, e.g. `DISCORD_TOKEN=... hackcoach run`"
            );
        }
        match std::env::var("HACKCOACH_DISCORD_API_URL") {
            Ok(api_url) if !api_url.trim().is_empty() => Connection::local(&token, api_url.trim())
                .context("HACKCOACH_DISCORD_API_URL may only name a Discord stand-in on 127.0.0.1"),
            _ => Connection::with_token(token),
        }
    }

    /// The real Discord with this token.
    pub fn with_token(token: String) -> anyhow::Result<Connection> {
        let token = token.trim().to_string();
        anyhow::ensure!(!token.is_empty(), "the Discord token is empty");
        Ok(Connection { token: SecretString::from(token), api_url: None })
    }

    /// A Discord stand-in listening on loopback (`http://127.0.0.1:PORT`), for tests. Any
    /// other address is refused, so a test can never send a token anywhere else.
    pub fn local(token: &str, api_url: &str) -> anyhow::Result<Connection> {
        anyhow::ensure!(is_loopback_url(api_url), "a local Discord must listen on 127.0.0.1, not {api_url}");
        let mut connection = Connection::with_token(token.to_string())?;
        connection.api_url = Some(api_url.trim_end_matches('/').to_string());
        Ok(connection)
    }
}

/// An error's text for the log, with every URL cut out. HTTP errors name the URL they
/// failed on, and Discord's URLs carry secrets: interaction and webhook tokens in the path,
/// the signature of a team's kubeconfig attachment in the query.
pub(crate) fn redact_urls(text: &str) -> String {
    static URL: std::sync::LazyLock<Option<regex::Regex>> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"(?i)\b(?:https?|wss?)://[^\s)]+").ok());
    match URL.as_ref() {
        Some(url) => url.replace_all(text, "<url>").into_owned(),
        // The pattern is a constant; should it ever fail to compile, log nothing of the text.
        None => "(error text withheld)".to_string(),
    }
}

/// True for `http://127.0.0.1…`, `ws://localhost…` and the like.
fn is_loopback_url(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else { return false };
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// How long a shutdown waits for the interactions in flight before closing the shards.
const DRAIN: Duration = Duration::from_secs(3);
/// How long it then waits for interactions read just before the shards closed (refusals).
const SETTLE: Duration = Duration::from_secs(1);

/// Connects to Discord, registers the commands, and serves until `shutdown` completes;
/// then refuses new interactions, lets those in flight finish (up to `DRAIN`), closes the
/// shards and the database, and returns.
pub async fn serve(
    app: Arc<App>,
    connection: Connection,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let mut http = serenity::HttpBuilder::new(connection.token.expose_secret())
        .default_allowed_mentions(serenity::CreateAllowedMentions::new());
    if let Some(api_url) = &connection.api_url {
        http = http.proxy(api_url.as_str()).ratelimiter_disabled(true);
    }
    let http = http.build();
    if connection.api_url.is_some() {
        // serenity falls back to Discord's real gateway when this call fails; make sure it
        // cannot, by checking the answer first.
        let gateway = http.get_gateway().await.context("asking the local Discord for its gateway")?;
        anyhow::ensure!(is_loopback_url(&gateway.url), "the local Discord named a gateway off loopback");
    }

    let guilds = app.config.discord.guilds.clone();
    let global = app.config.discord.global_commands;
    let (stop_long_work, stopping) = tokio::sync::watch::channel(false);
    let data = Data { app: Arc::clone(&app), options, stopping };
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: slash::all(),
            on_error: |error| Box::pin(on_error(error)),
            event_handler: |framework, event| Box::pin(on_event(framework, event)),
            ..Default::default()
        })
        // Owners are for owner-only commands, which hackcoach has none of; skipping them
        // saves a REST call at start (the builder's flag overrides the options' one).
        .initialize_owners(false)
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
                register(ctx, &framework.options().commands, &guilds, global).await;
                Ok(data)
            })
        })
        .build();

    let gate = Arc::new(drain::Gate::default());
    let framework = drain::Tracked { inner: framework, gate: Arc::clone(&gate) };
    let mut client = serenity::ClientBuilder::new_with_http(http, serenity::GatewayIntents::GUILDS)
        .framework(framework)
        .await
        .context("building the Discord client")?;
    let shard_manager = Arc::clone(&client.shard_manager);
    let draining = Arc::clone(&gate);
    tokio::spawn(async move {
        shutdown.await;
        let deadline = tokio::time::Instant::now() + DRAIN;
        draining.close();
        let _ = stop_long_work.send(true);
        tracing::info!(in_flight = draining.in_flight(), "shutting down: refusing new interactions");
        if !draining.idle(deadline).await {
            tracing::warn!(in_flight = draining.in_flight(), "interactions still running after {DRAIN:?}; stopping");
        }
        tracing::info!("shutting down: closing the Discord shards");
        shard_manager.shutdown_all().await;
    });
    let latency = tokio::spawn(watch_latency(Arc::clone(&client.shard_manager.runners), Arc::clone(&app)));
    let served = client.start().await.context("connecting to Discord");
    latency.abort();
    app.metrics.set_gateway_connected(false);
    tracing::info!("disconnected from Discord");
    // Events read just before the shards closed run in tasks serenity spawned; give them a
    // moment to start, then to send their answers, before the database closes.
    tokio::time::sleep(Duration::from_millis(20)).await;
    if !gate.idle(tokio::time::Instant::now() + SETTLE).await {
        tracing::warn!(in_flight = gate.in_flight(), "interactions still running at exit");
    }
    if let Ok(store) = app.store() {
        store.close().await;
        tracing::info!("database closed");
    }
    served
}

/// The application commands exactly as `serve` registers them, in Discord's JSON.
pub fn command_payloads() -> anyhow::Result<serde_json::Value> {
    let commands = slash::all();
    let payloads = poise::builtins::create_application_commands(&commands);
    serde_json::to_value(&payloads).context("serializing the application commands")
}

async fn register(ctx: &serenity::Context, commands: &[poise::Command<Data, Error>], guilds: &[u64], global: bool) {
    for &guild in guilds {
        let Ok(guild_id) = std::num::NonZeroU64::try_from(guild).map(serenity::GuildId::from) else {
            tracing::error!("discord.guilds holds 0, which is not a guild id; skipped");
            continue;
        };
        match poise::builtins::register_in_guild(ctx, commands, guild_id).await {
            Ok(()) => tracing::info!(guild, commands = commands.len(), "commands registered in guild"),
            Err(error) => {
                tracing::error!(guild, error = redact_urls(&error.to_string()), "registering commands in guild failed")
            }
        }
    }
    if global {
        match poise::builtins::register_globally(ctx, commands).await {
            Ok(()) => tracing::info!(commands = commands.len(), "commands registered globally"),
            Err(error) => {
                tracing::error!(error = redact_urls(&error.to_string()), "registering commands globally failed")
            }
        }
    }
    if guilds.is_empty() && !global {
        tracing::warn!(
            "no commands registered: set discord.guilds (or discord.global_commands) in the config so people can use them"
        );
    }
}

async fn on_event(
    framework: poise::FrameworkContext<'_, Data, Error>,
    event: &serenity::FullEvent,
) -> Result<(), Error> {
    let metrics = &framework.user_data.app.metrics;
    match event {
        serenity::FullEvent::InteractionCreate { interaction: serenity::Interaction::Component(press) } => {
            respond::button(framework.serenity_context, framework.user_data, press).await;
        }
        serenity::FullEvent::Ready { .. } | serenity::FullEvent::Resume { .. } => metrics.set_gateway_connected(true),
        // Only a shard leaving Connected clears the flag: stage updates are dispatched on
        // their own tasks, so an older one (Handshake → Identifying) may arrive after Ready.
        serenity::FullEvent::ShardStageUpdate { event }
            if event.old == serenity::ConnectionStage::Connected
                && event.new != serenity::ConnectionStage::Connected =>
        {
            tracing::warn!(stage = %event.new, "the Discord gateway connection is down");
            metrics.set_gateway_connected(false);
        }
        _ => {}
    }
    Ok(())
}

/// Every few seconds, copies the shards' heartbeat latency into the metrics (the largest
/// when there are several; unknown until a heartbeat is acknowledged).
async fn watch_latency(runners: Arc<tokio::sync::Mutex<RunnerMap>>, app: Arc<App>) {
    let mut ticks = tokio::time::interval(LATENCY_POLL);
    loop {
        ticks.tick().await;
        let latency = runners.lock().await.values().filter_map(|runner| runner.latency).max();
        app.metrics.set_gateway_latency(latency);
    }
}

type RunnerMap = std::collections::HashMap<serenity::ShardId, serenity::ShardRunnerInfo>;

/// How often `watch_latency` looks.
const LATENCY_POLL: Duration = Duration::from_secs(5);

/// Logs what went wrong. Never shows internal text to the user: command bodies answer
/// every interaction themselves, so what reaches here is a failure to send.
async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    match error {
        poise::FrameworkError::Setup { error, .. } => {
            tracing::error!(error = redact_urls(&format!("{error:#}")), "setup failed")
        }
        poise::FrameworkError::Command { error, ctx, .. } => {
            tracing::error!(command = %ctx.command().name, error = redact_urls(&format!("{error:#}")), "answering a command failed")
        }
        poise::FrameworkError::ArgumentParse { error, ctx, .. } => {
            tracing::warn!(command = %ctx.command().name, error = %error, "options did not parse");
            if let poise::Context::Application(app_ctx) = ctx
                && app_ctx.interaction_type == poise::CommandInteractionType::Command
            {
                let sentence = "I could not read that command's options. Please pick them again from the list.";
                respond::refuse(ctx.serenity_context(), app_ctx.interaction, sentence).await;
            }
        }
        poise::FrameworkError::UnknownInteraction { framework, interaction, .. } => {
            // A command registered by another build (or removed since): say so rather than fail.
            tracing::warn!(command = %interaction.data.name, "unknown command");
            let sentence = "That command is not part of hackcoach any more; `/help` lists the current ones.";
            respond::refuse(framework.serenity_context, interaction, sentence).await;
        }
        other => tracing::warn!(error = redact_urls(&other.to_string()), "interaction not handled"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, expected: bool) {
        assert_eq!(is_loopback_url(url), expected, "{url}");
    }

    #[test]
    fn only_loopback_urls_count_as_local() {
        check("http://127.0.0.1:3000", true);
        check("ws://127.0.0.1:41234/?v=10&encoding=json", true);
        check("http://localhost", true);
        check("http://[::1]:80/api", true);
        check("https://discord.com", false);
        check("http://127.0.0.1.evil.example:80", false);
        check("wss://gateway.discord.gg", false);
        check("127.0.0.1:3000", false);
    }

    #[test]
    fn urls_are_cut_out_of_logged_errors() {
        let error = "error sending request for url \
            (https://discord.com/api/v10/interactions/1/aW50ZXJhY3Rpb24tdG9rZW4/callback): connection reset";
        assert_eq!(redact_urls(error), "error sending request for url (<url>): connection reset");
        let cdn = "downloading https://cdn.discordapp.com/attachments/1/2/k.yaml?ex=1&hm=secret failed";
        assert_eq!(redact_urls(cdn), "downloading <url> failed");
        assert_eq!(redact_urls("no url here"), "no url here");
    }

    #[test]
    fn a_missing_token_is_refused_clearly() {
        assert!(Connection::with_token("  ".into()).is_err());
        assert!(Connection::local("token", "https://discord.com").is_err());
        let connection = Connection::local("secret-token", "http://127.0.0.1:1").expect("loopback is fine");
        assert!(!format!("{connection:?}").contains("secret-token"));
    }
}
