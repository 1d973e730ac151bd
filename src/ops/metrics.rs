//! What `/metrics` reports: one registry of counters, histograms and gauges, fed where
//! things happen (`commands::execute`, autocomplete, cluster checks, the Discord
//! adapter) and encoded in the Prometheus text format (OpenMetrics 1.0) when scraped.
//!
//! Every label value comes from a fixed set (command names, outcomes, autocomplete
//! kinds), never from what a user typed, so the number of series stays bounded and no
//! user text or secret reaches a scrape.

use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// The content type of `Metrics::encode`'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How a command ended, as `commands::execute` saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandOutcome {
    /// A reply that is not a refusal.
    Answered,
    /// `Reply::refusal`: the user asked for something that cannot be done.
    Refused,
    /// An internal error, logged and shown as an apology.
    Error,
}

impl CommandOutcome {
    fn label(self) -> &'static str {
        match self {
            CommandOutcome::Answered => "answered",
            CommandOutcome::Refused => "refused",
            CommandOutcome::Error => "error",
        }
    }
}

/// How a cluster check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The check ran and found no errors (warnings allowed).
    Clean,
    /// The check ran and found errors in the cluster.
    Errors,
    /// The API server could not be reached.
    Unreachable,
    /// Refused before looking: address not allowed, or credential over-privileged.
    Refused,
}

impl CheckOutcome {
    fn label(self) -> &'static str {
        match self {
            CheckOutcome::Clean => "clean",
            CheckOutcome::Errors => "errors",
            CheckOutcome::Unreachable => "unreachable",
            CheckOutcome::Refused => "refused",
        }
    }
}

/// Which option is being completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutocompleteKind {
    /// `/hint` topics.
    Topic,
    /// `/troubleshoot` problems.
    Problem,
    /// Challenge numbers.
    Challenge,
}

impl AutocompleteKind {
    fn label(self) -> &'static str {
        match self {
            AutocompleteKind::Topic => "topic",
            AutocompleteKind::Problem => "problem",
            AutocompleteKind::Challenge => "challenge",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabels {
    command: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabel {
    command: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

type FloatGauge = Gauge<f64, AtomicU64>;
type HistogramFamily<S> = Family<S, Histogram, fn() -> Histogram>;

/// The bot's metrics. Cheap to update from any task: every metric is atomic inside.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    commands: Family<CommandLabels, Counter>,
    command_seconds: HistogramFamily<CommandLabel>,
    autocomplete_seconds: HistogramFamily<KindLabel>,
    cluster_checks: Family<OutcomeLabel, Counter>,
    cluster_check_seconds: Histogram,
    gateway_connected: Gauge,
    gateway_latency_seconds: FloatGauge,
    guide_sections: Gauge,
}

impl Metrics {
    /// Every metric registered, the process start time set to `started`.
    pub fn new(started: SystemTime) -> Metrics {
        let mut registry = Registry::with_prefix("hackcoach");
        let commands = Family::<CommandLabels, Counter>::default();
        registry.register("commands", "Commands handled, by command and outcome", commands.clone());
        let command_seconds: HistogramFamily<CommandLabel> = Family::new_with_constructor(command_buckets);
        registry.register_with_unit(
            "command_duration",
            "Time from a command's start to its reply, by command",
            Unit::Seconds,
            command_seconds.clone(),
        );
        let autocomplete_seconds: HistogramFamily<KindLabel> = Family::new_with_constructor(autocomplete_buckets);
        registry.register_with_unit(
            "autocomplete_duration",
            "Time to compute autocomplete choices, by option kind",
            Unit::Seconds,
            autocomplete_seconds.clone(),
        );
        let cluster_checks = Family::<OutcomeLabel, Counter>::default();
        registry.register("cluster_checks", "Cluster checks run, by outcome", cluster_checks.clone());
        let cluster_check_seconds = cluster_buckets();
        registry.register_with_unit(
            "cluster_check_duration",
            "Time one cluster check took",
            Unit::Seconds,
            cluster_check_seconds.clone(),
        );
        let gateway_connected = Gauge::default();
        registry.register(
            "gateway_connected",
            "1 while the Discord gateway connection is up, else 0",
            gateway_connected.clone(),
        );
        let gateway_latency_seconds = FloatGauge::default();
        // Unknown until the first heartbeat is acknowledged.
        gateway_latency_seconds.set(f64::NAN);
        registry.register_with_unit(
            "gateway_latency",
            "Discord gateway heartbeat round trip (NaN until the first acknowledgement)",
            Unit::Seconds,
            gateway_latency_seconds.clone(),
        );
        let guide_sections = Gauge::default();
        registry.register("guide_sections", "Guide sections loaded now", guide_sections.clone());
        let start_time = FloatGauge::default();
        start_time.set(started.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64());
        registry.register_with_unit(
            "process_start_time",
            "When this process started, in seconds since the Unix epoch",
            Unit::Seconds,
            start_time,
        );
        // Series with a known, fixed label set start at zero, so a rate is defined from
        // the first scrape; commands appear when first run (prometheus-client leaves empty
        // families out of the exposition).
        for kind in [AutocompleteKind::Topic, AutocompleteKind::Problem, AutocompleteKind::Challenge] {
            let _ = autocomplete_seconds.get_or_create(&KindLabel { kind: kind.label() });
        }
        for outcome in [CheckOutcome::Clean, CheckOutcome::Errors, CheckOutcome::Unreachable, CheckOutcome::Refused] {
            let _ = cluster_checks.get_or_create(&OutcomeLabel { outcome: outcome.label() });
        }
        Metrics {
            registry,
            commands,
            command_seconds,
            autocomplete_seconds,
            cluster_checks,
            cluster_check_seconds,
            gateway_connected,
            gateway_latency_seconds,
            guide_sections,
        }
    }

    /// One command handled: `command` is `Command::name`, a fixed name.
    pub fn record_command(&self, command: &'static str, outcome: CommandOutcome, elapsed: Duration) {
        self.commands.get_or_create(&CommandLabels { command, outcome: outcome.label() }).inc();
        self.command_seconds.get_or_create(&CommandLabel { command }).observe(elapsed.as_secs_f64());
    }

    /// One set of autocomplete choices computed.
    pub fn record_autocomplete(&self, kind: AutocompleteKind, elapsed: Duration) {
        self.autocomplete_seconds.get_or_create(&KindLabel { kind: kind.label() }).observe(elapsed.as_secs_f64());
    }

    /// One cluster check run (or refused before it looked).
    pub fn record_cluster_check(&self, outcome: CheckOutcome, elapsed: Duration) {
        self.cluster_checks.get_or_create(&OutcomeLabel { outcome: outcome.label() }).inc();
        self.cluster_check_seconds.observe(elapsed.as_secs_f64());
    }

    /// The gateway came up (Ready, Resumed) or went down (the shard left Connected).
    pub fn set_gateway_connected(&self, connected: bool) {
        self.gateway_connected.set(i64::from(connected));
    }

    pub fn gateway_connected(&self) -> bool {
        self.gateway_connected.get() == 1
    }

    /// The latest heartbeat round trip; `None` while none has been acknowledged.
    pub fn set_gateway_latency(&self, latency: Option<Duration>) {
        self.gateway_latency_seconds.set(latency.map_or(f64::NAN, |latency| latency.as_secs_f64()));
    }

    /// The text exposition, with the guide's section count as of now (so a reload shows).
    pub fn encode(&self, guide_sections: usize) -> Result<String, std::fmt::Error> {
        self.guide_sections.set(i64::try_from(guide_sections).unwrap_or(i64::MAX));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// 1 ms to about 33 s: lookups take milliseconds, deferred cluster checks tens of seconds.
fn command_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// 50 µs to about 100 ms: autocomplete answers inside Discord's 3 s but should take < 10 ms.
fn autocomplete_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.00005, 2.0, 12))
}

/// 50 ms to about 50 s: one check is bounded by `cluster.deadline_secs` (30 s by default).
fn cluster_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.05, 2.0, 11))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrape(metrics: &Metrics) -> String {
        metrics.encode(7).expect("encodes")
    }

    fn check(text: &str, line: &str) {
        assert!(text.lines().any(|l| l == line), "{line:?} missing from:\n{text}");
    }

    #[test]
    fn every_metric_is_typed_before_anything_happens() {
        let text = scrape(&Metrics::new(UNIX_EPOCH + Duration::from_secs(1_700_000_000)));
        assert!(!text.contains("hackcoach_commands"), "no command ran yet:\n{text}");
        check(&text, "# TYPE hackcoach_autocomplete_duration_seconds histogram");
        check(&text, r#"hackcoach_autocomplete_duration_seconds_count{kind="problem"} 0"#);
        check(&text, "# TYPE hackcoach_cluster_checks counter");
        check(&text, r#"hackcoach_cluster_checks_total{outcome="refused"} 0"#);
        check(&text, "# TYPE hackcoach_cluster_check_duration_seconds histogram");
        check(&text, "# TYPE hackcoach_gateway_connected gauge");
        check(&text, "hackcoach_gateway_connected 0");
        check(&text, "hackcoach_gateway_latency_seconds NaN");
        check(&text, "hackcoach_guide_sections 7");
        check(&text, "hackcoach_process_start_time_seconds 1700000000.0");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn commands_are_counted_by_name_and_outcome() {
        let metrics = Metrics::new(SystemTime::now());
        metrics.record_command("hint", CommandOutcome::Answered, Duration::from_millis(3));
        metrics.record_command("hint", CommandOutcome::Answered, Duration::from_millis(5));
        metrics.record_command("hint", CommandOutcome::Refused, Duration::from_millis(1));
        metrics.record_command("approve", CommandOutcome::Error, Duration::from_millis(40));
        let text = scrape(&metrics);
        check(&text, "# TYPE hackcoach_commands counter");
        check(&text, "# TYPE hackcoach_command_duration_seconds histogram");
        check(&text, r#"hackcoach_commands_total{command="hint",outcome="answered"} 2"#);
        check(&text, r#"hackcoach_commands_total{command="hint",outcome="refused"} 1"#);
        check(&text, r#"hackcoach_commands_total{command="approve",outcome="error"} 1"#);
        check(&text, r#"hackcoach_command_duration_seconds_count{command="hint"} 3"#);
        check(&text, r#"hackcoach_command_duration_seconds_bucket{le="0.004",command="hint"} 2"#);
    }

    #[test]
    fn checks_autocomplete_and_gateway_show_up() {
        let metrics = Metrics::new(SystemTime::now());
        metrics.record_autocomplete(AutocompleteKind::Topic, Duration::from_micros(800));
        metrics.record_cluster_check(CheckOutcome::Unreachable, Duration::from_secs(2));
        metrics.set_gateway_connected(true);
        metrics.set_gateway_latency(Some(Duration::from_millis(125)));
        let text = scrape(&metrics);
        check(&text, r#"hackcoach_autocomplete_duration_seconds_count{kind="topic"} 1"#);
        check(&text, r#"hackcoach_cluster_checks_total{outcome="unreachable"} 1"#);
        check(&text, "hackcoach_cluster_check_duration_seconds_count 1");
        check(&text, "hackcoach_gateway_connected 1");
        check(&text, "hackcoach_gateway_latency_seconds 0.125");
        assert!(metrics.gateway_connected());
        metrics.set_gateway_connected(false);
        assert!(!metrics.gateway_connected());
    }
}
