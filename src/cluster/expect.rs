//! Per-challenge expectations, kept as data in `guide/checks.toml` and evaluated against a
//! `Snapshot`. Each expectation names one check from a fixed vocabulary (`Check`) and the
//! workload names it applies to, so another event can change names without code changes.

use std::path::Path;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Pod;
use serde::{Deserialize, Serialize};

use super::analyze::{Snapshot, ingress_backends, pod_ready, selects};

/// Every expectation of every challenge.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    #[serde(default, rename = "expectation")]
    pub list: Vec<Expectation>,
}

/// One thing a challenge expects to see in the cluster.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub challenge: u32,
    pub name: String,
    pub check: Check,
    /// Workload, namespace or component names the check looks for.
    #[serde(default)]
    pub names: Vec<String>,
    /// Playbook or guide section that helps when it fails.
    #[serde(default)]
    pub help: Option<String>,
}

/// The checks an expectation can ask for.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// A Deployment per name with all wanted replicas ready.
    WorkloadsAvailable,
    /// A Service per name that selects at least one Ready pod.
    ServicesReady,
    /// Each named namespace exists.
    Namespaces,
    /// At least one RoleBinding in each named namespace.
    Rolebindings,
    /// An ingress with an address whose backend services exist and have Ready pods.
    IngressRouted,
    /// A Ready pod of an ingress controller (names: substrings of pod names or app labels).
    IngressController,
    /// Every pod of the named workloads mounts secrets by volume (CSI secrets store or FlexVolume).
    SecretVolume,
    /// Prometheus and Grafana pods Ready, or an Azure Monitor agent DaemonSet with Ready pods.
    Monitoring,
    /// Every pod of the named workloads is selected by a NetworkPolicy.
    NetworkPolicies,
    /// A Ready Windows node running a Ready pod.
    WindowsNode,
    /// A mesh control plane running and a mesh sidecar in every pod of the named workloads.
    Mesh,
}

/// A challenge's expectations, evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChallengeReport {
    pub number: u32,
    pub expectations: Vec<Outcome>,
}

/// One expectation's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

impl Expectations {
    /// Reads `checks.toml` from the guide folder; no file means no expectations.
    pub fn load(guide_dir: &Path) -> anyhow::Result<Expectations> {
        let path = guide_dir.join("checks.toml");
        if !path.exists() {
            return Ok(Expectations::default());
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Evaluates challenge `number`'s expectations.
    pub fn evaluate(&self, number: u32, snapshot: &Snapshot) -> ChallengeReport {
        let expectations = self
            .list
            .iter()
            .filter(|e| e.challenge == number)
            .map(|expectation| {
                let (passed, detail) = evaluate(expectation, snapshot);
                Outcome { name: expectation.name.clone(), passed, detail }
            })
            .collect();
        ChallengeReport { number, expectations }
    }
}

/// Whether an object name belongs to workload `name`: `poi`, `poi-deploy`, `api-poi`,
/// `tripinsights-poi-v2` all do; `poiy` does not.
pub fn names_workload(object: &str, name: &str) -> bool {
    object == name
        || object.starts_with(&format!("{name}-"))
        || object.ends_with(&format!("-{name}"))
        || object.contains(&format!("-{name}-"))
}

fn pod_of(pod: &Pod, name: &str) -> bool {
    let labels = pod.metadata.labels.as_ref();
    let label_match = labels.is_some_and(|labels| {
        ["app", "app.kubernetes.io/name", "name"].iter().any(|key| labels.get(*key).is_some_and(|v| v == name))
    });
    label_match || pod.metadata.name.as_deref().is_some_and(|pod_name| names_workload(pod_name, name))
}

fn evaluate(expectation: &Expectation, snapshot: &Snapshot) -> (bool, String) {
    macro_rules! listed {
        ($field:ident, $what:literal) => {
            match &snapshot.$field {
                Ok(items) => items,
                Err(problem) => return (false, format!("could not list {}: {}", $what, problem.describe())),
            }
        };
    }
    let names = &expectation.names;
    match expectation.check {
        Check::WorkloadsAvailable => {
            let deployments = listed!(deployments, "deployments");
            let missing: Vec<String> = names
                .iter()
                .filter_map(|name| {
                    let found: Vec<_> = deployments
                        .iter()
                        .filter(|d| d.metadata.name.as_deref().is_some_and(|n| names_workload(n, name)))
                        .collect();
                    if found.is_empty() {
                        return Some(format!("{name} (no deployment)"));
                    }
                    let ready = found.iter().any(|d| {
                        let wanted = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
                        let ready = d.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0);
                        wanted > 0 && ready >= wanted
                    });
                    (!ready).then(|| format!("{name} (not all replicas ready)"))
                })
                .collect();
            verdict(missing, format!("{} workloads available", names.len()))
        }
        Check::ServicesReady => {
            let services = listed!(services, "services");
            let pods = listed!(pods, "pods");
            let missing: Vec<String> = names
                .iter()
                .filter_map(|name| {
                    let found: Vec<_> = services
                        .iter()
                        .filter(|s| s.metadata.name.as_deref().is_some_and(|n| names_workload(n, name)))
                        .collect();
                    if found.is_empty() {
                        return Some(format!("{name} (no service)"));
                    }
                    let ready = found.iter().any(|service| {
                        let Some(selector) = service.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
                            return false;
                        };
                        pods.iter().any(|pod| {
                            pod.metadata.namespace == service.metadata.namespace
                                && selects(selector, pod.metadata.labels.as_ref())
                                && pod_ready(pod)
                        })
                    });
                    (!ready).then(|| format!("{name} (no ready pods behind it)"))
                })
                .collect();
            verdict(missing, format!("{} services have ready pods", names.len()))
        }
        Check::Namespaces => {
            let seen: Vec<String> = match &snapshot.namespaces {
                Ok(namespaces) => namespaces.iter().filter_map(|n| n.metadata.name.clone()).collect(),
                // A view-only credential may not list namespaces; objects in them still show them.
                Err(_) => snapshot
                    .pods
                    .iter()
                    .flatten()
                    .filter_map(|p| p.metadata.namespace.clone())
                    .chain(snapshot.services.iter().flatten().filter_map(|s| s.metadata.namespace.clone()))
                    .collect(),
            };
            let missing: Vec<String> = names.iter().filter(|n| !seen.contains(n)).cloned().collect();
            verdict(missing, format!("namespaces {} exist", names.join(", ")))
        }
        Check::Rolebindings => {
            let bindings = listed!(rolebindings, "rolebindings");
            let missing: Vec<String> = names
                .iter()
                .filter(|ns| !bindings.iter().any(|b| b.metadata.namespace.as_ref() == Some(*ns)))
                .map(|ns| format!("no RoleBinding in {ns}"))
                .collect();
            verdict(missing, format!("RoleBindings in {}", names.join(", ")))
        }
        Check::IngressRouted => {
            let ingresses = listed!(ingresses, "ingresses");
            let services = listed!(services, "services");
            let pods = listed!(pods, "pods");
            let routed = ingresses.iter().find(|ingress| {
                let has_address = ingress
                    .status
                    .as_ref()
                    .and_then(|s| s.load_balancer.as_ref())
                    .and_then(|lb| lb.ingress.as_ref())
                    .is_some_and(|list| list.iter().any(|i| i.ip.is_some() || i.hostname.is_some()));
                let backends = ingress_backends(ingress);
                has_address
                    && !backends.is_empty()
                    && backends.iter().all(|backend| {
                        services.iter().any(|service| {
                            service.metadata.namespace == ingress.metadata.namespace
                                && service.metadata.name.as_deref() == Some(backend.as_str())
                                && service.spec.as_ref().and_then(|s| s.selector.as_ref()).is_some_and(|selector| {
                                    pods.iter().any(|pod| {
                                        pod.metadata.namespace == service.metadata.namespace
                                            && selects(selector, pod.metadata.labels.as_ref())
                                            && pod_ready(pod)
                                    })
                                })
                        })
                    })
            });
            match routed {
                Some(ingress) => {
                    (true, format!("ingress {} has an address and ready backends", name_of(&ingress.metadata)))
                }
                None if ingresses.is_empty() => (false, "no ingress found".into()),
                None => (false, "no ingress has both an address and backends with ready pods".into()),
            }
        }
        Check::IngressController => {
            let pods = listed!(pods, "pods");
            let found = pods.iter().find(|pod| pod_ready(pod) && component_pod(pod, names));
            match found {
                Some(pod) => (true, format!("controller pod {} is ready", name_of(&pod.metadata))),
                None => (false, "no ready ingress controller pod found".into()),
            }
        }
        Check::SecretVolume => {
            let pods = listed!(pods, "pods");
            let mut missing = Vec::new();
            for name in names {
                let mine: Vec<&Pod> = pods.iter().filter(|pod| pod_of(pod, name)).collect();
                if mine.is_empty() {
                    missing.push(format!("{name} (no pods)"));
                } else if !mine.iter().all(|pod| mounts_secret_volume(pod)) {
                    missing.push(format!("{name} (no secrets-store or FlexVolume volume)"));
                }
            }
            verdict(missing, "API pods read secrets from a volume".into())
        }
        Check::Monitoring => {
            let pods = listed!(pods, "pods");
            let ready_named =
                |needle: &str| pods.iter().any(|pod| pod_ready(pod) && component_pod(pod, &[needle.to_string()]));
            if ready_named("prometheus") && ready_named("grafana") {
                return (true, "Prometheus and Grafana are running".into());
            }
            let agent = snapshot.daemonsets.iter().flatten().find(|ds| {
                ds.metadata.name.as_deref().is_some_and(|n| names.iter().any(|needle| n.contains(needle.as_str())))
                    && ds.status.as_ref().is_some_and(|s| s.number_ready > 0)
            });
            match agent {
                Some(ds) => (true, format!("monitoring agent {} is running", name_of(&ds.metadata))),
                None => (false, "neither Prometheus + Grafana nor an Azure Monitor agent is running".into()),
            }
        }
        Check::NetworkPolicies => {
            let pods = listed!(pods, "pods");
            let policies = listed!(network_policies, "network policies");
            let mut missing = Vec::new();
            for name in names {
                let mine: Vec<&Pod> = pods.iter().filter(|pod| pod_of(pod, name)).collect();
                let covered = !mine.is_empty()
                    && mine.iter().all(|pod| {
                        policies.iter().any(|policy| {
                            policy.metadata.namespace == pod.metadata.namespace
                                && policy.spec.as_ref().is_some_and(|spec| {
                                    // An absent or empty selector selects every pod in the namespace.
                                    let Some(selector) = &spec.pod_selector else { return true };
                                    selector.match_expressions.as_ref().is_none_or(Vec::is_empty)
                                        && selects(
                                            &selector.match_labels.clone().unwrap_or_default(),
                                            pod.metadata.labels.as_ref(),
                                        )
                                })
                        })
                    });
                if !covered {
                    missing.push(name.clone());
                }
            }
            verdict(missing, "every app pod is selected by a network policy".into())
        }
        Check::WindowsNode => {
            let nodes = listed!(nodes, "nodes");
            let windows: Vec<String> = nodes
                .iter()
                .filter(|node| {
                    node.metadata.labels.as_ref().and_then(|l| l.get("kubernetes.io/os")).map(String::as_str)
                        == Some("windows")
                        && node
                            .status
                            .as_ref()
                            .and_then(|s| s.conditions.as_ref())
                            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
                })
                .filter_map(|node| node.metadata.name.clone())
                .collect();
            if windows.is_empty() {
                return (false, "no Ready Windows node".into());
            }
            let pods = listed!(pods, "pods");
            let running = pods.iter().find(|pod| {
                pod_ready(pod)
                    && pod.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some_and(|n| windows.contains(n))
            });
            match running {
                Some(pod) => (true, format!("pod {} runs on a Windows node", name_of(&pod.metadata))),
                None => (false, "a Windows node is Ready but runs no Ready pod".into()),
            }
        }
        Check::Mesh => {
            let pods = listed!(pods, "pods");
            let control = pods.iter().find(|pod| {
                pod_ready(pod)
                    && pod.metadata.name.as_deref().is_some_and(|n| {
                        n.starts_with("istiod")
                            || n.starts_with("linkerd-destination")
                            || n.starts_with("linkerd-controller")
                    })
            });
            let Some(control) = control else {
                return (false, "no Linkerd or Istio control plane pod is ready".into());
            };
            let mut missing = Vec::new();
            for name in names {
                let mine: Vec<&Pod> = pods.iter().filter(|pod| pod_of(pod, name)).collect();
                let meshed = !mine.is_empty()
                    && mine.iter().all(|pod| {
                        pod.spec.as_ref().is_some_and(|spec| {
                            spec.containers
                                .iter()
                                .chain(spec.init_containers.iter().flatten())
                                .any(|c| c.name == "linkerd-proxy" || c.name == "istio-proxy")
                        })
                    });
                if !meshed {
                    missing.push(format!("{name} (no sidecar)"));
                }
            }
            verdict(
                missing,
                format!("control plane {} ready and every app pod has a sidecar", name_of(&control.metadata)),
            )
        }
    }
}

fn verdict(missing: Vec<String>, ok: String) -> (bool, String) {
    if missing.is_empty() { (true, ok) } else { (false, format!("missing: {}", missing.join(", "))) }
}

fn name_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    format!("{}/{}", meta.namespace.as_deref().unwrap_or("-"), meta.name.as_deref().unwrap_or("-"))
}

fn component_pod(pod: &Pod, needles: &[String]) -> bool {
    let name = pod.metadata.name.as_deref().unwrap_or("");
    let labels = pod.metadata.labels.as_ref();
    needles.iter().any(|needle| {
        name.contains(needle.as_str())
            || labels.is_some_and(|labels| {
                ["app", "app.kubernetes.io/name"]
                    .iter()
                    .any(|key| labels.get(*key).is_some_and(|v| v.contains(needle.as_str())))
            })
    })
}

fn mounts_secret_volume(pod: &Pod) -> bool {
    pod.spec.as_ref().and_then(|s| s.volumes.as_ref()).is_some_and(|volumes| {
        volumes.iter().any(|volume| {
            volume.csi.as_ref().is_some_and(|csi| csi.driver == "secrets-store.csi.k8s.io")
                || volume.flex_volume.as_ref().is_some_and(|flex| flex.driver.contains("keyvault"))
        })
    })
}
