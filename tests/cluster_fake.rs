//! The cluster client and analyzers against a fake API server on 127.0.0.1 (HTTPS, its own
//! CA): every analyzer, pagination, 404s, and servers that hang, reset, answer 500/429 or
//! send an endless body, each ending within the deadline with a clear finding; the privilege
//! review; the read-only layer; and the address rule, proven with a loopback listener that
//! must see no connection.

mod support;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hackcoach::cluster::{
    self, AddressPolicy, CheckOptions, CheckRefusal, ClusterClient, Expectations, Limits, Problem, Report, Resolve,
    SanitizedKubeconfig, SystemResolver,
};
use serde_json::json;
use support::fake_apiserver::*;

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-12-04T12:00:00Z").expect("time").to_utc()
}

fn options() -> CheckOptions {
    CheckOptions {
        policy: AddressPolicy { allow_private: true },
        allow_privileged: false,
        limits: Limits { request_timeout: Duration::from_millis(1500), page_size: 500, ..Limits::default() },
        deadline: Duration::from_secs(4),
    }
}

fn sanitized(server: &FakeApiServer) -> SanitizedKubeconfig {
    cluster::sanitize(server.kubeconfig().as_bytes(), &AddressPolicy { allow_private: true }).expect("sanitized")
}

async fn run(server: &FakeApiServer, options: &CheckOptions, challenge: Option<u32>) -> Result<Report, CheckRefusal> {
    let expectations =
        Expectations::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/guide"))).expect("checks.toml");
    cluster::check(&sanitized(server), options, Arc::new(SystemResolver), &expectations, challenge, now()).await
}

fn codes(report: &Report) -> BTreeSet<(String, String)> {
    report.findings.iter().map(|f| (f.code.to_string(), f.name.clone())).collect()
}

/// The broken TripInsights scenario that the real-server test loads too.
fn broken_tripinsights() -> Scenario {
    let mut s = Scenario::empty();
    let pods = "/api/v1/pods";
    s.add(pods, waiting_pod("api", "poi-7d9f-abcde", "poi", "CrashLoopBackOff", 7, Some(("Error", 1))));
    s.add(pods, waiting_pod("api", "trips-5c6b-xyz12", "trips", "ImagePullBackOff", 0, None));
    s.add(pods, waiting_pod("api", "userprofile-66f-q1", "userprofile", "CreateContainerConfigError", 0, None));
    s.add(pods, waiting_pod("api", "user-java-9-oom", "user-java", "CrashLoopBackOff", 3, Some(("OOMKilled", 137))));
    s.add(pods, ready_pod("web", "tripviewer-1", "tripviewer"));
    let mut flaky = ready_pod("web", "tripviewer-2", "tripviewer");
    flaky["status"]["containerStatuses"][0]["restartCount"] = json!(9);
    s.add(pods, flaky);
    s.add(
        pods,
        json!({"metadata": meta("api", "poi-pending", json!({"app": "poi"})), "spec": {"containers": [{"name": "poi", "image": "x"}]},
               "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                          "message": "0/3 nodes are available: 3 Insufficient cpu."}]}}),
    );
    let deployments = "/apis/apps/v1/deployments";
    s.add(deployments, deployment("api", "poi", "poi", 2, 0));
    s.add(deployments, deployment("api", "trips", "trips", 1, 0));
    s.add(deployments, deployment("web", "tripviewer", "tripviewer", 2, 2));
    let services = "/api/v1/services";
    s.add(services, service("api", "poi", "poi"));
    s.add(services, service("api", "nothing", "no-such-app"));
    s.add(services, service("web", "tripviewer", "tripviewer"));
    s.add(
        "/apis/networking.k8s.io/v1/ingresses",
        json!({"metadata": meta("web", "tripinsights", json!({})),
               "spec": {"rules": [{"http": {"paths": [
                   {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "tripviewer", "port": {"number": 80}}}},
                   {"path": "/api", "pathType": "Prefix", "backend": {"service": {"name": "api-gateway", "port": {"number": 80}}}}]}}]},
               "status": {"loadBalancer": {}}}),
    );
    s.add("/api/v1/nodes", node("node-1", true, None, "linux"));
    s.add("/api/v1/nodes", node("node-2", false, None, "linux"));
    s.add("/api/v1/nodes", node("node-3", true, Some("MemoryPressure"), "linux"));
    s.add(
        "/api/v1/events",
        json!({"metadata": meta("api", "poi.1", json!({})), "type": "Warning", "reason": "FailedMount",
               "message": "MountVolume.SetUp failed for volume \"secrets-store\"", "lastTimestamp": "2026-12-04T11:50:00Z",
               "involvedObject": {"kind": "Pod", "namespace": "api", "name": "poi-7d9f-abcde"}}),
    );
    s.add(
        "/api/v1/events",
        json!({"metadata": meta("api", "old.1", json!({})), "type": "Warning", "reason": "BackOff", "message": "old",
               "lastTimestamp": "2026-12-03T11:50:00Z", "involvedObject": {"kind": "Pod", "namespace": "api", "name": "gone"}}),
    );
    s.add("/api/v1/namespaces", json!({"metadata": {"name": "api", "uid": "api"}}));
    s.add("/api/v1/namespaces", json!({"metadata": {"name": "web", "uid": "web"}}));
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_analyzer_finds_its_problem_in_the_broken_scenario() {
    let server = FakeApiServer::start(broken_tripinsights()).await;
    let report = run(&server, &options(), Some(2)).await.expect("checked");
    let found = codes(&report);
    let expected = [
        ("pod-crashloop", "poi-7d9f-abcde"),
        ("pod-image-pull", "trips-5c6b-xyz12"),
        ("pod-container-config", "userprofile-66f-q1"),
        ("pod-crashloop", "user-java-9-oom"),
        ("pod-restarts", "tripviewer-2"),
        ("pod-unschedulable", "poi-pending"),
        ("deployment-not-ready", "poi"),
        ("deployment-not-ready", "trips"),
        ("service-no-ready-pods", "poi"),
        ("service-selects-nothing", "nothing"),
        ("ingress-no-class", "tripinsights"),
        ("ingress-no-address", "tripinsights"),
        ("ingress-backend-missing", "tripinsights"),
        ("node-not-ready", "node-2"),
        ("node-pressure", "node-3"),
        ("event-warning", "poi-7d9f-abcde"),
    ];
    for (code, name) in expected {
        assert!(found.contains(&(code.to_string(), name.to_string())), "missing {code} {name} in {found:#?}");
    }
    assert!(!found.iter().any(|(_, name)| name == "gone"), "an old event was reported");
    assert!(!found.iter().any(|(_, name)| name == "tripviewer-1"), "a healthy pod was reported");
    let crash =
        report.findings.iter().find(|f| f.name == "poi-7d9f-abcde" && f.code == "pod-crashloop").expect("crash");
    assert!(crash.message.contains("last exit: Error (code 1)"), "{}", crash.message);
    assert_eq!(crash.kubectl, "kubectl logs poi-7d9f-abcde -n api -c poi --previous");
    assert_eq!(crash.help, "crashloopbackoff");
    let oom = report.findings.iter().find(|f| f.name == "user-java-9-oom").expect("oom");
    assert_eq!(oom.help, "oomkilled");
    let pending = report.findings.iter().find(|f| f.code == "pod-unschedulable").expect("pending");
    assert!(pending.message.contains("Insufficient cpu"), "{}", pending.message);
    let mount = report.findings.iter().find(|f| f.code == "event-warning").expect("event");
    assert_eq!(mount.help, "key-vault-volume");
    let challenge = report.challenge.expect("challenge 2 evaluated");
    assert_eq!(challenge.number, 2);
    assert!(challenge.expectations.iter().all(|e| !e.passed), "{:#?}", challenge.expectations);
    assert!(
        challenge.expectations[0].detail.contains("user-java (no deployment)"),
        "{}",
        challenge.expectations[0].detail
    );
    // Only GETs and access reviews reached the server.
    for line in server.requests() {
        assert!(
            line.starts_with("GET ") || line == "POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            "{line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_pods_are_listed_in_pages_within_two_seconds() {
    let mut scenario = Scenario::empty();
    for index in 0..2000 {
        let pod = if index % 100 == 0 {
            waiting_pod("api", &format!("poi-{index}"), "poi", "CrashLoopBackOff", 4, Some(("Error", 2)))
        } else {
            ready_pod("api", &format!("poi-{index}"), "poi")
        };
        scenario.add("/api/v1/pods", pod);
    }
    let server = FakeApiServer::start(scenario).await;
    let started = Instant::now();
    let report = run(&server, &options(), None).await.expect("checked");
    let elapsed = started.elapsed();
    println!("2000 pods checked in {elapsed:?} ({} GET /api/v1/pods)", server.count("GET", "/api/v1/pods"));
    assert_eq!(server.count("GET", "/api/v1/pods"), 4, "one list call per page of 500");
    assert_eq!(report.findings.iter().filter(|f| f.code == "pod-crashloop").count(), 20);
    for (path, _, _) in LIST_PATHS.iter().filter(|(path, _, _)| *path != "/api/v1/pods") {
        assert_eq!(server.count("GET", path), 1, "{path}: one call for one page");
    }
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

/// Runs a check where `path` misbehaves; returns the report and how long it took.
async fn misbehaving(path: &str, behaviour: Behaviour) -> (Report, Duration, FakeApiServer) {
    let mut scenario = Scenario::empty();
    scenario.add("/api/v1/pods", ready_pod("api", "poi-1", "poi"));
    scenario.behaviours.insert(path.to_string(), behaviour);
    let server = FakeApiServer::start(scenario).await;
    let started = Instant::now();
    let report = run(&server, &options(), None).await.expect("checked");
    (report, started.elapsed(), server)
}

fn finding_for<'a>(report: &'a Report, kind: &str) -> &'a cluster::Finding {
    report
        .findings
        .iter()
        .find(|f| f.kind == kind && f.name.is_empty())
        .unwrap_or_else(|| panic!("no finding for {kind}: {report:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_kind_is_reported_not_fatal() {
    let (report, _, _) = misbehaving("/apis/networking.k8s.io/v1/networkpolicies", Behaviour::Status(404)).await;
    let finding = finding_for(&report, "NetworkPolicy");
    assert_eq!(finding.code, "list-not-visible");
    assert!(finding.message.contains("404"), "{}", finding.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_server_ends_within_the_deadline() {
    let (report, elapsed, _) = misbehaving("/api/v1/pods", Behaviour::Hang).await;
    assert_eq!(finding_for(&report, "Pod").code, "list-timeout");
    assert!(elapsed < options().deadline + Duration::from_millis(500), "took {elapsed:?}");
    // The other kinds were still checked.
    assert!(!report.findings.iter().any(|f| f.kind == "Deployment" && f.name.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_connection_is_a_finding() {
    let (report, elapsed, _) = misbehaving("/api/v1/services", Behaviour::Reset).await;
    let finding = finding_for(&report, "Service");
    assert_eq!(finding.code, "list-failed");
    assert!(elapsed < options().deadline, "took {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_findings_and_retry_after_is_not_obeyed() {
    let (report, _, server) = misbehaving("/api/v1/services", Behaviour::Status(500)).await;
    assert!(finding_for(&report, "Service").message.contains("HTTP 500"));
    assert_eq!(server.count("GET", "/api/v1/services"), 1, "no retry after a 500");
    let (report, elapsed, server) = misbehaving("/apis/apps/v1/deployments", Behaviour::SlowDown).await;
    let finding = finding_for(&report, "Deployment");
    assert!(finding.message.contains("429"), "{}", finding.message);
    assert_eq!(server.count("GET", "/apis/apps/v1/deployments"), 1, "no retry after a 429");
    assert!(elapsed < options().deadline, "took {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_body_is_cut_at_the_size_cap() {
    let (report, elapsed, _) = misbehaving("/api/v1/events", Behaviour::Huge).await;
    assert_eq!(finding_for(&report, "Event").code, "list-too-large");
    assert!(elapsed < options().deadline, "took {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_that_can_write_or_read_secrets_are_refused() {
    for granted in [("create", "pods"), ("list", "secrets"), ("*", "*")] {
        let mut scenario = Scenario::empty();
        scenario.granted = vec![(granted.0.to_string(), granted.1.to_string())];
        let server = FakeApiServer::start(scenario).await;
        let refusal = run(&server, &options(), None).await.expect_err("refused");
        let CheckRefusal::OverPrivileged(rights) = &refusal else { panic!("{refusal:?}") };
        assert!(!rights.is_empty());
        assert!(refusal.to_string().contains("view"), "{refusal}");
        // No list was sent after the review said no.
        assert!(server.requests().iter().all(|line| line.starts_with("POST ")), "{:?}", server.requests());
        let allowed = CheckOptions { allow_privileged: true, ..options() };
        assert!(run(&server, &allowed, None).await.is_ok(), "allowed when the config says so");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_refuses_every_method_but_get_before_sending() {
    let server = FakeApiServer::start(Scenario::empty()).await;
    let client = ClusterClient::new(
        &sanitized(&server),
        AddressPolicy { allow_private: true },
        Limits::default(),
        Arc::new(SystemResolver),
    )
    .expect("client");
    for method in [http::Method::POST, http::Method::PUT, http::Method::PATCH, http::Method::DELETE] {
        let result = client.raw(method.clone(), "/api/v1/namespaces/default/pods/x").await;
        assert_eq!(result, Err(Problem::NotReadOnly), "{method}");
    }
    assert_eq!(client.raw(http::Method::GET, "/api/v1/namespaces/api/secrets").await, Err(Problem::NotReadOnly));
    assert!(client.raw(http::Method::GET, "/api/v1/pods").await.is_ok());
    assert_eq!(server.requests(), vec!["GET /api/v1/pods".to_string()]);
}

/// Resolves every name to one fixed address, so nothing is looked up on the network.
struct FixedResolver(Vec<SocketAddr>);

impl Resolve for FixedResolver {
    fn resolve(
        &self,
        _host: &str,
        _port: u16,
    ) -> std::pin::Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>> {
        let addresses = self.0.clone();
        Box::pin(async move { Ok(addresses) })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_resolving_to_non_public_addresses_are_never_dialed() {
    // A listener on loopback stands in for anything private; it must see no connection.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: https://cluster.example.test:{port}\nusers:\n- name: c\n  user:\n    token: abc\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: c\n"
    );
    let kubeconfig =
        cluster::sanitize(kubeconfig.as_bytes(), &AddressPolicy::default()).expect("name passes the sanitizer");
    // Only loopback addresses, so that even a broken connector could not send a packet off
    // the machine; the other non-public ranges are covered by the classification tests.
    let resolved: Vec<Vec<SocketAddr>> = vec![
        vec![SocketAddr::from(([127, 0, 0, 1], port))],
        vec![SocketAddr::from(([127, 0, 0, 2], port)), SocketAddr::from(([127, 0, 0, 1], port))],
        vec![format!("[::ffff:127.0.0.1]:{port}").parse().expect("addr")],
        vec![format!("[::1]:{port}").parse().expect("addr")],
    ];
    for addresses in resolved {
        let options = CheckOptions { policy: AddressPolicy::default(), ..options() };
        let started = Instant::now();
        let outcome = cluster::check(
            &kubeconfig,
            &options,
            Arc::new(FixedResolver(addresses.clone())),
            &Expectations::default(),
            None,
            now(),
        )
        .await;
        let Err(CheckRefusal::Address(refusal)) = &outcome else { panic!("{addresses:?}: {outcome:?}") };
        assert_eq!(refusal.code, "server-address-not-public");
        assert!(started.elapsed() < Duration::from_millis(500));
    }
    // The same address given literally, accepted by a permissive sanitizer, is refused by the connector.
    let literal = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:{port}\nusers:\n- name: c\n  user:\n    token: abc\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: c\n"
    );
    let literal = cluster::sanitize(literal.as_bytes(), &AddressPolicy { allow_private: true }).expect("sanitized");
    let options = CheckOptions { policy: AddressPolicy::default(), ..options() };
    let outcome =
        cluster::check(&literal, &options, Arc::new(SystemResolver), &Expectations::default(), None, now()).await;
    assert!(matches!(outcome, Err(CheckRefusal::Address(_))), "{outcome:?}");
    match listener.accept() {
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("the loopback listener saw a connection: {other:?}"),
    }
}

/// A check sends several requests at once. Every one that meets a refused address says
/// so: none may come back as a plain connection failure, which would read as "the cluster
/// is down" instead of "that address is not allowed".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_to_a_refused_address_all_report_the_refusal() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: https://cluster.example.test:{port}\nusers:\n- name: c\n  user:\n    token: abc\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: c\n"
    );
    let kubeconfig = cluster::sanitize(kubeconfig.as_bytes(), &AddressPolicy::default()).expect("sanitized");
    let resolver = Arc::new(FixedResolver(vec![SocketAddr::from(([127, 0, 0, 1], port))]));
    for round in 0..20 {
        let client = ClusterClient::new(&kubeconfig, AddressPolicy::default(), Limits::default(), resolver.clone())
            .expect("client");
        let requests: Vec<_> = (0..6)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.raw(http::Method::GET, "/api/v1/pods").await })
            })
            .collect();
        for request in requests {
            let outcome = request.await.expect("joined");
            assert!(matches!(outcome, Err(Problem::AddressRefused(_))), "round {round}: {outcome:?}");
        }
    }
    match listener.accept() {
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("the loopback listener saw a connection: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_commands_answer_while_a_check_hangs() {
    let mut scenario = Scenario::empty();
    scenario.behaviours.insert("/api/v1/pods".into(), Behaviour::Hang);
    let server = FakeApiServer::start(scenario).await;
    let check = tokio::spawn({
        let kubeconfig = sanitized(&server);
        async move {
            cluster::check(&kubeconfig, &options(), Arc::new(SystemResolver), &Expectations::default(), None, now())
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let config = hackcoach::config::Config {
        guide_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/guide").into(),
        ..hackcoach::config::Config::default()
    };
    let app = hackcoach::app::App::load(config).expect("app");
    let invocation = hackcoach::commands::Invocation {
        guild_id: 1,
        channel_id: 1,
        channel_name: "team-1".into(),
        user_id: 1,
        user_name: "member".into(),
        is_coach: false,
        now: now(),
    };
    let started = Instant::now();
    let reply =
        hackcoach::commands::execute(&app, &invocation, hackcoach::commands::Command::Challenge { number: 4 }).await;
    assert!(started.elapsed() < Duration::from_millis(200), "answered in {:?}", started.elapsed());
    assert!(!check.is_finished(), "the check should still be waiting on the hanging server");
    assert!(reply.title.is_some() || !reply.body.is_empty());
    let report = check.await.expect("joined").expect("report");
    assert_eq!(finding_for(&report, "Pod").code, "list-timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_certificate_kubeconfig_builds_a_client() {
    use base64::Engine as _;
    let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let key = rcgen::KeyPair::generate().expect("key");
    let cert =
        rcgen::CertificateParams::new(vec!["team".to_string()]).expect("params").self_signed(&key).expect("cert");
    let server = FakeApiServer::start(Scenario::empty()).await;
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: https://{}\n    certificate-authority-data: {}\nusers:\n- name: c\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: c\n    namespace: api\n",
        server.addr,
        b64(&server.ca_pem),
        b64(&cert.pem()),
        b64(&key.serialize_pem())
    );
    let policy = AddressPolicy { allow_private: true };
    let sanitized = cluster::sanitize(kubeconfig.as_bytes(), &policy).expect("accepted");
    assert_eq!(sanitized.credentials.kind(), "client certificate");
    assert_eq!(sanitized.namespace.as_deref(), Some("api"));
    let debug = format!("{sanitized:?}");
    assert!(!debug.contains("PRIVATE KEY"), "{debug}");
    ClusterClient::new(&sanitized, policy, Limits::default(), Arc::new(SystemResolver)).expect("client builds");
    // The stored form reads back with the same credentials.
    let again = cluster::sanitize(sanitized.to_yaml().as_bytes(), &policy).expect("stored form accepted");
    assert_eq!(again.credentials.kind(), "client certificate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offline_check_prints_the_design_json_and_needs_allow_private_for_loopback() {
    let server = FakeApiServer::start(broken_tripinsights()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("kubeconfig");
    std::fs::write(&file, server.kubeconfig()).expect("write kubeconfig");
    let run = |extra: &'static [&'static str]| {
        let file = file.clone();
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_hackcoach"))
                .args(["--guide", concat!(env!("CARGO_MANIFEST_DIR"), "/guide"), "check", "--json"])
                .args(extra)
                .arg("--kubeconfig")
                .arg(&file)
                .output()
                .await
                .expect("run hackcoach check")
        }
    };
    let refused = run(&[]).await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("server-address-not-public"));
    assert!(server.requests().is_empty(), "a refused check sent requests: {:?}", server.requests());
    let output = run(&["--allow-private", "--challenge", "2"]).await;
    assert_eq!(output.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let object = |value: &serde_json::Value| value.as_object().map(|o| o.keys().cloned().collect::<BTreeSet<_>>());
    let keys = |names: &[&str]| Some(names.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>());
    assert_eq!(object(&json), keys(&["findings", "challenge"]));
    assert_eq!(
        object(&json["findings"][0]),
        keys(&["severity", "code", "kind", "namespace", "name", "message", "kubectl", "help"])
    );
    assert_eq!(object(&json["challenge"]), keys(&["number", "expectations"]));
    assert_eq!(object(&json["challenge"]["expectations"][0]), keys(&["name", "passed", "detail"]));
    assert_eq!(json["findings"][0]["severity"], "error");
}
