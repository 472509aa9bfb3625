//! Shared test plumbing: start a fresh emulator on port 0 and talk to it over real HTTP.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use profile_editor::emulator::{EmulatorConfig, RunningEmulator};
use serde_json::{Value, json};

/// A running emulator plus an HTTP client and its key-in-path base URL.
pub struct TestEmulator {
    /// The server; dropping it stops the server.
    pub emulator: RunningEmulator,
    /// `http://127.0.0.1:PORT/{app-id}/{api-key}` (the emulator itself, not the proxy).
    pub base_url: String,
    /// A plain reqwest client (no default headers).
    pub http: reqwest::Client,
    /// A recording proxy in front of the emulator (see [`TestEmulator::origin`]).
    pub proxy: RecordingProxy,
}

/// Demo users of CONTRACT.md §2: (identity, password).
pub const ALICE: (&str, &str) = ("alice@example.com", "alice-pass-1");
/// Bob, a second ordinary user.
pub const BOB: (&str, &str) = ("bob@example.com", "bob-pass-1");
/// The demo admin (role `Admin`).
pub const ADMIN: (&str, &str) = ("admin@example.com", "admin-pass-1");

/// An emulator with a fresh in-memory store, the demo data and dynamic schema on.
pub async fn spawn_emulator() -> TestEmulator {
    spawn_emulator_with(EmulatorConfig {
        demo: true,
        ..EmulatorConfig::default()
    })
    .await
}

/// An emulator with this configuration, on 127.0.0.1 port 0.
pub async fn spawn_emulator_with(config: EmulatorConfig) -> TestEmulator {
    let listen = "127.0.0.1:0".parse().expect("valid address");
    let emulator = RunningEmulator::start(config, listen)
        .await
        .expect("emulator starts");
    let base_url = emulator.base_url();
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("reqwest client");
    let proxy = RecordingProxy::start(emulator.origin()).await;
    TestEmulator {
        emulator,
        base_url,
        http,
        proxy,
    }
}

/// One request as the recording proxy received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The path (and query) as sent, e.g. `/{app-id}/{api-key}/users/{id}`.
    pub path: String,
    /// The body bytes as sent.
    pub body: Vec<u8>,
}

/// Test-only observation of what clients send: an HTTP server on 127.0.0.1:0 that records each request and
/// forwards it unchanged to the emulator, answering with the emulator's answer. The emulator itself keeps no
/// request bodies. Stops when dropped.
pub struct RecordingProxy {
    origin: String,
    recorded: Arc<Mutex<Vec<RecordedRequest>>>,
    answered: Arc<Mutex<Vec<String>>>,
    holds: Arc<Mutex<Vec<Hold>>>,
    task: tokio::task::JoinHandle<()>,
}

struct ProxyState {
    target: String,
    client: reqwest::Client,
    recorded: Arc<Mutex<Vec<RecordedRequest>>>,
    answered: Arc<Mutex<Vec<String>>>,
    holds: Arc<Mutex<Vec<Hold>>>,
}

/// A pending [`RecordingProxy::hold_next`]: the query parameter it waits for, whom to tell, what to wait on.
struct Hold {
    param: String,
    arrived: std::sync::mpsc::Sender<()>,
    release: tokio::sync::oneshot::Receiver<()>,
}

/// A request the proxy holds (see [`RecordingProxy::hold_next`]). Dropping it releases the request.
pub struct HeldRequest {
    arrived: std::sync::mpsc::Receiver<()>,
    release: Option<tokio::sync::oneshot::Sender<()>>,
}

impl HeldRequest {
    /// Blocks until the held request has reached the proxy (panics after `timeout`: the client never sent it).
    pub fn wait_until_arrived(&self, timeout: std::time::Duration) {
        self.arrived
            .recv_timeout(timeout)
            .expect("the held request reaches the proxy");
    }

    /// Lets the held request go on to the emulator.
    pub fn release(mut self) {
        if let Some(release) = self.release.take() {
            release.send(()).ok();
        }
    }
}

/// Locks `mutex`, ignoring poisoning (a panicking test thread must not hide the recording).
fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl RecordingProxy {
    /// Starts a proxy to `target` (an origin like `http://127.0.0.1:PORT`) on the current tokio runtime.
    pub async fn start(target: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the proxy binds");
        let origin = format!("http://{}", listener.local_addr().expect("proxy address"));
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let answered = Arc::new(Mutex::new(Vec::new()));
        let holds = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(ProxyState {
            target,
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("proxy client"),
            recorded: recorded.clone(),
            answered: answered.clone(),
            holds: holds.clone(),
        });
        let app = axum::Router::new()
            .fallback(proxy_forward)
            .with_state(state);
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        Self {
            origin,
            recorded,
            answered,
            holds,
            task,
        }
    }

    /// Holds the next request that has the query parameter `param` (as sent, e.g. `offset=100`) before
    /// forwarding it (or, when `param` starts with `/`, the next request whose path ends with it, e.g.
    /// `/users/{id}/status`), until the returned handle is released or dropped; the handle also tells when that
    /// request has arrived. An explicit point in a client's sequence of requests, instead of a sleep.
    pub fn hold_next(&self, param: &str) -> HeldRequest {
        let (arrived_tx, arrived) = std::sync::mpsc::channel();
        let (release, release_rx) = tokio::sync::oneshot::channel();
        locked(&self.holds).push(Hold {
            param: param.to_owned(),
            arrived: arrived_tx,
            release: release_rx,
        });
        HeldRequest {
            arrived,
            release: Some(release),
        }
    }

    /// The paths (with query) of the requests whose answer the proxy has finished reading from the emulator
    /// and is handing to the client, oldest first.
    pub fn answered_paths(&self) -> Vec<String> {
        locked(&self.answered).clone()
    }

    /// `http://127.0.0.1:PORT` of the proxy.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.recorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Every request with HTTP method `method` (`"PUT"`, ...) received so far, oldest first.
    pub fn requests_with_method(&self, method: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method)
            .collect()
    }

    /// The JSON bodies of every `PUT .../users/{id}` received so far, oldest first (an empty body as `{}`).
    pub fn update_bodies(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "PUT" && is_user_update_path(&r.path))
            .filter_map(|r| {
                if r.body.iter().all(u8::is_ascii_whitespace) {
                    Some(json!({}))
                } else {
                    serde_json::from_slice(&r.body).ok()
                }
            })
            .collect()
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `.../users/{id}` where `{id}` is not one of the named user operations.
fn is_user_update_path(path_and_query: &str) -> bool {
    let path = path_and_query.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    matches!(segments.as_slice(), [.., "users", id] if !["login", "logout", "register"].contains(id))
}

async fn proxy_forward(
    axum::extract::State(state): axum::extract::State<Arc<ProxyState>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse as _;

    let (parts, body) = request.into_parts();
    let bad_gateway = |what: String| (axum::http::StatusCode::BAD_GATEWAY, what).into_response();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(e) => return bad_gateway(format!("proxy: reading the request failed: {e}")),
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    state
        .recorded
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(RecordedRequest {
            method: parts.method.to_string(),
            path: path.clone(),
            body: body.to_vec(),
        });
    let hold = {
        let mut holds = locked(&state.holds);
        let query = path.split_once('?').map_or("", |(_, query)| query);
        let index = holds.iter().position(|h| {
            query.split('&').any(|p| p == h.param)
                || (h.param.starts_with('/')
                    && path
                        .split('?')
                        .next()
                        .unwrap_or_default()
                        .ends_with(&h.param))
        });
        index.map(|i| holds.remove(i))
    };
    if let Some(hold) = hold {
        hold.arrived.send(()).ok();
        // Released, or the test dropped its handle: either way, go on.
        hold.release.await.ok();
    }
    let hop_by_hop = |name: &header::HeaderName| {
        [
            header::HOST,
            header::CONTENT_LENGTH,
            header::CONNECTION,
            header::TRANSFER_ENCODING,
        ]
        .contains(name)
    };
    let mut outgoing = state
        .client
        .request(parts.method.clone(), format!("{}{path}", state.target))
        .body(body);
    for (name, value) in &parts.headers {
        if !hop_by_hop(name) {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = match outgoing.send().await {
        Ok(answer) => answer,
        Err(e) => return bad_gateway(format!("proxy: forwarding failed: {e}")),
    };
    let status = answer.status();
    let headers = answer.headers().clone();
    let bytes = match answer.bytes().await {
        Ok(bytes) => bytes,
        Err(e) => return bad_gateway(format!("proxy: reading the answer failed: {e}")),
    };
    locked(&state.answered).push(path.clone());
    let mut response = axum::response::Response::new(axum::body::Body::from(bytes));
    *response.status_mut() = status;
    for (name, value) in &headers {
        if !hop_by_hop(name) {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}

impl TestEmulator {
    /// `base_url` + `/` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base_url, path.trim_start_matches('/'))
    }

    /// The recording proxy's origin `http://127.0.0.1:PORT`: clients pointed here reach the emulator, and what
    /// they send shows in [`TestEmulator::recorded_update_bodies`].
    pub fn origin(&self) -> String {
        self.proxy.origin().to_owned()
    }

    /// Like [`TestEmulator::url`], through the recording proxy.
    pub fn recorded_url(&self, path: &str) -> String {
        let keys = &self.base_url[self.emulator.origin().len()..];
        format!(
            "{}{keys}/{}",
            self.proxy.origin(),
            path.trim_start_matches('/')
        )
    }

    /// Bodies of the `PUT users/{id}` requests sent through the proxy, oldest first.
    pub fn recorded_update_bodies(&self) -> Vec<Value> {
        self.proxy.update_bodies()
    }

    /// Logs in and returns the whole login response (the user plus `user-token`); panics on failure.
    pub async fn login(&self, (identity, password): (&str, &str)) -> Value {
        let response = self
            .http
            .post(self.url("users/login"))
            .json(&json!({"login": identity, "password": password}))
            .send()
            .await
            .expect("login request");
        let status = response.status();
        let body: Value = response.json().await.expect("login body is JSON");
        assert!(
            status.is_success(),
            "login of {identity} failed: {status} {body}"
        );
        body
    }

    /// Logs in and returns `(user-token, objectId)`.
    pub async fn login_token(&self, user: (&str, &str)) -> (String, String) {
        let body = self.login(user).await;
        let token = body["user-token"]
            .as_str()
            .expect("user-token in login response")
            .to_owned();
        let object_id = body["objectId"]
            .as_str()
            .expect("objectId in login response")
            .to_owned();
        (token, object_id)
    }

    /// `PUT users/{object_id}` with an optional token; returns (HTTP status, JSON body).
    pub async fn update(&self, token: Option<&str>, object_id: &str, body: &Value) -> (u16, Value) {
        let mut request = self
            .http
            .put(self.url(&format!("users/{object_id}")))
            .json(body);
        if let Some(token) = token {
            request = request.header("user-token", token);
        }
        send(request).await
    }

    /// `user`'s own record as the server has it, read in a session of their own (a new login, which ends
    /// any other session of theirs under the one-session default). Panics unless it answers 200.
    pub async fn record_as(&self, user: (&str, &str)) -> Value {
        let (token, object_id) = self.login_token(user).await;
        let (status, body) = self
            .get(Some(&token), &format!("data/Users/{object_id}"))
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// `user` saves `changes` to their own record in a session of their own (as another device would).
    /// Panics unless it answers 200; returns the saved record.
    pub async fn update_as(&self, user: (&str, &str), changes: &Value) -> Value {
        let (token, object_id) = self.login_token(user).await;
        let (status, body) = self.update(Some(&token), &object_id, changes).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// `GET path` with an optional token; returns (HTTP status, JSON body or Null when empty).
    pub async fn get(&self, token: Option<&str>, path: &str) -> (u16, Value) {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = token {
            request = request.header("user-token", token);
        }
        send(request).await
    }

    /// `POST path` with a JSON body and an optional token.
    pub async fn post(&self, token: Option<&str>, path: &str, body: &Value) -> (u16, Value) {
        let mut request = self.http.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.header("user-token", token);
        }
        send(request).await
    }
}

/// Sends a request; returns (status, JSON body, or `Value::Null` for an empty body).
pub async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request reaches the emulator");
    let status = response.status().as_u16();
    let text = response.text().await.expect("response body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("response is not JSON ({e}): {text:?}"))
    };
    (status, body)
}

/// Asserts a Backendless error body with `code` (and a 4xx status); returns the message.
#[track_caller]
pub fn assert_fault(result: &(u16, Value), code: i64) -> String {
    let (status, body) = result;
    assert_eq!(
        body["code"].as_i64(),
        Some(code),
        "expected code {code}, got {status} {body}"
    );
    assert!(
        (400..500).contains(status),
        "expected a 4xx status with code {code}, got {status} {body}"
    );
    assert!(
        body["errorData"].is_object(),
        "errorData must be an object: {body}"
    );
    body["message"]
        .as_str()
        .expect("message is a string")
        .to_owned()
}
