//! The command line (DESIGN.md, "CLI"): a stable interface that scripts and tests use.
//!
//! `main.rs` parses arguments into `Cli` and calls `run`; everything here is library
//! code so tests can drive it too.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::app::App;
use crate::commands::{self, Invocation, parse_slash};
use crate::config::Config;
use crate::discord;
use crate::lookup::{DocKey, Outcome, SearchOptions};
use crate::ops;
use crate::render::{Message, render};
use crate::reply::Reply;

#[derive(Debug, Parser)]
#[command(name = "hackcoach", version, about = "A Discord bot for coached hackathons")]
pub struct Cli {
    /// Config file (default: config.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Guide folder (overrides the config's guide_dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub guide: Option<PathBuf>,
    /// Database file or sqlite: URL (overrides the config's database).
    #[arg(long, global = true, value_name = "URL")]
    pub db: Option<String>,
    #[command(subcommand)]
    pub command: CliCommand,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Run one slash command as someone in a channel and print the reply.
    Ask(AskArgs),
    /// Run slash commands interactively, one a line.
    Console(PersonArgs),
    /// Print the ranked guide sections for queries.
    Search(SearchArgs),
    /// Read-only cluster checks with a kubeconfig, under exactly the bot's policy.
    Check(CheckArgs),
    /// Work with the guide.
    Guide {
        #[command(subcommand)]
        command: GuideCommand,
    },
    /// Print every team's progress and approvals (text, or CSV with --csv).
    Export(ExportArgs),
    /// Connect to Discord (token in DISCORD_TOKEN) and serve until SIGTERM or Ctrl-C.
    Run,
    /// Print the application commands exactly as they are registered with Discord.
    Commands(CommandsArgs),
    /// Write a consistent copy of the database to FILE; safe while the bot runs.
    Backup(BackupArgs),
    /// Re-seal every stored kubeconfig with a new key (stop the bot first); rerun to finish
    /// an interrupted rotation.
    RotateKey,
    /// Ask a running bot's /healthz (the [ops] listener): exit 0 when healthy, 1 otherwise.
    Health(HealthArgs),
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the copy; must not exist yet.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The /healthz URL to ask (default: the [ops] listen address, over loopback).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// One CSV table: every team, challenge, approval, revocation, rename and hint count.
    #[arg(long)]
    pub csv: bool,
}

#[derive(Debug, Args)]
pub struct CommandsArgs {
    /// Print Discord's JSON payloads (otherwise one line per command).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum GuideCommand {
    /// Check the guide: challenges found, sections too long, links.
    Lint,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Role {
    Member,
    Coach,
}

/// Who is asking, and where.
#[derive(Debug, Args, Clone)]
pub struct PersonArgs {
    /// Ask as a coach (the default: whoever runs the CLI runs the event) or as a team
    /// member, to see what a team sees.
    #[arg(long = "as", value_enum, default_value = "coach")]
    pub role: Role,
    /// User id.
    #[arg(long, default_value_t = 1)]
    pub user: u64,
    /// Channel id: the team.
    #[arg(long, default_value_t = 1)]
    pub channel: u64,
    /// Guild (server) id.
    #[arg(long, default_value_t = 1)]
    pub guild: u64,
}

#[derive(Debug, Args)]
pub struct AskArgs {
    /// Print the reply as Discord would receive it (JSON).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub person: PersonArgs,
    /// Pass a file as an attachment option, e.g. `kubeconfig=team.yaml` for /cluster connect.
    #[arg(long, value_name = "NAME=FILE")]
    pub attach: Vec<String>,
    /// The slash command, e.g. "/hint challenge 4 ingress".
    #[arg(last = true, required = true, num_args = 1..)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// One JSON object per query.
    #[arg(long)]
    pub json: bool,
    /// Results per query.
    #[arg(long, default_value_t = 5)]
    pub limit: usize,
    /// File with one query a line ("-" for standard input); prints one JSON line each.
    #[arg(long, value_name = "FILE", conflicts_with = "query")]
    pub batch: Option<PathBuf>,
    /// The query.
    #[arg(required_unless_present = "batch")]
    pub query: Vec<String>,
}

/// The log filter for a `RUST_LOG`-style spec (falling back to `warn` when it does not
/// parse), with websocket frames never traced: at TRACE, tungstenite prints every frame,
/// the gateway IDENTIFY carrying the bot token included.
pub fn log_filter(spec: &str) -> tracing_subscriber::EnvFilter {
    let filter =
        tracing_subscriber::EnvFilter::try_new(spec).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    match "tungstenite=debug".parse() {
        Ok(cap) => filter.add_directive(cap),
        Err(_) => filter,
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The kubeconfig to check with (sanitized exactly as an upload is).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: PathBuf,
    /// Also evaluate this challenge's expectations (guide/checks.toml).
    #[arg(long, value_name = "N")]
    pub challenge: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Allow a server on a loopback or private address (lifts only the address rule).
    #[arg(long)]
    pub allow_private: bool,
}

/// Runs the command line; returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(guide) = cli.guide {
        config.guide_dir = guide;
    }
    if let Some(db) = cli.db {
        config.database = db;
    }
    match cli.command {
        CliCommand::Ask(args) => ask(config, args).await,
        CliCommand::Console(person) => console(config, person).await,
        CliCommand::Search(args) => search(config, args),
        CliCommand::Check(args) => check(config, args).await,
        CliCommand::Guide { command: GuideCommand::Lint } => guide_lint(config),
        CliCommand::Export(args) => export(config, args).await,
        CliCommand::Run => serve(config).await,
        CliCommand::Commands(args) => application_commands(args),
        CliCommand::Backup(args) => backup(config, args).await,
        CliCommand::RotateKey => rotate_key(config).await,
        CliCommand::Health(args) => health(config, args).await,
    }
}

/// `backup FILE`: refuses when there is no database file yet, since opening one would
/// create it and the copy would be empty.
async fn backup(config: Config, args: BackupArgs) -> anyhow::Result<i32> {
    let database = crate::store::database_path(&config.database);
    if database.as_os_str() == ":memory:" || !database.exists() {
        eprintln!("There is no database at {} to back up; check --db or `database` in the config.", database.display());
        return Ok(2);
    }
    let store = crate::store::Store::open(&config.database_url()).await?;
    let copied = store.backup(&args.file).await;
    store.close().await;
    if let Err(error) = copied {
        eprintln!("{error:#}");
        return Ok(2);
    }
    let key = crate::cluster::crypto::key_path(&config.cluster.key_file, &config.database);
    println!("backed up {} to {}", database.display(), args.file.display());
    println!(
        "stored kubeconfigs in it open only with the kubeconfig key ({} or {}): keep a copy of the key too, apart from the backup",
        crate::cluster::crypto::KEY_ENV,
        key.display()
    );
    Ok(0)
}

/// `rotate-key`: see `crate::rotate`. Exits 1 when a stored kubeconfig opens with
/// neither key (nothing changed), naming the teams.
async fn rotate_key(config: Config) -> anyhow::Result<i32> {
    use crate::cluster::crypto::{KEY_ENV, NEW_KEY_ENV, key_path};
    use crate::rotate::{KeyPlace, Rotation};
    let key_file = key_path(&config.cluster.key_file, &config.database);
    let env_key = std::env::var(KEY_ENV).ok();
    let env_new_key = std::env::var(NEW_KEY_ENV).ok();
    // A bot serving meanwhile would seal new kubeconfigs with the retiring key.
    let _no_bot = run_lock(&config, "rotate the key")?;
    let store = crate::store::Store::open(&config.database_url()).await?;
    let rotation = crate::rotate::rotate_key(&store, &key_file, env_key.as_deref(), env_new_key.as_deref()).await;
    store.close().await;
    match rotation? {
        Rotation::Done { place, resealed, already_new } => {
            println!("re-sealed {resealed} stored kubeconfig(s) with the new key ({already_new} already had it)");
            match place {
                KeyPlace::File { key_file, resumed } => {
                    if resumed {
                        println!("finished the interrupted rotation");
                    }
                    println!("{} now holds the new key; the old key is gone", key_file.display());
                }
                KeyPlace::Environment => println!(
                    "now update your secret: {KEY_ENV} must be set to the value of {NEW_KEY_ENV}, then start the bot"
                ),
            }
            Ok(0)
        }
        Rotation::Refused { teams, next_key_kept } => {
            eprintln!(
                "{} stored kubeconfig(s) open with neither the current nor the new key; no record was changed:",
                teams.len()
            );
            for team in &teams {
                eprintln!(
                    "  team {:?} (guild {}, channel {}): ask the team to run /cluster connect again, or /cluster forget",
                    team.name, team.team.guild_id, team.team.channel_id
                );
            }
            if next_key_kept {
                eprintln!(
                    "Other records already use the next key of an interrupted rotation, so it stays and the bot will \
                     not start until rotate-key finishes. The records above were sealed with some third key: put \
                     back the key file they were made with, or restore the database from a backup made with this key."
                );
            } else {
                eprintln!(
                    "The key is unchanged and the bot can start; run rotate-key again once those teams are dealt with."
                );
            }
            Ok(1)
        }
    }
}

/// `run`: the token is checked before anything else, so a missing one fails fast. The
/// operations endpoints, when enabled, listen from before the gateway connects until the
/// bot has stopped.
async fn serve(config: Config) -> anyhow::Result<i32> {
    let connection = discord::Connection::from_env()?;
    let _one_bot = run_lock(&config, "start the bot")?;
    let app = Arc::new(App::open(config).await?);
    #[cfg(unix)]
    tokio::spawn(reload_on_hangup(Arc::clone(&app)));
    let ops =
        if app.config.ops.enabled { Some(ops::start(Arc::clone(&app), app.config.ops.listen).await?) } else { None };
    let served = discord::serve(app, connection, discord::Options::default(), shutdown_signal()).await;
    if let Some(ops) = ops {
        ops.stop().await;
    }
    served?;
    Ok(0)
}

/// The run lock of the configured database; none for an in-memory database.
fn run_lock(config: &Config, doing: &str) -> anyhow::Result<Option<crate::run_lock::RunLock>> {
    let url = config.database_url();
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(None);
    }
    crate::run_lock::RunLock::acquire(&crate::store::database_path(&url), doing).map(Some)
}

/// Reloads the guide on every SIGHUP (`kill -HUP`, `docker kill -s HUP`), as `/guide reload` does.
#[cfg(unix)]
async fn reload_on_hangup(app: Arc<App>) {
    let mut hangups = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(signal) => signal,
        Err(error) => {
            tracing::error!(error = %error, "cannot listen for SIGHUP; `/guide reload` still works");
            return;
        }
    };
    while hangups.recv().await.is_some() {
        let app = Arc::clone(&app);
        match tokio::task::spawn_blocking(move || app.reload_guide()).await {
            Ok(outcome) => crate::commands::log_reload(&outcome, "SIGHUP"),
            Err(error) => tracing::error!(error = %error, "the guide reload task failed"),
        }
    }
}

/// How long `health` waits for the whole answer: Docker's HEALTHCHECK gives it a few seconds.
const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// `health`: exit 0 when /healthz answers 200; otherwise 1, the reason on stderr.
async fn health(config: Config, args: HealthArgs) -> anyhow::Result<i32> {
    let url = match args.url {
        Some(url) => url,
        None if config.ops.enabled => ops::health_url(&config.ops),
        None => {
            eprintln!(
                "unhealthy: the operations endpoints are off in this config; set [ops] enabled = true (and restart \
                 the bot), or pass --url"
            );
            return Ok(1);
        }
    };
    match ops::fetch(&url, HEALTH_TIMEOUT).await {
        Ok(answer) if answer.status == 200 => {
            print!("{}", answer.body);
            Ok(0)
        }
        Ok(answer) => {
            eprintln!("unhealthy: {url} answered {}", answer.status);
            eprint!("{}", answer.body);
            Ok(1)
        }
        Err(error) => {
            eprintln!("unhealthy: {error:#}");
            Ok(1)
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(error = %error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("Ctrl-C received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}

fn application_commands(args: CommandsArgs) -> anyhow::Result<i32> {
    let payloads = discord::command_payloads()?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &payloads).context("writing the commands")?;
        writeln!(out)?;
        return Ok(0);
    }
    for command in payloads.as_array().into_iter().flatten() {
        let name = command["name"].as_str().unwrap_or("");
        let description = command["description"].as_str().unwrap_or("");
        writeln!(out, "/{name:<12} {description}")?;
    }
    Ok(0)
}

async fn ask(config: Config, args: AskArgs) -> anyhow::Result<i32> {
    let text = args.command.join(" ");
    let mut command = match parse_slash(&text) {
        Ok(command) => command,
        Err(sentence) => {
            eprintln!("{sentence}");
            return Ok(2);
        }
    };
    for attachment in &args.attach {
        let Some((name, file)) = attachment.split_once('=') else {
            eprintln!("--attach takes NAME=FILE, for example --attach kubeconfig=team.yaml");
            return Ok(2);
        };
        match (&mut command, name) {
            (commands::Command::ClusterConnect { kubeconfig }, "kubeconfig") => {
                let bytes = crate::cluster::read_kubeconfig(std::path::Path::new(file))
                    .with_context(|| format!("reading attachment {file}"))?;
                *kubeconfig = Some(crate::cluster::Upload::new(bytes));
            }
            _ => {
                eprintln!(
                    "This command takes no attachment named `{name}` (only /cluster connect takes `kubeconfig`)."
                );
                return Ok(2);
            }
        }
    }
    let app = App::open(config).await?;
    let reply = commands::execute(&app, &invocation(&args.person), command).await;
    let mut out = std::io::stdout().lock();
    if args.json {
        for message in render(&reply) {
            serde_json::to_writer(&mut out, &message).context("writing the reply")?;
            writeln!(out)?;
        }
    } else {
        write!(out, "{}", reply_text(&reply))?;
    }
    if let Ok(store) = app.store() {
        store.close().await;
    }
    Ok(0)
}

async fn console(config: Config, person: PersonArgs) -> anyhow::Result<i32> {
    let app = App::open(config).await?;
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut out = std::io::stdout();
    if interactive {
        writeln!(out, "hackcoach console: type a slash command (/help lists them), Ctrl-D to leave.")?;
    }
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            write!(out, "> ")?;
            out.flush()?;
        }
        let Some(line) = lines.next() else { break };
        let line = line.context("reading standard input")?;
        if line.trim().is_empty() {
            continue;
        }
        match parse_slash(&line) {
            Ok(command) => {
                let reply = commands::execute(&app, &invocation(&person), command).await;
                write!(out, "{}", reply_text(&reply))?;
            }
            Err(sentence) => writeln!(out, "{sentence}")?,
        }
        writeln!(out)?;
    }
    if let Ok(store) = app.store() {
        store.close().await;
    }
    Ok(0)
}

async fn export(config: Config, args: ExportArgs) -> anyhow::Result<i32> {
    let app = App::open(config).await?;
    let store = app.store()?;
    let records = store.all_records().await?;
    let numbers = app.knowledge().guide.challenge_numbers();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.csv {
        crate::export::write_csv(&mut out, &numbers, &records)?;
    } else {
        crate::export::write_text(&mut out, &numbers, &records)?;
    }
    out.flush().context("writing the export")?;
    store.close().await;
    Ok(0)
}

fn invocation(person: &PersonArgs) -> Invocation {
    Invocation {
        guild_id: person.guild,
        channel_id: person.channel,
        channel_name: format!("team-{}", person.channel),
        user_id: person.user,
        user_name: match person.role {
            Role::Coach => format!("coach-{}", person.user),
            Role::Member => format!("member-{}", person.user),
        },
        is_coach: person.role == Role::Coach,
        now: chrono::Utc::now(),
    }
}

/// A reply as plain text for a terminal: every page, fields, footer, buttons.
pub fn reply_text(reply: &Reply) -> String {
    let mut full = reply.clone();
    full.source = None;
    let messages = render(&full);
    let mut text = String::new();
    for message in &messages {
        text.push_str(&message_text(message));
    }
    if reply.private {
        text.push_str("(only you can see this)\n");
    }
    text
}

fn message_text(message: &Message) -> String {
    let mut text = String::new();
    for embed in &message.embeds {
        if let Some(title) = &embed.title {
            text.push_str(&format!("## {title}\n\n"));
        }
        if let Some(description) = &embed.description {
            text.push_str(description);
            text.push('\n');
        }
        for field in &embed.fields {
            text.push_str(&format!("\n**{}**\n{}\n", field.name, field.value));
        }
        if let Some(footer) = &embed.footer {
            text.push_str(&format!("\n— {}\n", footer.text));
        }
    }
    let labels: Vec<String> =
        message.components.iter().flat_map(|row| row.components.iter().map(|b| format!("[{}]", b.label))).collect();
    if !labels.is_empty() {
        text.push_str(&format!("\n{}\n", labels.join(" ")));
    }
    text
}

#[derive(Serialize)]
struct SearchLine<'a> {
    query: &'a str,
    results: Vec<SearchResult<'a>>,
    confident: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    challenge: Option<u32>,
}

#[derive(Serialize)]
struct SearchResult<'a> {
    id: &'a str,
    path: &'a [String],
    score: f64,
}

fn search(config: Config, args: SearchArgs) -> anyhow::Result<i32> {
    let app = App::load(config)?;
    let knowledge = app.knowledge();
    let options = SearchOptions { limit: args.limit.max(1), ..knowledge.search_options(&app.config) };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let print = |query: &str, outcome: &Outcome, json: bool, out: &mut dyn Write| -> anyhow::Result<()> {
        let results: Vec<SearchResult> = outcome
            .hits
            .iter()
            .filter_map(|hit| match hit.key {
                DocKey::Section(i) => knowledge.guide.sections.get(i).map(|s| SearchResult {
                    id: &s.id,
                    path: &s.path,
                    score: (hit.score * 1000.0).round() / 1000.0,
                }),
                DocKey::Playbook(_) => None,
            })
            .collect();
        if json {
            let line = SearchLine { query, results, confident: outcome.confident, challenge: outcome.scope };
            serde_json::to_writer(&mut *out, &line)?;
            writeln!(out)?;
        } else {
            for result in results {
                writeln!(out, "{:.3}  {:<50}  {}", result.score, result.id, result.path.join(" › "))?;
            }
            if !outcome.confident {
                writeln!(out, "(not confident: no result clearly ahead)")?;
            }
        }
        Ok(())
    };
    match &args.batch {
        Some(path) => {
            let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
                Box::new(std::io::stdin().lock())
            } else {
                let file =
                    std::fs::File::open(path).with_context(|| format!("opening batch file {}", path.display()))?;
                Box::new(std::io::BufReader::new(file))
            };
            for line in reader.lines() {
                let line = line.context("reading batch file")?;
                let outcome = knowledge.index.search(&line, &options);
                print(&line, &outcome, true, &mut out)?;
            }
        }
        None => {
            let query = args.query.join(" ");
            let outcome = knowledge.index.search(&query, &options);
            print(&query, &outcome, args.json, &mut out)?;
        }
    }
    out.flush()?;
    Ok(0)
}

/// `check`: exit 0 with a report, 2 when the kubeconfig or credential is refused (reason on stderr).
async fn check(config: Config, args: CheckArgs) -> anyhow::Result<i32> {
    use crate::cluster::{self, CheckOptions, Expectations, SystemResolver};
    let bytes = cluster::read_kubeconfig(&args.kubeconfig)
        .with_context(|| format!("reading kubeconfig {}", args.kubeconfig.display()))?;
    let mut options = CheckOptions::from_config(&config.cluster);
    options.policy.allow_private |= args.allow_private;
    let kubeconfig = match cluster::sanitize(&bytes, &options.policy) {
        Ok(kubeconfig) => kubeconfig,
        Err(refusal) => {
            eprintln!("kubeconfig refused ({}): {refusal}", refusal.code);
            return Ok(2);
        }
    };
    drop(bytes);
    let expectations = Expectations::load(&config.guide_dir)?;
    let resolver = std::sync::Arc::new(SystemResolver);
    let report = match cluster::check(
        &kubeconfig,
        &options,
        resolver,
        &expectations,
        args.challenge,
        chrono::Utc::now(),
    )
    .await
    {
        Ok(report) => report,
        Err(refusal) => {
            eprintln!("kubeconfig refused: {refusal}");
            return Ok(2);
        }
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report).context("writing the report")?;
        writeln!(out)?;
    } else {
        write!(out, "{}", cluster::report_text(&report))?;
    }
    Ok(0)
}

fn guide_lint(config: Config) -> anyhow::Result<i32> {
    let app = App::load(config)?;
    let knowledge = app.knowledge();
    let report = knowledge.lint();
    println!("playbooks: {}", knowledge.playbooks.len());
    println!("{report}");
    Ok(if report.is_ok() { 0 } else { 1 })
}
