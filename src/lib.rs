//! hackcoach: a Discord bot for coached hackathons.
//!
//! Modules in reading order:

/// Shared state: config and the loaded guide.
pub mod app;
/// The offline command line: `ask`, `console`, `search`, `guide lint`.
pub mod cli;
/// Read-only checks of a team's cluster: kubeconfig sanitizer, client, analyzers, storage crypto.
pub mod cluster;
/// The commands: `Invocation` + `Command` → `Reply`.
pub mod commands;
/// Settings from `config.toml`, every key optional, unknown keys refused.
pub mod config;
/// The Discord adapter (serenity + poise): the only module naming them.
pub mod discord;
/// `hackcoach export`: every team's history as text or CSV.
pub mod export;
/// The coaches' guide: markdown parsed into a tree of sections.
pub mod guide;
/// One index over guide sections (and playbooks) for `/hint`, autocomplete and search.
pub mod lookup;
/// Operations endpoints for `run`: `/healthz`, `/metrics` (Prometheus), and `health`'s probe.
pub mod ops;
/// Troubleshooting playbooks and the error matcher behind `/troubleshoot`.
pub mod playbook;
/// A team's progress through the challenges, computed from its stored history.
pub mod progress;
/// `Reply` → Discord's message shape, inside Discord's limits.
pub mod render;
/// What a command answers, before any transport.
pub mod reply;
/// `hackcoach rotate-key`: re-seal stored kubeconfigs under a new key, crash-safe.
pub mod rotate;
/// One `hackcoach run` per database: the lock `run` holds and `rotate-key` checks.
pub mod run_lock;
/// Team progress in SQLite (the only module that names sqlx).
pub mod store;
