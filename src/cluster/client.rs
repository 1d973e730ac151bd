//! The read-only Kubernetes client: the only file in the crate that names `kube`.
//!
//! It is built from a `SanitizedKubeconfig` only, never from a team's YAML, and its stack
//! enforces DESIGN.md's Security rules by construction:
//!
//! - `ReadOnly` refuses every request but GET, and the one POST that asks the server what
//!   the credential may do (SelfSubjectAccessReview); GETs of Secrets are refused too.
//! - `GuardedConnector` resolves the host itself (through an injectable `Resolve`), checks
//!   every resolved address against the `AddressPolicy` before any packet is sent, and dials
//!   exactly the addresses it checked. No proxy is ever used, from the environment or else.
//! - No retry layer (so no `Retry-After` is ever obeyed), response bodies capped at
//!   `Limits::max_response_bytes`, and each call bounded by the per-request timeout.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Method, Request, Uri};
use http_body_util::Limited;
use hyper_util::rt::{TokioExecutor, TokioIo};
use k8s_openapi::api::authorization::v1::{ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec};
use kube::api::{Api, ListParams, PostParams};
use kube::client::ConfigExt as _;
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use tokio::net::TcpStream;
use tower::{BoxError, Layer, Service, ServiceBuilder};

use super::sanitize::{AddressPolicy, Credentials, Refusal, SanitizedKubeconfig};

/// The path of the one POST the client may send.
const ACCESS_REVIEW_PATH: &str = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

/// Bounds on what one check may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub connect_timeout: Duration,
    /// For one request, from sending it to the last byte of its body.
    pub request_timeout: Duration,
    pub max_response_bytes: usize,
    /// Objects per list page.
    pub page_size: u32,
    /// Pages per kind, so a server that always answers "continue" cannot keep us forever.
    pub max_pages: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            max_response_bytes: 16 * 1024 * 1024,
            page_size: 500,
            max_pages: 40,
        }
    }
}

/// Why a request produced no usable answer. Messages are ours; server text is not echoed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The credential may not do this (HTTP 403).
    Forbidden,
    /// The kind or object does not exist on this server (HTTP 404).
    NotFound,
    /// The server answered with another error status.
    Status(u16),
    /// The response was larger than the cap.
    TooLarge,
    /// No complete answer within the request timeout.
    Timeout,
    /// The server's resolved address is not allowed.
    AddressRefused(Refusal),
    /// The read-only layer refused the request (a bug if it ever shows).
    NotReadOnly,
    /// Connecting or TLS failed, or the answer was not what Kubernetes sends.
    Unreachable(String),
}

impl Problem {
    /// A sentence for a finding.
    pub fn describe(&self) -> String {
        match self {
            Problem::Forbidden => "this credential may not list it (403 Forbidden)".into(),
            Problem::NotFound => "the server does not serve this kind (404)".into(),
            Problem::Status(429) => "the server asked us to slow down (429); the bot does not retry".into(),
            Problem::Status(code) => format!("the server answered HTTP {code}"),
            Problem::TooLarge => "the answer was larger than the bot accepts".into(),
            Problem::Timeout => "the server did not answer in time".into(),
            Problem::AddressRefused(refusal) => refusal.message.clone(),
            Problem::NotReadOnly => "the request was not read-only and was refused by the client".into(),
            Problem::Unreachable(why) => why.clone(),
        }
    }
}

/// Resolves a host name to addresses. Tests inject one so nothing leaves the machine.
pub trait Resolve: Send + Sync + 'static {
    fn resolve(&self, host: &str, port: u16) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send>>;
}

/// The system resolver (getaddrinfo through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, host: &str, port: u16) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send>> {
        let target = format!("{host}:{port}");
        Box::pin(async move { Ok(tokio::net::lookup_host(target).await?.collect()) })
    }
}

/// A connected, read-only client for one team's cluster.
#[derive(Clone)]
pub struct ClusterClient {
    client: kube::Client,
    limits: Limits,
    refused: Arc<Mutex<Option<Refusal>>>,
}

impl std::fmt::Debug for ClusterClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterClient").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl ClusterClient {
    /// Builds the client. Nothing is sent until a request is made.
    pub fn new(
        kubeconfig: &SanitizedKubeconfig,
        policy: AddressPolicy,
        limits: Limits,
        resolver: Arc<dyn Resolve>,
    ) -> Result<ClusterClient, Problem> {
        let uri: Uri =
            kubeconfig.server.parse().map_err(|_| Problem::Unreachable("the server URL is invalid".into()))?;
        let mut config = kube::Config::new(uri);
        config.default_namespace = kubeconfig.namespace.clone().unwrap_or_else(|| "default".into());
        config.default_retry = false;
        config.accept_invalid_certs = false;
        config.proxy_url = None;
        config.connect_timeout = Some(limits.connect_timeout);
        config.read_timeout = Some(limits.request_timeout);
        if let Some(pem) = &kubeconfig.ca_pem {
            config.root_cert = Some(pem_certificates(pem)?);
        }
        match &kubeconfig.credentials {
            Credentials::Token(token) => {
                config.auth_info.token = Some(token.expose_secret().to_string().into());
            }
            Credentials::ClientCertificate { certificate_pem, key_pem } => {
                use base64::Engine as _;
                let b64 = base64::engine::general_purpose::STANDARD;
                config.auth_info.client_certificate_data = Some(b64.encode(certificate_pem));
                config.auth_info.client_key_data = Some(b64.encode(key_pem.expose_secret()).into());
            }
        }
        let tls = config.rustls_client_config().map_err(|_| {
            Problem::Unreachable("the certificate authority or client certificate could not be loaded".into())
        })?;
        let refused = Arc::new(Mutex::new(None));
        let connector = GuardedConnector {
            resolver,
            policy,
            connect_timeout: limits.connect_timeout,
            refused: Arc::clone(&refused),
        };
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only()
            .enable_http1()
            .wrap_connector(connector);
        let hyper_client: hyper_util::client::legacy::Client<_, kube::client::Body> =
            hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(https);
        let auth = config.auth_layer().map_err(|_| Problem::Unreachable("the credentials could not be used".into()))?;
        let cap = limits.max_response_bytes;
        let service = ServiceBuilder::new()
            .layer(config.base_uri_layer())
            .option_layer(auth)
            .layer(ReadOnlyLayer)
            .map_response(move |response: http::Response<_>| response.map(|body| Limited::new(body, cap)))
            .map_err(BoxError::from)
            .service(hyper_client);
        let client = kube::client::ClientBuilder::new(service, config.default_namespace.clone()).build();
        Ok(ClusterClient { client, limits, refused })
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Lists every object of kind `K` in all namespaces (or cluster-wide), page by page.
    pub async fn list<K>(&self) -> Result<Vec<K>, Problem>
    where
        K: kube::Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug,
    {
        self.pages(Api::all(self.client.clone())).await
    }

    /// Lists a custom resource (e.g. Istio's PeerAuthentication) as JSON objects; a cluster
    /// without its CRD answers `Problem::NotFound`.
    pub async fn list_custom(
        &self,
        group: &str,
        version: &str,
        kind: &str,
        plural: &str,
    ) -> Result<Vec<serde_json::Value>, Problem> {
        let gvk = kube::core::GroupVersionKind::gvk(group, version, kind);
        let resource = kube::core::ApiResource::from_gvk_with_plural(&gvk, plural);
        let api: Api<kube::core::DynamicObject> = Api::all_with(self.client.clone(), &resource);
        let objects = self.pages(api).await?;
        objects
            .into_iter()
            .map(|object| {
                serde_json::to_value(object).map_err(|_| Problem::Unreachable("an object could not be read".into()))
            })
            .collect()
    }

    async fn pages<K>(&self, api: Api<K>) -> Result<Vec<K>, Problem>
    where
        K: Clone + DeserializeOwned + std::fmt::Debug,
    {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..self.limits.max_pages {
            let mut params = ListParams::default().limit(self.limits.page_size);
            if let Some(token) = &token {
                params = params.continue_token(token);
            }
            let page = self.bounded(api.list(&params)).await?;
            items.extend(page.items);
            match page.metadata.continue_ {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => return Ok(items),
            }
        }
        Err(Problem::Unreachable(format!(
            "the list did not end after {} pages; the bot stops there",
            self.limits.max_pages
        )))
    }

    /// Asks the server whether this credential may do `verb` on `resource` (in `group`),
    /// in all namespaces when `namespace` is `None`.
    pub async fn may(&self, verb: &str, group: &str, resource: &str, namespace: Option<&str>) -> Result<bool, Problem> {
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(verb.to_string()),
                    group: Some(group.to_string()),
                    resource: Some(resource.to_string()),
                    namespace: namespace.map(str::to_string),
                    ..ResourceAttributes::default()
                }),
                ..SelfSubjectAccessReviewSpec::default()
            },
            ..SelfSubjectAccessReview::default()
        };
        let api: Api<SelfSubjectAccessReview> = Api::all(self.client.clone());
        let answer = self.bounded(api.create(&PostParams::default(), &review)).await?;
        Ok(answer.status.map(|status| status.allowed).unwrap_or(false))
    }

    /// Sends an arbitrary request through the stack: only for tests proving the stack
    /// refuses what it must.
    #[doc(hidden)]
    pub async fn raw(&self, method: Method, path: &str) -> Result<String, Problem> {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Vec::new())
            .map_err(|_| Problem::Unreachable("bad request".into()))?;
        self.bounded(self.client.request_text(request)).await
    }

    async fn bounded<T>(&self, call: impl Future<Output = Result<T, kube::Error>>) -> Result<T, Problem> {
        match tokio::time::timeout(self.limits.request_timeout, call).await {
            Err(_) => Err(Problem::Timeout),
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(self.problem(error)),
        }
    }

    fn problem(&self, error: kube::Error) -> Problem {
        // Sticky, not taken: a check sends requests concurrently, and each one the
        // connector refused must say so, not only the first to read the slot.
        if let Ok(slot) = self.refused.lock()
            && let Some(refusal) = slot.as_ref()
        {
            return Problem::AddressRefused(refusal.clone());
        }
        match &error {
            kube::Error::Api(status) if status.code == 403 => Problem::Forbidden,
            kube::Error::Api(status) if status.code == 404 => Problem::NotFound,
            kube::Error::Api(status) => Problem::Status(status.code),
            _ => {
                if chain_has::<http_body_util::LengthLimitError>(&error) {
                    Problem::TooLarge
                } else if chain_has::<NotReadOnly>(&error) {
                    Problem::NotReadOnly
                } else if chain_has::<rustls::Error>(&error) {
                    Problem::Unreachable("the TLS handshake failed (check certificate-authority-data)".into())
                } else if chain_has::<serde_json::Error>(&error) {
                    Problem::Unreachable("the server's answer is not what a Kubernetes API server sends".into())
                } else {
                    Problem::Unreachable("the connection to the API server failed".into())
                }
            }
        }
    }
}

fn chain_has<E: std::error::Error + 'static>(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = current {
        if error.is::<E>() {
            return true;
        }
        if let Some(io) = error.downcast_ref::<io::Error>()
            && let Some(inner) = io.get_ref()
            && chain_has::<E>(inner)
        {
            return true;
        }
        current = error.source();
    }
    false
}

fn pem_certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, Problem> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let certificates: Result<Vec<Vec<u8>>, _> =
        CertificateDer::pem_slice_iter(pem).map(|der| der.map(|der| der.as_ref().to_vec())).collect();
    match certificates {
        Ok(certificates) if !certificates.is_empty() => Ok(certificates),
        _ => Err(Problem::Unreachable("certificate-authority-data holds no usable certificate".into())),
    }
}

// ---------------------------------------------------------------------------------------
// The read-only layer.

/// The error a refused request fails with.
#[derive(Debug)]
pub struct NotReadOnly;

impl std::fmt::Display for NotReadOnly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the read-only client refused a request that is not a GET")
    }
}

impl std::error::Error for NotReadOnly {}

/// Whether the read-only client may send this request.
pub fn allowed(method: &Method, path: &str) -> bool {
    let reads_secrets = path.split('/').any(|segment| segment == "secrets");
    match *method {
        Method::GET => !reads_secrets,
        Method::POST => path.ends_with(ACCESS_REVIEW_PATH),
        _ => false,
    }
}

#[derive(Debug, Clone, Copy)]
struct ReadOnlyLayer;

impl<S> Layer<S> for ReadOnlyLayer {
    type Service = ReadOnly<S>;
    fn layer(&self, inner: S) -> ReadOnly<S> {
        ReadOnly { inner }
    }
}

#[derive(Debug, Clone)]
struct ReadOnly<S> {
    inner: S,
}

impl<S, B> Service<Request<B>> for ReadOnly<S>
where
    S: Service<Request<B>>,
    S::Response: Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if !allowed(request.method(), request.uri().path()) {
            tracing::warn!(method = %request.method(), "read-only client refused a request");
            return Box::pin(std::future::ready(Err(BoxError::from(NotReadOnly))));
        }
        let future = self.inner.call(request);
        Box::pin(async move { future.await.map_err(Into::into) })
    }
}

// ---------------------------------------------------------------------------------------
// The connector that checks addresses before dialing.

#[derive(Clone)]
struct GuardedConnector {
    resolver: Arc<dyn Resolve>,
    policy: AddressPolicy,
    connect_timeout: Duration,
    refused: Arc<Mutex<Option<Refusal>>>,
}

impl Service<Uri> for GuardedConnector {
    type Response = TokioIo<TcpStream>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TokioIo<TcpStream>>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.connect(uri).await })
    }
}

impl GuardedConnector {
    async fn connect(self, uri: Uri) -> io::Result<TokioIo<TcpStream>> {
        let host = uri.host().ok_or_else(|| io::Error::other("no host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = uri.port_u16().unwrap_or(443);
        let addresses = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::time::timeout(self.connect_timeout, self.resolver.resolve(host, port))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "name resolution timed out"))??,
        };
        if addresses.is_empty() {
            return Err(io::Error::other("the server's name resolved to no address"));
        }
        // Every address must pass, not just the first: otherwise a name that resolves to a
        // public and a private address would let a retry reach the private one.
        for address in &addresses {
            if let Err(refusal) = self.policy.check(address.ip()) {
                if let Ok(mut slot) = self.refused.lock() {
                    *slot = Some(refusal.clone());
                }
                return Err(io::Error::new(io::ErrorKind::PermissionDenied, refusal));
            }
        }
        let mut last = io::Error::other("no address could be reached");
        for address in addresses {
            match tokio::time::timeout(self.connect_timeout, TcpStream::connect(address)).await {
                Ok(Ok(stream)) => {
                    stream.set_nodelay(true)?;
                    return Ok(TokioIo::new(stream));
                }
                Ok(Err(error)) => last = error,
                Err(_) => last = io::Error::new(io::ErrorKind::TimedOut, "connect timed out"),
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(method: Method, path: &str, expected: bool) {
        assert_eq!(allowed(&method, path), expected, "{method} {path}");
    }

    #[test]
    fn only_reads_and_access_reviews_pass() {
        check(Method::GET, "/api/v1/pods", true);
        check(Method::GET, "/apis/apps/v1/deployments", true);
        check(Method::GET, "/k8s/clusters/c-1/api/v1/pods", true);
        check(Method::POST, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", true);
        check(Method::POST, "/api/v1/namespaces/default/pods", false);
        check(Method::PUT, "/api/v1/namespaces/default/pods/x", false);
        check(Method::PATCH, "/api/v1/namespaces/default/pods/x", false);
        check(Method::DELETE, "/api/v1/namespaces/default/pods/x", false);
        check(Method::POST, "/apis/authorization.k8s.io/v1/subjectaccessreviews", false);
        check(Method::GET, "/api/v1/secrets", false);
        check(Method::GET, "/api/v1/namespaces/api/secrets/db", false);
        check(Method::OPTIONS, "/api/v1/pods", false);
    }
}
