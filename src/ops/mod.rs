//! The operations endpoints of `hackcoach run`: `GET /healthz` and `GET /metrics` on an
//! optional HTTP listener (`[ops]` in the config: off by default, loopback unless the
//! operator says otherwise).
//!
//! `/healthz` answers 200 when the Discord gateway is connected, the database takes a
//! writer and the guide has sections; otherwise 503, naming what fails. `/metrics` is the
//! Prometheus text format of `Metrics`. Neither ever shows a secret or anything a user
//! typed: the checks report fixed sentences, and metric labels come from fixed sets.
//!
//! `probe` is the other side: `hackcoach health` (Docker's HEALTHCHECK) asks `/healthz`.

pub mod metrics;
mod probe;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::app::App;

pub use metrics::{AutocompleteKind, CheckOutcome, CommandOutcome, Metrics};
pub use probe::{Answer, fetch, health_url};

/// How long `/healthz` waits for the database's write lock before calling it unwritable.
const WRITE_PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a stopping listener waits for open requests before it closes anyway.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// A listener serving the endpoints; `stop` ends it.
#[derive(Debug)]
pub struct Running {
    address: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
    #[cfg_attr(not(test), allow(dead_code))]
    ops: Arc<Ops>,
}

impl Running {
    /// Where it listens (the real port when the config said port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops listening: requests in flight get `STOP_GRACE` to finish, then the port closes.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
            task.abort();
        }
        tracing::info!(address = %self.address, "operations endpoints closed");
    }
}

/// Binds `address` and serves the endpoints until `Running::stop`. Binding fails here, at
/// start, so a port already in use stops `hackcoach run` with a clear error.
pub async fn start(app: Arc<App>, address: SocketAddr) -> anyhow::Result<Running> {
    let listener = tokio::net::TcpListener::bind(address).await.with_context(|| {
        format!("listening for the operations endpoints on {address} (is the port in use? change [ops] listen)")
    })?;
    let address = listener.local_addr().context("reading the operations listener's address")?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let ops = Arc::new(Ops { app, database: DatabaseProbe::default() });
    let routes = router(Arc::clone(&ops));
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        if let Err(error) = axum::serve(listener, routes).with_graceful_shutdown(shutdown).await {
            tracing::error!(error = %error, "the operations endpoints stopped");
        }
    });
    tracing::info!(%address, "operations endpoints listening (/healthz, /metrics)");
    Ok(Running { address, stop, task, ops })
}

/// The routes: `/healthz` and `/metrics` (GET and HEAD only), 404 for anything else.
fn router(ops: Arc<Ops>) -> Router {
    Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics)).fallback(not_found).with_state(ops)
}

/// What the handlers share.
#[derive(Debug)]
struct Ops {
    app: Arc<App>,
    database: DatabaseProbe,
}

/// The database check, one at a time: it takes the write lock, so requests arriving
/// while a probe runs share the next probe's answer instead of each queueing with the
/// real writes. A flood of `/healthz` costs at most one probe in flight.
#[derive(Debug, Default)]
struct DatabaseProbe {
    /// When the last probe started, and what it found.
    last: tokio::sync::Mutex<Option<(tokio::time::Instant, Result<(), &'static str>)>>,
    /// How many probes really ran, for the tests.
    runs: std::sync::atomic::AtomicU64,
}

impl DatabaseProbe {
    async fn check(&self, app: &App) -> Result<(), &'static str> {
        let asked = tokio::time::Instant::now();
        let mut last = self.last.lock().await;
        // A probe that started after this request arrived answers it as well as a new one.
        if let Some((started, result)) = *last
            && started >= asked
        {
            return result;
        }
        let started = tokio::time::Instant::now();
        self.runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let result = database_check(app).await;
        *last = Some((started, result));
        result
    }
}

/// One line of `/healthz`: what was checked, whether it passed, and a fixed-form detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// Whether the database takes a writer now.
async fn database_check(app: &App) -> Result<(), &'static str> {
    match app.store() {
        Err(_) => Err("not opened"),
        Ok(store) => match store.probe_write(WRITE_PROBE_TIMEOUT).await {
            Ok(()) => Ok(()),
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "health check: the database takes no writer");
                Err("not writable (the log says why)")
            }
        },
    }
}

/// Runs every check: gateway connected, database writable, guide loaded.
pub async fn checks(app: &App) -> Vec<Check> {
    checks_with(app, database_check(app).await)
}

fn checks_with(app: &App, database: Result<(), &'static str>) -> Vec<Check> {
    let gateway = app.metrics.gateway_connected();
    let sections = app.knowledge().guide.sections.len();
    vec![
        Check { name: "gateway", ok: gateway, detail: if gateway { "connected" } else { "not connected" }.to_string() },
        Check { name: "database", ok: database.is_ok(), detail: database.err().unwrap_or("writable").to_string() },
        Check { name: "guide", ok: sections > 0, detail: format!("{sections} sections") },
    ]
}

/// The body of `/healthz`: `ok` or `unhealthy: NAMES`, then one line per check.
pub fn health_text(checks: &[Check]) -> String {
    let failing: Vec<&str> = checks.iter().filter(|check| !check.ok).map(|check| check.name).collect();
    let mut text = if failing.is_empty() { "ok\n".to_string() } else { format!("unhealthy: {}\n", failing.join(", ")) };
    for check in checks {
        text.push_str(&format!("{}: {}\n", check.name, check.detail));
    }
    text
}

async fn healthz(State(ops): State<Arc<Ops>>) -> Response {
    let database = ops.database.check(&ops.app).await;
    let checks = checks_with(&ops.app, database);
    let status = if checks.iter().all(|check| check.ok) { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, [(header::CACHE_CONTROL, "no-store")], health_text(&checks)).into_response()
}

async fn metrics(State(ops): State<Arc<Ops>>) -> Response {
    let app = &ops.app;
    let sections = app.knowledge().guide.sections.len();
    match app.metrics.encode(sections) {
        Ok(text) => ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response(),
        Err(error) => {
            tracing::error!(error = %error, "encoding the metrics failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "encoding the metrics failed\n").into_response()
        }
    }
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found: this listener serves GET /healthz and GET /metrics\n").into_response()
}

#[cfg(test)]
mod tests;
