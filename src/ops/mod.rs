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
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        if let Err(error) = axum::serve(listener, router(app)).with_graceful_shutdown(shutdown).await {
            tracing::error!(error = %error, "the operations endpoints stopped");
        }
    });
    tracing::info!(%address, "operations endpoints listening (/healthz, /metrics)");
    Ok(Running { address, stop, task })
}

/// The routes: `/healthz` and `/metrics` (GET and HEAD only), 404 for anything else.
pub fn router(app: Arc<App>) -> Router {
    Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics)).fallback(not_found).with_state(app)
}

/// One line of `/healthz`: what was checked, whether it passed, and a fixed-form detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// Runs every check: gateway connected, database writable, guide loaded.
pub async fn checks(app: &App) -> Vec<Check> {
    let gateway = app.metrics.gateway_connected();
    let database = match app.store() {
        Err(_) => Err("not opened"),
        Ok(store) => match store.probe_write(WRITE_PROBE_TIMEOUT).await {
            Ok(()) => Ok(()),
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "health check: the database takes no writer");
                Err("not writable (the log says why)")
            }
        },
    };
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

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let checks = checks(&app).await;
    let status = if checks.iter().all(|check| check.ok) { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, [(header::CACHE_CONTROL, "no-store")], health_text(&checks)).into_response()
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
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
