//! Per-challenge expectations, kept as data in `guide/checks.toml` and evaluated against a
//! `Snapshot`. Each expectation names one check from a fixed vocabulary (`Check`) and the
//! workload names it applies to, so another event can change names without code changes.

use std::path::Path;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Pod;
use serde::{Deserialize, Serialize};

use super::analyze::{Snapshot, ingress_backends, ingress_has_address, pod_ready, selects};

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

    /// Whether challenge `number` has any expectations.
    pub fn covers(&self, number: u32) -> bool {
        self.list.iter().any(|e| e.challenge == number)
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
                let has_address = ingress_has_address(ingress);
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
            let istio = control.metadata.name.as_deref().is_some_and(|n| n.starts_with("istiod"));
            if istio && missing.is_empty() {
                let namespaces: std::collections::BTreeSet<String> = names
                    .iter()
                    .flat_map(|name| pods.iter().filter(|pod| pod_of(pod, name)))
                    .filter_map(|pod| pod.metadata.namespace.clone())
                    .collect();
                let Ok(peers) = &snapshot.peer_authentications else {
                    return (false, "Istio runs but no PeerAuthentication sets mTLS to STRICT".into());
                };
                // A PeerAuthentication without a selector covers its namespace; in
                // istio-system it covers the whole mesh.
                let strict = |namespace: &str| {
                    peers.iter().any(|peer| {
                        peer["metadata"]["namespace"].as_str() == Some(namespace)
                            && peer["spec"]["mtls"]["mode"].as_str() == Some("STRICT")
                            && peer["spec"]["selector"].is_null()
                    })
                };
                let mesh_wide = strict("istio-system");
                let loose: Vec<String> =
                    namespaces.into_iter().filter(|namespace| !mesh_wide && !strict(namespace)).collect();
                if !loose.is_empty() {
                    return (false, format!("Istio mTLS is not STRICT in: {}", loose.join(", ")));
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
                || volume
                    .flex_volume
                    .as_ref()
                    .is_some_and(|flex| flex.driver == "azure/kv" || flex.driver.contains("keyvault"))
        })
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn items<T: serde::de::DeserializeOwned>(values: Vec<Value>) -> Result<Vec<T>, crate::cluster::Problem> {
        Ok(values.into_iter().map(|v| serde_json::from_value(v).expect("valid object")).collect())
    }

    fn pod(namespace: &str, name: &str, app: &str, ready: bool, extra: Value) -> Value {
        let mut pod = json!({
            "metadata": {"name": name, "namespace": namespace, "labels": {"app": app}},
            "spec": {"containers": [{"name": app}], "nodeName": "node-1"},
            "status": {"conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}
        });
        if let (Some(spec), Some(extra)) = (pod["spec"].as_object_mut(), extra.as_object()) {
            for (key, value) in extra {
                spec.insert(key.clone(), value.clone());
            }
        }
        pod
    }

    fn snapshot(pods: Vec<Value>, others: Value) -> Snapshot {
        let list = |key: &str| others.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
        Snapshot {
            pods: items(pods),
            deployments: items(list("deployments")),
            daemonsets: items(list("daemonsets")),
            services: items(list("services")),
            ingresses: items(list("ingresses")),
            nodes: items(list("nodes")),
            events: items(list("events")),
            namespaces: items(list("namespaces")),
            rolebindings: items(list("rolebindings")),
            network_policies: items(list("networkpolicies")),
            peer_authentications: Ok(list("peerauthentications")),
        }
    }

    fn check(check: Check, names: &[&str], snapshot: &Snapshot, expected: bool) {
        let expectation = Expectation {
            challenge: 1,
            name: "x".into(),
            check,
            names: names.iter().map(|n| n.to_string()).collect(),
            help: None,
        };
        let (passed, detail) = evaluate(&expectation, snapshot);
        assert_eq!(passed, expected, "{check:?}: {detail}");
    }

    #[test]
    fn workload_names_match_common_spellings() {
        assert!(names_workload("poi", "poi"));
        assert!(names_workload("poi-deploy", "poi"));
        assert!(names_workload("api-poi", "poi"));
        assert!(names_workload("tripinsights-poi-v2", "poi"));
        assert!(!names_workload("poiy", "poi"));
        assert!(!names_workload("trips", "tripviewer"));
        assert!(!names_workload("userprofile", "user-java"));
    }

    #[test]
    fn secret_volumes_count_csi_and_flexvolume_only() {
        let csi = json!({"volumes": [{"name": "kv", "csi": {"driver": "secrets-store.csi.k8s.io"}}]});
        let flex = json!({"volumes": [{"name": "kv", "flexVolume": {"driver": "azure/kv"}}]});
        let empty = json!({"volumes": [{"name": "tmp", "emptyDir": {}}]});
        let with = |extra: Value| snapshot(vec![pod("api", "poi-1", "poi", true, extra)], json!({}));
        check(Check::SecretVolume, &["poi"], &with(csi), true);
        check(Check::SecretVolume, &["poi"], &with(flex), true);
        check(Check::SecretVolume, &["poi"], &with(empty), false);
        check(Check::SecretVolume, &["poi"], &snapshot(vec![], json!({})), false);
    }

    #[test]
    fn network_policies_must_select_every_app_pod() {
        let pods = vec![
            pod("api", "poi-1", "poi", true, json!({})),
            pod("web", "tripviewer-1", "tripviewer", true, json!({})),
        ];
        let selects_poi = json!({"metadata": {"name": "p", "namespace": "api"}, "spec": {"podSelector": {"matchLabels": {"app": "poi"}}}});
        let all_in_web = json!({"metadata": {"name": "d", "namespace": "web"}, "spec": {"podSelector": {}}});
        check(
            Check::NetworkPolicies,
            &["poi", "tripviewer"],
            &snapshot(pods.clone(), json!({"networkpolicies": [selects_poi.clone()]})),
            false,
        );
        check(
            Check::NetworkPolicies,
            &["poi", "tripviewer"],
            &snapshot(pods, json!({"networkpolicies": [selects_poi, all_in_web]})),
            true,
        );
    }

    #[test]
    fn a_windows_node_must_be_ready_and_run_a_ready_pod() {
        let node = |ready: &str| {
            json!({"metadata": {"name": "win-1", "labels": {"kubernetes.io/os": "windows"}},
                                        "status": {"conditions": [{"type": "Ready", "status": ready}]}})
        };
        let on_windows = pod("web", "iis-1", "iis", true, json!({"nodeName": "win-1"}));
        check(Check::WindowsNode, &[], &snapshot(vec![on_windows.clone()], json!({"nodes": [node("True")]})), true);
        check(Check::WindowsNode, &[], &snapshot(vec![on_windows], json!({"nodes": [node("False")]})), false);
        check(Check::WindowsNode, &[], &snapshot(vec![], json!({"nodes": [node("True")]})), false);
    }

    #[test]
    fn a_mesh_needs_a_control_plane_and_sidecars() {
        let control = pod("linkerd", "linkerd-destination-abc", "linkerd", true, json!({}));
        let sidecar = json!({"containers": [{"name": "poi"}, {"name": "linkerd-proxy"}]});
        let meshed = pod("api", "poi-1", "poi", true, sidecar);
        let bare = pod("api", "poi-2", "poi", true, json!({}));
        check(Check::Mesh, &["poi"], &snapshot(vec![control.clone(), meshed.clone()], json!({})), true);
        check(Check::Mesh, &["poi"], &snapshot(vec![control, meshed.clone(), bare], json!({})), false);
        check(Check::Mesh, &["poi"], &snapshot(vec![meshed], json!({})), false);
    }

    #[test]
    fn istio_needs_strict_mtls_where_it_runs() {
        let control = pod("istio-system", "istiod-abc", "istiod", true, json!({}));
        let meshed =
            pod("api", "poi-1", "poi", true, json!({"containers": [{"name": "poi"}, {"name": "istio-proxy"}]}));
        let strict = |namespace: &str, mode: &str| json!({"metadata": {"name": "default", "namespace": namespace}, "spec": {"mtls": {"mode": mode}}});
        let pods = vec![control, meshed];
        check(Check::Mesh, &["poi"], &snapshot(pods.clone(), json!({})), false);
        check(
            Check::Mesh,
            &["poi"],
            &snapshot(pods.clone(), json!({"peerauthentications": [strict("api", "PERMISSIVE")]})),
            false,
        );
        check(
            Check::Mesh,
            &["poi"],
            &snapshot(pods.clone(), json!({"peerauthentications": [strict("api", "STRICT")]})),
            true,
        );
        check(
            Check::Mesh,
            &["poi"],
            &snapshot(pods, json!({"peerauthentications": [strict("istio-system", "STRICT")]})),
            true,
        );
    }

    #[test]
    fn monitoring_is_prometheus_and_grafana_or_an_agent() {
        let prometheus = pod("monitoring", "prometheus-server-1", "prometheus", true, json!({}));
        let grafana = pod("monitoring", "grafana-1", "grafana", true, json!({}));
        let agent = json!({"metadata": {"name": "ama-logs", "namespace": "kube-system"},
                           "spec": {"selector": {}, "template": {}},
                           "status": {"numberReady": 2, "currentNumberScheduled": 2, "desiredNumberScheduled": 2, "numberMisscheduled": 0}});
        let names = ["ama-logs", "omsagent"];
        check(Check::Monitoring, &names, &snapshot(vec![prometheus.clone(), grafana], json!({})), true);
        check(Check::Monitoring, &names, &snapshot(vec![prometheus], json!({})), false);
        check(Check::Monitoring, &names, &snapshot(vec![], json!({"daemonsets": [agent]})), true);
    }

    #[test]
    fn an_ingress_counts_only_with_an_address_and_ready_backends() {
        let ingress = |address: bool| {
            let mut ingress = json!({"metadata": {"name": "web", "namespace": "web"},
                "spec": {"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix",
                    "backend": {"service": {"name": "tripviewer", "port": {"number": 80}}}}]}}]}});
            if address {
                ingress["status"] = json!({"loadBalancer": {"ingress": [{"ip": "20.1.2.3"}]}});
            }
            ingress
        };
        let service = json!({"metadata": {"name": "tripviewer", "namespace": "web"}, "spec": {"selector": {"app": "tripviewer"}}});
        let ready = pod("web", "tripviewer-1", "tripviewer", true, json!({}));
        let not_ready = pod("web", "tripviewer-1", "tripviewer", false, json!({}));
        check(
            Check::IngressRouted,
            &[],
            &snapshot(vec![ready.clone()], json!({"ingresses": [ingress(true)], "services": [service.clone()]})),
            true,
        );
        check(
            Check::IngressRouted,
            &[],
            &snapshot(vec![ready], json!({"ingresses": [ingress(false)], "services": [service.clone()]})),
            false,
        );
        check(
            Check::IngressRouted,
            &[],
            &snapshot(vec![not_ready], json!({"ingresses": [ingress(true)], "services": [service]})),
            false,
        );
    }

    #[test]
    fn a_kind_that_could_not_be_listed_fails_with_the_reason() {
        let mut forbidden = snapshot(vec![], json!({}));
        forbidden.rolebindings = Err(crate::cluster::Problem::Forbidden);
        let expectation = Expectation {
            challenge: 3,
            name: "x".into(),
            check: Check::Rolebindings,
            names: vec!["api".into()],
            help: None,
        };
        let (passed, detail) = evaluate(&expectation, &forbidden);
        assert!(!passed);
        assert!(detail.contains("403"), "{detail}");
    }

    #[test]
    fn the_shipped_checks_toml_loads() {
        let expectations = Expectations::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/guide"))).expect("loads");
        for challenge in 2..=8 {
            assert!(
                expectations.list.iter().any(|e| e.challenge == challenge),
                "challenge {challenge} has no expectation"
            );
        }
    }
}
