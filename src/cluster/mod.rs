//! Read-only checks of a team's Kubernetes cluster (DESIGN.md, "cluster" and "Security").
//!
//! The flow is: `sanitize` the uploaded kubeconfig into a `SanitizedKubeconfig` (or refuse
//! it), then `check` it: build the read-only client, refuse over-privileged credentials
//! through SelfSubjectAccessReview, list each kind page by page within the deadline, run
//! the analyzers and the challenge's expectations, and return a `Report` of `Finding`s.
//! Only `client.rs` names kube; everything else works on k8s-openapi types and our own.

pub mod analyze;
pub mod client;
pub mod crypto;
pub mod expect;
mod sanitize;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod, Service};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::rbac::v1::RoleBinding;
use serde::Serialize;
use tokio::time::Instant;

pub use analyze::Snapshot;
pub use client::{ClusterClient, Limits, Problem, Resolve, SystemResolver};
pub use expect::{ChallengeReport, Expectations, Outcome};
pub use sanitize::{AddressPolicy, Credentials, MAX_KUBECONFIG_BYTES, Refusal, SanitizedKubeconfig, sanitize};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// One thing found in the cluster: what, where, how to see it, and what helps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable, e.g. `pod-crashloop`; scripts and the board rely on it.
    pub code: &'static str,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub message: String,
    /// The kubectl command that shows the problem.
    pub kubectl: String,
    /// A playbook id (`crashloopbackoff`) or guide section id (`challenge-4/ingress`).
    pub help: String,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub challenge: Option<ChallengeReport>,
}

/// The policy one check runs under. The bot and the offline `check` build it the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckOptions {
    pub policy: AddressPolicy,
    /// Accept credentials that can write or read Secrets (off by default).
    pub allow_privileged: bool,
    pub limits: Limits,
    /// For the whole check, privilege review included.
    pub deadline: Duration,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            policy: AddressPolicy::default(),
            allow_privileged: false,
            limits: Limits::default(),
            deadline: Duration::from_secs(30),
        }
    }
}

impl CheckOptions {
    /// The policy from the `[cluster]` config section.
    pub fn from_config(config: &crate::config::ClusterConfig) -> CheckOptions {
        CheckOptions {
            policy: AddressPolicy { allow_private: config.allow_private },
            allow_privileged: config.allow_privileged,
            limits: Limits {
                request_timeout: Duration::from_secs(config.request_timeout_secs),
                max_response_bytes: config.max_response_mib.saturating_mul(1024 * 1024),
                page_size: config.page_size,
                ..Limits::default()
            },
            deadline: Duration::from_secs(config.deadline_secs),
        }
    }
}

/// A kubeconfig file as uploaded: bytes that are never shown (Debug prints the size only)
/// and are wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Upload(pub zeroize::Zeroizing<Vec<u8>>);

impl Upload {
    pub fn new(bytes: Vec<u8>) -> Upload {
        Upload(zeroize::Zeroizing::new(bytes))
    }
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Upload({} bytes)", self.0.len())
    }
}

/// A bound on cluster checks running at once, shared by every team.
#[derive(Debug, Clone)]
pub struct CheckSlots {
    semaphore: Arc<tokio::sync::Semaphore>,
}

impl CheckSlots {
    pub fn new(slots: usize) -> CheckSlots {
        CheckSlots { semaphore: Arc::new(tokio::sync::Semaphore::new(slots.max(1))) }
    }

    /// Waits up to `wait` for a free slot; `None` means every slot stayed busy.
    pub async fn acquire(&self, wait: Duration) -> Option<tokio::sync::OwnedSemaphorePermit> {
        tokio::time::timeout(wait, Arc::clone(&self.semaphore).acquire_owned()).await.ok()?.ok()
    }
}

/// Reads a kubeconfig file, never more than one byte past the size cap.
pub fn read_kubeconfig(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(MAX_KUBECONFIG_BYTES as u64 + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Why a check could not run at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckRefusal {
    /// The server's address is not allowed.
    Address(Refusal),
    /// The credential can write or read Secrets; names what it may do.
    OverPrivileged(Vec<String>),
}

impl std::fmt::Display for CheckRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckRefusal::Address(refusal) => f.write_str(&refusal.message),
            CheckRefusal::OverPrivileged(rights) => write!(
                f,
                "These credentials can {}; the bot only accepts read-only credentials. Make a ServiceAccount \
                 bound to the `view` ClusterRole (`/cluster connect` without a file shows how).",
                rights.join(", ")
            ),
        }
    }
}

/// What the privilege review asks: (verb, API group, resource). Any `yes` refuses.
const PRIVILEGE_PROBES: &[(&str, &str, &str)] = &[
    ("get", "", "secrets"),
    ("list", "", "secrets"),
    ("create", "", "pods"),
    ("delete", "", "pods"),
    ("create", "apps", "deployments"),
    ("patch", "apps", "deployments"),
    ("delete", "", "namespaces"),
    ("create", "rbac.authorization.k8s.io", "rolebindings"),
    ("create", "*", "*"),
    ("update", "*", "*"),
    ("delete", "*", "*"),
];

/// Checks a cluster: privileges first, then every kind, analyzers and expectations.
pub async fn check(
    kubeconfig: &SanitizedKubeconfig,
    options: &CheckOptions,
    resolver: Arc<dyn Resolve>,
    expectations: &Expectations,
    challenge: Option<u32>,
    now: DateTime<Utc>,
) -> Result<Report, CheckRefusal> {
    let deadline = Instant::now() + options.deadline;
    let client = match ClusterClient::new(kubeconfig, options.policy, options.limits, resolver) {
        Ok(client) => client,
        Err(problem) => return Ok(unreachable_report(&problem, "build")),
    };
    match review_privileges(&client, kubeconfig.namespace.as_deref(), deadline).await {
        Ok(rights) if rights.is_empty() || options.allow_privileged => {}
        Ok(rights) => return Err(CheckRefusal::OverPrivileged(rights)),
        Err(Problem::AddressRefused(refusal)) => return Err(CheckRefusal::Address(refusal)),
        Err(problem) => return Ok(unreachable_report(&problem, "review")),
    }
    let snapshot = fetch(&client, deadline).await;
    let mut findings = analyze::analyze(&snapshot, now);
    findings.sort_by(|a, b| {
        (a.severity, &a.namespace, &a.kind, &a.name).cmp(&(b.severity, &b.namespace, &b.kind, &b.name))
    });
    let challenge = challenge.map(|number| expectations.evaluate(number, &snapshot));
    Ok(Report { findings, challenge })
}

/// Lists every kind the analyzers use, concurrently, each within the check's deadline.
pub async fn fetch(client: &ClusterClient, deadline: Instant) -> Snapshot {
    let (pods, deployments, daemonsets, services, ingresses, nodes, events, namespaces, rolebindings, policies, peers) = tokio::join!(
        within(deadline, client.list::<Pod>()),
        within(deadline, client.list::<Deployment>()),
        within(deadline, client.list::<DaemonSet>()),
        within(deadline, client.list::<Service>()),
        within(deadline, client.list::<Ingress>()),
        within(deadline, client.list::<Node>()),
        within(deadline, client.list::<Event>()),
        within(deadline, client.list::<Namespace>()),
        within(deadline, client.list::<RoleBinding>()),
        within(deadline, client.list::<NetworkPolicy>()),
        within(
            deadline,
            client.list_custom("security.istio.io", "v1beta1", "PeerAuthentication", "peerauthentications")
        ),
    );
    Snapshot {
        pods,
        deployments,
        daemonsets,
        services,
        ingresses,
        nodes,
        events,
        namespaces,
        rolebindings,
        network_policies: policies,
        peer_authentications: peers,
    }
}

async fn within<T>(deadline: Instant, call: impl Future<Output = Result<T, Problem>>) -> Result<T, Problem> {
    tokio::time::timeout_at(deadline, call).await.unwrap_or(Err(Problem::Timeout))
}

/// Asks the server, through SelfSubjectAccessReview, what the credential may do that a
/// read-only one may not. An empty list means read-only.
async fn review_privileges(
    client: &ClusterClient,
    namespace: Option<&str>,
    deadline: Instant,
) -> Result<Vec<String>, Problem> {
    let mut reviews = tokio::task::JoinSet::new();
    let scopes: Vec<Option<String>> = match namespace {
        Some(namespace) => vec![None, Some(namespace.to_string())],
        None => vec![None],
    };
    for scope in scopes {
        for (verb, group, resource) in PRIVILEGE_PROBES {
            let client = client.clone();
            let scope = scope.clone();
            reviews.spawn(async move {
                let allowed = within(deadline, client.may(verb, group, resource, scope.as_deref())).await?;
                let what = if *resource == "*" { "every resource".to_string() } else { (*resource).to_string() };
                let place = scope.map(|ns| format!(" in namespace {ns}")).unwrap_or_default();
                Ok::<_, Problem>(allowed.then(|| format!("{verb} {what}{place}")))
            });
        }
    }
    let mut rights = Vec::new();
    while let Some(joined) = reviews.join_next().await {
        let answer = joined.map_err(|_| Problem::Unreachable("the privilege review stopped".into()))?;
        if let Some(right) = answer? {
            rights.push(right);
        }
    }
    rights.sort();
    rights.dedup();
    Ok(rights)
}

fn unreachable_report(problem: &Problem, stage: &str) -> Report {
    let message = match stage {
        "build" => format!("The bot could not set up a client for this cluster: {}.", problem.describe()),
        _ => format!("The bot could not check this credential's permissions: {}.", problem.describe()),
    };
    Report {
        findings: vec![Finding {
            severity: Severity::Error,
            code: "cluster-unreachable",
            kind: "Cluster".into(),
            namespace: None,
            name: String::new(),
            message,
            kubectl: "kubectl auth can-i --list".into(),
            help: "general-troubleshooting-tips".into(),
        }],
        challenge: None,
    }
}

/// A report as plain text for a terminal.
pub fn report_text(report: &Report) -> String {
    let mut text = String::new();
    if report.findings.is_empty() {
        text.push_str("No problems found.\n");
    }
    for finding in &report.findings {
        let severity = match finding.severity {
            Severity::Error => "ERROR",
            Severity::Warning => "WARN ",
            Severity::Info => "INFO ",
        };
        let object = match &finding.namespace {
            Some(namespace) => format!("{} {namespace}/{}", finding.kind, finding.name),
            None => format!("{} {}", finding.kind, finding.name),
        };
        text.push_str(&format!(
            "{severity} {:<24} {}: {}\n      $ {}\n      help: {}\n",
            finding.code,
            object.trim_end(),
            finding.message,
            finding.kubectl,
            finding.help
        ));
    }
    if let Some(challenge) = &report.challenge {
        text.push_str(&format!("\nChallenge {}:\n", challenge.number));
        if challenge.expectations.is_empty() {
            text.push_str("  (no expectations for this challenge in checks.toml)\n");
        }
        for outcome in &challenge.expectations {
            let mark = if outcome.passed { "pass" } else { "FAIL" };
            text.push_str(&format!("  [{mark}] {}: {}\n", outcome.name, outcome.detail));
        }
    }
    text
}

/// What `/cluster connect` says when no file is attached or a kubeconfig is refused: how to
/// make a read-only ServiceAccount token kubeconfig bound to `view`. AKS clusters with Azure
/// AD give users exec/kubelogin kubeconfigs, which are refused; this one needs neither.
pub const CONNECT_HELP: &str = r#"Make a read-only kubeconfig for the bot (run these with your own admin kubeconfig):

```
kubectl create namespace hackcoach
kubectl create serviceaccount hackcoach -n hackcoach
kubectl create clusterrolebinding hackcoach-view --clusterrole=view --serviceaccount=hackcoach:hackcoach
kubectl create token hackcoach -n hackcoach --duration=48h > token.txt
SERVER=$(kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.server}')
CA=$(kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
cat > hackcoach.kubeconfig <<EOF
apiVersion: v1
kind: Config
current-context: team
clusters:
- name: team
  cluster:
    server: $SERVER
    certificate-authority-data: $CA
users:
- name: team
  user:
    token: $(cat token.txt)
contexts:
- name: team
  context:
    cluster: team
    user: team
EOF
```

Then attach `hackcoach.kubeconfig` to `/cluster connect`. The bot keeps only the server, the CA data and the token, encrypted; `/cluster forget` deletes them. It refuses exec/kubelogin and auth-provider entries, file paths, proxies, impersonation, insecure TLS, and credentials that can write or read Secrets."#;

/// At most this many findings are listed in a reply; the rest are counted.
const MAX_REPLY_FINDINGS: usize = 25;

/// A report as a `Reply` for `/cluster check`: findings worst first, each with its kubectl
/// command and help, buttons for the playbooks and guide sections that help, and the
/// challenge's expectations as a field.
pub fn report_reply(report: &Report) -> crate::reply::Reply {
    use crate::reply::{Action, ButtonStyle, Reply, Tone};
    let errors = report.findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = report.findings.iter().filter(|f| f.severity == Severity::Warning).count();
    let title = match (errors, warnings) {
        (0, 0) => "Cluster check: no problems found".to_string(),
        _ => format!("Cluster check: {errors} errors, {warnings} warnings"),
    };
    let mut body = String::new();
    for finding in report.findings.iter().take(MAX_REPLY_FINDINGS) {
        let mark = match finding.severity {
            Severity::Error => "🔴",
            Severity::Warning => "🟠",
            Severity::Info => "ℹ️",
        };
        let object = match &finding.namespace {
            Some(namespace) => format!("{} `{namespace}/{}`", finding.kind, finding.name),
            None if finding.name.is_empty() => finding.kind.clone(),
            None => format!("{} `{}`", finding.kind, finding.name),
        };
        body.push_str(&format!(
            "{mark} {object}: {}\n`{}` · help: `{}`\n\n",
            finding.message.replace('`', "'"),
            finding.kubectl,
            finding.help
        ));
    }
    if report.findings.len() > MAX_REPLY_FINDINGS {
        body.push_str(&format!(
            "…and {} more (run `hackcoach check` for all).\n",
            report.findings.len() - MAX_REPLY_FINDINGS
        ));
    }
    if report.findings.is_empty() {
        body.push_str("Nothing looks broken in what this credential can see.\n");
    }
    let tone = if errors > 0 { Tone::Warning } else { Tone::Success };
    let mut reply = Reply::new(title, body.trim_end().to_string()).with_tone(tone);
    if let Some(challenge) = &report.challenge {
        let lines: Vec<String> = challenge
            .expectations
            .iter()
            .map(|e| format!("{} {}: {}", if e.passed { "✅" } else { "❌" }, e.name, e.detail))
            .collect();
        let value = if lines.is_empty() { "No expectations for this challenge.".to_string() } else { lines.join("\n") };
        reply = reply.with_field(format!("Challenge {}", challenge.number), value, false);
    }
    let mut helps: Vec<&str> = Vec::new();
    for finding in report.findings.iter().filter(|f| f.severity != Severity::Info) {
        if !helps.contains(&finding.help.as_str()) && helps.len() < 5 {
            helps.push(&finding.help);
        }
    }
    for help in helps {
        // Guide section ids have a `/` or start with `challenge-`; the rest are playbooks.
        let action = if help.contains('/') || help.starts_with("challenge-") || help == "general-troubleshooting-tips" {
            Action::Show(help.to_string())
        } else {
            Action::Playbook(help.to_string())
        };
        reply = reply.with_button(help, action, ButtonStyle::Secondary);
    }
    reply
}

/// What `/cluster connect` says it accepted: never the token or key, only their kind.
pub fn accepted_summary(kubeconfig: &SanitizedKubeconfig) -> String {
    let namespace = kubeconfig.namespace.as_deref().map(|ns| format!(", namespace `{ns}`")).unwrap_or_default();
    let ca = if kubeconfig.ca_pem.is_some() { "its own certificate authority" } else { "the public web roots" };
    format!(
        "Accepted: server `{}`, {} credential{namespace}, TLS verified against {ca}. It is read-only and stored encrypted; `/cluster forget` deletes it.",
        kubeconfig.server,
        kubeconfig.credentials.kind()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: Severity, code: &'static str, help: &str) -> Finding {
        Finding {
            severity,
            code,
            kind: "Pod".into(),
            namespace: Some("api".into()),
            name: "poi-1".into(),
            message: "Container poi keeps crashing.".into(),
            kubectl: "kubectl logs poi-1 -n api --previous".into(),
            help: help.into(),
        }
    }

    #[test]
    fn a_report_becomes_a_reply_with_help_buttons_and_the_challenge() {
        let report = Report {
            findings: vec![
                finding(Severity::Error, "pod-crashloop", "crashloopbackoff"),
                finding(Severity::Warning, "ingress-no-class", "challenge-4/ingress"),
                finding(Severity::Info, "event-warning", "key-vault-volume"),
            ],
            challenge: Some(ChallengeReport {
                number: 4,
                expectations: vec![Outcome {
                    name: "Ingress".into(),
                    passed: false,
                    detail: "no ingress found".into(),
                }],
            }),
        };
        let reply = report_reply(&report);
        assert_eq!(reply.title.as_deref(), Some("Cluster check: 1 errors, 1 warnings"));
        assert!(reply.body.contains("Pod `api/poi-1`: Container poi keeps crashing."), "{}", reply.body);
        assert!(reply.body.contains("`kubectl logs poi-1 -n api --previous` · help: `crashloopbackoff`"));
        assert_eq!(reply.fields[0].name, "Challenge 4");
        assert!(reply.fields[0].value.contains("❌ Ingress: no ingress found"));
        let actions: Vec<_> = reply.buttons.iter().map(|b| b.action.clone()).collect();
        assert_eq!(
            actions,
            [
                crate::reply::Action::Playbook("crashloopbackoff".into()),
                crate::reply::Action::Show("challenge-4/ingress".into())
            ]
        );
    }

    #[tokio::test]
    async fn check_slots_bound_concurrent_checks() {
        let wait = Duration::from_millis(50);
        let slots = CheckSlots::new(2);
        let first = slots.acquire(wait).await.expect("slot 1");
        let _second = slots.acquire(wait).await.expect("slot 2");
        assert!(slots.acquire(wait).await.is_none(), "a third check waits");
        drop(first);
        assert!(slots.acquire(wait).await.is_some(), "a freed slot is reused");
    }

    #[test]
    fn the_summary_never_shows_the_credential() {
        let text = "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: https://example.com\nusers:\n- name: c\n  user:\n    token: very-secret-token\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: c\n";
        let kubeconfig = sanitize(text.as_bytes(), &AddressPolicy::default()).expect("accepted");
        let summary = accepted_summary(&kubeconfig);
        assert!(summary.contains("https://example.com:443") && summary.contains("token credential"), "{summary}");
        assert!(!summary.contains("very-secret-token"));
    }
}
