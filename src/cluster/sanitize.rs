//! The kubeconfig sanitizer: untrusted YAML in, a `SanitizedKubeconfig` out, or a refusal
//! that names the field and never echoes the input.
//!
//! A kubeconfig can make a Kubernetes client run programs (`exec`, `auth-provider`), read
//! files on this server (`tokenFile`, `client-key`, …), talk through proxies, impersonate
//! others or skip TLS verification. None of that is acceptable from a team, so the file is
//! read at the YAML event level (no aliases, anchors, tags, duplicate keys or deep nesting,
//! 64 KiB at most), scanned for every dangerous field anywhere, and a fresh minimal config
//! is built from an allowlist: an https `server`, `certificate-authority-data`, and either a
//! `token` or inline `client-certificate-data` + `client-key-data`. Nothing else survives.
//!
//! This file also holds the address rule (`AddressPolicy`), which the client's connector
//! applies to every resolved address and which the sanitizer applies early to literal IPs.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64::Engine as _;
use granit_parser::{Event, Options, Parser};
use secrecy::{ExposeSecret, SecretString};

/// The largest kubeconfig accepted, in bytes.
pub const MAX_KUBECONFIG_BYTES: usize = 64 * 1024;
/// Deepest nesting of YAML collections accepted; a real kubeconfig needs 5.
const MAX_DEPTH: usize = 12;
/// Most YAML nodes accepted; a real kubeconfig has a few dozen.
const MAX_NODES: usize = 4_000;

/// Why a kubeconfig was refused: a stable code and a sentence that names the field (by its
/// position, e.g. `users[0].user.exec`) and says what to do. Never contains the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    fn new(code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal { code, message: message.into() }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refusal {}

/// Whether servers on loopback, private, link-local and other non-public addresses are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddressPolicy {
    pub allow_private: bool,
}

impl AddressPolicy {
    /// `Err` with the reason when `ip` may not be connected to under this policy.
    pub fn check(&self, ip: IpAddr) -> Result<(), Refusal> {
        if self.allow_private {
            return Ok(());
        }
        match non_public_reason(ip) {
            None => Ok(()),
            Some(kind) => Err(Refusal::new(
                "server-address-not-public",
                format!(
                    "The server's address {ip} is {kind}; the bot only connects to clusters on public addresses. \
                     Use the cluster's public API server address."
                ),
            )),
        }
    }
}

/// What kind of non-public address `ip` is, or `None` when it is public.
pub fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match () {
        _ if ip.is_loopback() => "a loopback address",
        _ if ip.is_link_local() => "a link-local address (cloud metadata lives here)",
        _ if ip.is_private() => "a private address",
        _ if ip.is_unspecified() || a == 0 => "an unspecified address",
        _ if a == 100 && (64..128).contains(&b) => "a shared (carrier-grade NAT) address",
        _ if a == 192 && b == 0 && c == 0 => "a reserved protocol address",
        _ if a == 198 && (b == 18 || b == 19) => "a benchmarking address",
        _ if ip.is_documentation() => "a documentation address",
        _ if ip.is_multicast() => "a multicast address",
        _ if a >= 240 => "a reserved address",
        _ => return None,
    })
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return non_public_v4(v4).or(Some("an IPv4-mapped address"));
    }
    let segments = ip.segments();
    Some(match segments[0] {
        _ if ip.is_loopback() => "a loopback address",
        _ if ip.is_unspecified() => "an unspecified address",
        s if s & 0xffc0 == 0xfe80 => "a link-local address",
        s if s & 0xfe00 == 0xfc00 => "a unique local (private) address",
        s if s & 0xff00 == 0xff00 => "a multicast address",
        // IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002::/16) and Teredo
        // (2001::/32) embed or tunnel to IPv4 addresses that may be private.
        0 => "an IPv4-compatible address",
        0x0064 if segments[1] == 0xff9b => "a NAT64 address",
        0x2002 => "a 6to4 address",
        0x2001 if segments[1] == 0 => "a Teredo address",
        0x2001 if segments[1] == 0x0db8 => "a documentation address",
        0x0100 if segments[1..4] == [0, 0, 0] => "a discard-only address",
        _ => return None,
    })
}

/// A kubeconfig rebuilt from the allowlisted fields of the team's current context.
#[derive(Clone)]
pub struct SanitizedKubeconfig {
    /// `https://host[:port][/path]`, no user info, query or fragment.
    pub server: String,
    /// The host as written (an IP literal without brackets, or a DNS name).
    pub host: String,
    pub port: u16,
    /// PEM certificates from `certificate-authority-data`; `None` means the public web roots.
    pub ca_pem: Option<Vec<u8>>,
    pub credentials: Credentials,
    /// The context's namespace, if it names one.
    pub namespace: Option<String>,
}

/// How the client proves who it is. Secrets are only exposed to the client module.
#[derive(Clone)]
pub enum Credentials {
    Token(SecretString),
    /// PEM client certificate and PEM private key.
    ClientCertificate {
        certificate_pem: String,
        key_pem: SecretString,
    },
}

impl fmt::Debug for SanitizedKubeconfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Host and port are shown; credentials and CA data never are.
        f.debug_struct("SanitizedKubeconfig")
            .field("server", &self.server)
            .field("ca", &self.ca_pem.as_ref().map(|_| "inline"))
            .field("credentials", &self.credentials.kind())
            .field("namespace", &self.namespace)
            .finish()
    }
}

impl Credentials {
    /// "token" or "client certificate", for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Credentials::Token(_) => "token",
            Credentials::ClientCertificate { .. } => "client certificate",
        }
    }
}

impl SanitizedKubeconfig {
    /// A minimal kubeconfig holding only the accepted fields, for encrypted storage. Reading
    /// it back goes through `sanitize` again.
    pub fn to_yaml(&self) -> zeroize::Zeroizing<String> {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let mut cluster = format!("    server: \"{}\"\n", self.server);
        if let Some(ca) = &self.ca_pem {
            cluster.push_str(&format!("    certificate-authority-data: {}\n", b64(ca)));
        }
        let user = match &self.credentials {
            Credentials::Token(token) => format!("    token: {}\n", b64(token.expose_secret().as_bytes())),
            Credentials::ClientCertificate { certificate_pem, key_pem } => format!(
                "    client-certificate-data: {}\n    client-key-data: {}\n",
                b64(certificate_pem.as_bytes()),
                b64(key_pem.expose_secret().as_bytes())
            ),
        };
        let namespace = self.namespace.as_ref().map(|ns| format!("    namespace: {ns}\n")).unwrap_or_default();
        // The token is stored base64-encoded under `token-b64` so any byte survives; only
        // this module reads that key, and only from the store.
        let user = user.replacen("    token: ", "    token-b64: ", 1);
        zeroize::Zeroizing::new(format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: team\nclusters:\n- name: team\n  cluster:\n{cluster}\
             users:\n- name: team\n  user:\n{user}contexts:\n- name: team\n  context:\n    cluster: team\n    user: team\n{namespace}"
        ))
    }
}

/// Parses and rebuilds a team's kubeconfig, or says precisely why it is refused.
pub fn sanitize(input: &[u8], policy: &AddressPolicy) -> Result<SanitizedKubeconfig, Refusal> {
    if input.len() > MAX_KUBECONFIG_BYTES {
        return Err(Refusal::new(
            "too-large",
            "The kubeconfig is larger than 64 KiB, the limit. Upload a kubeconfig with one context.",
        ));
    }
    let text = std::str::from_utf8(input).map_err(|_| {
        Refusal::new("not-utf8", "The kubeconfig is not UTF-8 text. Upload the kubeconfig file itself.")
    })?;
    let root = parse_yaml(text)?;
    scan_dangerous(&root, "")?;
    build(&root, policy)
}

// ---------------------------------------------------------------------------------------
// Strict YAML: events to a small tree.

#[derive(Debug)]
enum Node {
    Scalar { value: String, plain: bool },
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

enum Frame {
    Seq(Vec<Node>),
    Map { entries: Vec<(String, Node)>, key: Option<String> },
}

fn parse_yaml(text: &str) -> Result<Node, Refusal> {
    let mut options = Options::default();
    options.disallow_directives = true;
    options.flow_nesting_limit = MAX_DEPTH;
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    let mut nodes = 0usize;
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|error| {
            let mark = error.marker();
            if matches!(error.kind(), granit_parser::ErrorKind::RecursionLimitExceeded) {
                return Refusal::new(
                    "too-deep",
                    format!(
                        "The kubeconfig nests more than {MAX_DEPTH} levels deep (line {}). Upload a plain kubeconfig.",
                        mark.line()
                    ),
                );
            }
            Refusal::new(
                "invalid-yaml",
                format!(
                    "The kubeconfig is not valid YAML (line {}, column {}). Upload the file kubectl wrote, unedited.",
                    mark.line(),
                    mark.col() + 1
                ),
            )
        })?;
        let at = format!("line {}", span.start.line());
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(Refusal::new(
                        "several-documents",
                        "The kubeconfig holds more than one YAML document. Upload a single kubeconfig.",
                    ));
                }
                continue;
            }
            Event::Alias(_) | Event::UnresolvedAlias(_) => {
                return Err(Refusal::new(
                    "yaml-alias",
                    format!("The kubeconfig uses a YAML alias ({at}). Write each value out in full."),
                ));
            }
            Event::Anchor(..) => {
                return Err(Refusal::new(
                    "yaml-anchor",
                    format!("The kubeconfig uses a YAML anchor ({at}). Write each value out in full."),
                ));
            }
            Event::Scalar(value, style, anchor, tag) => {
                refuse_anchor_or_tag(anchor, tag.is_some(), &at)?;
                Some(Node::Scalar { value: value.into_owned(), plain: style == granit_parser::ScalarStyle::Plain })
            }
            Event::SequenceStart(_, anchor, tag) => {
                refuse_anchor_or_tag(anchor, tag.is_some(), &at)?;
                stack.push(Frame::Seq(Vec::new()));
                None
            }
            Event::MappingStart(_, anchor, tag) => {
                refuse_anchor_or_tag(anchor, tag.is_some(), &at)?;
                stack.push(Frame::Map { entries: Vec::new(), key: None });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq(items)) => Some(Node::Seq(items)),
                Some(Frame::Map { entries, .. }) => Some(Node::Map(entries)),
                None => return Err(Refusal::new("invalid-yaml", "The kubeconfig is not valid YAML.")),
            },
            // Comments (when the parser reports them) carry no data.
            _ => continue,
        };
        if stack.len() > MAX_DEPTH {
            return Err(Refusal::new(
                "too-deep",
                format!("The kubeconfig nests more than {MAX_DEPTH} levels deep ({at}). Upload a plain kubeconfig."),
            ));
        }
        let Some(node) = node else { continue };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(Refusal::new(
                "too-many-nodes",
                "The kubeconfig has far more entries than a kubeconfig needs. Upload one with a single context.",
            ));
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq(items)) => items.push(node),
            Some(Frame::Map { entries, key }) => match key.take() {
                None => {
                    let Node::Scalar { value, .. } = node else {
                        return Err(Refusal::new(
                            "complex-key",
                            format!("The kubeconfig uses a list or map as a key ({at}). Keys must be plain names."),
                        ));
                    };
                    if entries.iter().any(|(existing, _)| *existing == value) {
                        return Err(Refusal::new(
                            "duplicate-key",
                            format!("The kubeconfig repeats a key in one mapping ({at}). Each key may appear once."),
                        ));
                    }
                    *key = Some(value);
                }
                Some(name) => entries.push((name, node)),
            },
        }
    }
    root.ok_or_else(|| Refusal::new("empty", "The kubeconfig is empty. Upload the kubeconfig file."))
}

fn refuse_anchor_or_tag(anchor: usize, tagged: bool, at: &str) -> Result<(), Refusal> {
    if anchor != 0 {
        return Err(Refusal::new(
            "yaml-anchor",
            format!("The kubeconfig uses a YAML anchor ({at}). Write each value out in full."),
        ));
    }
    if tagged {
        return Err(Refusal::new(
            "yaml-tag",
            format!("The kubeconfig uses a YAML tag such as `!!str` ({at}). Remove the tag."),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Dangerous fields, wherever they are.

const EXEC_HELP: &str = "The bot never runs programs from a kubeconfig (AKS with Azure AD gives exec/kubelogin \
     kubeconfigs). Make a read-only ServiceAccount token kubeconfig instead: `/cluster connect` without a file shows how.";

fn dangerous(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "exec" => ("exec", EXEC_HELP),
        "auth-provider" => ("auth-provider", EXEC_HELP),
        "certificate-authority" | "client-certificate" | "client-key" | "tokenFile" | "token-file" => (
            "file-path",
            "names a file on the bot's server, which it never reads. Put the content inline instead \
             (`certificate-authority-data`, `client-certificate-data`, `client-key-data`, `token`).",
        ),
        "proxy-url" => ("proxy-url", "sets a proxy; the bot connects to the API server directly. Remove it."),
        "as" | "as-groups" | "as-uid" | "as-user-extra" | "impersonate" | "impersonate-groups" => (
            "impersonation",
            "asks to impersonate another identity, which the bot never does. Remove it and use a read-only identity.",
        ),
        "insecure-skip-tls-verify" => (
            "insecure-tls",
            "turns off TLS verification, which the bot never does. Remove it and include `certificate-authority-data`.",
        ),
        "username" | "password" => {
            ("basic-auth", "uses basic authentication, which is not accepted. Use a ServiceAccount token.")
        }
        _ => return None,
    })
}

fn scan_dangerous(node: &Node, path: &str) -> Result<(), Refusal> {
    match node {
        Node::Scalar { .. } => Ok(()),
        Node::Seq(items) => {
            items.iter().enumerate().try_for_each(|(index, item)| scan_dangerous(item, &format!("{path}[{index}]")))
        }
        Node::Map(entries) => {
            for (key, value) in entries {
                let here = if path.is_empty() { safe_key(key) } else { format!("{path}.{}", safe_key(key)) };
                if let Some((code, why)) = dangerous(key) {
                    let harmless = key == "insecure-skip-tls-verify"
                        && matches!(value, Node::Scalar { value, plain: true } if value == "false");
                    if !harmless {
                        let why = if code == "exec" || code == "auth-provider" {
                            format!("The field `{here}` is refused. {why}")
                        } else {
                            format!("The field `{here}` is refused: it {why}")
                        };
                        return Err(Refusal::new(code, why));
                    }
                }
                scan_dangerous(value, &here)?;
            }
            Ok(())
        }
    }
}

/// A key as it may appear in a message: known kubeconfig names only, never team text.
fn safe_key(key: &str) -> String {
    const KNOWN: &[&str] = &[
        "apiVersion",
        "kind",
        "clusters",
        "cluster",
        "users",
        "user",
        "contexts",
        "context",
        "current-context",
        "preferences",
        "extensions",
        "name",
        "server",
        "certificate-authority-data",
        "token",
        "client-certificate-data",
        "client-key-data",
        "namespace",
        "tls-server-name",
        "disable-compression",
        "exec",
        "auth-provider",
        "certificate-authority",
        "client-certificate",
        "client-key",
        "tokenFile",
        "token-file",
        "proxy-url",
        "as",
        "as-groups",
        "as-uid",
        "as-user-extra",
        "impersonate",
        "impersonate-groups",
        "insecure-skip-tls-verify",
        "username",
        "password",
        "command",
        "args",
        "env",
        "config",
    ];
    if KNOWN.contains(&key) { key.to_string() } else { "<key>".to_string() }
}

// ---------------------------------------------------------------------------------------
// The allowlist: build the minimal config from the current context.

struct Entry<'a> {
    name: &'a str,
    body: &'a [(String, Node)],
}

fn build(root: &Node, policy: &AddressPolicy) -> Result<SanitizedKubeconfig, Refusal> {
    let Node::Map(top) = root else {
        return Err(Refusal::new("not-a-kubeconfig", "The file is not a kubeconfig (no top-level mapping)."));
    };
    for (key, value) in top {
        match key.as_str() {
            "apiVersion" => expect_scalar(value, "apiVersion", &["v1"])?,
            "kind" => expect_scalar(value, "kind", &["Config"])?,
            "clusters" | "users" | "contexts" | "current-context" | "preferences" | "extensions" => {}
            _ => return Err(unknown_field(key, "")),
        }
    }
    let current = match get(top, "current-context") {
        Some(Node::Scalar { value, .. }) if !value.is_empty() => value.as_str(),
        _ => {
            return Err(Refusal::new(
                "no-current-context",
                "The kubeconfig has no `current-context`. Set it to the context the bot should use.",
            ));
        }
    };
    let contexts = entries(top, "contexts", "context")?;
    let clusters = entries(top, "clusters", "cluster")?;
    let users = entries(top, "users", "user")?;
    let context = find(&contexts, current, "contexts", "current-context")?;
    for (key, _) in context.body {
        if !matches!(key.as_str(), "cluster" | "user" | "namespace" | "extensions") {
            return Err(unknown_field(key, "contexts[].context"));
        }
    }
    let cluster_name = scalar_field(context.body, "cluster", "contexts[].context")?;
    let user_name = scalar_field(context.body, "user", "contexts[].context")?;
    let namespace = match get(context.body, "namespace") {
        None => None,
        Some(Node::Scalar { value, .. }) if is_dns_label(value) => Some(value.clone()),
        Some(_) => {
            return Err(Refusal::new(
                "bad-namespace",
                "The context's `namespace` is not a valid namespace name. Fix or remove it.",
            ));
        }
    };
    let cluster = find(&clusters, cluster_name, "clusters", "contexts[].context.cluster")?;
    let user = find(&users, user_name, "users", "contexts[].context.user")?;

    for (key, _) in cluster.body {
        if !matches!(key.as_str(), "server" | "certificate-authority-data" | "extensions" | "disable-compression") {
            return Err(unknown_field(key, "clusters[].cluster"));
        }
    }
    let server = scalar_field(cluster.body, "server", "clusters[].cluster")?;
    let (server, host, port) = parse_server(server, policy)?;
    let ca_pem = match get(cluster.body, "certificate-authority-data") {
        None => None,
        Some(Node::Scalar { value, .. }) => {
            Some(decode_pem(value, "clusters[].cluster.certificate-authority-data", "CERTIFICATE")?)
        }
        Some(_) => return Err(not_a_string("clusters[].cluster.certificate-authority-data")),
    };

    for (key, _) in user.body {
        if !matches!(key.as_str(), "token" | "token-b64" | "client-certificate-data" | "client-key-data" | "extensions")
        {
            return Err(unknown_field(key, "users[].user"));
        }
    }
    let token = match (get(user.body, "token"), get(user.body, "token-b64")) {
        (Some(Node::Scalar { value, .. }), None) => Some(value.clone()),
        (None, Some(Node::Scalar { value, .. })) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| not_a_string("users[].user.token"))?,
        ),
        (None, None) => None,
        _ => return Err(not_a_string("users[].user.token")),
    };
    let certificate = get(user.body, "client-certificate-data");
    let key = get(user.body, "client-key-data");
    let credentials = match (token, certificate, key) {
        (Some(token), None, None) => {
            let token = token.trim().to_string();
            if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(Refusal::new(
                    "bad-token",
                    "The field `users[].user.token` must be a bearer token (printable characters, no spaces).",
                ));
            }
            Credentials::Token(SecretString::from(token))
        }
        (None, Some(Node::Scalar { value: certificate, .. }), Some(Node::Scalar { value: key, .. })) => {
            let certificate_pem = decode_pem(certificate, "users[].user.client-certificate-data", "CERTIFICATE")?;
            let key_pem = decode_pem(key, "users[].user.client-key-data", "PRIVATE KEY")?;
            Credentials::ClientCertificate {
                certificate_pem: String::from_utf8(certificate_pem)
                    .map_err(|_| not_a_string("users[].user.client-certificate-data"))?,
                key_pem: SecretString::from(
                    String::from_utf8(key_pem).map_err(|_| not_a_string("users[].user.client-key-data"))?,
                ),
            }
        }
        (None, None, None) => {
            return Err(Refusal::new(
                "no-credentials",
                "The user has no `token` and no `client-certificate-data` + `client-key-data`. \
                 Use a ServiceAccount token kubeconfig (`/cluster connect` without a file shows how).",
            ));
        }
        (Some(_), _, _) => {
            return Err(Refusal::new(
                "two-credentials",
                "The user has both a `token` and a client certificate. Keep exactly one.",
            ));
        }
        _ => {
            return Err(Refusal::new(
                "half-certificate",
                "The user needs both `client-certificate-data` and `client-key-data`, or a `token` instead.",
            ));
        }
    };
    Ok(SanitizedKubeconfig { server, host, port, ca_pem, credentials, namespace })
}

fn get<'a>(map: &'a [(String, Node)], key: &str) -> Option<&'a Node> {
    map.iter().find(|(name, _)| name == key).map(|(_, value)| value)
}

fn expect_scalar(node: &Node, field: &str, allowed: &[&str]) -> Result<(), Refusal> {
    match node {
        Node::Scalar { value, .. } if allowed.contains(&value.as_str()) => Ok(()),
        _ => Err(Refusal::new(
            "not-a-kubeconfig",
            format!("The field `{field}` must be {}. Is this a kubeconfig?", allowed.join(" or ")),
        )),
    }
}

fn scalar_field<'a>(map: &'a [(String, Node)], key: &str, path: &str) -> Result<&'a str, Refusal> {
    match get(map, key) {
        Some(Node::Scalar { value, .. }) if !value.is_empty() => Ok(value),
        Some(_) => Err(not_a_string(&format!("{path}.{key}"))),
        None => Err(Refusal::new("missing-field", format!("The field `{path}.{key}` is missing."))),
    }
}

fn entries<'a>(top: &'a [(String, Node)], list: &str, body: &str) -> Result<Vec<Entry<'a>>, Refusal> {
    let Some(node) = get(top, list) else { return Ok(Vec::new()) };
    let Node::Seq(items) = node else { return Err(not_a_list(list)) };
    let mut out: Vec<Entry<'a>> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let Node::Map(fields) = item else { return Err(not_a_list(list)) };
        for (key, _) in fields {
            if key != "name" && key != body && key != "extensions" {
                return Err(unknown_field(key, &format!("{list}[{index}]")));
            }
        }
        let name = scalar_field(fields, "name", &format!("{list}[{index}]"))?;
        let Some(Node::Map(body)) = get(fields, body) else {
            return Err(Refusal::new("missing-field", format!("The field `{list}[{index}].{body}` is missing.")));
        };
        if out.iter().any(|entry| entry.name == name) {
            return Err(Refusal::new("duplicate-name", format!("Two entries in `{list}` have the same name.")));
        }
        out.push(Entry { name, body });
    }
    Ok(out)
}

fn find<'a>(entries: &'a [Entry<'a>], name: &str, list: &str, from: &str) -> Result<&'a Entry<'a>, Refusal> {
    entries
        .iter()
        .find(|entry| entry.name == name)
        .ok_or_else(|| Refusal::new("dangling-reference", format!("`{from}` names an entry that is not in `{list}`.")))
}

fn unknown_field(key: &str, path: &str) -> Refusal {
    let field = if path.is_empty() { safe_key(key) } else { format!("{path}.{}", safe_key(key)) };
    Refusal::new(
        "unknown-field",
        format!(
            "The field `{field}` is not accepted: the bot keeps only server, CA data and a token or client certificate. Remove it."
        ),
    )
}

fn not_a_string(path: &str) -> Refusal {
    Refusal::new("bad-value", format!("The field `{path}` does not hold a valid value."))
}

fn not_a_list(list: &str) -> Refusal {
    Refusal::new("bad-value", format!("The field `{list}` must be a list of named entries."))
}

fn decode_pem(value: &str, path: &str, label: &str) -> Result<Vec<u8>, Refusal> {
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(compact).map_err(|_| {
        Refusal::new("bad-base64", format!("The field `{path}` is not valid base64. Paste the value kubectl wrote."))
    })?;
    let text = std::str::from_utf8(&bytes).unwrap_or("");
    if !text.contains("-----BEGIN ") || !text.contains(label) {
        return Err(Refusal::new(
            "bad-pem",
            format!("The field `{path}` does not hold a PEM {}.", label.to_lowercase()),
        ));
    }
    Ok(bytes)
}

fn is_dns_label(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 63
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
}

/// Checks the server URL: https, a host in a canonical spelling, no user info, query or
/// fragment; a literal IP must pass the address policy now (names are checked when resolved).
fn parse_server(raw: &str, policy: &AddressPolicy) -> Result<(String, String, u16), Refusal> {
    let bad = |why: &str| {
        Refusal::new(
            "bad-server",
            format!(
                "The field `clusters[].cluster.server` {why}. It must look like https://my-cluster.example.com:443."
            ),
        )
    };
    if raw.len() > 2048 || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("is not a valid URL"));
    }
    let Some(rest) = raw.strip_prefix("https://") else {
        return Err(Refusal::new(
            "not-https",
            "The field `clusters[].cluster.server` must be an https:// URL; the bot never sends credentials over plain HTTP.",
        ));
    };
    let (authority, path) = match rest.find('/') {
        Some(index) => (&rest[..index], &rest[index..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(bad("contains user info (`user@`)"));
    }
    if path.contains('?') || path.contains('#') || authority.contains('?') || authority.contains('#') {
        return Err(bad("has a query or fragment"));
    }
    if path.contains('%') || path.split('/').any(|segment| segment == ".." || segment == ".") {
        return Err(bad("has an unusual path"));
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let Some((ip, after)) = bracketed.split_once(']') else { return Err(bad("has an unclosed `[`")) };
        let port = match after {
            "" => 443,
            _ => after.strip_prefix(':').and_then(|p| p.parse::<u16>().ok()).ok_or_else(|| bad("has a bad port"))?,
        };
        let ip: Ipv6Addr = ip.parse().map_err(|_| bad("has an invalid IPv6 address"))?;
        policy.check(IpAddr::V6(ip))?;
        (ip.to_string(), port)
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, port.parse::<u16>().map_err(|_| bad("has a bad port"))?),
            None => (authority, 443),
        };
        check_host_name(host, policy, &bad)?;
        (host.to_ascii_lowercase(), port)
    };
    if port == 0 {
        return Err(bad("has port 0"));
    }
    let authority = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
    let server = format!("https://{authority}{}", path.trim_end_matches('/'));
    http::Uri::try_from(server.as_str()).map_err(|_| bad("is not a valid URL"))?;
    Ok((server, host, port))
}

fn check_host_name(host: &str, policy: &AddressPolicy, bad: &dyn Fn(&str) -> Refusal) -> Result<(), Refusal> {
    if host.is_empty() || host.len() > 253 {
        return Err(bad("has no valid host"));
    }
    let lower = host.to_ascii_lowercase();
    // Anything whose last label is numeric is an IPv4 address to URL parsers and to
    // getaddrinfo, which also accept `2130706433`, `0x7f.1` and `0177.0.0.1`. Only the
    // canonical dotted quad is accepted, so the address we check is the one we dial.
    let last = lower.rsplit('.').next().unwrap_or("");
    let numeric = !last.is_empty()
        && (last.bytes().all(|b| b.is_ascii_digit())
            || (last.starts_with("0x") && last[2..].bytes().all(|b| b.is_ascii_hexdigit())));
    if numeric || lower.ends_with('.') {
        let Ok(ip) = lower.parse::<Ipv4Addr>() else {
            return Err(Refusal::new(
                "unusual-address",
                "The field `clusters[].cluster.server` writes an IP address in an unusual spelling \
                 (decimal, hex, octal, short or with a trailing dot). Write it as a plain dotted address.",
            ));
        };
        return policy.check(IpAddr::V4(ip));
    }
    if !lower.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    }) {
        return Err(bad("has an invalid host name"));
    }
    if !policy.allow_private
        && (lower == "localhost"
            || lower.ends_with(".localhost")
            || lower == "metadata"
            || lower.ends_with(".internal")
            || lower.ends_with(".local"))
    {
        return Err(Refusal::new(
            "server-address-not-public",
            "The field `clusters[].cluster.server` names a local or cloud-internal host; the bot only connects \
             to clusters on public addresses.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ip: &str, expected: Option<&str>) {
        let ip: IpAddr = ip.parse().expect("test address");
        assert_eq!(non_public_reason(ip), expected, "{ip}");
    }

    #[test]
    fn addresses_are_classified() {
        check("8.8.8.8", None);
        check("20.50.2.1", None);
        check("127.0.0.1", Some("a loopback address"));
        check("10.1.2.3", Some("a private address"));
        check("172.16.0.1", Some("a private address"));
        check("192.168.1.1", Some("a private address"));
        check("169.254.169.254", Some("a link-local address (cloud metadata lives here)"));
        check("100.64.0.1", Some("a shared (carrier-grade NAT) address"));
        check("0.0.0.0", Some("an unspecified address"));
        check("255.255.255.255", Some("a reserved address"));
        check("::1", Some("a loopback address"));
        check("::ffff:127.0.0.1", Some("a loopback address"));
        check("::ffff:169.254.169.254", Some("a link-local address (cloud metadata lives here)"));
        check("::ffff:8.8.8.8", Some("an IPv4-mapped address"));
        check("fe80::1", Some("a link-local address"));
        check("fd00:ec2::254", Some("a unique local (private) address"));
        check("64:ff9b::a9fe:a9fe", Some("a NAT64 address"));
        check("2002:a9fe:a9fe::", Some("a 6to4 address"));
        check("2606:4700:4700::1111", None);
    }

    fn server(raw: &str) -> Result<String, &'static str> {
        parse_server(raw, &AddressPolicy::default()).map(|(server, _, _)| server).map_err(|refusal| refusal.code)
    }

    #[test]
    fn servers_are_checked() {
        assert_eq!(
            server("https://aks-abc.hcp.westeurope.azmk8s.io:443"),
            Ok("https://aks-abc.hcp.westeurope.azmk8s.io:443".into())
        );
        assert_eq!(server("https://EXAMPLE.com"), Ok("https://example.com:443".into()));
        assert_eq!(
            server("https://example.com/k8s/clusters/c-1/"),
            Ok("https://example.com:443/k8s/clusters/c-1".into())
        );
        assert_eq!(server("http://example.com"), Err("not-https"));
        assert_eq!(server("https://user@example.com"), Err("bad-server"));
        assert_eq!(server("https://2130706433"), Err("unusual-address"));
        assert_eq!(server("https://0x7f000001"), Err("unusual-address"));
        assert_eq!(server("https://127.1"), Err("unusual-address"));
        assert_eq!(server("https://0177.0.0.1"), Err("unusual-address"));
        assert_eq!(server("https://127.0.0.1"), Err("server-address-not-public"));
        assert_eq!(server("https://[::ffff:7f00:1]"), Err("server-address-not-public"));
        assert_eq!(server("https://localhost:6443"), Err("server-address-not-public"));
        assert_eq!(server("https://8.8.8.8:6443"), Ok("https://8.8.8.8:6443".into()));
        assert_eq!(server("https://example.com:99999"), Err("bad-server"));
        assert_eq!(server("https://example.com?x=1"), Err("bad-server"));
    }

    #[test]
    fn private_servers_pass_when_allowed() {
        let policy = AddressPolicy { allow_private: true };
        assert!(parse_server("https://127.0.0.1:6443", &policy).is_ok());
        assert!(parse_server("https://localhost:6443", &policy).is_ok());
        assert_eq!(parse_server("https://2130706433", &policy).map(|_| ()).map_err(|r| r.code), Err("unusual-address"));
    }
}
