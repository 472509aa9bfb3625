//! Shared test plumbing: start a fresh emulator on port 0 and talk to it over real HTTP.
#![allow(dead_code)]

use profile_editor::emulator::{EmulatorConfig, RunningEmulator};
use serde_json::{Value, json};

/// A running emulator plus an HTTP client and its key-in-path base URL.
pub struct TestEmulator {
    /// The server; dropping it stops the server.
    pub emulator: RunningEmulator,
    /// `http://127.0.0.1:PORT/{app-id}/{api-key}`.
    pub base_url: String,
    /// A plain reqwest client (no default headers).
    pub http: reqwest::Client,
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
    TestEmulator {
        emulator,
        base_url,
        http,
    }
}

impl TestEmulator {
    /// `base_url` + `/` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base_url, path.trim_start_matches('/'))
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
