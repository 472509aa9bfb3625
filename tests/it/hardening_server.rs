//! Emulator hardening (issue 9 items 4, 5, 7, 8, 9, 10): long queries, slow clients, value / schema limits and
//! the JSON shape of every error, over real HTTP and raw TCP.

use std::net::SocketAddr;
use std::time::Duration;

use profile_editor::emulator::{EmulatorConfig, Storage};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::helpers::{
    ADMIN, ALICE, TestEmulator, assert_fault, send, spawn_emulator, spawn_emulator_with,
};

/// How long a test waits for the server to close a connection or answer: far above every timeout set here,
/// and above the production header timeout (10 s) that `spawn_emulator` keeps, so a server that is merely
/// slow on a loaded machine is not mistaken for one that keeps a connection open.
const GENEROUS: Duration = Duration::from_secs(30);

fn demo_config() -> EmulatorConfig {
    EmulatorConfig {
        demo: true,
        ..EmulatorConfig::default()
    }
}

/// Reads until the server closes the connection; `None` if it is still open after [`GENEROUS`].
async fn read_until_closed(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    let reading = async {
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(GENEROUS, reading).await.ok()?;
    Some(received)
}

/// Sends raw bytes on a fresh connection and returns everything the server sent until it closed.
async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream.write_all(request).await.expect("request written");
    let head = String::from_utf8_lossy(&request[..request.len().min(40)]).into_owned();
    read_until_closed(&mut stream).await.unwrap_or_else(|| {
        panic!("the server did not close the connection after answering {head:?}")
    })
}

/// The status and JSON body of one raw HTTP/1.1 answer.
fn parse_answer(raw: &[u8]) -> (u16, Value) {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete answer: {text:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head:?}"));
    let body = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("body of {status} is not JSON ({e}): {text:?}"));
    (status, body)
}

/// Asserts the Backendless error shape `{code, message, errorData}`.
#[track_caller]
fn assert_backendless_shape(body: &Value) {
    assert!(body["code"].is_i64(), "code: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message: {body}"
    );
    assert!(body["errorData"].is_object(), "errorData: {body}");
}

// ---------------------------------------------------------------------------------------------------------------
// Item 4: a long query neither stalls other users nor runs past its deadline; pattern and value limits.

/// 60 generated users, each with a 65,000-character `notes` value, and a `LIKE` that matches none of them the
/// slow way (~6.5e7 steps per record): several seconds of work, against the 2 s deadline.
async fn long_query_while_another_user_reads(storage: Storage) {
    let emu = spawn_emulator_with(EmulatorConfig {
        storage,
        demo_users: 60,
        query_timeout: Duration::from_secs(2),
        ..demo_config()
    })
    .await;
    let (admin, _) = emu.login_token(ADMIN).await;
    let (alice, alice_id) = emu.login_token(ALICE).await;
    let (status, page) = emu
        .post(
            Some(&admin),
            "data/Users/find",
            &json!({"pageSize": 100, "where": "email LIKE 'user%'"}),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let ids: Vec<String> = page
        .as_array()
        .expect("a page")
        .iter()
        .map(|user| user["objectId"].as_str().expect("objectId").to_owned())
        .collect();
    assert_eq!(ids.len(), 60, "{page}");
    let notes = "a".repeat(65_000);
    for id in &ids {
        let (status, body) = emu.update(Some(&admin), id, &json!({"notes": notes})).await;
        assert_eq!(status, 200, "{body}");
    }
    let pattern = format!("%{}b%", "a".repeat(997));
    assert_eq!(pattern.len(), 1000);
    let slow_where = format!("notes LIKE '{pattern}'");

    let find = {
        let http = emu.http.clone();
        let url = emu.url("data/Users/find");
        let body = json!({"where": slow_where, "pageSize": 100});
        let admin = admin.clone();
        tokio::spawn(
            async move { send(http.post(url).header("user-token", admin).json(&body)).await },
        )
    };
    // Let the query get going, then read as another user, a few times over: had the reads waited for the query,
    // it would have ended (and answered) before the second one.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..3 {
        let (status, own) = emu
            .get(Some(&alice), &format!("data/Users/{alice_id}"))
            .await;
        assert_eq!(status, 200, "{own}");
        assert_eq!(own["email"], ALICE.0);
    }
    assert!(
        !find.is_finished(),
        "another user's reads waited for the long query to end"
    );
    let result = find.await.expect("find task");
    let message = assert_fault(&result, 1017);
    assert!(
        message.contains("longer than 2 s") && message.contains("narrow the where clause"),
        "{message}"
    );
    // count takes the same road.
    let result = emu
        .post(
            Some(&admin),
            "data/Users/count",
            &json!({"where": slow_where}),
        )
        .await;
    assert!(assert_fault(&result, 1017).contains("longer than 2 s"));
    // The readers are free again.
    let (status, count) = emu.get(Some(&admin), "data/Users/count").await;
    assert_eq!((status, count), (200, json!(63)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_query_is_stopped_and_does_not_hold_up_another_user_in_memory() {
    long_query_while_another_user_reads(Storage::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_query_is_stopped_and_does_not_hold_up_another_user_on_disk() {
    let dir = tempfile::tempdir().expect("temp dir");
    long_query_while_another_user_reads(Storage::Dir(dir.path().join("data"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pattern_and_value_sizes_have_limits_with_clear_errors() {
    let emu = spawn_emulator().await;
    let (alice, alice_id) = emu.login_token(ALICE).await;

    let long_pattern = format!("name LIKE '%{}%'", "a".repeat(1000));
    let result = emu
        .post(
            Some(&alice),
            "data/Users/find",
            &json!({"where": long_pattern}),
        )
        .await;
    assert!(assert_fault(&result, 1017).contains("at most 1000 characters"));

    let result = emu
        .update(
            Some(&alice),
            &alice_id,
            &json!({"address": "x".repeat(65_537)}),
        )
        .await;
    let message = assert_fault(&result, 3024);
    assert!(
        message.contains("'address'") && message.contains("65536"),
        "{message}"
    );
    let result = emu
        .update(
            Some(&alice),
            &alice_id,
            &json!({"address": "x".repeat(65_536)}),
        )
        .await;
    assert_eq!(result.0, 200, "{}", result.1);

    let result = emu
        .post(
            None,
            "users/register",
            &json!({"email": "long@example.com", "password": "pw-long-1", "motto": "y".repeat(70_000)}),
        )
        .await;
    let message = assert_fault(&result, 3021);
    assert!(message.contains("'motto'"), "{message}");
}

// ---------------------------------------------------------------------------------------------------------------
// Item 5: slow clients are dropped; the connection cap.

fn quick_timeouts() -> EmulatorConfig {
    EmulatorConfig {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        ..demo_config()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_header_is_dropped() {
    let emu = spawn_emulator_with(quick_timeouts()).await;
    let mut stream = TcpStream::connect(emu.emulator.local_addr())
        .await
        .expect("connects");
    stream
        .write_all(b"GET /api/info HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .expect("written");
    assert!(
        read_until_closed(&mut stream).await.is_some(),
        "a half-sent header kept its connection open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_is_answered_408_and_dropped() {
    let emu = spawn_emulator_with(quick_timeouts()).await;
    let mut stream = TcpStream::connect(emu.emulator.local_addr())
        .await
        .expect("connects");
    stream
        .write_all(
            b"POST /api/users/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"login\": ",
        )
        .await
        .expect("written");
    let received = read_until_closed(&mut stream)
        .await
        .expect("a stalled body kept its connection open");
    let (status, body) = parse_answer(&received);
    assert_eq!(status, 408, "{body}");
    assert_backendless_shape(&body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_dropped() {
    let emu = spawn_emulator_with(quick_timeouts()).await;
    let mut stream = TcpStream::connect(emu.emulator.local_addr())
        .await
        .expect("connects");
    stream
        .write_all(b"GET /api/info HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("written");
    let received = read_until_closed(&mut stream)
        .await
        .expect("an idle keep-alive connection stayed open");
    let (status, body) = parse_answer(&received);
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_the_answer_is_dropped() {
    const USERS: usize = 16;
    const PROPS: usize = 10;
    const CHARS: usize = 65_000;
    let emu = spawn_emulator_with(EmulatorConfig {
        demo_users: USERS as u32,
        write_timeout: Duration::from_secs(1),
        header_timeout: Duration::from_secs(60),
        ..demo_config()
    })
    .await;
    let (admin, _) = emu.login_token(ADMIN).await;
    let every_user = json!({"where": "email LIKE 'user%'", "pageSize": 100});
    let (status, page) = emu.post(Some(&admin), "data/Users/find", &every_user).await;
    assert_eq!(status, 200);
    let big: serde_json::Map<String, Value> = (0..PROPS)
        .map(|i| (format!("big{i}"), json!("a".repeat(CHARS))))
        .collect();
    let big = Value::Object(big);
    for user in page.as_array().expect("a page") {
        let id = user["objectId"].as_str().expect("objectId");
        assert_eq!(emu.update(Some(&admin), id, &big).await.0, 200);
    }
    // A ~10 MB answer to a client with a tiny receive buffer that does not read it.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("small buffer");
    let mut stream = socket
        .connect(emu.emulator.local_addr())
        .await
        .expect("connects");
    let body = every_user.to_string();
    let request = format!(
        "POST /api/data/Users/find HTTP/1.1\r\nHost: x\r\nuser-token: {admin}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("written");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let received = read_until_closed(&mut stream)
        .await
        .expect("a client that stopped reading kept its connection");
    assert!(
        received.len() < USERS * PROPS * CHARS,
        "the whole answer was still sent ({} bytes)",
        received.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_wait_and_are_served_when_one_closes() {
    let emu = spawn_emulator_with(EmulatorConfig {
        max_connections: 4,
        header_timeout: Duration::from_secs(60),
        ..demo_config()
    })
    .await;
    let addr = emu.emulator.local_addr();
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(addr).await.expect("connects"));
    }
    // A fifth connection is held in the backlog: its request is not answered while four are open...
    let mut fifth = TcpStream::connect(addr).await.expect("connects");
    fifth
        .write_all(b"GET /api/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("written");
    let mut first_byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(500), fifth.read(&mut first_byte)).await;
    assert!(
        early.is_err(),
        "a connection past the cap was served: {early:?}"
    );
    // ...and is answered as soon as one of them closes.
    drop(idle.pop());
    let received = read_until_closed(&mut fifth)
        .await
        .expect("the waiting connection is served");
    let mut answer = first_byte.to_vec();
    answer.extend_from_slice(&received);
    let (status, body) = parse_answer(&answer);
    assert_eq!(status, 200, "{body}");
}

// ---------------------------------------------------------------------------------------------------------------
// Item 7: nesting depth; item 8: new columns per request; item 9: row-id names.

fn nested(depth: usize) -> Value {
    let mut value = json!(1);
    for _ in 0..depth {
        value = json!([value]);
    }
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_values_are_refused_naming_the_property() {
    let emu = spawn_emulator().await;
    let (alice, alice_id) = emu.login_token(ALICE).await;
    for depth in [33, 126] {
        let result = emu
            .update(
                Some(&alice),
                &alice_id,
                &json!({"preferences": nested(depth)}),
            )
            .await;
        let message = assert_fault(&result, 3024);
        assert!(
            message.contains("'preferences'") && message.contains("at most 32"),
            "{message}"
        );
    }
    let result = emu
        .update(Some(&alice), &alice_id, &json!({"deep": nested(40)}))
        .await;
    assert!(assert_fault(&result, 3024).contains("'deep'"));
    let result = emu
        .post(
            None,
            "users/register",
            &json!({"email": "deep@example.com", "password": "pw-deep-1", "tree": nested(33)}),
        )
        .await;
    assert!(assert_fault(&result, 3021).contains("'tree'"));
    // 32 levels are fine, and the page holding them parses.
    let result = emu
        .update(Some(&alice), &alice_id, &json!({"preferences": nested(32)}))
        .await;
    assert_eq!(result.0, 200, "{}", result.1);
    let (status, page) = emu.get(Some(&alice), "data/Users").await;
    assert_eq!(status, 200, "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_may_add_at_most_20_properties() {
    let emu = spawn_emulator().await;
    let many = |n: usize, prefix: &str| -> serde_json::Map<String, Value> {
        (0..n).map(|i| (format!("{prefix}{i}"), json!(i))).collect()
    };
    let mut body = many(21, "reg");
    body.insert("email".into(), json!("wide@example.com"));
    body.insert("password".into(), json!("pw-wide-1"));
    let result = emu.post(None, "users/register", &Value::Object(body)).await;
    let message = assert_fault(&result, 3021);
    assert!(message.contains("at most 20 new properties"), "{message}");

    let (alice, alice_id) = emu.login_token(ALICE).await;
    let result = emu
        .update(Some(&alice), &alice_id, &Value::Object(many(21, "upd")))
        .await;
    assert!(assert_fault(&result, 3024).contains("at most 20 new properties"));
    let (_, props) = emu.get(Some(&alice), "users/userclassprops").await;
    assert!(
        !props.to_string().contains("\"upd0\""),
        "a refused request added columns: {props}"
    );
    let result = emu
        .update(Some(&alice), &alice_id, &Value::Object(many(20, "upd")))
        .await;
    assert_eq!(result.0, 200, "{}", result.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_id_names_are_refused_as_properties() {
    let emu = spawn_emulator().await;
    let (alice, alice_id) = emu.login_token(ALICE).await;
    for name in ["rowid", "ROWID", "oid", "OiD", "_rowid_", "_RowId_"] {
        let result = emu.update(Some(&alice), &alice_id, &json!({name: 1})).await;
        let message = assert_fault(&result, 3024);
        assert!(
            message.contains(&format!("'{name}'")) && message.contains("reserves"),
            "{message}"
        );
        let result = emu
            .post(
                None,
                "users/register",
                &json!({"email": "rowid@example.com", "password": "pw-rowid-1", name: 5}),
            )
            .await;
        assert!(assert_fault(&result, 3021).contains(&format!("'{name}'")));
        assert!(emu.emulator.admin().add_column(name, "INT", false).is_err());
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Item 10: errors raised below the routes have the Backendless body too.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_errors_have_the_backendless_shape() {
    let emu = spawn_emulator().await;
    let addr = emu.emulator.local_addr();
    let long_uri = format!(
        "GET /api/{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70_000)
    );
    let huge_header = format!(
        "GET /api/info HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "b".repeat(500_000)
    );
    let cases: [(&str, &[u8], u16); 5] = [
        (
            "bad Content-Length",
            b"POST /api/users/login HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
            400,
        ),
        (
            "two Content-Lengths",
            b"POST /api/users/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
            400,
        ),
        ("malformed method", b"G(T /api/info HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("over-long URI", long_uri.as_bytes(), 414),
        ("headers too large", huge_header.as_bytes(), 431),
    ];
    for (what, request, expected) in cases {
        let (status, body) = parse_answer(&raw_exchange(addr, request).await);
        assert_eq!(status, expected, "{what}: {body}");
        assert_backendless_shape(&body);
        assert_eq!(body["code"], 8002, "{what}: {body}");
    }
    // Methods the routes do not serve answer JSON as well.
    let (status, body) = parse_answer(
        &raw_exchange(
            addr,
            b"BREW /api/users/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await,
    );
    assert_eq!(status, 404, "{body}");
    assert_backendless_shape(&body);
    // And the server is still fine.
    let (status, _) = emu.get(None, "info").await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_a_request_in_flight() {
    let TestEmulator { emulator, .. } = spawn_emulator().await;
    let body = br#"{"login": "alice@example.com", "password": "alice-pass-1"}"#;
    let (first, second) = body.split_at(20);
    let mut stream = TcpStream::connect(emulator.local_addr())
        .await
        .expect("connects");
    let head = format!(
        "POST /api/users/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(first).await.expect("first part");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let shutdown = tokio::spawn(emulator.shutdown());
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.write_all(second).await.expect("second part");
    let received = read_until_closed(&mut stream)
        .await
        .expect("the connection closes after the answer");
    let (status, user) = parse_answer(&received);
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["email"], ALICE.0);
    tokio::time::timeout(GENEROUS, shutdown)
        .await
        .expect("shutdown ends once the request is done")
        .expect("shutdown task");
}
