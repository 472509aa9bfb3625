//! Issue 11, emulator items 1–6: the emulator behaves like a real Backendless app (sessions per user, tokenless
//! logout, anonymous find / count, register, record shape, client vs CloudCode keys).

use profile_editor::cli::{DEMO_API_KEY, DEMO_APP_ID, DEMO_CLOUDCODE_KEY, Logins};
use profile_editor::emulator::{EmulatorConfig, Storage};
use serde_json::{Value, json};

use crate::helpers::{ADMIN, ALICE, BOB, TestEmulator, assert_fault, send, spawn_emulator_with};

fn demo(logins: Logins) -> EmulatorConfig {
    EmulatorConfig {
        demo: true,
        logins,
        ..EmulatorConfig::default()
    }
}

async fn is_valid(emu: &TestEmulator, token: &str) -> bool {
    let (status, body) = emu
        .get(None, &format!("users/isvalidusertoken/{token}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body.as_bool().expect("a bare boolean")
}

async fn try_login(emu: &TestEmulator, (identity, password): (&str, &str)) -> (u16, Value) {
    emu.post(
        None,
        "users/login",
        &json!({"login": identity, "password": password}),
    )
    .await
}

/// `http://HOST:PORT/{app-id}/{cloudcode-key}/path`: the URL server code uses.
fn cloudcode_url(emu: &TestEmulator, path: &str) -> String {
    format!(
        "{}/{DEMO_APP_ID}/{DEMO_CLOUDCODE_KEY}/{}",
        emu.emulator.origin(),
        path.trim_start_matches('/')
    )
}

// ---- 1. one session per user by default ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_a_second_login_ends_the_first_session_with_3064() {
    let emu = spawn_emulator_with(EmulatorConfig {
        demo: true,
        ..EmulatorConfig::default()
    })
    .await;
    let (first, alice_id) = emu.login_token(ALICE).await;
    let (bob, _) = emu.login_token(BOB).await;
    let (second, _) = emu.login_token(ALICE).await;
    assert!(!is_valid(&emu, &first).await, "the first session ended");
    assert!(is_valid(&emu, &second).await);
    assert!(is_valid(&emu, &bob).await, "another user's session stays");
    let refused = emu
        .update(Some(&first), &alice_id, &json!({"name": "x"}))
        .await;
    let message = assert_fault(&refused, 3064);
    assert_eq!(
        message,
        format!("Not existing user token - {first}. Relogin user to update your user token")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_refuse_answers_3002_while_a_session_is_alive() {
    let emu = spawn_emulator_with(demo(Logins::Refuse)).await;
    let (first, _) = emu.login_token(ALICE).await;
    assert_fault(&try_login(&emu, ALICE).await, 3002);
    assert!(is_valid(&emu, &first).await, "the first session stays");
    // A wrong password is still 3003, not a hint that a session exists.
    assert_fault(&try_login(&emu, (ALICE.0, "wrong")).await, 3003);
    let (status, _) = emu.get(Some(&first), "users/logout").await;
    assert_eq!(status, 200);
    let (second, _) = emu.login_token(ALICE).await;
    assert!(is_valid(&emu, &second).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_n_allows_n_sessions_and_answers_3044_for_one_more() {
    let emu = spawn_emulator_with(demo(Logins::Max(2))).await;
    let (a, _) = emu.login_token(ALICE).await;
    let (b, _) = emu.login_token(ALICE).await;
    assert_fault(&try_login(&emu, ALICE).await, 3044);
    assert!(is_valid(&emu, &a).await && is_valid(&emu, &b).await);
    emu.login_token(BOB).await;
    let (status, _) = emu.get(Some(&a), "users/logout").await;
    assert_eq!(status, 200);
    let (c, _) = emu.login_token(ALICE).await;
    assert!(is_valid(&emu, &c).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_session_does_not_count_as_alive() {
    let emu = spawn_emulator_with(EmulatorConfig {
        session_timeout_secs: 1,
        ..demo(Logins::Refuse)
    })
    .await;
    emu.login_token(ALICE).await;
    // Waits for the timeout itself (a logical condition), not for a speed.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    emu.login_token(ALICE).await;
}

// ---- 2. logout without a token ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_without_a_token_succeeds_and_a_bad_token_is_still_3064() {
    let emu = spawn_emulator_with(demo(Logins::Replace)).await;
    let (status, body) = emu.get(None, "users/logout").await;
    assert_eq!(status, 200, "{body}");
    let bad = emu.get(Some("not-a-token"), "users/logout").await;
    assert_fault(&bad, 3064);
}

// ---- 3. anonymous find and count ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_find_and_count_see_nothing() {
    let emu = spawn_emulator_with(demo(Logins::Replace)).await;
    assert_eq!(emu.get(None, "data/Users").await, (200, json!([])));
    assert_eq!(
        emu.post(None, "data/Users/find", &json!({})).await,
        (200, json!([]))
    );
    assert_eq!(emu.get(None, "data/Users/count").await, (200, json!(0)));
    assert_eq!(
        emu.post(None, "data/Users/count", &json!({})).await,
        (200, json!(0))
    );
    // The query is still checked, and a token that is sent must be valid.
    assert_fault(
        &emu.get(None, "data/Users?where=nope%20%3D%201").await,
        1006,
    );
    assert_fault(&emu.get(Some("bad"), "data/Users").await, 3064);
    // A logged-in user still sees their own record.
    let (token, _) = emu.login_token(ALICE).await;
    assert_eq!(
        emu.get(Some(&token), "data/Users/count").await,
        (200, json!(1))
    );
}

// ---- 5. record shape ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_carry_the_real_system_properties() {
    let emu = spawn_emulator_with(demo(Logins::Replace)).await;
    let (status, registered) = emu
        .post(
            None,
            "users/register",
            &json!({"email": "carol@example.com", "password": "carol-pass-1", "name": "Carol"}),
        )
        .await;
    assert_eq!(status, 200, "{registered}");
    for record in [&registered, &emu.login(ALICE).await] {
        assert_eq!(record["socialAccount"], "BACKENDLESS", "{record}");
        assert_eq!(record["accountType"], "BACKENDLESS", "{record}");
        assert!(record["oAuthIdentities"].is_null(), "{record}");
        assert!(
            record.as_object().unwrap().contains_key("oAuthIdentities"),
            "{record}"
        );
        assert_eq!(record["blUserLocale"], "en", "{record}");
    }
    assert!(registered["updated"].is_null() && registered["lastLogin"].is_null());
    // The new keys are server-owned: an update that sends them back changes nothing.
    let (token, id) = emu.login_token(BOB).await;
    let (status, updated) = emu
        .update(
            Some(&token),
            &id,
            &json!({"socialAccount": "FACEBOOK", "accountType": "X", "oAuthIdentities": [1]}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["socialAccount"], "BACKENDLESS");
    assert_eq!(updated["accountType"], "BACKENDLESS");
    assert!(updated["oAuthIdentities"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_made_before_the_new_system_columns_gets_them_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let config = EmulatorConfig {
        storage: Storage::Dir(dir.path().to_owned()),
        ..demo(Logins::Replace)
    };
    {
        let emu = spawn_emulator_with(config.clone()).await;
        emu.emulator.shutdown().await;
    }
    // Make it look like an older store: without the three columns.
    {
        let conn =
            rusqlite::Connection::open(dir.path().join(profile_editor::emulator::DB_FILE_NAME))
                .unwrap();
        for column in ["socialAccount", "accountType", "oAuthIdentities"] {
            conn.execute_batch(&format!(
                "ALTER TABLE Users DROP COLUMN \"{column}\"; DELETE FROM _columns WHERE name = '{column}';"
            ))
            .unwrap();
        }
    }
    let emu = spawn_emulator_with(config).await;
    let alice = emu.login(ALICE).await;
    assert_eq!(alice["socialAccount"], "BACKENDLESS", "{alice}");
    assert_eq!(alice["accountType"], "BACKENDLESS");
    assert!(alice.as_object().unwrap().contains_key("oAuthIdentities"));
    let (status, props) = emu.get(None, "users/userclassprops").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = props
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(names.contains(&"socialAccount"), "{names:?}");
}

// ---- 4. register ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_answers_3011_3033_and_keeps_the_sent_locale() {
    let emu = spawn_emulator_with(demo(Logins::Replace)).await;
    let register = async |body: Value| emu.post(None, "users/register", &body).await;
    assert_fault(
        &register(json!({"password": "p-1", "name": "N"})).await,
        3011,
    );
    assert_fault(
        &register(json!({"email": "new@example.com", "name": "N"})).await,
        3011,
    );
    assert_fault(
        &register(json!({"email": "ALICE@example.com", "password": "p-1", "name": "N"})).await,
        3033,
    );
    let (status, user) = register(
        json!({"email": "dora@example.com", "password": "p-1", "name": "Dora", "blUserLocale": "fr"}),
    )
    .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["blUserLocale"], "fr");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_off_answers_403_with_the_real_message() {
    let emu = spawn_emulator_with(EmulatorConfig {
        registration: false,
        ..demo(Logins::Replace)
    })
    .await;
    let (status, body) = emu
        .post(
            None,
            "users/register",
            &json!({"email": "eve@example.com", "password": "p-1", "name": "Eve"}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["message"],
        "User registration is denied for this version of application"
    );
    assert!(body["code"].is_i64() && body["errorData"].is_object());
    assert!(
        emu.emulator
            .admin()
            .object_id_of("eve@example.com")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_dynamic_schema_off_register_drops_unknown_properties_and_update_still_says_3031() {
    let emu = spawn_emulator_with(EmulatorConfig {
        dynamic_schema: false,
        ..demo(Logins::Replace)
    })
    .await;
    let (status, user) = emu
        .post(
            None,
            "users/register",
            &json!({"email": "finn@example.com", "password": "finn-pass-1", "name": "Finn", "shoeSize": 44}),
        )
        .await;
    assert_eq!(status, 200, "{user}");
    assert!(user.get("shoeSize").is_none(), "{user}");
    let (token, id) = emu.login_token(("finn@example.com", "finn-pass-1")).await;
    assert_fault(
        &emu.update(Some(&token), &id, &json!({"shoeSize": 44}))
            .await,
        3031,
    );
}

// ---- 6. client keys and the CloudCode key ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_keys_are_refused_the_server_only_operations() {
    let emu = spawn_emulator_with(demo(Logins::Replace)).await;
    let (token, alice_id) = emu.login_token(ALICE).await;
    let status = emu
        .http
        .put(emu.url(&format!("users/{alice_id}/status")))
        .header("user-token", &token)
        .json(&json!({"userStatus": "DISABLED"}));
    let message = assert_fault(&send(status).await, 3054);
    assert_eq!(message, "Operation allowed only for BL logic.");
    for operation in ["users/assignRole", "users/unassignRole"] {
        let body = json!({"user": ALICE.0, "roleName": "Admin"});
        assert_fault(&emu.post(Some(&token), operation, &body).await, 2011);
    }
    let verify = emu
        .post(
            Some(&token),
            "users/verifypassowrd",
            &json!({"password": ALICE.1}),
        )
        .await;
    let message = assert_fault(&verify, 3122);
    assert_eq!(message, "Password verification allowed only from CloudCode");
    // The /api form carries no key, so it is a client too.
    let api_form = send(
        emu.http
            .post(format!(
                "{}/api/users/verifypassowrd",
                emu.emulator.origin()
            ))
            .header("user-token", &token)
            .json(&json!({"password": ALICE.1})),
    )
    .await;
    assert_fault(&api_form, 3122);
    assert!(is_valid(&emu, &token).await, "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cloudcode_key_is_accepted_everywhere_and_allows_them() {
    let emu = spawn_emulator_with(demo(Logins::Replace)).await;
    let login = send(
        emu.http
            .post(cloudcode_url(&emu, "users/login"))
            .json(&json!({"login": ALICE.0, "password": ALICE.1})),
    )
    .await;
    assert_eq!(login.0, 200, "{}", login.1);
    let token = login.1["user-token"].as_str().unwrap().to_owned();
    let alice_id = login.1["objectId"].as_str().unwrap().to_owned();

    let verify = |password: &str| {
        send(
            emu.http
                .post(cloudcode_url(&emu, "users/verifypassowrd"))
                .header("user-token", &token)
                .json(&json!({ "password": password })),
        )
    };
    assert_eq!(verify(ALICE.1).await, (200, json!({"valid": true})));
    assert_eq!(verify("wrong").await, (200, json!({"valid": false})));

    let (bob_token, bob_id) = emu.login_token(BOB).await;
    let disable = send(
        emu.http
            .put(cloudcode_url(&emu, &format!("users/{bob_id}/status")))
            .json(&json!({"userStatus": "DISABLED"})),
    )
    .await;
    assert_eq!(disable.0, 200, "{}", disable.1);
    assert_eq!(disable.1["userStatus"], "DISABLED");
    assert!(!is_valid(&emu, &bob_token).await, "disabling ends sessions");
    assert_fault(&try_login(&emu, BOB).await, 3090);
    let enable = send(
        emu.http
            .put(cloudcode_url(&emu, &format!("users/{bob_id}/status")))
            .json(&json!({"userStatus": "ENABLED"})),
    )
    .await;
    assert_eq!(enable.0, 200, "{}", enable.1);
    emu.login_token(BOB).await;
    let unknown = send(
        emu.http
            .put(cloudcode_url(&emu, "users/NO-SUCH-ID/status"))
            .json(&json!({"userStatus": "DISABLED"})),
    )
    .await;
    assert_fault(&unknown, 3030);
    let _ = (alice_id, ADMIN);

    // Role changes work with it (issue 12; tests/it/admin_api.rs has the rest): an empty answer.
    let assign = send(
        emu.http
            .post(cloudcode_url(&emu, "users/assignRole"))
            .json(&json!({"user": ALICE.0, "roleName": "Admin"})),
    )
    .await;
    assert_eq!(assign, (200, Value::Null));
    // Any other key is still 2002.
    let wrong = send(emu.http.get(format!(
        "{}/{DEMO_APP_ID}/WRONG-KEY/users/userclassprops",
        emu.emulator.origin()
    )))
    .await;
    assert_fault(&wrong, 2002);
    assert_ne!(DEMO_API_KEY, DEMO_CLOUDCODE_KEY);
}

#[test]
fn serve_flags_configure_keys_logins_and_registration() {
    use clap::Parser as _;
    use profile_editor::cli::{Cli, Command};
    let serve = |extra: &[&str]| {
        let args = [&["profile-editor", "serve", "--memory"][..], extra].concat();
        match Cli::try_parse_from(args).unwrap().command {
            Some(Command::Serve(args)) => EmulatorConfig::from_serve_args(&args),
            None => panic!("expected serve"),
        }
    };
    let defaults = serve(&[]).unwrap();
    assert_eq!(defaults.cloudcode_key, DEMO_CLOUDCODE_KEY);
    assert_eq!(defaults.logins, Logins::Replace);
    assert!(defaults.registration);
    let set = serve(&[
        "--cloudcode-key",
        "SERVER-KEY",
        "--logins",
        "3",
        "--registration",
        "off",
    ])
    .unwrap();
    assert_eq!(set.cloudcode_key, "SERVER-KEY");
    assert_eq!(set.logins, Logins::Max(3));
    assert!(!set.registration);
    // One key cannot be both kinds.
    let same = serve(&["--cloudcode-key", DEMO_API_KEY]).unwrap_err();
    assert!(same.to_string().contains("--cloudcode-key"), "{same}");
}
