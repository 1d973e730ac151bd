//! `deploy/kubernetes.yaml`, parsed as YAML into the Kubernetes API types and checked:
//! one replica with the Recreate strategy (SQLite has one writer), the token from a
//! Secret through the environment, the claim mounted where the Dockerfile's data volume
//! is, a locked-down security context, and the bot and its probes (`hackcoach health`)
//! reading the config from the ConfigMap. Applying
//! it needs a cluster; what can be known without one is checked here.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, PersistentVolumeClaim};

fn documents() -> Vec<serde_json::Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/kubernetes.yaml");
    let text = std::fs::read_to_string(path).expect("deploy/kubernetes.yaml");
    serde_saphyr::from_str_multiple(&text).expect("valid YAML")
}

fn objects<T: serde::de::DeserializeOwned>(kind: &str) -> Vec<T> {
    documents()
        .into_iter()
        .filter(|d| d["kind"] == kind)
        .map(|d| serde_json::from_value(d).unwrap_or_else(|e| panic!("a valid {kind}: {e}")))
        .collect()
}

fn deployment() -> Deployment {
    let mut deployments: Vec<Deployment> = objects("Deployment");
    assert_eq!(deployments.len(), 1);
    deployments.pop().expect("one deployment")
}

fn container(deployment: &Deployment) -> Container {
    let pod = deployment.spec.as_ref().and_then(|s| s.template.spec.as_ref()).expect("pod spec");
    assert_eq!(pod.containers.len(), 1);
    pod.containers[0].clone()
}

/// The Dockerfile's data volume, read the simple way (one `VOLUME ["..."]` line).
fn dockerfile_volume() -> String {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile")).expect("Dockerfile");
    let line = text.lines().find_map(|l| l.strip_prefix("VOLUME ")).expect("a VOLUME line");
    let volumes: Vec<String> = serde_json::from_str(line).expect("VOLUME in JSON form");
    volumes[0].clone()
}

#[test]
fn every_document_names_its_kind_and_sets_no_namespace() {
    let documents = documents();
    let kinds: Vec<&str> = documents.iter().filter_map(|d| d["kind"].as_str()).collect();
    assert_eq!(kinds, ["PersistentVolumeClaim", "Deployment"]);
    for document in &documents {
        assert!(document["metadata"].get("namespace").is_none(), "the operator picks the namespace: {document}");
    }
}

#[test]
fn one_replica_replaced_not_rolled() {
    let spec = deployment().spec.expect("spec");
    assert_eq!(spec.replicas, Some(1));
    assert_eq!(spec.strategy.and_then(|s| s.type_).as_deref(), Some("Recreate"));
}

#[test]
fn the_token_comes_from_a_secret_and_no_secret_value_is_in_the_file() {
    let container = container(&deployment());
    let env = container.env.unwrap_or_default();
    let token = env.iter().find(|e| e.name == "DISCORD_TOKEN").expect("DISCORD_TOKEN in the environment");
    assert!(token.value.is_none(), "the token is written in the file");
    let reference = token.value_from.as_ref().and_then(|v| v.secret_key_ref.as_ref()).expect("from a Secret");
    assert_eq!((reference.name.as_str(), reference.key.as_str()), ("hackcoach", "DISCORD_TOKEN"));
    assert!(env.iter().all(|e| e.value.is_none() || !e.name.contains("TOKEN") && !e.name.contains("KEY")));
    assert!(objects::<serde_json::Value>("Secret").is_empty(), "applying the file would overwrite the real token");
}

#[test]
fn the_claim_is_mounted_at_the_images_data_volume() {
    let deployment = deployment();
    let pod = deployment.spec.as_ref().and_then(|s| s.template.spec.as_ref()).expect("pod spec");
    let claims: Vec<PersistentVolumeClaim> = objects("PersistentVolumeClaim");
    let claim_name = claims[0].metadata.name.clone().expect("claim name");
    let volume = pod
        .volumes
        .iter()
        .flatten()
        .find(|v| v.persistent_volume_claim.as_ref().is_some_and(|c| c.claim_name == claim_name))
        .expect("a volume from the claim");
    let mounts = container(&deployment).volume_mounts.unwrap_or_default();
    let mount = mounts.iter().find(|m| m.name == volume.name).expect("the claim is mounted");
    assert_eq!(mount.mount_path, dockerfile_volume());
}

#[test]
fn the_pod_runs_locked_down() {
    let deployment = deployment();
    let pod = deployment.spec.as_ref().and_then(|s| s.template.spec.as_ref()).expect("pod spec");
    let pod_security = pod.security_context.as_ref().expect("pod securityContext");
    assert_eq!(pod_security.run_as_non_root, Some(true));
    assert!(pod_security.run_as_user.is_some_and(|uid| uid != 0));
    // Without it the kubelet adds group bits to the 0600 key file at every mount, and the
    // bot refuses a key readable by others: the pod would crash-loop after its first restart.
    assert_eq!(pod_security.fs_group_change_policy.as_deref(), Some("OnRootMismatch"));
    let security = container(&deployment).security_context.expect("container securityContext");
    assert_eq!(security.read_only_root_filesystem, Some(true));
    assert_eq!(security.allow_privilege_escalation, Some(false));
    let dropped = security.capabilities.and_then(|c| c.drop).unwrap_or_default();
    assert_eq!(dropped, ["ALL"]);
    assert_eq!(pod.automount_service_account_token, Some(false));
}

#[test]
fn the_bot_and_its_probes_read_the_config_from_the_config_map() {
    let deployment = deployment();
    let pod = deployment.spec.as_ref().and_then(|s| s.template.spec.as_ref()).expect("pod spec");
    let container = container(&deployment);
    let volume = pod.volumes.iter().flatten().find(|v| v.config_map.is_some()).expect("a ConfigMap volume");
    let mounts = container.volume_mounts.clone().unwrap_or_default();
    let mount = mounts.iter().find(|m| m.name == volume.name).expect("the ConfigMap is mounted");
    let config = format!("{}/config.toml", mount.mount_path);
    let command = container.command.clone().unwrap_or_default();
    assert_eq!(command, ["hackcoach", "--config", config.as_str()]);
    assert_eq!(container.args.clone().unwrap_or_default(), ["run"]);
    for (name, probe) in [("liveness", container.liveness_probe), ("readiness", container.readiness_probe)] {
        let command = probe.and_then(|p| p.exec).and_then(|e| e.command).unwrap_or_default();
        assert_eq!(command, ["hackcoach", "--config", config.as_str(), "health"], "{name}");
    }
}
