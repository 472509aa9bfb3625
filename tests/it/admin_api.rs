//! issue 12, the emulator side: user status, roles (a user's roles, assign / unassign, users by role), delete,
//! restore password with the outbox and its reset page, register, and verify password, each with its refusals
//! (and a refused operation changes nothing). Every request goes over real HTTP to an emulator on port 0.

use profile_editor::cli::{DEMO_APP_ID, DEMO_CLOUDCODE_KEY};
use profile_editor::emulator::EmulatorConfig;
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN, ALICE, BOB, TestEmulator, assert_fault, send, spawn_emulator, spawn_emulator_with,
};

/// `http://HOST:PORT/{app-id}/{cloudcode-key}/path`: the URL server code uses.
fn cc_url(emu: &TestEmulator, path: &str) -> String {
    format!(
        "{}/{DEMO_APP_ID}/{DEMO_CLOUDCODE_KEY}/{}",
        emu.emulator.origin(),
        path.trim_start_matches('/')
    )
}

/// A request with the CloudCode key: `method path`, optional token and JSON body.
async fn cc(
    emu: &TestEmulator,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = emu.http.request(method, cc_url(emu, path));
    if let Some(token) = token {
        request = request.header("user-token", token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    send(request).await
}

/// A request with the client (REST) key.
async fn client(
    emu: &TestEmulator,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = emu.http.request(method, emu.url(path));
    if let Some(token) = token {
        request = request.header("user-token", token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    send(request).await
}

async fn try_login(emu: &TestEmulator, (identity, password): (&str, &str)) -> (u16, Value) {
    emu.post(
        None,
        "users/login",
        &json!({"login": identity, "password": password}),
    )
    .await
}

async fn is_valid(emu: &TestEmulator, token: &str) -> bool {
    let (status, body) = emu
        .get(None, &format!("users/isvalidusertoken/{token}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body.as_bool().expect("a bare boolean")
}

/// The custom roles of `object_id`, read with the CloudCode key.
async fn roles_of(emu: &TestEmulator, object_id: &str) -> Value {
    let (status, body) = cc(
        emu,
        reqwest::Method::GET,
        &format!("users/userroles/{object_id}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn change_role(emu: &TestEmulator, operation: &str, user: &str, role: &str) -> (u16, Value) {
    cc(
        emu,
        reqwest::Method::POST,
        &format!("users/{operation}"),
        None,
        Some(json!({"user": user, "roleName": role})),
    )
    .await
}

fn object_id_of(emu: &TestEmulator, identity: &str) -> String {
    emu.emulator
        .admin()
        .object_id_of(identity)
        .expect("the user exists")
}

// ---- 1. status ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_changes_need_the_cloudcode_key_end_sessions_and_show_as_a_column() {
    let emu = spawn_emulator().await;
    let (admin_token, _) = emu.login_token(ADMIN).await;
    let (bob_token, bob_id) = emu.login_token(BOB).await;
    let path = format!("users/{bob_id}/status");
    let disable = json!({"userStatus": "DISABLED"});

    // A client key, even an admin's session: 3054, and nothing changes.
    let refused = client(
        &emu,
        reqwest::Method::PUT,
        &path,
        Some(&admin_token),
        Some(disable.clone()),
    )
    .await;
    assert_eq!(
        assert_fault(&refused, 3054),
        "Operation allowed only for BL logic."
    );
    assert!(is_valid(&emu, &bob_token).await);

    // Bad bodies are refused clearly, before anything changes.
    for (body, code) in [
        (json!({"userStatus": "LOCKED"}), 3024),
        (json!({"userStatus": null}), 3024),
        (json!({}), 3024),
        (json!(["DISABLED"]), 8002),
    ] {
        let answer = cc(&emu, reqwest::Method::PUT, &path, None, Some(body)).await;
        let message = assert_fault(&answer, code);
        if code == 3024 {
            assert!(message.contains("ENABLED"), "{message}");
        }
    }
    let not_json = send(
        emu.http
            .put(cc_url(&emu, &path))
            .header("content-type", "application/json")
            .body("{userStatus: DISABLED"),
    )
    .await;
    assert_fault(&not_json, 8002);
    assert!(is_valid(&emu, &bob_token).await, "nothing changed");

    let unknown = cc(
        &emu,
        reqwest::Method::PUT,
        "users/NO-SUCH-ID/status",
        None,
        Some(disable.clone()),
    )
    .await;
    assert_fault(&unknown, 3030);

    // With the CloudCode key: the record comes back disabled, its sessions end, its login is 3090.
    let (status, record) = cc(&emu, reqwest::Method::PUT, &path, None, Some(disable)).await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["objectId"], bob_id.as_str());
    assert_eq!(record["userStatus"], "DISABLED");
    assert!(!is_valid(&emu, &bob_token).await, "disabling ends sessions");
    assert_fault(&emu.get(Some(&bob_token), "data/Users/count").await, 3064);
    assert_fault(&try_login(&emu, BOB).await, 3090);

    // The admin sees the status as a column, in find and in get.
    let (_, rows) = emu
        .get(
            Some(&admin_token),
            "data/Users?props=email,userStatus&sortBy=email&pageSize=100",
        )
        .await;
    let statuses: Vec<(&str, &str)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap(),
                r["userStatus"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (ADMIN.0, "ENABLED"),
            (ALICE.0, "ENABLED"),
            (BOB.0, "DISABLED")
        ]
    );
    let (_, got) = emu
        .get(Some(&admin_token), &format!("data/Users/{bob_id}"))
        .await;
    assert_eq!(got["userStatus"], "DISABLED");
    let (_, disabled) = emu
        .get(
            Some(&admin_token),
            "data/Users/count?where=userStatus%20%3D%20'DISABLED'",
        )
        .await;
    assert_eq!(disabled, json!(1));

    // Enabling restores the login.
    let enable = cc(
        &emu,
        reqwest::Method::PUT,
        &path,
        None,
        Some(json!({"userStatus": "ENABLED"})),
    )
    .await;
    assert_eq!(enable.1["userStatus"], "ENABLED", "{}", enable.1);
    emu.login_token(BOB).await;
}

// ---- 2. roles ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_roles_are_read_by_itself_an_admin_or_server_code() {
    let emu = spawn_emulator().await;
    let (admin_token, admin_id) = emu.login_token(ADMIN).await;
    let (bob_token, bob_id) = emu.login_token(BOB).await;
    let (alice_token, _) = emu.login_token(ALICE).await;
    let path = format!("users/userroles/{bob_id}");

    for token in [&bob_token, &admin_token] {
        assert_eq!(emu.get(Some(token), &path).await, (200, json!([])));
    }
    assert_eq!(roles_of(&emu, &admin_id).await, json!(["Admin"]));
    // Someone else: 1013, also for ids that do not exist (nobody can probe which ids exist).
    assert_fault(&emu.get(Some(&alice_token), &path).await, 1013);
    assert_fault(
        &emu.get(Some(&alice_token), "users/userroles/NO-SUCH-ID")
            .await,
        1013,
    );
    assert_fault(&emu.get(None, &path).await, 3028);
    assert_fault(&emu.get(Some("not-a-token"), &path).await, 3064);
    // An admin or server code asking about an id that does not exist: 3030.
    assert_fault(
        &emu.get(Some(&admin_token), "users/userroles/NO-SUCH-ID")
            .await,
        3030,
    );
    let unknown = cc(
        &emu,
        reqwest::Method::GET,
        "users/userroles/NO-SUCH-ID",
        None,
        None,
    )
    .await;
    assert_fault(&unknown, 3030);
    // The session's own roles stay where they were.
    let (_, own) = emu.get(Some(&admin_token), "users/userroles").await;
    assert_eq!(own, json!(["AuthenticatedUser", "RestUser", "Admin"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_assigned_and_unassigned_with_the_cloudcode_key_only() {
    let emu = spawn_emulator().await;
    let (admin_token, _) = emu.login_token(ADMIN).await;
    let (bob_token, bob_id) = emu.login_token(BOB).await;
    let alice_id = object_id_of(&emu, ALICE.0);

    // A client key, even with an admin's session: 2011, and nothing changes.
    for operation in ["assignRole", "unassignRole"] {
        let refused = client(
            &emu,
            reqwest::Method::POST,
            &format!("users/{operation}"),
            Some(&admin_token),
            Some(json!({"user": BOB.0, "roleName": "Editor"})),
        )
        .await;
        assert_fault(&refused, 2011);
    }
    assert_eq!(roles_of(&emu, &bob_id).await, json!([]));

    // The refusals of server code, each changing nothing.
    for (operation, user, role, code) in [
        ("assignRole", BOB.0, "NoSuchRole", 2005),
        ("unassignRole", BOB.0, "NoSuchRole", 2005),
        ("assignRole", BOB.0, "AuthenticatedUser", 2007),
        ("assignRole", BOB.0, "ServerCodeUser", 2007),
        ("unassignRole", BOB.0, "RestUser", 2008),
        ("assignRole", "nobody@example.com", "Editor", 3020),
        ("unassignRole", "nobody@example.com", "Editor", 3020),
    ] {
        let answer = change_role(&emu, operation, user, role).await;
        assert_fault(&answer, code);
    }
    for body in [
        json!({"roleName": "Editor"}),
        json!({"user": BOB.0}),
        json!({"user": BOB.0, "roleName": ""}),
        json!({"user": [BOB.0], "roleName": "Editor"}),
    ] {
        let answer = cc(
            &emu,
            reqwest::Method::POST,
            "users/assignRole",
            None,
            Some(body),
        )
        .await;
        assert_fault(&answer, 8002);
    }
    assert_eq!(roles_of(&emu, &bob_id).await, json!([]));

    // Assigning answers an empty body, is idempotent, and matches the identity ignoring case.
    assert_eq!(
        change_role(&emu, "assignRole", BOB.0, "Editor").await,
        (200, Value::Null)
    );
    assert_eq!(
        change_role(&emu, "assignRole", "BOB@example.com", "Editor").await,
        (200, Value::Null)
    );
    assert_eq!(roles_of(&emu, &bob_id).await, json!(["Editor"]));

    // A role change counts from the session's next request: Admin lets Bob read Alice at once.
    let read_alice = format!("data/Users/{alice_id}");
    assert_fault(&emu.get(Some(&bob_token), &read_alice).await, 1013);
    change_role(&emu, "assignRole", BOB.0, "Admin").await;
    assert_eq!(emu.get(Some(&bob_token), &read_alice).await.0, 200);
    let (_, own) = emu.get(Some(&bob_token), "users/userroles").await;
    assert_eq!(
        own,
        json!(["AuthenticatedUser", "RestUser", "Admin", "Editor"])
    );
    assert_eq!(
        change_role(&emu, "unassignRole", BOB.0, "Admin").await,
        (200, Value::Null)
    );
    assert_fault(&emu.get(Some(&bob_token), &read_alice).await, 1013);
    // Unassigning a role the user does not hold succeeds too.
    change_role(&emu, "unassignRole", BOB.0, "Support").await;
    assert_eq!(roles_of(&emu, &bob_id).await, json!(["Editor"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_found_by_role_with_paging_and_the_callers_rights() {
    let emu = spawn_emulator_with(EmulatorConfig {
        demo: true,
        demo_users: 3,
        ..EmulatorConfig::default()
    })
    .await;
    let (admin_token, _) = emu.login_token(ADMIN).await;
    let (alice_token, alice_id) = emu.login_token(ALICE).await;
    let (bob_token, _) = emu.login_token(BOB).await;
    let editors = [
        ALICE.0,
        "user00001@example.com",
        "user00002@example.com",
        "user00003@example.com",
    ];
    for identity in editors {
        change_role(&emu, "assignRole", identity, "Editor").await;
    }
    change_role(&emu, "assignRole", ALICE.0, "Support").await;
    let emails = |rows: &Value| -> Vec<String> {
        rows.as_array()
            .unwrap_or_else(|| panic!("an array: {rows}"))
            .iter()
            .map(|r| r["email"].as_str().unwrap().to_owned())
            .collect()
    };

    // Server code and admins see every holder, paged and sorted like find.
    let (status, all) = cc(
        &emu,
        reqwest::Method::GET,
        "users/role/Editor?sortBy=email&pageSize=100",
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(emails(&all), editors);
    assert!(all[0].get("password").is_none());
    assert_eq!(all[0]["___class"], "Users");
    let (_, first) = emu
        .get(
            Some(&admin_token),
            "users/role/Editor?sortBy=email&pageSize=2",
        )
        .await;
    assert_eq!(emails(&first), editors[..2]);
    let (_, rest) = emu
        .get(
            Some(&admin_token),
            "users/role/Editor?sortBy=email&pageSize=2&offset=2",
        )
        .await;
    assert_eq!(emails(&rest), editors[2..]);
    let (_, filtered) = emu
        .get(
            Some(&admin_token),
            "users/role/Editor?where=email%20LIKE%20'user%25'&sortBy=email%20DESC&property=email",
        )
        .await;
    assert_eq!(
        emails(&filtered),
        [
            "user00003@example.com",
            "user00002@example.com",
            "user00001@example.com"
        ]
    );
    assert!(filtered[0].get("name").is_none(), "props are honoured");
    // loadRoles=true adds each user's custom roles.
    let (_, with_roles) = emu
        .get(Some(&admin_token), "users/role/Support?loadRoles=true")
        .await;
    assert_eq!(emails(&with_roles), [ALICE.0]);
    assert_eq!(with_roles[0]["roles"], json!(["Editor", "Support"]));
    let (_, without) = emu.get(Some(&admin_token), "users/role/Support").await;
    assert!(without[0].get("roles").is_none());

    // An ordinary user sees at most itself; nobody logged in sees nothing.
    let (_, own) = emu.get(Some(&alice_token), "users/role/Editor").await;
    assert_eq!(emails(&own), [ALICE.0]);
    assert_eq!(own[0]["objectId"], alice_id.as_str());
    assert_eq!(
        emu.get(Some(&bob_token), "users/role/Editor").await.1,
        json!([])
    );
    assert_eq!(emu.get(None, "users/role/Editor").await, (200, json!([])));

    // Unknown roles: 2005; bad paging and queries: as find.
    assert_fault(
        &emu.get(Some(&admin_token), "users/role/NoSuchRole").await,
        2005,
    );
    assert_eq!(
        emu.get(Some(&admin_token), "users/role/AuthenticatedUser")
            .await,
        (200, json!([]))
    );
    assert_fault(
        &emu.get(Some(&admin_token), "users/role/Editor?offset=-1")
            .await,
        1004,
    );
    assert_fault(
        &emu.get(Some(&admin_token), "users/role/Editor?sortBy=shoeSize")
            .await,
        1006,
    );
    assert_fault(
        &emu.get(Some(&admin_token), "users/role/Editor?where=email%20%3D")
            .await,
        1017,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_roles_come_from_the_configuration_and_admin_always_exists() {
    let emu = spawn_emulator_with(EmulatorConfig {
        roles: vec!["Moderator".to_owned()],
        ..EmulatorConfig::default()
    })
    .await;
    let (status, body) = emu
        .post(
            None,
            "users/register",
            &json!({"email": "carol@example.com", "password": "carol-pass-1"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let carol_id = body["objectId"].as_str().unwrap().to_owned();
    // Without --demo the demo's extra roles do not exist.
    assert_fault(
        &change_role(&emu, "assignRole", "carol@example.com", "Editor").await,
        2005,
    );
    for role in ["Moderator", "Admin"] {
        assert_eq!(
            change_role(&emu, "assignRole", "carol@example.com", role).await,
            (200, Value::Null)
        );
    }
    assert_eq!(
        roles_of(&emu, &carol_id).await,
        json!(["Admin", "Moderator"])
    );
    let admin = emu.emulator.admin();
    admin.create_role("Auditor").unwrap();
    change_role(&emu, "assignRole", "carol@example.com", "Auditor").await;
    assert_eq!(
        roles_of(&emu, &carol_id).await,
        json!(["Admin", "Auditor", "Moderator"])
    );
    assert!(admin.create_role("AuthenticatedUser").is_err());
    assert!(admin.create_role(" ").is_err());
    assert!(admin.create_role(&"R".repeat(101)).is_err());
}

// ---- 3. delete ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_user_needs_itself_an_admin_or_server_code_and_takes_its_sessions() {
    let emu = spawn_emulator().await;
    let (admin_token, _) = emu.login_token(ADMIN).await;
    let (alice_token, alice_id) = emu.login_token(ALICE).await;
    let (bob_token, bob_id) = emu.login_token(BOB).await;
    change_role(&emu, "assignRole", BOB.0, "Editor").await;
    let bob_path = format!("data/Users/{bob_id}");

    // Refusals change nothing: another user (3029, also for unknown ids), no token, a bad token.
    let refused = delete(&emu, Some(&alice_token), &bob_path).await;
    assert_eq!(refused.0, 403);
    assert_fault(&refused, 3029);
    assert_fault(
        &delete(&emu, Some(&alice_token), "data/Users/NO-SUCH-ID").await,
        3029,
    );
    assert_fault(&delete(&emu, None, &bob_path).await, 3028);
    assert_fault(&delete(&emu, Some("not-a-token"), &bob_path).await, 3064);
    assert!(is_valid(&emu, &bob_token).await);
    assert_eq!(emu.get(Some(&admin_token), &bob_path).await.0, 200);

    // An admin deletes: the deletion time, the record, its sessions and its roles are gone.
    let before = profile_editor_now_ms();
    let (status, body) = delete(&emu, Some(&admin_token), &bob_path).await;
    assert_eq!(status, 200, "{body}");
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["deletionTime"]);
    let deletion_time = body["deletionTime"].as_i64().unwrap();
    assert!(deletion_time >= before, "{deletion_time} < {before}");
    assert!(!is_valid(&emu, &bob_token).await, "its sessions are gone");
    assert_fault(&emu.get(Some(&admin_token), &bob_path).await, 1000);
    assert_fault(&delete(&emu, Some(&admin_token), &bob_path).await, 1000);
    assert_eq!(
        emu.get(Some(&admin_token), "users/role/Editor").await,
        (200, json!([]))
    );
    assert_fault(&try_login(&emu, BOB).await, 3003);
    // The same identity can register again, and starts without the old roles.
    let (status, again) = emu
        .post(
            None,
            "users/register",
            &json!({"email": BOB.0, "password": "bob-pass-2", "name": "Bob Again"}),
        )
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        roles_of(&emu, again["objectId"].as_str().unwrap()).await,
        json!([])
    );

    // A user may delete itself; server code may delete anyone, with no token.
    let (status, _) = delete(&emu, Some(&alice_token), &format!("data/Users/{alice_id}")).await;
    assert_eq!(status, 200);
    assert!(!is_valid(&emu, &alice_token).await);
    let admin_id = object_id_of(&emu, ADMIN.0);
    let (status, body) = cc(
        &emu,
        reqwest::Method::DELETE,
        &format!("data/Users/{admin_id}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["deletionTime"].is_i64());
    let unknown = cc(
        &emu,
        reqwest::Method::DELETE,
        "data/Users/NO-SUCH-ID",
        None,
        None,
    )
    .await;
    assert_eq!(unknown.0, 404);
    assert_fault(&unknown, 1000);
}

async fn delete(emu: &TestEmulator, token: Option<&str>, path: &str) -> (u16, Value) {
    client(emu, reqwest::Method::DELETE, path, token, None).await
}

fn profile_editor_now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(now.as_millis()).unwrap()
}

// ---- 4. restore password, the outbox and the reset page ----

async fn outbox(emu: &TestEmulator) -> Vec<Value> {
    let (status, body) = send(
        emu.http
            .get(format!("{}/_emulator/outbox", emu.emulator.origin())),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body.as_array().expect("an array").clone()
}

/// The reset token of the mail's link.
fn token_of(mail: &Value) -> String {
    let link = mail["resetLink"].as_str().unwrap();
    link.split_once("?token=").unwrap().1.to_owned()
}

async fn reset(emu: &TestEmulator, token: &str, password: &str) -> (u16, Value) {
    send(
        emu.http
            .post(format!(
                "{}/_emulator/reset-password",
                emu.emulator.origin()
            ))
            .json(&json!({"token": token, "password": password})),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_password_puts_a_one_time_reset_link_in_the_outbox() {
    let emu = spawn_emulator().await;
    let (alice_token, _) = emu.login_token(ALICE).await;
    assert!(outbox(&emu).await.is_empty());

    let unknown = emu
        .get(None, "users/restorepassword/nobody@example.com")
        .await;
    assert_eq!(unknown.0, 404);
    assert_fault(&unknown, 3020);
    assert!(outbox(&emu).await.is_empty(), "no mail for nobody");

    // A known identity (letter case ignored): an empty answer, and one mail in the outbox.
    let before = profile_editor_now_ms();
    assert_eq!(
        emu.get(None, "users/restorepassword/Alice%40Example.com")
            .await,
        (200, Value::Null)
    );
    let mails = outbox(&emu).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail["to"], ALICE.0);
    assert!(mail["subject"].as_str().unwrap().contains("password"));
    assert!(mail["time"].as_i64().unwrap() >= before);
    let link = mail["resetLink"].as_str().unwrap();
    assert!(
        link.starts_with(&format!(
            "{}/_emulator/reset-password?token=",
            emu.emulator.origin()
        )),
        "{link}"
    );
    assert!(mail["body"].as_str().unwrap().contains(link));
    let token = token_of(mail);

    // The link opens a form (not cached, no referrer).
    let page = emu.http.get(link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(html.contains("<form") && html.contains(&token), "{html}");

    // An empty password is refused and leaves the link usable.
    assert_fault(&reset(&emu, &token, "").await, 3006);
    assert_eq!(
        reset(&emu, &token, "alice-pass-2").await,
        (200, json!({"changed": true}))
    );
    assert_fault(&try_login(&emu, ALICE).await, 3003);
    emu.login_token((ALICE.0, "alice-pass-2")).await;
    assert!(
        !is_valid(&emu, &alice_token).await,
        "a reset ends the sessions from before"
    );
    // The link works once; unknown links are refused alike.
    let used = reset(&emu, &token, "alice-pass-3").await;
    assert_eq!(used.0, 400);
    assert!(used.1["message"].as_str().unwrap().contains("reset link"));
    assert_eq!(reset(&emu, "NOT-A-TOKEN", "x-pass").await.0, 400);
    emu.login_token((ALICE.0, "alice-pass-2")).await;
    let page = emu
        .http
        .get(link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("<form"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reset_form_works_and_deleting_the_user_voids_its_link() {
    let emu = spawn_emulator().await;
    emu.get(None, "users/restorepassword/bob@example.com").await;
    emu.get(None, "users/restorepassword/alice@example.com")
        .await;
    let mails = outbox(&emu).await;
    let (bob_mail, alice_mail) = (&mails[0], &mails[1]);
    assert_eq!(bob_mail["to"], BOB.0);

    // The page's form posts urlencoded and gets a page back.
    let answer = emu
        .http
        .post(format!(
            "{}/_emulator/reset-password",
            emu.emulator.origin()
        ))
        .form(&[
            ("token", token_of(bob_mail).as_str()),
            ("password", "bob-pass-2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.text().await.unwrap().contains("changed"));
    emu.login_token((BOB.0, "bob-pass-2")).await;

    // Alice is deleted: her link stops working.
    let alice_id = object_id_of(&emu, ALICE.0);
    let deleted = cc(
        &emu,
        reqwest::Method::DELETE,
        &format!("data/Users/{alice_id}"),
        None,
        None,
    )
    .await;
    assert_eq!(deleted.0, 200, "{}", deleted.1);
    assert_eq!(
        reset(&emu, &token_of(alice_mail), "alice-pass-2").await.0,
        400
    );
}

// ---- 5. register ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_follows_the_setting_and_checks_required_properties_with_either_key() {
    let emu = spawn_emulator().await;
    let carol = json!({"email": "carol@example.com", "password": "carol-pass-1", "name": "Carol"});
    for (body, code) in [
        (json!({"email": "carol@example.com", "name": "Carol"}), 3011),
        (json!({"password": "carol-pass-1", "name": "Carol"}), 3011),
        (
            json!({"email": "carol@example.com", "password": "carol-pass-1"}),
            3012,
        ),
        (
            json!({"email": "not-an-email", "password": "p", "name": "C"}),
            3040,
        ),
        (
            json!({"email": ALICE.0, "password": "p", "name": "A"}),
            3033,
        ),
    ] {
        assert_fault(&emu.post(None, "users/register", &body).await, code);
        let by_server = cc(
            &emu,
            reqwest::Method::POST,
            "users/register",
            None,
            Some(body),
        )
        .await;
        assert_fault(&by_server, code);
    }
    let (status, created) = cc(
        &emu,
        reqwest::Method::POST,
        "users/register",
        None,
        Some(carol),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["userStatus"], "ENABLED");
    assert!(created.get("user-token").is_none() && created.get("password").is_none());
    emu.login_token(("carol@example.com", "carol-pass-1")).await;

    let closed = spawn_emulator_with(EmulatorConfig {
        demo: true,
        registration: false,
        ..EmulatorConfig::default()
    })
    .await;
    let dave = json!({"email": "dave@example.com", "password": "dave-pass-1", "name": "Dave"});
    let refused = closed.post(None, "users/register", &dave).await;
    assert_eq!(refused.0, 403);
    assert_fault(&refused, 3009);
    let by_server = cc(
        &closed,
        reqwest::Method::POST,
        "users/register",
        None,
        Some(dave),
    )
    .await;
    assert_fault(&by_server, 3009);
    assert_fault(
        &try_login(&closed, ("dave@example.com", "dave-pass-1")).await,
        3003,
    );
}

// ---- 6. verify password ----

async fn verify(emu: &TestEmulator, token: Option<&str>, password: Value) -> (u16, Value) {
    cc(
        emu,
        reqwest::Method::POST,
        "users/verifypassowrd",
        token,
        Some(json!({ "password": password })),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_password_answers_valid_with_the_cloudcode_key_and_a_session() {
    let emu = spawn_emulator().await;
    let (token, _) = emu.login_token(ALICE).await;
    assert_eq!(
        verify(&emu, Some(&token), json!(ALICE.1)).await,
        (200, json!({"valid": true}))
    );
    assert_eq!(
        verify(&emu, Some(&token), json!(BOB.1)).await,
        (200, json!({"valid": false}))
    );
    assert_fault(&verify(&emu, None, json!(ALICE.1)).await, 3028);
    assert_fault(
        &verify(&emu, Some("not-a-token"), json!(ALICE.1)).await,
        3064,
    );
    assert_fault(&verify(&emu, Some(&token), json!("")).await, 3006);
    assert_fault(&verify(&emu, Some(&token), json!(42)).await, 3006);
    let by_client = emu
        .post(
            Some(&token),
            "users/verifypassowrd",
            &json!({"password": ALICE.1}),
        )
        .await;
    assert_fault(&by_client, 3122);
    assert!(is_valid(&emu, &token).await, "checking ends no session");
}

/// This machine's address on its default route, if it has one that is not loopback (no packet is sent).
fn non_loopback_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("203.0.113.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_answers_loopback_peers_only() {
    let Some(ip) = non_loopback_address() else {
        // The unit test `only_loopback_peers_are_local` still covers the rule.
        eprintln!("no non-loopback address on this machine: skipped");
        return;
    };
    let config = EmulatorConfig {
        demo: true,
        ..EmulatorConfig::default()
    };
    let emulator =
        profile_editor::emulator::RunningEmulator::start(config, "0.0.0.0:0".parse().unwrap())
            .await
            .unwrap();
    let port = emulator.local_addr().port();
    let http = reqwest::Client::new();
    let restore = format!(
        "http://{ip}:{port}/{DEMO_APP_ID}/{DEMO_CLOUDCODE_KEY}/users/restorepassword/{}",
        ALICE.0
    );
    assert_eq!(send(http.get(&restore)).await, (200, Value::Null));
    for path in ["_emulator/outbox", "_emulator/reset-password?token=x"] {
        let remote = send(http.get(format!("http://{ip}:{port}/{path}"))).await;
        assert_eq!(remote.0, 403, "{}", remote.1);
        assert!(remote.1["message"].as_str().unwrap().contains("loopback"));
    }
    let local = send(http.get(format!("http://127.0.0.1:{port}/_emulator/outbox"))).await;
    assert_eq!(local.0, 200);
    assert_eq!(local.1.as_array().unwrap().len(), 1);
    // Bound to all interfaces, the mail's link still points where the page answers: loopback.
    let link = local.1[0]["resetLink"].as_str().unwrap();
    assert!(
        link.starts_with(&format!(
            "http://127.0.0.1:{port}/_emulator/reset-password?token="
        )),
        "{link}"
    );
}

/// `profile-editor serve`: a restore logs one line saying where the mail is, and no line holds its token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serve_log_says_where_the_mail_is_without_its_token() {
    use std::io::BufRead as _;
    use std::process::{Command, Stdio};

    let mut child = Command::new(crate::emulator_cli::BIN)
        .args(["serve", "--memory", "--demo", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut first = String::new();
    stdout.read_line(&mut first).expect("the listening line");
    let origin = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{first:?}"))
        .to_owned();
    let http = reqwest::Client::new();
    let restore = format!(
        "{origin}/{DEMO_APP_ID}/{}/users/restorepassword/{}",
        profile_editor::cli::DEMO_API_KEY,
        ALICE.0
    );
    assert_eq!(send(http.get(&restore)).await, (200, Value::Null));
    let (_, mails) = send(http.get(format!("{origin}/_emulator/outbox"))).await;
    let token = token_of(&mails[0]);

    let expected = format!(
        "mail to {} kept in the outbox, read it at {origin}/_emulator/outbox",
        ALICE.0
    );
    let mut seen = Vec::new();
    loop {
        let line = lines
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no log line {expected:?} in {seen:#?}"));
        assert!(
            !line.contains(&token),
            "the log holds the reset token: {line}"
        );
        let found = line.contains(&expected);
        seen.push(line);
        if found {
            break;
        }
    }
    child.kill().ok();
    child.wait().ok();
    // Whatever else it logged before stopping holds no token either.
    while let Ok(line) = lines.recv_timeout(std::time::Duration::from_secs(5)) {
        assert!(
            !line.contains(&token),
            "the log holds the reset token: {line}"
        );
    }
}
