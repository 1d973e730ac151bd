//! A fake Discord on 127.0.0.1 for driving the real serenity client in tests: an axum
//! REST server (the API under `/api/v10`) and a plain `ws://` gateway speaking HELLO,
//! IDENTIFY, READY, heartbeat ACKs and dispatches.
//!
//! It records every REST request, so a test sends an interaction through the gateway
//! and waits for the callback, edit or follow-up the bot makes. Payloads follow
//! Discord's documented shapes (developers docs: Interactions, Gateway Events), with
//! only the fields a bot reads. Reusable by soak tests: many interactions can be in
//! flight; `wait_for` matches on each one's token, and `watch` hands every request for
//! one interaction to the test with the time it arrived, without keeping it in the log.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// The bot's application (and user) id.
pub const APP_ID: u64 = 900_000_000_000_000_001;
/// The guild the tests play in.
pub const GUILD_ID: u64 = 900_000_000_000_000_100;
/// The "Coaches" role in that guild.
pub const COACH_ROLE_ID: u64 = 900_000_000_000_000_200;
/// A team channel.
pub const CHANNEL_ID: u64 = 900_000_000_000_000_300;
const EPOCH_TIMESTAMP: &str = "2026-12-04T10:00:00.000000+00:00";

/// One REST request the bot made.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub body: Value,
}

/// A request for a watched interaction, with the moment the fake received it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub at: Instant,
    pub request: Request,
}

/// Someone in the guild.
#[derive(Debug, Clone)]
pub struct Person {
    pub user_id: u64,
    pub name: String,
    pub roles: Vec<u64>,
    /// Discord's permission bits in the channel.
    pub permissions: u64,
}

impl Person {
    pub fn member(user_id: u64, name: &str) -> Person {
        // VIEW_CHANNEL | SEND_MESSAGES | USE_APPLICATION_COMMANDS
        Person { user_id, name: name.to_string(), roles: Vec::new(), permissions: (1 << 10) | (1 << 11) | (1 << 31) }
    }

    pub fn coach(user_id: u64, name: &str) -> Person {
        Person { roles: vec![COACH_ROLE_ID], ..Person::member(user_id, name) }
    }

    fn member_json(&self) -> Value {
        json!({
            "user": {
                "id": self.user_id.to_string(),
                "username": self.name.to_lowercase(),
                "discriminator": "0",
                "global_name": self.name,
                "avatar": null
            },
            "nick": null,
            "avatar": null,
            "roles": self.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
            "joined_at": EPOCH_TIMESTAMP,
            "premium_since": null,
            "deaf": false,
            "mute": false,
            "flags": 0,
            "pending": false,
            "permissions": self.permissions.to_string(),
            "communication_disabled_until": null
        })
    }
}

struct State {
    requests: Mutex<Vec<Request>>,
    /// Interaction tokens a test watches, and where their requests go.
    watchers: Mutex<HashMap<String, mpsc::UnboundedSender<Answer>>>,
    /// Dispatches written to the gateway, and whether the bot has closed it.
    dispatched: AtomicU64,
    gateway_closes: AtomicU64,
    /// Bumped on every recorded request, so waiters wake up.
    changes: watch::Sender<u64>,
    /// The open gateway connection's outbox.
    gateway: Mutex<Option<mpsc::UnboundedSender<Value>>>,
    identifies: AtomicU64,
    /// Files served at `/api/v10/attachments/ID/NAME`, as Discord's CDN serves uploads.
    attachments: Mutex<HashMap<String, Vec<u8>>>,
    sequence: AtomicU64,
    next_id: AtomicU64,
    gateway_url: String,
}

impl State {
    fn record(&self, request: Request) {
        if let Some(token) = interaction_token(&request.path).map(str::to_string) {
            let watcher = self.watchers.lock().ok().and_then(|w| w.get(&token).cloned());
            if let Some(watcher) = watcher {
                if watcher.send(Answer { at: Instant::now(), request }).is_err()
                    && let Ok(mut watchers) = self.watchers.lock()
                {
                    watchers.remove(&token);
                }
                return;
            }
        }
        if let Ok(mut requests) = self.requests.lock() {
            requests.push(request);
        }
        self.changes.send_modify(|n| *n += 1);
    }

    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// A running fake Discord. Its servers stop when it is dropped.
pub struct FakeDiscord {
    /// Give this to `HttpBuilder::proxy` (through `discord::Connection::local`).
    pub api_url: String,
    pub gateway_url: String,
    state: Arc<State>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl FakeDiscord {
    /// Starts the REST server and the gateway on ephemeral ports of 127.0.0.1.
    pub async fn start() -> FakeDiscord {
        let rest = TcpListener::bind("127.0.0.1:0").await.expect("bind REST listener on loopback");
        let gateway = TcpListener::bind("127.0.0.1:0").await.expect("bind gateway listener on loopback");
        let api_url = format!("http://{}", rest.local_addr().expect("REST address"));
        let gateway_url = format!("ws://{}", gateway.local_addr().expect("gateway address"));
        let state = Arc::new(State {
            requests: Mutex::new(Vec::new()),
            watchers: Mutex::new(HashMap::new()),
            dispatched: AtomicU64::new(0),
            gateway_closes: AtomicU64::new(0),
            changes: watch::channel(0).0,
            gateway: Mutex::new(None),
            identifies: AtomicU64::new(0),
            sequence: AtomicU64::new(0),
            next_id: AtomicU64::new(910_000_000_000_000_000),
            gateway_url: gateway_url.clone(),
            attachments: Mutex::new(HashMap::new()),
        });
        let router = axum::Router::new().fallback({
            let state = Arc::clone(&state);
            move |method: Method, uri: Uri, body: Bytes| {
                let state = Arc::clone(&state);
                async move { rest_handler(&state, method, uri, body) }
            }
        });
        // Small writes go out at once (no Nagle): otherwise a frame or response written
        // while the previous one is unacknowledged waits for a delayed ACK, 40 ms on Linux.
        let rest = axum::serve::ListenerExt::tap_io(rest, |stream: &mut tokio::net::TcpStream| {
            let _ = stream.set_nodelay(true);
        });
        let rest_task = tokio::spawn(async move {
            let _ = axum::serve(rest, router).await;
        });
        let gateway_state = Arc::clone(&state);
        let gateway_task = tokio::spawn(async move {
            while let Ok((stream, _)) = gateway.accept().await {
                let state = Arc::clone(&gateway_state);
                tokio::spawn(async move { serve_gateway(state, stream).await });
            }
        });
        FakeDiscord { api_url, gateway_url, state, tasks: vec![rest_task, gateway_task] }
    }

    /// Every REST request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// How many requests have been recorded: pass to `wait_for` to see only newer ones.
    pub fn mark(&self) -> usize {
        self.state.requests.lock().map(|r| r.len()).unwrap_or(0)
    }

    /// How many times a client identified on the gateway.
    pub fn identifies(&self) -> u64 {
        self.state.identifies.load(Ordering::Relaxed)
    }

    /// Waits until a request recorded at or after `from` matches.
    pub async fn wait_for(&self, from: usize, what: &str, matches: impl Fn(&Request) -> bool) -> Request {
        let mut changes = self.state.changes.subscribe();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let found = self.requests().into_iter().skip(from).find(|r| matches(r));
            if let Some(request) = found {
                return request;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, changes.changed()).await {
                Ok(Ok(())) => {}
                _ => panic!("timed out waiting for {what}; requests seen: {:#?}", self.requests()),
            }
        }
    }

    /// Waits until the bot has identified and the gateway can take dispatches.
    pub async fn wait_until_connected(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while self.identifies() == 0 || self.state.gateway.lock().map(|g| g.is_none()).unwrap_or(true) {
            assert!(tokio::time::Instant::now() < deadline, "the bot never identified on the gateway");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends a dispatch event (`op` 0) on the open gateway connection.
    pub fn dispatch(&self, event: &str, data: Value) {
        let sent = self.try_dispatch(event, data);
        assert!(sent.is_some(), "no gateway connection to dispatch {event} on");
    }

    /// Sends a dispatch event if a gateway connection is open, and returns its sequence
    /// number: the gateway writes dispatches in this order, so the bot reads them in it.
    pub fn try_dispatch(&self, event: &str, data: Value) -> Option<u64> {
        let gateway = self.state.gateway.lock().ok()?;
        let outbox = gateway.as_ref()?;
        // Numbered under the lock, so sequence order is the order on the wire.
        let sequence = self.state.sequence.fetch_add(1, Ordering::Relaxed) + 1;
        let payload = json!({ "op": 0, "t": event, "s": sequence, "d": data });
        outbox.send(payload).ok()?;
        Some(sequence)
    }

    /// Routes every later request for the interaction with this token to the receiver
    /// (instead of the log), stamped with its arrival time. Call before dispatching it.
    pub fn watch(&self, token: &str) -> mpsc::UnboundedReceiver<Answer> {
        let (sender, receiver) = mpsc::unbounded_channel();
        if let Ok(mut watchers) = self.state.watchers.lock() {
            watchers.insert(token.to_string(), sender);
        }
        receiver
    }

    /// How many dispatches the gateway has written to the bot.
    pub fn dispatched(&self) -> u64 {
        self.state.dispatched.load(Ordering::Relaxed)
    }

    /// How many times the bot closed its gateway connection with a Close frame.
    pub fn gateway_closes(&self) -> u64 {
        self.state.gateway_closes.load(Ordering::Relaxed)
    }

    /// Sends an interaction and returns its (id, token).
    pub fn interact(&self, interaction: Value) -> (u64, String) {
        let id = interaction["id"].as_str().and_then(|id| id.parse().ok()).unwrap_or(0);
        let token = interaction["token"].as_str().unwrap_or_default().to_string();
        self.dispatch("INTERACTION_CREATE", interaction);
        (id, token)
    }

    /// An APPLICATION_COMMAND interaction (type 2) for `/name options…` in the team channel.
    /// A slash command `name sub` with one attachment option: the file is served by the
    /// fake (on 127.0.0.1, as Discord's CDN would serve it) and resolved in the interaction.
    pub fn slash_command_with_attachment(
        &self,
        person: &Person,
        name: &str,
        sub: &str,
        option: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Value {
        let id = self.state.id().to_string();
        let url = format!("{}/api/v10/attachments/{id}/{file_name}", self.api_url);
        let size = bytes.len();
        if let Ok(mut files) = self.state.attachments.lock() {
            files.insert(id.clone(), bytes);
        }
        let options = json!([{ "name": sub, "type": 1, "options": [{ "name": option, "type": 11, "value": id }] }]);
        let data = json!({
            "id": self.state.id().to_string(), "name": name, "type": 1, "options": options,
            "guild_id": GUILD_ID.to_string(),
            "resolved": { "attachments": { id.clone(): {
                "id": id, "filename": file_name, "size": size, "url": url, "proxy_url": url,
                "content_type": "application/yaml"
            } } }
        });
        self.interaction(2, person, data, None)
    }

    pub fn slash_command(&self, person: &Person, name: &str, options: Value) -> Value {
        let data = json!({ "id": self.state.id().to_string(), "name": name, "type": 1, "options": options, "guild_id": GUILD_ID.to_string() });
        self.interaction(2, person, data, None)
    }

    /// An APPLICATION_COMMAND_AUTOCOMPLETE interaction (type 4): `option` is focused with `partial`.
    pub fn autocomplete(&self, person: &Person, name: &str, option: &str, kind: u8, partial: &str) -> Value {
        let options = json!([{ "name": option, "type": kind, "value": partial, "focused": true }]);
        let data = json!({ "id": self.state.id().to_string(), "name": name, "type": 1, "options": options, "guild_id": GUILD_ID.to_string() });
        self.interaction(4, person, data, None)
    }

    /// A MESSAGE_COMPONENT interaction (type 3): `person` pressed the button `custom_id` on
    /// a message the bot sent with `components`.
    pub fn button_press(&self, person: &Person, custom_id: &str, components: Value) -> Value {
        let message = self.message_json(&json!({ "embeds": [], "components": components }));
        let data = json!({ "custom_id": custom_id, "component_type": 2 });
        self.interaction(3, person, data, Some(message))
    }

    /// The same interaction in another channel of the guild (a team channel `name`).
    pub fn in_channel(mut interaction: Value, channel_id: u64, name: &str) -> Value {
        interaction["channel_id"] = json!(channel_id.to_string());
        interaction["channel"]["id"] = json!(channel_id.to_string());
        interaction["channel"]["name"] = json!(name);
        if interaction.get("message").is_some() {
            interaction["message"]["channel_id"] = json!(channel_id.to_string());
        }
        interaction
    }

    fn interaction(&self, kind: u8, person: &Person, data: Value, message: Option<Value>) -> Value {
        let id = self.state.id();
        let mut interaction = json!({
            "id": id.to_string(),
            "application_id": APP_ID.to_string(),
            "type": kind,
            "data": data,
            "guild_id": GUILD_ID.to_string(),
            "channel": { "id": CHANNEL_ID.to_string(), "type": 0, "name": "team-red", "guild_id": GUILD_ID.to_string(), "permissions": person.permissions.to_string() },
            "channel_id": CHANNEL_ID.to_string(),
            "member": person.member_json(),
            "token": format!("interaction-token-{id}"),
            "version": 1,
            "app_permissions": "2147871808",
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": { "0": GUILD_ID.to_string() },
            "context": 0,
            "attachment_size_limit": 10_485_760
        });
        if let Some(message) = message {
            interaction["message"] = message;
        }
        interaction
    }

    fn message_json(&self, body: &Value) -> Value {
        message_json(&self.state, body)
    }
}

/// A message object as Discord returns it, with the content of `body`.
fn message_json(state: &State, body: &Value) -> Value {
    json!({
        "id": state.id().to_string(),
        "channel_id": CHANNEL_ID.to_string(),
        "author": { "id": APP_ID.to_string(), "username": "hackcoach", "discriminator": "0", "global_name": null, "avatar": null, "bot": true },
        "content": body.get("content").cloned().unwrap_or(json!("")),
        "timestamp": EPOCH_TIMESTAMP,
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "components": body.get("components").cloned().unwrap_or(json!([])),
        "pinned": false,
        "type": 20,
        "application_id": APP_ID.to_string(),
        "webhook_id": APP_ID.to_string(),
        "flags": body.get("flags").cloned().unwrap_or(json!(0))
    })
}

/// The interaction token in a callback, edit or follow-up path.
fn interaction_token(path: &str) -> Option<&str> {
    let parts: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
    match parts.as_slice() {
        ["interactions", _, token, "callback"] => Some(token),
        ["webhooks", _, token, ..] => Some(token),
        _ => None,
    }
}

fn rest_handler(state: &State, method: Method, uri: Uri, body: Bytes) -> Response {
    let path = uri.path().to_string();
    let json_body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    state.record(Request { method: method.to_string(), path: path.clone(), body: json_body.clone() });
    let parts: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
    let ok = |value: Value| (StatusCode::OK, axum::Json(value)).into_response();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["gateway"]) => ok(json!({ "url": state.gateway_url })),
        ("GET", ["attachments", id, _]) => {
            match state.attachments.lock().ok().and_then(|files| files.get(*id).cloned()) {
                Some(bytes) => (StatusCode::OK, bytes).into_response(),
                None => StatusCode::NOT_FOUND.into_response(),
            }
        }
        ("GET", ["users", "@me"]) => ok(bot_user()),
        ("PUT", ["applications", _, "guilds", guild, "commands"]) => ok(registered(state, &json_body, Some(guild))),
        ("PUT", ["applications", _, "commands"]) => ok(registered(state, &json_body, None)),
        ("POST", ["interactions", _, _, "callback"]) => StatusCode::NO_CONTENT.into_response(),
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) => ok(message_json(state, &json_body)),
        ("DELETE", ["webhooks", _, _, "messages", "@original"]) => StatusCode::NO_CONTENT.into_response(),
        ("POST", ["webhooks", _, _]) => ok(message_json(state, &json_body)),
        ("GET", ["guilds", _, "roles"]) => {
            ok(json!([role(GUILD_ID, "@everyone", 0), role(COACH_ROLE_ID, "Coaches", 1)]))
        }
        _ => (StatusCode::NOT_FOUND, axum::Json(json!({ "message": "Unknown route in the fake Discord", "code": 0 })))
            .into_response(),
    }
}

fn registered(state: &State, body: &Value, guild: Option<&&str>) -> Value {
    let commands = body.as_array().cloned().unwrap_or_default();
    Value::Array(
        commands
            .into_iter()
            .map(|mut command| {
                command["id"] = json!(state.id().to_string());
                command["application_id"] = json!(APP_ID.to_string());
                command["version"] = json!(state.id().to_string());
                command["type"] = json!(1);
                command["default_member_permissions"] = Value::Null;
                if let Some(guild) = guild {
                    command["guild_id"] = json!(guild);
                }
                command
            })
            .collect(),
    )
}

fn role(id: u64, name: &str, position: u16) -> Value {
    json!({
        "id": id.to_string(), "name": name, "color": 0, "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null },
        "hoist": false, "icon": null, "unicode_emoji": null, "position": position, "permissions": "0",
        "managed": false, "mentionable": false, "flags": 0
    })
}

fn bot_user() -> Value {
    json!({ "id": APP_ID.to_string(), "username": "hackcoach", "discriminator": "0", "global_name": null, "avatar": null, "bot": true, "verified": true, "mfa_enabled": false, "flags": 0 })
}

/// One gateway connection: HELLO, then IDENTIFY → READY, heartbeats → ACK, and the
/// test's dispatches.
async fn serve_gateway(state: Arc<State>, stream: tokio::net::TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(socket) = tokio_tungstenite::accept_async(stream).await else { return };
    let (mut sink, mut source) = socket.split();
    let (outbox, mut dispatches) = mpsc::unbounded_channel::<Value>();
    let hello = json!({ "op": 10, "d": { "heartbeat_interval": 41_250 } });
    if sink.send(WsMessage::text(hello.to_string())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            incoming = source.next() => {
                let Some(Ok(message)) = incoming else { break };
                let text = match message {
                    WsMessage::Text(text) => text,
                    WsMessage::Close(_) => {
                        // Answer the close as Discord does, so the bot's shard stops at once.
                        state.gateway_closes.fetch_add(1, Ordering::Relaxed);
                        let _ = sink.close().await;
                        break;
                    }
                    _ => continue,
                };
                let Ok(payload) = serde_json::from_str::<Value>(&text) else { continue };
                match payload["op"].as_u64() {
                    Some(1) => {
                        let ack = json!({ "op": 11 });
                        if sink.send(WsMessage::text(ack.to_string())).await.is_err() { break; }
                    }
                    Some(2) | Some(6) => {
                        state.identifies.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut gateway) = state.gateway.lock() {
                            *gateway = Some(outbox.clone());
                        }
                        let sequence = state.sequence.fetch_add(1, Ordering::Relaxed) + 1;
                        let ready = json!({ "op": 0, "t": "READY", "s": sequence, "d": {
                            "v": 10,
                            "user": bot_user(),
                            "guilds": [{ "id": GUILD_ID.to_string(), "unavailable": true }],
                            "session_id": "fake-session",
                            "resume_gateway_url": state.gateway_url,
                            "shard": [0, 1],
                            "application": { "id": APP_ID.to_string(), "flags": 0 }
                        }});
                        if sink.send(WsMessage::text(ready.to_string())).await.is_err() { break; }
                    }
                    _ => {}
                }
            }
            Some(dispatch) = dispatches.recv() => {
                if sink.send(WsMessage::text(dispatch.to_string())).await.is_err() { break; }
                state.dispatched.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    if let Ok(mut gateway) = state.gateway.lock()
        && gateway.as_ref().is_some_and(|g| g.same_channel(&outbox))
    {
        *gateway = None;
    }
}
