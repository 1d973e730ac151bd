//! Settings: `config.toml` (or `--config FILE`), every key optional, unknown keys refused.
//!
//! Secrets never live here: the Discord token comes from `DISCORD_TOKEN`, and the
//! kubeconfig encryption key from a key file or `HACKCOACH_KEY` (see `cluster::crypto`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

/// The whole configuration. `Config::default()` is what runs with no file at all.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Folder holding the guide markdown, `troubleshooting/` playbooks, `synonyms.toml`, `checks.toml`.
    pub guide_dir: PathBuf,
    /// SQLite database file (or a `sqlite:` URL).
    pub database: String,
    pub discord: DiscordConfig,
    pub hints: HintsConfig,
    pub lookup: LookupConfig,
    pub cluster: ClusterConfig,
    pub ops: OpsConfig,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DiscordConfig {
    /// Guild (server) ids to register the slash commands in; registration is instant there.
    pub guilds: Vec<u64>,
    /// Also register the commands globally (takes up to an hour to reach every server).
    pub global_commands: bool,
    /// Roles whose members are coaches: role ids (as strings or numbers) or role names.
    pub coach_roles: Vec<RoleRef>,
    /// Members with the Manage Server permission count as coaches too.
    pub coach_manage_guild: bool,
}

/// A role named by id or by name in the config.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum RoleRef {
    Id(u64),
    Name(String),
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HintsConfig {
    /// `progressive`: team members get a section one step at a time; `full`: all at once.
    pub reveal: RevealMode,
    /// Heading patterns (case-insensitive, `*` matches anything) of coach-only sections.
    /// A section is coach-only when its heading or any ancestor's matches.
    pub coach_only: Vec<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RevealMode {
    Progressive,
    Full,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LookupConfig {
    /// How many results `/hint` considers and "did you mean" offers.
    pub max_results: usize,
    /// The best result must score at least this many times the runner-up to be answered
    /// directly; otherwise the reply offers choices.
    pub confidence_ratio: f64,
    /// Results scoring below this (0..1) are not offered at all.
    pub min_score: f64,
}

/// Read-only cluster checks (DESIGN.md, Security).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// Allow API servers on loopback, private, link-local and other non-public addresses.
    pub allow_private: bool,
    /// Accept credentials that can write or read Secrets.
    pub allow_privileged: bool,
    /// Seconds one request may take, body included.
    pub request_timeout_secs: u64,
    /// Seconds one whole check may take.
    pub deadline_secs: u64,
    /// Largest API response accepted, in MiB.
    pub max_response_mib: usize,
    /// Objects per list page.
    pub page_size: u32,
    /// Cluster checks that may run at once; more wait for a free slot.
    pub max_concurrent_checks: usize,
    /// Key file sealing stored kubeconfigs; empty means `kubeconfig.key` beside the database.
    /// `HACKCOACH_KEY` (64 hex characters) takes precedence.
    pub key_file: String,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            allow_private: false,
            allow_privileged: false,
            request_timeout_secs: 10,
            deadline_secs: 30,
            max_response_mib: 16,
            page_size: 500,
            max_concurrent_checks: 8,
            key_file: String::new(),
        }
    }
}

/// The operations endpoints `/healthz` and `/metrics` (see `ops`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OpsConfig {
    /// Serve the endpoints while `hackcoach run` runs.
    pub enabled: bool,
    /// Address and port to listen on: loopback unless the operator says otherwise.
    #[serde(deserialize_with = "socket_address")]
    pub listen: SocketAddr,
}

impl Default for OpsConfig {
    fn default() -> Self {
        OpsConfig { enabled: false, listen: SocketAddr::from(([127, 0, 0, 1], 9184)) }
    }
}

/// An IP address and port, refused with a sentence that shows the expected shape.
fn socket_address<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(deserializer)?;
    text.trim().parse().map_err(|_| {
        serde::de::Error::custom(format!(
            "`{text}` is not an IP address and port: write e.g. \"127.0.0.1:9184\" (this machine only) \
             or \"0.0.0.0:9184\" (every interface)"
        ))
    })
}

impl Default for Config {
    fn default() -> Self {
        Config {
            guide_dir: PathBuf::from("guide"),
            database: "data/hackcoach.db".to_string(),
            discord: DiscordConfig::default(),
            hints: HintsConfig::default(),
            lookup: LookupConfig::default(),
            cluster: ClusterConfig::default(),
            ops: OpsConfig::default(),
        }
    }
}

impl Default for DiscordConfig {
    fn default() -> Self {
        DiscordConfig { guilds: Vec::new(), global_commands: false, coach_roles: Vec::new(), coach_manage_guild: true }
    }
}

impl Default for HintsConfig {
    fn default() -> Self {
        HintsConfig {
            reveal: RevealMode::Progressive,
            coach_only: vec!["*follow up questions*".to_string(), "preparing to coach*".to_string()],
        }
    }
}

impl Default for LookupConfig {
    fn default() -> Self {
        LookupConfig { max_results: 5, confidence_ratio: 1.2, min_score: 0.08 }
    }
}

impl Config {
    /// Reads `path`; with `None`, reads `config.toml` when it exists and uses the defaults
    /// otherwise.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let (path, required) = match path {
            Some(path) => (path.to_path_buf(), true),
            None => (PathBuf::from("config.toml"), false),
        };
        if !required && !path.exists() {
            return Ok(Config::default());
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading config file {}", path.display()))?;
        Config::parse(&text).with_context(|| format!("in config file {}", path.display()))
    }

    /// Parses config text; the error names the unknown or malformed key and its line.
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let config: Config = toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.lookup.max_results >= 1 && self.lookup.max_results <= 25,
            "lookup.max_results must be 1 to 25"
        );
        anyhow::ensure!(self.lookup.confidence_ratio >= 1.0, "lookup.confidence_ratio must be at least 1.0");
        anyhow::ensure!((0.0..1.0).contains(&self.lookup.min_score), "lookup.min_score must be between 0 and 1");
        anyhow::ensure!(!self.database.trim().is_empty(), "database must not be empty");
        anyhow::ensure!(self.cluster.request_timeout_secs >= 1, "cluster.request_timeout_secs must be at least 1");
        anyhow::ensure!(self.cluster.deadline_secs >= 1, "cluster.deadline_secs must be at least 1");
        anyhow::ensure!(self.cluster.max_response_mib >= 1, "cluster.max_response_mib must be at least 1");
        anyhow::ensure!((1..=5000).contains(&self.cluster.page_size), "cluster.page_size must be 1 to 5000");
        anyhow::ensure!(self.cluster.max_concurrent_checks >= 1, "cluster.max_concurrent_checks must be at least 1");
        Ok(())
    }

    /// The database location as an sqlx URL.
    pub fn database_url(&self) -> String {
        if self.database.starts_with("sqlite:") { self.database.clone() } else { format!("sqlite://{}", self.database) }
    }
}

/// Case-insensitive glob with `*` only, for heading patterns.
pub fn heading_matches(pattern: &str, heading: &str) -> bool {
    let pattern = pattern.to_lowercase();
    let heading = heading.to_lowercase();
    let parts: Vec<&str> = pattern.split('*').collect();
    let Some((first, rest)) = parts.split_first() else { return false };
    let Some(mut remaining) = heading.strip_prefix(first) else { return false };
    let Some((last, middle)) = rest.split_last() else { return remaining.is_empty() };
    for part in middle {
        let Some(at) = remaining.find(part) else { return false };
        remaining = &remaining[at + part.len()..];
    }
    remaining.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_file_means_defaults() {
        assert_eq!(Config::parse("").expect("empty config parses"), Config::default());
    }

    #[test]
    fn the_example_config_parses_to_the_defaults() {
        let text = include_str!("../config.example.toml");
        assert_eq!(Config::parse(text).expect("example parses"), Config::default());
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let error = Config::parse("[hints]\nreveal = \"full\"\nrevael = 1\n").expect_err("unknown key");
        let message = format!("{error:#}");
        assert!(message.contains("revael"), "{message}");
        assert!(message.contains("line 3"), "{message}");
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(Config::parse("[hints]\nreveal = \"sometimes\"\n").is_err());
        assert!(Config::parse("[lookup]\nmax_results = 0\n").is_err());
        assert!(Config::parse("database = 3\n").is_err());
    }

    #[test]
    fn roles_by_id_or_name() {
        let config = Config::parse("[discord]\ncoach_roles = [123, \"Coaches\"]\n").expect("parses");
        assert_eq!(config.discord.coach_roles, [RoleRef::Id(123), RoleRef::Name("Coaches".into())]);
    }

    #[test]
    fn the_operations_endpoints_are_off_and_on_loopback_by_default() {
        let ops = Config::default().ops;
        assert!(!ops.enabled);
        assert!(ops.listen.ip().is_loopback(), "{}", ops.listen);
        let config = Config::parse("[ops]\nenabled = true\nlisten = \"0.0.0.0:9184\"\n").expect("parses");
        assert_eq!(config.ops.listen, SocketAddr::from(([0, 0, 0, 0], 9184)));
        assert!(config.ops.enabled);
    }

    #[test]
    fn a_bad_listen_address_is_refused_with_the_expected_shape() {
        for bad in ["localhost:9184", "9184", "127.0.0.1", "127.0.0.1:99999", ""] {
            let error = Config::parse(&format!("[ops]\nlisten = {bad:?}\n")).expect_err(bad);
            let message = format!("{error:#}");
            assert!(message.contains("127.0.0.1:9184") && message.contains("line 2"), "{bad}: {message}");
        }
    }

    fn check_glob(pattern: &str, heading: &str, expected: bool) {
        assert_eq!(heading_matches(pattern, heading), expected, "{pattern:?} vs {heading:?}");
    }

    #[test]
    fn heading_globs() {
        check_glob("*follow up questions*", "Challenge 1 Follow Up Questions", true);
        check_glob("preparing to coach*", "Preparing to Coach the Containers OpenHack", true);
        check_glob("preparing to coach*", "Not preparing to coach", false);
        check_glob("ingress", "Ingress", true);
        check_glob("ingress", "Ingress rules", false);
        check_glob("*", "", true);
    }
}
