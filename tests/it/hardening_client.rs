//! The desktop client against hostile or broken servers and stale answers (issue 9 items 7, 12, 13, 14;
//! issue 14): no redirect is followed, no answer is read past its cap, one unreadable row stays that row's
//! error, no password state is persisted, and a stale session end never forgets a newer remembered token.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use egui_kittest::kittest::Queryable as _;
use profile_editor::app::messages::{RequestId, WorkerCommand, WorkerEvent};
use profile_editor::app::settings::RememberedSession;
use profile_editor::app::users::{self, Ticket, UsersAnswer, UsersOutcome, UsersRequest};
use profile_editor::backendless::client::{
    Client, FindQuery, MAX_RESPONSE_BYTES, Password, UserToken,
};
use profile_editor::backendless::endpoint::Endpoint;
use profile_editor::backendless::error::ApiError;
use profile_editor::model::schema::Schema;
use profile_editor::ui::users::UsersView;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::ALICE;
use crate::ui_support::{
    ANSWER_TIMEOUT, Rig, app, custom_args, demo_connection, spawn_worker, type_into,
};

/// What a fake server saw: connections accepted and the raw request heads.
#[derive(Default)]
struct Seen {
    connections: AtomicUsize,
    heads: std::sync::Mutex<Vec<String>>,
}

/// Reads one request head (up to the blank line) from `socket`.
async fn read_head(socket: &mut TcpStream) -> Option<String> {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut read = 0;
    while !buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buffer[read..]).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => read += n,
        }
    }
    Some(String::from_utf8_lossy(&buffer[..read]).into_owned())
}

/// A server that records what it receives and answers every request by calling `answer` with the socket
/// and the request head.
async fn fake_server<F, Fut>(answer: F) -> (String, Arc<Seen>)
where
    F: Fn(TcpStream, String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Seen::default());
    let answer = Arc::new(answer);
    let recorder = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            recorder.connections.fetch_add(1, Ordering::SeqCst);
            let recorder = Arc::clone(&recorder);
            let answer = Arc::clone(&answer);
            tokio::spawn(async move {
                if let Some(head) = read_head(&mut socket).await {
                    recorder.heads.lock().unwrap().push(head.clone());
                    answer(socket, head).await;
                }
            });
        }
    });
    (origin, seen)
}

/// A server that answers every request with the fixed `response`.
async fn fixed_server(response: String) -> (String, Arc<Seen>) {
    fake_server(move |mut socket, _| {
        let response = response.clone();
        async move {
            socket.write_all(response.as_bytes()).await.ok();
            socket.shutdown().await.ok();
        }
    })
    .await
}

/// A client for `origin` in key-in-path form, with a recognisable API key.
fn client(origin: &str, request_timeout: Duration) -> Client {
    let endpoint = Endpoint::parse(origin, Some("APP-ID"), Some("SECRET-API-KEY")).unwrap();
    Client::with_timeouts(endpoint, Duration::from_secs(2), request_timeout)
}

fn json_response(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

// ------------------------------------------------------------------------------------------------
// Item 12: redirects.

// Issue 9 item 12: a 307 to another host must not carry the password, the user-token or the API key there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_an_error_and_nothing_reaches_its_target() {
    let (target, target_seen) = fixed_server(json_response("{}")).await;
    let redirect = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}/steal?key=x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let (origin, origin_seen) = fixed_server(redirect).await;
    let client = client(&origin, Duration::from_secs(5));

    let error = client
        .login("alice@example.com", &Password::new("hunter2-secret".into()))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ApiError::Redirected {
            status: 307,
            location: target.clone()
        }
    );
    let text = error.to_string();
    assert!(
        text.contains("redirect") && text.contains(&target) && text.contains("307"),
        "{text}"
    );
    let token = UserToken::new("SECRET-USER-TOKEN".into());
    let error = client
        .get_user(Some(&token), &"OID".parse().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, ApiError::Redirected { status: 307, .. }));
    for text in [format!("{error}"), format!("{error:?}")] {
        assert!(
            !text.contains("SECRET") && !text.contains("hunter2"),
            "{text}"
        );
    }

    assert_eq!(
        target_seen.connections.load(Ordering::SeqCst),
        0,
        "the redirect target received a request"
    );
    let heads = origin_seen.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 2);
    for head in heads {
        assert!(
            !head.to_ascii_lowercase().contains("\r\nreferer:"),
            "a Referer was sent: {head}"
        );
    }
}

// ------------------------------------------------------------------------------------------------
// Item 13: response size.

// Issue 9 item 13: a server announcing a gigantic body is refused before any of it is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announced_body_over_the_cap_is_refused_unread() {
    let (origin, _) = fake_server(|mut socket, _| async move {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"user-token\":\"",
            1u64 << 30
        );
        socket.write_all(head.as_bytes()).await.ok();
        // Then nothing more: a client that waits for the body runs into its timeout.
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let error = client(&origin, Duration::from_secs(10))
        .login("alice@example.com", &Password::new("pw".into()))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ApiError::TooLarge {
            limit_bytes: MAX_RESPONSE_BYTES
        }
    );
    assert!(error.to_string().contains("more than 32 MiB"), "{error}");
}

// Issue 9 item 13: a body without a length is read only up to the cap, then the connection is dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_body_over_the_cap_is_cut_off() {
    const STREAMED: u64 = 100 * 1024 * 1024;
    let written = Arc::new(AtomicU64::new(0));
    let cut_off = Arc::new(AtomicUsize::new(0));
    let (written_by_server, cut_off_seen) = (Arc::clone(&written), Arc::clone(&cut_off));
    let (origin, _) = fake_server(move |mut socket, _| {
        let (written, cut_off) = (Arc::clone(&written_by_server), Arc::clone(&cut_off_seen));
        async move {
            // HTTP/1.0-style: no Content-Length, the body ends when the connection closes.
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[";
            socket.write_all(head.as_bytes()).await.ok();
            let chunk = "0,".repeat(512 * 1024);
            while written.load(Ordering::SeqCst) < STREAMED {
                if socket.write_all(chunk.as_bytes()).await.is_err() {
                    cut_off.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                written.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            }
            socket.write_all(b"0]").await.ok();
        }
    })
    .await;
    let error = client(&origin, Duration::from_secs(60))
        .login("alice@example.com", &Password::new("pw".into()))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ApiError::TooLarge {
            limit_bytes: MAX_RESPONSE_BYTES
        }
    );
    // The client hung up: the server could not send its 100 MiB.
    for _ in 0..200 {
        if cut_off.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        cut_off.load(Ordering::SeqCst),
        1,
        "the server was not cut off"
    );
    assert!(written.load(Ordering::SeqCst) < STREAMED);
}

// ------------------------------------------------------------------------------------------------
// Item 7 (client side): one unreadable row.

/// `{"objectId": id, "deep": [[[…]]]}` with `depth` nested arrays.
fn deep_row(object_id: &str, depth: usize) -> String {
    format!(
        r#"{{"objectId":"{object_id}","name":"{object_id}","deep":{}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

// Issue 9 item 7: a value nested 126 deep used to make the whole find page unreadable; now it loads, and a
// row the parser truly cannot read is that row's error, shown in its row, while the others load.
#[test]
fn an_unreadable_row_is_that_rows_error_and_the_rest_of_the_page_loads() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let page = format!(
        r#"[{{"objectId":"A","name":"Ann"}},{},{},{{"objectId":"D","name":"Dee"}}]"#,
        deep_row("B", 126),
        deep_row("C", 300)
    );
    let (origin, _) = runtime.block_on(fixed_server(json_response(&page)));
    let client = client(&origin, Duration::from_secs(10));
    let token = UserToken::new("T".into());
    let request = UsersRequest::Page {
        ticket: Ticket::new(1),
        page: 0,
        query: FindQuery::default(),
    };
    let data_dir = tempfile::tempdir().unwrap();
    let context = users::UsersContext {
        user_token: &token,
        cloudcode_key: None,
        data_dir: data_dir.path(),
    };
    let answer = runtime.block_on(users::run(request, Some(&client), context));
    let UsersAnswer::Page {
        result: Ok(rows), ..
    } = answer
    else {
        panic!("the page failed as a whole: {answer:?}");
    };
    assert_eq!(rows.len(), 4);
    let ids: Vec<Option<&str>> = rows
        .iter()
        .map(|row| row.as_ref().ok().map(|r| r.object_id().as_str()))
        .collect();
    assert_eq!(ids, [Some("A"), Some("B"), None, Some("D")]);
    let unreadable = rows[2].clone().unwrap_err();
    assert_eq!(unreadable.object_id.as_deref(), Some("C"));
    // The strict call still refuses the page, naming the row.
    let error = runtime
        .block_on(client.find_users(Some(&token), &FindQuery::default()))
        .unwrap_err();
    assert!(
        matches!(&error, ApiError::Decode { detail } if detail.contains("row 3")),
        "{error:?}"
    );

    // The view shows the row's own error in that row, and no banner. Its page request goes through the
    // worker's `users::run` to the same server, and every answer back through `UsersView::answer`; the
    // count (which that server cannot give) is answered here.
    let view = UsersView::new(Schema::default(), &["objectId".into()]);
    let mut harness = egui_kittest::Harness::builder()
        .with_size([900.0, 600.0])
        .build_ui_state(
            |ui, view: &mut UsersView| {
                let answer = match view.ui(ui) {
                    Some(UsersOutcome::Send(UsersRequest::Count { ticket, .. })) => {
                        UsersAnswer::Count {
                            ticket,
                            result: Ok(4),
                        }
                    }
                    Some(UsersOutcome::Send(request)) => {
                        runtime.block_on(users::run(request, Some(&client), context))
                    }
                    _ => return,
                };
                view.answer(answer);
            },
            view,
        );
    harness.run_steps(6);
    for object_id in ["A", "B", "D"] {
        harness.get_by_label(object_id);
    }
    let row_error = format!("{unreadable}");
    assert!(row_error.contains("\"C\""), "{row_error}");
    assert!(
        harness
            .query_all_by_label_contains(&row_error)
            .next()
            .is_some(),
        "the row's error {row_error:?} is not in its row"
    );
    assert_eq!(harness.state().error(), None);
}

/// Exports `page` (the only page; `data/Users/count` answers `rows`) as CSV to `dir/users.csv`.
async fn export_csv(
    page: String,
    rows: usize,
    dir: &std::path::Path,
) -> Result<profile_editor::users_admin::ExportSummary, profile_editor::users_admin::ExportError> {
    let (origin, _) = fake_server(move |mut socket, head| {
        let body = if head.contains("/data/Users/count") {
            rows.to_string()
        } else {
            page.clone()
        };
        async move {
            socket.write_all(json_response(&body).as_bytes()).await.ok();
            socket.shutdown().await.ok();
        }
    })
    .await;
    profile_editor::users_admin::export(
        &client(&origin, Duration::from_secs(10)),
        &UserToken::new("T".into()),
        &profile_editor::users_admin::UsersQuery::new("email"),
        &["objectId".to_owned(), "name".to_owned()],
        profile_editor::users_admin::ExportFormat::Csv,
        &dir.join("users.csv"),
        &profile_editor::users_admin::ExportControl::default(),
    )
    .await
}

// Issue 9 items 7, 14 and 15 for the export: an unreadable record stops the export with its name (no half
// file), and a written export is owner-only with formula-like cells neutralised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_name_an_unreadable_record_and_are_owner_only_and_formula_safe() {
    let dir = tempfile::tempdir().unwrap();
    let bad_page = format!(
        r#"[{{"objectId":"A","name":"Ann"}},{},{{"objectId":"D","name":"Dee"}}]"#,
        deep_row("C", 300)
    );
    let error = export_csv(bad_page, 3, dir.path()).await.unwrap_err();
    assert!(
        matches!(
            &error,
            profile_editor::users_admin::ExportError::Unreadable { number: 2, row }
                if row.object_id.as_deref() == Some("C")
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("no file was written"), "{error}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "a file was left"
    );

    let page = r#"[{"objectId":"A","name":"=HYPERLINK(\"http://x.example\",\"hi\")"},{"objectId":"B","name":"@SUM(1)"}]"#;
    let summary = export_csv(page.to_owned(), 2, dir.path()).await.unwrap();
    let text = std::fs::read_to_string(&summary.path).unwrap();
    assert_eq!(
        text,
        "objectId,name\r\nA,\"'=HYPERLINK(\"\"http://x.example\"\",\"\"hi\"\")\"\r\nB,'@SUM(1)\r\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&summary.path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

// ------------------------------------------------------------------------------------------------
// Item 14: nothing of the password field is persisted.

/// An in-memory `eframe::Storage`, as eframe's file storage behaves.
#[derive(Default)]
struct MemoryStorage(std::collections::BTreeMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

// Issue 9 item 14: app.ron held the text-cursor state of the password field (giving away its length).
#[test]
fn no_egui_memory_and_so_no_password_field_state_is_persisted() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&rig.emulator));
    crate::ui_support::step_until(&mut harness, "the login form", |h| {
        h.query_by_label("Password").is_some()
    });
    type_into(&mut harness, "Password", "twelve-chars");
    // What an older version left in app.ron: egui's memory, with every text field's cursor.
    let mut storage = MemoryStorage::default();
    storage
        .0
        .insert("egui".into(), "(data: {…ccursor_range…})".into());
    storage.0.insert("window".into(), "(inner_size: …)".into());
    // What eframe does at each save.
    let app = harness.state_mut();
    assert!(
        !eframe::App::persist_egui_memory(app),
        "egui memory would be written to app.ron"
    );
    eframe::App::save(app, &mut storage);
    assert_eq!(
        storage.0.keys().collect::<Vec<_>>(),
        ["window"],
        "only the window's size and place are kept"
    );
}

// ------------------------------------------------------------------------------------------------
// Issue 14: the remembered-session race.

/// Waits for the worker's next event.
fn next_event(events: &std::sync::mpsc::Receiver<WorkerEvent>) -> WorkerEvent {
    events
        .recv_timeout(ANSWER_TIMEOUT)
        .expect("the worker answers")
}

// Issue 14: a request sent with an old token that fails after the user logged in again (and was
// remembered) used to delete the newly remembered session.
#[test]
fn a_stale_session_end_does_not_forget_the_session_remembered_since() {
    // Two live sessions of Alice at once (a real app's default would end the first at the second login).
    let rig = Rig::with(profile_editor::emulator::EmulatorConfig {
        demo: true,
        logins: profile_editor::cli::Logins::Max(2),
        ..profile_editor::emulator::EmulatorConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let settings_dir = dir.path().join("config");
    let (worker, events) = spawn_worker(dir.path());
    let connection = demo_connection(rig.emulator.emulator.origin());
    let login = |id: u64| {
        worker.send(WorkerCommand::Login {
            id: RequestId(id),
            connection: connection.clone(),
            identity: ALICE.0.to_owned(),
            password: Password::new(ALICE.1.to_owned()),
            remember: true,
        });
        match next_event(&events) {
            WorkerEvent::LoggedIn { session, .. } => session,
            other => panic!("login failed: {other:?}"),
        }
    };
    let remembered_token =
        || RememberedSession::load(&settings_dir).map(|remembered| remembered.user_token);

    let old = login(1);
    assert_eq!(remembered_token().as_deref(), Some(old.user_token.expose()));
    let new = login(2);
    assert_ne!(old.user_token, new.user_token);
    assert_eq!(remembered_token().as_deref(), Some(new.user_token.expose()));

    // The old session ends on the server; a slow request made with it answers only now.
    rig.runtime
        .block_on(rig.client().logout(&old.user_token))
        .unwrap();
    worker.send(WorkerCommand::Reload {
        id: RequestId(3),
        session: old.clone(),
    });
    match next_event(&events) {
        WorkerEvent::ReloadFailed { error, .. } => assert!(error.is_session_ending(), "{error:?}"),
        other => panic!("{other:?}"),
    }
    worker.send(WorkerCommand::Users {
        id: RequestId(4),
        session: old,
        cloudcode_key: None,
        request: UsersRequest::Count {
            ticket: Ticket::new(1),
            where_clause: None,
        },
    });
    match next_event(&events) {
        WorkerEvent::Users { answer, .. } => {
            assert!(answer.api_error().is_some_and(ApiError::is_session_ending));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        remembered_token().as_deref(),
        Some(new.user_token.expose()),
        "a stale answer erased the session remembered since"
    );

    // The remembered session's own end still forgets it.
    rig.runtime
        .block_on(rig.client().logout(&new.user_token))
        .unwrap();
    worker.send(WorkerCommand::Reload {
        id: RequestId(5),
        session: new,
    });
    assert!(matches!(
        next_event(&events),
        WorkerEvent::ReloadFailed { .. }
    ));
    assert_eq!(remembered_token(), None);
}
