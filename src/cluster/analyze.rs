//! Generic analyzers, in the spirit of k8sgpt's: a `Snapshot` of listed objects in,
//! `Finding`s out. Pure functions; time is an input. Secrets are never listed.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{ContainerStatus, Event, Namespace, Node, Pod, Service};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::rbac::v1::RoleBinding;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::client::Problem;
use super::{Finding, Severity};

/// Everything one check listed; a kind that could not be listed holds why.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub pods: Result<Vec<Pod>, Problem>,
    pub deployments: Result<Vec<Deployment>, Problem>,
    pub daemonsets: Result<Vec<DaemonSet>, Problem>,
    pub services: Result<Vec<Service>, Problem>,
    pub ingresses: Result<Vec<Ingress>, Problem>,
    pub nodes: Result<Vec<Node>, Problem>,
    pub events: Result<Vec<Event>, Problem>,
    pub namespaces: Result<Vec<Namespace>, Problem>,
    pub rolebindings: Result<Vec<RoleBinding>, Problem>,
    pub network_policies: Result<Vec<NetworkPolicy>, Problem>,
    /// Istio PeerAuthentications as JSON; `NotFound` when Istio is not installed, which is
    /// normal and not reported.
    pub peer_authentications: Result<Vec<serde_json::Value>, Problem>,
}

/// Restarts above this count are worth a warning even when the pod runs now.
const RESTART_WARNING: i32 = 5;
/// Warning events newer than this are reported.
const RECENT_EVENTS_MINUTES: i64 = 60;
/// At most this many event findings, newest first.
const MAX_EVENT_FINDINGS: usize = 20;
/// Server-written text (scheduler messages) is cut to this many characters.
const MAX_SERVER_TEXT: usize = 300;

/// Runs every analyzer over the snapshot.
pub fn analyze(snapshot: &Snapshot, now: DateTime<Utc>) -> Vec<Finding> {
    let mut findings = Vec::new();
    listing_problems(snapshot, &mut findings);
    let pods = snapshot.pods.as_deref().unwrap_or_default();
    for pod in pods {
        pod_findings(pod, &mut findings);
    }
    for deployment in snapshot.deployments.as_deref().unwrap_or_default() {
        deployment_findings(deployment, pods, &findings.clone(), &mut findings);
    }
    if snapshot.pods.is_ok() {
        for service in snapshot.services.as_deref().unwrap_or_default() {
            service_findings(service, pods, &mut findings);
        }
    }
    let services = snapshot.services.as_ref().ok();
    for ingress in snapshot.ingresses.as_deref().unwrap_or_default() {
        ingress_findings(ingress, services.map(Vec::as_slice), &mut findings);
    }
    for node in snapshot.nodes.as_deref().unwrap_or_default() {
        node_findings(node, &mut findings);
    }
    event_findings(snapshot.events.as_deref().unwrap_or_default(), now, &mut findings);
    findings
}

/// Whether a pod counts as ready (its Ready condition is True).
pub fn pod_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|status| status.conditions.as_ref())
        .is_some_and(|conditions| conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Whether `labels` satisfies a Service-style equality selector.
pub fn selects(selector: &BTreeMap<String, String>, labels: Option<&BTreeMap<String, String>>) -> bool {
    let Some(labels) = labels else { return selector.is_empty() };
    selector.iter().all(|(key, value)| labels.get(key) == Some(value))
}

fn listing_problems(snapshot: &Snapshot, findings: &mut Vec<Finding>) {
    let kinds: [(&str, &str, Option<&Problem>); 10] = [
        ("Pod", "pods", snapshot.pods.as_ref().err()),
        ("Deployment", "deployments", snapshot.deployments.as_ref().err()),
        ("DaemonSet", "daemonsets", snapshot.daemonsets.as_ref().err()),
        ("Service", "services", snapshot.services.as_ref().err()),
        ("Ingress", "ingresses", snapshot.ingresses.as_ref().err()),
        ("Node", "nodes", snapshot.nodes.as_ref().err()),
        ("Event", "events", snapshot.events.as_ref().err()),
        ("Namespace", "namespaces", snapshot.namespaces.as_ref().err()),
        ("RoleBinding", "rolebindings", snapshot.rolebindings.as_ref().err()),
        ("NetworkPolicy", "networkpolicies", snapshot.network_policies.as_ref().err()),
    ];
    for (kind, plural, problem) in kinds {
        let Some(problem) = problem else { continue };
        let (severity, code) = match problem {
            Problem::Forbidden | Problem::NotFound => (Severity::Info, "list-not-visible"),
            Problem::Timeout => (Severity::Error, "list-timeout"),
            Problem::TooLarge => (Severity::Error, "list-too-large"),
            Problem::AddressRefused(_) => (Severity::Error, "server-address-refused"),
            _ => (Severity::Error, "list-failed"),
        };
        let help =
            if matches!(problem, Problem::Forbidden) { "rbac-forbidden" } else { "general-troubleshooting-tips" };
        findings.push(Finding {
            severity,
            code,
            kind: kind.into(),
            namespace: None,
            name: String::new(),
            message: format!("Could not list {plural}: {}; checks that need them were skipped.", problem.describe()),
            kubectl: if matches!(kind, "Node" | "Namespace") {
                format!("kubectl get {plural}")
            } else {
                format!("kubectl get {plural} -A")
            },
            help: help.into(),
        });
    }
}

fn meta_names(meta: &ObjectMeta) -> (Option<String>, String) {
    (meta.namespace.clone(), meta.name.clone().unwrap_or_default())
}

fn ns_flag(namespace: &Option<String>) -> String {
    namespace.as_ref().map(|ns| format!(" -n {ns}")).unwrap_or_default()
}

fn cut(text: &str) -> String {
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    if text.chars().count() <= MAX_SERVER_TEXT {
        return text;
    }
    let cut: String = text.chars().take(MAX_SERVER_TEXT).collect();
    format!("{cut}…")
}

fn pod_findings(pod: &Pod, findings: &mut Vec<Finding>) {
    let (namespace, name) = meta_names(&pod.metadata);
    let Some(status) = &pod.status else { return };
    let phase = status.phase.as_deref().unwrap_or("");
    if phase == "Succeeded" {
        return;
    }
    let mut push = |severity, code, message: String, kubectl: String, help: &str| {
        findings.push(Finding {
            severity,
            code,
            kind: "Pod".into(),
            namespace: namespace.clone(),
            name: name.clone(),
            message,
            kubectl,
            help: help.into(),
        })
    };
    let describe = format!("kubectl describe pod {name}{}", ns_flag(&namespace));
    if phase == "Pending" {
        let unschedulable =
            status.conditions.as_deref().unwrap_or_default().iter().find(|c| {
                c.type_ == "PodScheduled" && c.status == "False" && c.reason.as_deref() == Some("Unschedulable")
            });
        if let Some(condition) = unschedulable {
            let why = condition.message.as_deref().map(cut).unwrap_or_else(|| "no reason given".into());
            push(
                Severity::Error,
                "pod-unschedulable",
                format!("Pod cannot be scheduled: {why}"),
                describe.clone(),
                "pending-pods",
            );
            return;
        }
    }
    let containers: Vec<&ContainerStatus> =
        status.init_container_statuses.iter().flatten().chain(status.container_statuses.iter().flatten()).collect();
    let mut reported = false;
    for container in &containers {
        let waiting = container.state.as_ref().and_then(|s| s.waiting.as_ref());
        let reason = waiting.and_then(|w| w.reason.as_deref()).unwrap_or("");
        let last = container.last_state.as_ref().and_then(|s| s.terminated.as_ref());
        let terminated = container.state.as_ref().and_then(|s| s.terminated.as_ref());
        let cname = &container.name;
        match reason {
            "CrashLoopBackOff" => {
                let exit = last
                    .map(|t| format!("last exit: {} (code {})", t.reason.as_deref().unwrap_or("unknown"), t.exit_code))
                    .unwrap_or_else(|| "no previous exit recorded".into());
                let help = if last.and_then(|t| t.reason.as_deref()) == Some("OOMKilled") {
                    "oomkilled"
                } else {
                    "crashloopbackoff"
                };
                push(
                    Severity::Error,
                    "pod-crashloop",
                    format!("Container {cname} keeps crashing ({} restarts); {exit}.", container.restart_count),
                    format!("kubectl logs {name}{} -c {cname} --previous", ns_flag(&namespace)),
                    help,
                );
                reported = true;
            }
            "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName" | "ErrImageNeverPull" => {
                push(
                    Severity::Error,
                    "pod-image-pull",
                    format!("Container {cname} cannot pull its image {} ({reason}).", cut(&container.image)),
                    describe.clone(),
                    "image-pull",
                );
                reported = true;
            }
            "CreateContainerConfigError" | "CreateContainerError" => {
                push(
                    Severity::Error,
                    "pod-container-config",
                    format!("Container {cname} cannot start: {reason} (a missing Secret, ConfigMap or key is usual)."),
                    describe.clone(),
                    "createcontainerconfigerror",
                );
                reported = true;
            }
            _ => {
                let oom = terminated.or(last).and_then(|t| t.reason.as_deref()) == Some("OOMKilled");
                if oom {
                    push(
                        Severity::Error,
                        "pod-oomkilled",
                        format!("Container {cname} was killed for using more memory than its limit (OOMKilled)."),
                        describe.clone(),
                        "oomkilled",
                    );
                    reported = true;
                } else if container.restart_count >= RESTART_WARNING {
                    push(
                        Severity::Warning,
                        "pod-restarts",
                        format!("Container {cname} has restarted {} times.", container.restart_count),
                        format!("kubectl logs {name}{} -c {cname} --previous", ns_flag(&namespace)),
                        "crashloopbackoff",
                    );
                    reported = true;
                }
            }
        }
    }
    if reported {
        return;
    }
    if phase == "Pending" {
        push(Severity::Warning, "pod-pending", "Pod is Pending.".into(), describe, "pending-pods");
    } else if phase == "Failed" {
        let why = status.reason.as_deref().map(cut).unwrap_or_else(|| "no reason given".into());
        push(Severity::Error, "pod-failed", format!("Pod failed: {why}."), describe, "crashloopbackoff");
    } else if phase == "Running" && !pod_ready(pod) {
        push(
            Severity::Warning,
            "pod-not-ready",
            "Pod runs but is not Ready (a readiness probe failing is usual).".into(),
            describe,
            "probe-failures",
        );
    }
}

fn deployment_findings(deployment: &Deployment, pods: &[Pod], earlier: &[Finding], findings: &mut Vec<Finding>) {
    let (namespace, name) = meta_names(&deployment.metadata);
    let wanted = deployment.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let ready = deployment.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0);
    if ready >= wanted {
        return;
    }
    // Point at the playbook of the first problem found in the deployment's own pods.
    let selector = deployment.spec.as_ref().and_then(|s| s.selector.match_labels.clone()).unwrap_or_default();
    let help = pods
        .iter()
        .filter(|pod| pod.metadata.namespace == namespace && selects(&selector, pod.metadata.labels.as_ref()))
        .find_map(|pod| {
            earlier
                .iter()
                .find(|f| f.kind == "Pod" && f.namespace == namespace && Some(&f.name) == pod.metadata.name.as_ref())
        })
        .map(|f| f.help.clone())
        .unwrap_or_else(|| "pending-pods".into());
    findings.push(Finding {
        severity: Severity::Error,
        code: "deployment-not-ready",
        kind: "Deployment".into(),
        namespace: namespace.clone(),
        name: name.clone(),
        message: format!("Deployment has {ready} of {wanted} replicas ready."),
        kubectl: format!("kubectl rollout status deployment/{name}{}", ns_flag(&namespace)),
        help,
    });
}

fn service_findings(service: &Service, pods: &[Pod], findings: &mut Vec<Finding>) {
    let (namespace, name) = meta_names(&service.metadata);
    let Some(spec) = &service.spec else { return };
    if spec.type_.as_deref() == Some("ExternalName") {
        return;
    }
    let Some(selector) = spec.selector.as_ref().filter(|s| !s.is_empty()) else { return };
    let selected: Vec<&Pod> = pods
        .iter()
        .filter(|pod| pod.metadata.namespace == namespace && selects(selector, pod.metadata.labels.as_ref()))
        .collect();
    let (code, message) = if selected.is_empty() {
        ("service-selects-nothing", "Service selects no pods: its selector matches no pod labels.".to_string())
    } else if !selected.iter().any(|pod| pod_ready(pod)) {
        ("service-no-ready-pods", format!("Service selects {} pods, none of them Ready.", selected.len()))
    } else {
        return;
    };
    findings.push(Finding {
        severity: Severity::Error,
        code,
        kind: "Service".into(),
        namespace: namespace.clone(),
        name: name.clone(),
        message,
        kubectl: format!("kubectl get endpoints {name}{}", ns_flag(&namespace)),
        help: "service-dns".into(),
    });
}

fn ingress_findings(ingress: &Ingress, services: Option<&[Service]>, findings: &mut Vec<Finding>) {
    let (namespace, name) = meta_names(&ingress.metadata);
    let mut push = |severity, code, message: String| {
        findings.push(Finding {
            severity,
            code,
            kind: "Ingress".into(),
            namespace: namespace.clone(),
            name: name.clone(),
            message,
            kubectl: format!("kubectl describe ingress {name}{}", ns_flag(&namespace)),
            help: "ingress".into(),
        })
    };
    let has_class = ingress.spec.as_ref().and_then(|s| s.ingress_class_name.as_ref()).is_some()
        || ingress.metadata.annotations.as_ref().is_some_and(|a| a.contains_key("kubernetes.io/ingress.class"));
    if !has_class {
        push(
            Severity::Warning,
            "ingress-no-class",
            "Ingress names no ingress class, so no controller may serve it.".into(),
        );
    }
    if !ingress_has_address(ingress) {
        push(Severity::Error, "ingress-no-address", "Ingress has no address: no controller has picked it up.".into());
    }
    let Some(services) = services else { return };
    for backend in ingress_backends(ingress) {
        let exists = services
            .iter()
            .any(|s| s.metadata.namespace == namespace && s.metadata.name.as_deref() == Some(backend.as_str()));
        if !exists {
            push(
                Severity::Error,
                "ingress-backend-missing",
                format!("Ingress routes to service {backend}, which does not exist."),
            );
        }
    }
}

/// Whether a controller has given the ingress an address (an IP or a host name).
pub fn ingress_has_address(ingress: &Ingress) -> bool {
    ingress
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .is_some_and(|list| list.iter().any(|i| i.ip.is_some() || i.hostname.is_some()))
}

/// The service names an ingress routes to (default backend and every rule's paths), deduplicated.
pub fn ingress_backends(ingress: &Ingress) -> Vec<String> {
    let Some(spec) = &ingress.spec else { return Vec::new() };
    let mut names: Vec<String> = spec
        .default_backend
        .iter()
        .chain(
            spec.rules
                .iter()
                .flatten()
                .filter_map(|rule| rule.http.as_ref())
                .flat_map(|http| http.paths.iter().map(|path| &path.backend)),
        )
        .filter_map(|backend| backend.service.as_ref().map(|service| service.name.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
}

fn node_findings(node: &Node, findings: &mut Vec<Finding>) {
    let (_, name) = meta_names(&node.metadata);
    let windows =
        node.metadata.labels.as_ref().and_then(|l| l.get("kubernetes.io/os")).map(String::as_str) == Some("windows");
    let help = if windows { "windows-nodes" } else { "pending-pods" };
    let conditions = node.status.as_ref().and_then(|s| s.conditions.as_deref()).unwrap_or_default();
    let mut push = |severity, code, message: String| {
        findings.push(Finding {
            severity,
            code,
            kind: "Node".into(),
            namespace: None,
            name: name.clone(),
            message,
            kubectl: format!("kubectl describe node {name}"),
            help: help.into(),
        })
    };
    let ready = conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True");
    if !ready {
        push(Severity::Error, "node-not-ready", "Node is not Ready.".into());
    }
    for condition in conditions {
        if matches!(condition.type_.as_str(), "MemoryPressure" | "DiskPressure" | "PIDPressure")
            && condition.status == "True"
        {
            push(Severity::Warning, "node-pressure", format!("Node reports {}.", condition.type_));
        }
    }
}

fn event_findings(events: &[Event], now: DateTime<Utc>, findings: &mut Vec<Finding>) {
    let since = now - Duration::minutes(RECENT_EVENTS_MINUTES);
    let mut recent: Vec<(&Event, DateTime<Utc>)> = events
        .iter()
        .filter(|event| event.type_.as_deref() == Some("Warning"))
        .filter_map(|event| {
            let when = event
                .last_timestamp
                .as_ref()
                .map(|t| t.0)
                .or(event.event_time.as_ref().map(|t| t.0))
                .or(event.metadata.creation_timestamp.as_ref().map(|t| t.0))?;
            let when = DateTime::<Utc>::from_timestamp(when.as_second(), 0)?;
            (when >= since).then_some((event, when))
        })
        .collect();
    recent.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    let mut seen = std::collections::HashSet::new();
    for (event, _) in recent {
        let object = &event.involved_object;
        let reason = event.reason.clone().unwrap_or_default();
        let key = (object.kind.clone(), object.namespace.clone(), object.name.clone(), reason.clone());
        if !seen.insert(key) {
            continue;
        }
        if seen.len() > MAX_EVENT_FINDINGS {
            break;
        }
        let namespace = object.namespace.clone();
        let name = object.name.clone().unwrap_or_default();
        let message = event.message.as_deref().map(cut).unwrap_or_default();
        findings.push(Finding {
            severity: Severity::Info,
            code: "event-warning",
            kind: object.kind.clone().unwrap_or_else(|| "Object".into()),
            namespace: namespace.clone(),
            name: name.clone(),
            message: format!("Warning event {reason}: {message}"),
            kubectl: format!("kubectl get events{} --field-selector involvedObject.name={name}", ns_flag(&namespace)),
            help: event_help(&reason).into(),
        });
    }
}

fn event_help(reason: &str) -> &'static str {
    match reason {
        "FailedMount" | "FailedAttachVolume" => "key-vault-volume",
        "Failed" | "ErrImagePull" | "ImagePullBackOff" | "InspectFailed" => "image-pull",
        "FailedScheduling" => "pending-pods",
        "BackOff" | "CrashLoopBackOff" => "crashloopbackoff",
        "Unhealthy" | "ProbeWarning" => "probe-failures",
        "OOMKilling" => "oomkilled",
        "FailedCreate" | "Forbidden" => "rbac-forbidden",
        _ => "general-troubleshooting-tips",
    }
}
