//! `profile-editor serve` as a process: the stdout line, SIGTERM, kill -9 durability, and failures with a
//! one-line reason.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::json;

use crate::helpers::{ALICE, send};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_profile-editor");

/// A `serve` process and the origin it printed.
struct Served {
    child: Child,
    origin: String,
    /// The rest of stdout, line by line, after the listening line.
    more_stdout: mpsc::Receiver<String>,
    /// stderr (the log), line by line.
    stderr: mpsc::Receiver<String>,
}

/// Forwards each line `from` gives to the returned channel, on a thread of its own.
fn lines_of(from: impl std::io::Read + Send + 'static, name: &str) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            for line in BufReader::new(from).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        })
        .expect("reader thread");
    rx
}

/// Starts `profile-editor serve ARGS` and waits for its `listening on http://HOST:PORT` line.
fn serve(args: &[&str]) -> Served {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("profile-editor starts");
    let rx = lines_of(child.stdout.take().expect("piped stdout"), "serve-stdout");
    let stderr = lines_of(child.stderr.take().expect("piped stderr"), "serve-stderr");
    let first = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("serve prints its listening line");
    let origin = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    assert!(origin.starts_with("http://127.0.0.1:"), "{origin}");
    Served {
        child,
        origin,
        more_stdout: rx,
        stderr,
    }
}

/// Runs `profile-editor serve ARGS` expecting it to fail with nothing on stdout; returns stderr. Shared by the
/// CLI tests of other modules (a damaged store, bad schema files).
pub(crate) fn serve_fails(args: &[&str]) -> String {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("profile-editor starts");
    let status =
        wait_with_timeout(&mut child, Duration::from_secs(60)).expect("serve exits by itself");
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        !status.success(),
        "serve {args:?} should fail; stderr {stderr:?}"
    );
    assert!(
        stdout.is_empty(),
        "nothing on stdout when failing: {stdout:?}"
    );
    stderr
}

/// Waits for `child` to exit (told by a thread blocked in `wait`, no polling); after `timeout` kills it
/// and returns `None`.
fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let pid = child.id().to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(move || tx.send(child.wait().expect("wait")).ok());
        let status = rx.recv_timeout(timeout).ok();
        if status.is_none() {
            // The waiting thread holds the child: end it by its id, which also ends the wait.
            Command::new("kill")
                .args(["-KILL", &pid])
                .status()
                .expect("kill runs");
        }
        status
    })
}

/// Waits for a log line containing `text` on `stderr` (panics after a minute).
fn wait_for_log(stderr: &mpsc::Receiver<String>, text: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = stderr
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no log line with {text:?}: {e}"));
        if line.contains(text) {
            return;
        }
    }
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success());
}

fn base(origin: &str) -> String {
    format!(
        "{origin}/{}/{}",
        profile_editor::cli::DEMO_APP_ID,
        profile_editor::cli::DEMO_API_KEY
    )
}

#[test]
fn serve_prints_one_listening_line_and_exits_0_on_sigterm() {
    let mut served = serve(&["--memory", "--demo"]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (status, info) = runtime.block_on(send(
        reqwest::Client::new().get(format!("{}/info", base(&served.origin))),
    ));
    assert_eq!(status, 200, "{info}");
    sigterm(&served.child);
    let status = wait_with_timeout(&mut served.child, Duration::from_secs(30))
        .expect("serve stops on SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    assert!(
        served
            .more_stdout
            .recv_timeout(Duration::from_secs(5))
            .is_err(),
        "exactly one line on stdout"
    );
}

#[test]
fn an_answered_update_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();

    let mut first = serve(&["--data", data, "--demo"]);
    let base_url = base(&first.origin);
    let (status, login) = runtime.block_on(send(
        http.post(format!("{base_url}/users/login"))
            .json(&json!({"login": ALICE.0, "password": ALICE.1})),
    ));
    assert_eq!(status, 200, "{login}");
    let token = login["user-token"].as_str().unwrap().to_owned();
    let object_id = login["objectId"].as_str().unwrap().to_owned();
    let (status, _) = runtime.block_on(send(
        http.put(format!("{base_url}/users/{object_id}"))
            .header("user-token", &token)
            .json(&json!({"phoneNumber": "5551212"})),
    ));
    assert_eq!(status, 200);
    // SIGKILL: no shutdown code runs.
    first.child.kill().unwrap();
    first.child.wait().unwrap();

    let mut second = serve(&["--data", data, "--demo"]);
    let base_url = base(&second.origin);
    let (status, user) = runtime.block_on(send(
        http.get(format!("{base_url}/data/Users/{object_id}"))
            .header("user-token", &token),
    ));
    assert_eq!(status, 200, "the token survived the restart too: {user}");
    assert_eq!(user["phoneNumber"], "5551212");
    second.child.kill().ok();
    second.child.wait().ok();
}

#[test]
fn a_busy_port_fails_with_a_one_line_reason() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let stderr = serve_fails(&["--memory", "--listen", &addr]);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr:?}");
    assert!(stderr.contains(&addr), "{stderr:?}");
}

#[test]
fn an_unusable_data_dir_fails_with_a_one_line_reason() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let not_a_dir = file.path().join("sub");
    let stderr = serve_fails(&["--data", not_a_dir.to_str().unwrap()]);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr:?}");
    assert!(stderr.contains("data dir"), "{stderr:?}");
}

#[test]
fn bad_flags_fail_with_a_reason() {
    for args in [
        &["--listen", "nonsense"][..],
        &["--dynamic-schema", "maybe"],
        &["--memory", "--data", "/tmp/x"],
        &["--no-such-flag"],
        &["--demo-users", "-3", "--demo"],
    ] {
        let stderr = serve_fails(args);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr:?}");
        assert!(
            stderr.starts_with("profile-editor: "),
            "{args:?}: {stderr:?}"
        );
    }
}

#[test]
fn sigterm_lets_an_in_flight_request_finish() {
    use std::io::Write as _;
    let mut served = serve(&["--memory", "--demo"]);
    let addr = served.origin.trim_start_matches("http://").to_owned();
    let body = json!({"login": ALICE.0, "password": ALICE.1}).to_string();
    let (head, tail) = body.split_at(body.len() / 2);
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // `Expect: 100-continue`: the server answers `100 Continue` when the handler starts reading the body,
    // which says the request is in flight.
    write!(
        stream,
        "POST /api/users/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    let mut interim = Vec::new();
    let mut byte = [0_u8; 1];
    while !interim.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        interim.push(byte[0]);
    }
    let interim = String::from_utf8_lossy(&interim);
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");
    stream.write_all(head.as_bytes()).unwrap();
    stream.flush().unwrap();
    sigterm(&served.child);
    // The server says it is stopping, then stops listening; the request is still half sent.
    wait_for_log(&served.stderr, "stopping: finishing in-flight requests");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(&addr).is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "still accepting connections"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    stream.write_all(tail.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("user-token"), "{response}");
    let status =
        wait_with_timeout(&mut served.child, Duration::from_secs(30)).expect("serve stops");
    assert!(status.success(), "{status:?}");
}
