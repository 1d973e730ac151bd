//! The client side of `/healthz`, for `hackcoach health`: one plain-HTTP GET with a
//! deadline, so a container's HEALTHCHECK needs no curl in the image.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::config::OpsConfig;

/// The most of a body `fetch` reads: `/healthz` answers a few lines.
const MAX_BODY: usize = 64 * 1024;

/// What a GET answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// The `/healthz` URL for the configured listener, always reached over loopback: a
/// listener on every interface (`0.0.0.0`, `[::]`) is asked on 127.0.0.1 (or `[::1]`).
pub fn health_url(ops: &OpsConfig) -> String {
    let ip = match ops.listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/healthz", SocketAddr::new(ip, ops.listen.port()))
}

/// `GET url` (plain `http://` only), status and body, all within `timeout`.
pub async fn fetch(url: &str, timeout: Duration) -> anyhow::Result<Answer> {
    let uri: http::Uri =
        url.parse().with_context(|| format!("`{url}` is not a URL such as http://127.0.0.1:9184/healthz"))?;
    anyhow::ensure!(
        uri.scheme_str() == Some("http") && uri.host().is_some(),
        "`{url}` is not a plain http:// URL with a host, such as http://127.0.0.1:9184/healthz"
    );
    let request = http::Request::get(uri).body(Empty::<Bytes>::new()).context("building the request")?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let exchange = async {
        let response = client.request(request).await.with_context(|| format!("connecting to {url}"))?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))
            .with_context(|| format!("reading the answer from {url}"))?
            .to_bytes();
        Ok(Answer { status, body: String::from_utf8_lossy(&body).into_owned() })
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| anyhow::anyhow!("{url} did not answer within {} s", timeout.as_secs_f64()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(listen: &str, expected: &str) {
        let ops = OpsConfig { enabled: true, listen: listen.parse().expect("an address") };
        assert_eq!(health_url(&ops), expected, "{listen}");
    }

    #[test]
    fn the_health_url_is_on_loopback_for_a_listener_on_every_interface() {
        check("127.0.0.1:9184", "http://127.0.0.1:9184/healthz");
        check("0.0.0.0:9184", "http://127.0.0.1:9184/healthz");
        check("[::]:80", "http://[::1]:80/healthz");
        check("10.1.2.3:9000", "http://10.1.2.3:9000/healthz");
    }

    #[tokio::test]
    async fn only_plain_http_urls_are_fetched() {
        for url in ["https://127.0.0.1:1/healthz", "127.0.0.1:9184", "not a url", "http:///healthz"] {
            let error = fetch(url, Duration::from_secs(1)).await.expect_err(url);
            assert!(format!("{error:#}").contains("http://127.0.0.1:9184/healthz"), "{url}: {error:#}");
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_an_error_not_a_hang() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        drop(listener);
        let error = fetch(&format!("http://{address}/healthz"), Duration::from_secs(2)).await.expect_err("closed");
        assert!(format!("{error:#}").contains("connecting to"), "{error:#}");
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        // Accepts the connection and then says nothing.
        let silent = tokio::spawn(async move {
            let (_stream, _) = listener.accept().await.expect("accept");
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let started = std::time::Instant::now();
        let error = fetch(&format!("http://{address}/healthz"), Duration::from_millis(300)).await.expect_err("silent");
        assert!(format!("{error:#}").contains("did not answer within 0.3 s"), "{error:#}");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        silent.abort();
    }
}
