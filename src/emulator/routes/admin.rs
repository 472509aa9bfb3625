//! HTTP side of the admin and account operations (issue 12): a user's roles, assign / unassign, users by
//! role, delete, restore password, and the emulator's own local-only pages (`/_emulator/outbox`, the reset
//! page its mails link to). Key kinds and bodies are checked here; access to records is decided in
//! `Store` (`store::admin`).

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, REFERRER_POLICY};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{AppState, Incoming, KeyKind, blocking, json_response, parse_json_object};
use crate::backendless::codes;
use crate::emulator::auth;
use crate::emulator::error::{EmuResult, EmulatorError};
use crate::emulator::outbox::{OUTBOX_PATH, RESET_PATH, ResetRefused};
use crate::emulator::schema::PASSWORD;
use crate::emulator::store::{Access, now_ms};

/// An answer with no body, as Backendless gives for role changes and restore password.
fn empty_ok() -> Response {
    StatusCode::OK.into_response()
}

/// Runs `work` on the store as the caller of `incoming`: the URL's key kind and its `user-token`.
async fn as_caller<T, F>(state: &AppState, incoming: &Incoming, work: F) -> EmuResult<T>
where
    T: Send + 'static,
    F: FnOnce(&crate::emulator::store::Store, Access<'_>) -> EmuResult<T> + Send + 'static,
{
    let server_key = incoming.key == KeyKind::CloudCode;
    let user_token = incoming.user_token.clone();
    blocking(state, move |store| {
        let access = Access {
            server_key,
            user_token: user_token.as_deref(),
        };
        work(store, access)
    })
    .await
}

/// `GET users/userroles/{objectId}`: the custom roles of that user (see `Store::roles_of_user`).
pub(super) async fn user_roles(
    state: &AppState,
    incoming: &Incoming,
    object_id: &str,
) -> EmuResult<Response> {
    let object_id = object_id.to_owned();
    let roles = as_caller(state, incoming, move |store, access| {
        store.roles_of_user(access, &object_id)
    })
    .await?;
    Ok(json_response(json!(roles)))
}

/// `POST users/assignRole` / `users/unassignRole` `{"user": identity, "roleName"}`: CloudCode key only (2011
/// otherwise, before the body is read); then 2007 / 2008, 2005, 3020 from the store. Empty answer.
pub(super) async fn change_role(
    state: &AppState,
    incoming: &Incoming,
    assign: bool,
) -> EmuResult<Response> {
    if incoming.key != KeyKind::CloudCode {
        return Err(EmulatorError::bad_request(
            codes::ROLE_CHANGE_NEEDS_SERVER_KEY,
            "Role assignment is allowed only from the server code (CloudCode key)",
        ));
    }
    let body = parse_json_object(&incoming.body)?;
    let identity = match body.get("user") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(EmulatorError::unparsable(
                "'user' must be the user's identity (a non-empty string)",
            ));
        }
    };
    let role = match body.get("roleName") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => {
            return Err(EmulatorError::unparsable(
                "'roleName' must be a role name (a non-empty string)",
            ));
        }
    };
    let user_token = incoming.user_token.clone();
    blocking(state, move |store| {
        store.authenticate_optional(user_token.as_deref())?;
        store.change_role(&identity, &role, assign)
    })
    .await?;
    Ok(empty_ok())
}

/// `GET users/role/{roleName}?pageSize&offset&where&sortBy&props&loadRoles`: like `find`, narrowed to the
/// holders of the role (see `Store::find_by_role`).
pub(super) async fn find_by_role(
    state: &AppState,
    incoming: &Incoming,
    role: &str,
) -> EmuResult<Response> {
    let params = super::QueryParams::from_url(&incoming.query);
    let load_roles = incoming
        .query
        .iter()
        .any(|(k, v)| k == "loadRoles" && v.trim().eq_ignore_ascii_case("true"));
    let schema = state.store.schema();
    let query = params.find_query(&schema)?;
    let role = role.to_owned();
    let rows = as_caller(state, incoming, move |store, access| {
        store.find_by_role(access, &role, &query, load_roles)
    })
    .await?;
    Ok(json_response(Value::Array(rows)))
}

/// `DELETE data/Users/{objectId}`: `{"deletionTime": ms}` (see `Store::delete_user_as`). The user's pending
/// reset links stop working too.
pub(super) async fn delete_user(
    state: &AppState,
    incoming: &Incoming,
    object_id: &str,
) -> EmuResult<Response> {
    let id = object_id.to_owned();
    let deletion_time = as_caller(state, incoming, move |store, access| {
        store.delete_user_as(access, &id)
    })
    .await?;
    lock_outbox(state).forget_user(object_id);
    Ok(json_response(json!({ "deletionTime": deletion_time })))
}

/// `GET users/restorepassword/{identity}`: 3020 for an unknown identity; otherwise the mail Backendless would
/// send goes to the outbox (one log line says where to read it; the line holds no secret) and the answer is
/// empty.
pub(super) async fn restore_password(
    state: &AppState,
    incoming: &Incoming,
    identity: &str,
) -> EmuResult<Response> {
    let user_token = incoming.user_token.clone();
    let identity = identity.to_owned();
    let (object_id, to) = blocking(state, move |store| {
        store.authenticate_optional(user_token.as_deref())?;
        store.restore_target(&identity)
    })
    .await?;
    let token = auth::new_user_token().map_err(EmulatorError::internal)?;
    lock_outbox(state).add_reset_mail(&to, &object_id, &state.origin, &token, now_ms());
    tracing::info!(
        "mail to {} kept in the outbox, read it at {}{OUTBOX_PATH}",
        // Escaped so an identity cannot forge log lines.
        to.escape_debug(),
        state.origin
    );
    Ok(empty_ok())
}

fn lock_outbox(state: &AppState) -> std::sync::MutexGuard<'_, crate::emulator::outbox::Outbox> {
    state
        .outbox
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `/_emulator/...`: the emulator's own pages, answered to loopback peers only (403 otherwise, also when the
/// peer is unknown). `rest` is the path after `_emulator`.
pub(super) async fn local_endpoint(
    state: &AppState,
    method: &Method,
    rest: &[&str],
    query: &[(String, String)],
    headers: &HeaderMap,
    body: &[u8],
    peer: Option<std::net::SocketAddr>,
) -> EmuResult<Response> {
    if !is_loopback_peer(peer) {
        return Err(EmulatorError::forbidden(
            403,
            "The emulator's /_emulator pages answer only clients on this machine (loopback)",
        ));
    }
    match (method, rest) {
        (&Method::GET, ["outbox"]) => {
            let mails = lock_outbox(state).mails();
            Ok(no_store(json_response(json!(mails))))
        }
        (&Method::GET, ["reset-password"]) => {
            let token = query
                .iter()
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let usable = lock_outbox(state).check(&token, now_ms());
            Ok(html(match usable {
                Ok(()) => reset_form(&token),
                Err(refused) => page(refused_text(refused)),
            }))
        }
        (&Method::POST, ["reset-password"]) => reset_password(state, headers, body).await,
        _ => Err(EmulatorError::no_route(
            method.as_str(),
            &format!("/_emulator/{}", rest.join("/")),
        )),
    }
}

/// Whether the peer is on this machine: a loopback address, also IPv4-mapped (`::ffff:127.0.0.1` on a dual-stack
/// listener). An unknown peer is not.
fn is_loopback_peer(peer: Option<std::net::SocketAddr>) -> bool {
    peer.is_some_and(|p| p.ip().to_canonical().is_loopback())
}

/// `POST /_emulator/reset-password` with `{"token","password"}` (JSON) or the reset page's form: sets the
/// password once per token and ends the user's sessions. `{"changed": true}` (a page for the form).
async fn reset_password(state: &AppState, headers: &HeaderMap, body: &[u8]) -> EmuResult<Response> {
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let (token, password) = if is_form {
        let mut token = String::new();
        let mut password = String::new();
        for (key, value) in url::form_urlencoded::parse(body) {
            match key.as_ref() {
                "token" => token = value.into_owned(),
                PASSWORD => password = value.into_owned(),
                _ => {}
            }
        }
        (token, password)
    } else {
        let body = parse_json_object(&axum::body::Bytes::copy_from_slice(body))?;
        let text = |key: &str| {
            body.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        (text("token"), text(PASSWORD))
    };
    if password.is_empty() {
        return Err(EmulatorError::bad_request(
            codes::EMPTY_CREDENTIALS,
            "The new password is empty",
        ));
    }
    // Checked before the (slow) hashing, used up after it: of two concurrent uses only one sets a password.
    lock_outbox(state)
        .check(&token, now_ms())
        .map_err(refused_error)?;
    let hash = auth::hash_password_bounded(password)
        .await
        .map_err(EmulatorError::internal)?;
    let object_id = lock_outbox(state)
        .redeem(&token, now_ms())
        .map_err(refused_error)?;
    blocking(state, move |store| store.reset_password(&object_id, &hash)).await?;
    Ok(if is_form {
        html(page(
            "Your password was changed. Log in with the new one (other sessions were ended).",
        ))
    } else {
        no_store(json_response(json!({ "changed": true })))
    })
}

fn refused_text(refused: ResetRefused) -> &'static str {
    match refused {
        ResetRefused::Unknown => {
            "This reset link is unknown or was already used; ask for a new one."
        }
        ResetRefused::Expired => "This reset link has expired; ask for a new one.",
    }
}

/// An emulator-level answer (like its 404): the code is the HTTP status.
fn refused_error(refused: ResetRefused) -> EmulatorError {
    EmulatorError::bad_request(400, refused_text(refused))
}

/// Outbox and reset answers carry reset tokens: not cached, and the page's link is not sent on as a referrer.
fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

fn html(document: String) -> Response {
    no_store(
        (
            StatusCode::OK,
            [(CONTENT_TYPE, "text/html; charset=utf-8")],
            document,
        )
            .into_response(),
    )
}

fn page(message: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Reset password</title></head>\
         <body><p>{}</p></body></html>",
        escape_html(message)
    )
}

fn reset_form(token: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Reset password</title></head><body>\
         <form method=\"post\" action=\"{RESET_PATH}\"><input type=\"hidden\" name=\"token\" value=\"{}\">\
         <label>New password <input type=\"password\" name=\"password\" autocomplete=\"new-password\" required>\
         </label> <button type=\"submit\">Set password</button></form></body></html>",
        escape_html(token)
    )
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_peers_are_local() {
        let peer = |text: &str| Some(text.parse::<std::net::SocketAddr>().unwrap());
        assert!(is_loopback_peer(peer("127.0.0.1:5000")));
        assert!(is_loopback_peer(peer("127.8.9.10:5000")));
        assert!(is_loopback_peer(peer("[::1]:5000")));
        assert!(is_loopback_peer(peer("[::ffff:127.0.0.1]:5000")));
        assert!(!is_loopback_peer(peer("192.168.1.20:5000")));
        assert!(!is_loopback_peer(peer("[::ffff:10.0.0.1]:5000")));
        assert!(!is_loopback_peer(peer("[2001:db8::1]:5000")));
        assert!(!is_loopback_peer(None));
    }

    #[test]
    fn html_text_is_escaped() {
        assert_eq!(
            escape_html("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}
