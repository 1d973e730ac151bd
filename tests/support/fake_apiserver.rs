//! A fake Kubernetes API server for tests: HTTPS on 127.0.0.1 only, with a certificate
//! authority made at start by rcgen. It serves paginated lists of JSON objects, answers
//! SelfSubjectAccessReviews from a list of granted rights, records every request, and can
//! misbehave per path (hang, reset, error status, endless body).

#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, combinators::BoxBody};
use hyper::body::{Body, Frame, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

pub const TOKEN: &str = "fake-view-token-0123456789";

/// How the server answers one list path instead of listing.
#[derive(Debug, Clone)]
pub enum Behaviour {
    Hang,
    Reset,
    Status(u16),
    /// 429 with `Retry-After: 999999`.
    SlowDown,
    /// A 200 whose body never stops (100 MB of spaces).
    Huge,
}

/// What the server holds.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    /// List path (`/api/v1/pods`) → objects.
    pub lists: HashMap<String, Vec<Value>>,
    pub behaviours: HashMap<String, Behaviour>,
    /// (verb, resource) pairs a SelfSubjectAccessReview allows.
    pub granted: Vec<(String, String)>,
}

/// Every path the checks list, with the list kind the real server names.
pub const LIST_PATHS: &[(&str, &str, &str)] = &[
    ("/api/v1/pods", "v1", "PodList"),
    ("/apis/apps/v1/deployments", "apps/v1", "DeploymentList"),
    ("/apis/apps/v1/daemonsets", "apps/v1", "DaemonSetList"),
    ("/api/v1/services", "v1", "ServiceList"),
    ("/apis/networking.k8s.io/v1/ingresses", "networking.k8s.io/v1", "IngressList"),
    ("/api/v1/nodes", "v1", "NodeList"),
    ("/api/v1/events", "v1", "EventList"),
    ("/api/v1/namespaces", "v1", "NamespaceList"),
    ("/apis/rbac.authorization.k8s.io/v1/rolebindings", "rbac.authorization.k8s.io/v1", "RoleBindingList"),
    ("/apis/networking.k8s.io/v1/networkpolicies", "networking.k8s.io/v1", "NetworkPolicyList"),
];

impl Scenario {
    /// A scenario where every kind is served and empty.
    pub fn empty() -> Scenario {
        let mut scenario = Scenario::default();
        for (path, _, _) in LIST_PATHS {
            scenario.lists.insert((*path).to_string(), Vec::new());
        }
        scenario
    }

    pub fn add(&mut self, path: &str, object: Value) {
        self.lists.entry(path.to_string()).or_default().push(object);
    }
}

/// A running fake server; stops when dropped.
pub struct FakeApiServer {
    pub addr: SocketAddr,
    pub ca_pem: String,
    /// `METHOD path?query` of every request, in order.
    pub log: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeApiServer {
    pub async fn start(scenario: Scenario) -> FakeApiServer {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let ca_key = rcgen::KeyPair::generate().expect("ca key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "fake-apiserver-ca");
        let ca = ca_params.self_signed(&ca_key).expect("ca cert");
        let key = rcgen::KeyPair::generate().expect("server key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.subject_alt_names = vec![rcgen::SanType::IpAddress("127.0.0.1".parse().expect("ip"))];
        let cert = params.signed_by(&key, &ca, &ca_key).expect("server cert");
        let tls = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .expect("tls config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("addr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(scenario);
        let task_log = Arc::clone(&log);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let acceptor = acceptor.clone();
                let state = Arc::clone(&state);
                let log = Arc::clone(&task_log);
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else { return };
                    let service = hyper::service::service_fn(move |request| {
                        let state = Arc::clone(&state);
                        let log = Arc::clone(&log);
                        async move { handle(request, &state, &log).await }
                    });
                    let _ =
                        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), service).await;
                });
            }
        });
        FakeApiServer { addr, ca_pem: ca.pem(), log, task }
    }

    /// A kubeconfig for this server with the view token.
    pub fn kubeconfig(&self) -> String {
        self.kubeconfig_with_token(TOKEN)
    }

    pub fn kubeconfig_with_token(&self, token: &str) -> String {
        use base64::Engine as _;
        let ca = base64::engine::general_purpose::STANDARD.encode(self.ca_pem.as_bytes());
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n  cluster:\n    server: https://{}\n    certificate-authority-data: {ca}\nusers:\n- name: fake\n  user:\n    token: {token}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n",
            self.addr
        )
    }

    pub fn requests(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }

    /// How many requests went to `path` (any query).
    pub fn count(&self, method: &str, path: &str) -> usize {
        let prefix = format!("{method} {path}");
        self.requests().iter().filter(|line| *line == &prefix || line.starts_with(&format!("{prefix}?"))).count()
    }
}

type Answer = Response<BoxBody<Bytes, Infallible>>;

fn json_response(status: StatusCode, body: &Value) -> Answer {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())).boxed())
        .expect("response")
}

fn status(code: u16, reason: &str) -> Answer {
    json_response(
        StatusCode::from_u16(code).expect("status"),
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": reason, "reason": reason, "code": code}),
    )
}

async fn handle(
    request: Request<Incoming>,
    state: &Scenario,
    log: &Mutex<Vec<String>>,
) -> Result<Answer, std::io::Error> {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let line = if query.is_empty() { format!("{method} {path}") } else { format!("{method} {path}?{query}") };
    log.lock().expect("log").push(line);
    let authorized = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {TOKEN}"));
    if !authorized {
        return Ok(status(401, "Unauthorized"));
    }
    if method == hyper::Method::POST && path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" {
        let body = request.into_body().collect().await.map_err(std::io::Error::other)?.to_bytes();
        let review: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let attributes = &review["spec"]["resourceAttributes"];
        let verb = attributes["verb"].as_str().unwrap_or("");
        let resource = attributes["resource"].as_str().unwrap_or("");
        let allowed = state.granted.iter().any(|(v, r)| (v == verb || v == "*") && (r == resource || r == "*"));
        let mut answer = review.clone();
        answer["status"] = json!({"allowed": allowed});
        return Ok(json_response(StatusCode::CREATED, &answer));
    }
    if method != hyper::Method::GET {
        return Ok(status(405, "MethodNotAllowed"));
    }
    match state.behaviours.get(&path) {
        Some(Behaviour::Hang) => std::future::pending::<()>().await,
        Some(Behaviour::Reset) => return Err(std::io::Error::other("reset")),
        Some(Behaviour::Status(code)) => return Ok(status(*code, "InternalError")),
        Some(Behaviour::SlowDown) => {
            let mut answer = status(429, "TooManyRequests");
            answer.headers_mut().insert("retry-after", "999999".parse().expect("header"));
            return Ok(answer);
        }
        Some(Behaviour::Huge) => {
            return Ok(Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Endless { remaining: 100 * 1024 * 1024 }.boxed())
                .expect("response"));
        }
        None => {}
    }
    let Some(items) = state.lists.get(&path) else { return Ok(status(404, "NotFound")) };
    let (api_version, kind) = LIST_PATHS
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, version, kind)| (*version, *kind))
        .unwrap_or(("v1", "List"));
    let params: HashMap<&str, &str> = query.split('&').filter_map(|pair| pair.split_once('=')).collect();
    let limit = params.get("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(usize::MAX);
    let start = params.get("continue").and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
    let end = start.saturating_add(limit).min(items.len());
    let page = &items[start.min(items.len())..end];
    let mut metadata = json!({"resourceVersion": "1"});
    if end < items.len() {
        metadata["continue"] = json!(end.to_string());
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({"apiVersion": api_version, "kind": kind, "metadata": metadata, "items": page}),
    ))
}

/// A body of spaces that goes on for `remaining` bytes.
struct Endless {
    remaining: usize,
}

impl Body for Endless {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let chunk = self.remaining.min(64 * 1024);
        self.remaining -= chunk;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b' '; chunk])))))
    }
}

// ---------------------------------------------------------------------------------------
// Objects.

pub fn meta(namespace: &str, name: &str, labels: Value) -> Value {
    json!({"name": name, "namespace": namespace, "uid": format!("{namespace}-{name}"), "labels": labels})
}

pub fn ready_pod(namespace: &str, name: &str, app: &str) -> Value {
    json!({
        "metadata": meta(namespace, name, json!({"app": app})),
        "spec": {"containers": [{"name": app, "image": format!("registry.example.com/{app}:1.0")}], "nodeName": "node-1"},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [{"name": app, "image": format!("registry.example.com/{app}:1.0"), "imageID": "", "ready": true, "restartCount": 0, "state": {"running": {}}}]
        }
    })
}

pub fn waiting_pod(
    namespace: &str,
    name: &str,
    app: &str,
    reason: &str,
    restarts: i32,
    last: Option<(&str, i32)>,
) -> Value {
    let mut status = json!({"name": app, "image": "registry.example.com/x:1", "imageID": "", "ready": false, "restartCount": restarts,
        "state": {"waiting": {"reason": reason, "message": "details"}}});
    if let Some((reason, code)) = last {
        status["lastState"] = json!({"terminated": {"reason": reason, "exitCode": code}});
    }
    json!({
        "metadata": meta(namespace, name, json!({"app": app})),
        "spec": {"containers": [{"name": app, "image": "registry.example.com/x:1"}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}], "containerStatuses": [status]}
    })
}

pub fn deployment(namespace: &str, name: &str, app: &str, wanted: i32, ready: i32) -> Value {
    json!({
        "metadata": meta(namespace, name, json!({"app": app})),
        "spec": {"replicas": wanted, "selector": {"matchLabels": {"app": app}},
                 "template": {"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": app, "image": "x"}]}}},
        "status": {"replicas": wanted, "readyReplicas": ready}
    })
}

pub fn service(namespace: &str, name: &str, app: &str) -> Value {
    json!({"metadata": meta(namespace, name, json!({})), "spec": {"selector": {"app": app}, "ports": [{"port": 80}]}})
}

pub fn node(name: &str, ready: bool, pressure: Option<&str>, os: &str) -> Value {
    let mut conditions = vec![json!({"type": "Ready", "status": if ready { "True" } else { "False" }})];
    if let Some(kind) = pressure {
        conditions.push(json!({"type": kind, "status": "True"}));
    }
    json!({"metadata": {"name": name, "uid": name, "labels": {"kubernetes.io/os": os}}, "status": {"conditions": conditions}})
}
