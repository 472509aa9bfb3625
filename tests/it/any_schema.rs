//! Issue 11 item 7: any identity, any schema. The emulator started from `tests/fixtures/users_schema_all_types.json`
//! (identity `username`): register and login by username, every column type round-trips, an integer `type`
//! index is understood, `--demo-users` fills the schema with plausible values, and bad `--schema` files fail
//! `serve` with one line.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use profile_editor::emulator::{EmulatorConfig, GENERATED_USER_PASSWORD};
use serde_json::{Value, json};

use crate::emulator_cli::{BIN, serve_fails};
use crate::helpers::{TestEmulator, assert_fault, spawn_emulator_with};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/users_schema_all_types.json"
);

fn fixture() -> Value {
    serde_json::from_str(&std::fs::read_to_string(FIXTURE).expect("fixture readable"))
        .expect("fixture is JSON")
}

fn all_types(demo: bool, demo_users: u32) -> EmulatorConfig {
    EmulatorConfig {
        identity: "username".to_owned(),
        schema: Some(fixture()),
        demo,
        demo_users,
        ..EmulatorConfig::default()
    }
}

async fn register(emu: &TestEmulator, body: Value) -> (u16, Value) {
    emu.post(None, "users/register", &body).await
}

/// A value of every type, in the wire shape the emulator answers with (so read-back compares equal).
fn every_type() -> Value {
    json!({
        "email": "carol@example.org",
        "bio": "Line one\nLine two — ünïcödé ✓",
        "loyaltyPoints": 1234,
        "rating": 4.75,
        "verified": true,
        "memberSince": 1_700_000_000_000_i64,
        "settings": {"theme": "dark", "langs": ["en", "pt"], "nested": {"n": 1}},
        "homeLocation": {"type": "Point", "coordinates": [-9.1393, 38.7223],
                         "srsId": 4326, "___class": "com.backendless.persistence.Point"},
        "commuteRoute": {"type": "LineString", "coordinates": [[-9.14, 38.72], [-9.15, 38.73], [-9.16, 38.71]],
                         "srsId": 4326, "___class": "com.backendless.persistence.LineString"},
        "deliveryArea": {"type": "Polygon",
                         "coordinates": [[[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]],
                                         [[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 1.0]]],
                         "srsId": 4326, "___class": "com.backendless.persistence.Polygon"},
        "memberNumber": 77,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_and_login_by_username_with_uniqueness_on_it() {
    let emu = spawn_emulator_with(all_types(false, 0)).await;

    let (_, props) = emu.get(None, "users/userclassprops").await;
    let identities: Vec<&str> = props
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["identity"] == true)
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(identities, ["username"], "{props}");

    // Register requires the username (3011), not an email.
    let missing = register(&emu, json!({"email": "x@example.org", "password": "pw-1"})).await;
    let message = assert_fault(&missing, 3011);
    assert!(message.contains("username"), "{message}");
    let (status, carol) = register(
        &emu,
        json!({"username": "carol", "password": "carol-pass-1"}),
    )
    .await;
    assert_eq!(status, 200, "{carol}");
    assert_eq!(carol["username"], "carol");
    assert!(carol.get("password").is_none());
    assert_fault(
        &register(&emu, json!({"username": "CAROL", "password": "other-pass"})).await,
        3033,
    );

    // Login takes the username; the email column is an ordinary property now.
    let (token, carol_id) = emu.login_token(("Carol", "carol-pass-1")).await;
    let (status, _) = emu
        .post(
            None,
            "users/login",
            &json!({"login": "carol@example.org", "password": "carol-pass-1"}),
        )
        .await;
    assert_eq!(status, 401);

    // 3018 on updating the username to one another user has (case-insensitive); own value is fine.
    let (status, dave) =
        register(&emu, json!({"username": "dave", "password": "dave-pass-1"})).await;
    assert_eq!(status, 200, "{dave}");
    assert_fault(
        &emu.update(Some(&token), &carol_id, &json!({"username": "DAVE"}))
            .await,
        3018,
    );
    let (status, same) = emu
        .update(Some(&token), &carol_id, &json!({"username": "carol"}))
        .await;
    assert_eq!(status, 200, "{same}");
    // No email-format check on a username.
    let (status, renamed) = emu
        .update(
            Some(&token),
            &carol_id,
            &json!({"username": "carol the second"}),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    emu.login(("carol the second", "carol-pass-1")).await;

    // AUTO_INCREMENT is filled at registration: 1, 2, ...
    assert_eq!(carol["memberNumber"], 1, "{carol}");
    assert_eq!(dave["memberNumber"], 2, "{dave}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_column_type_round_trips_unchanged() {
    let emu = spawn_emulator_with(all_types(false, 0)).await;
    let (status, first) = register(
        &emu,
        json!({"username": "carol", "password": "carol-pass-1"}),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let (token, carol_id) = emu.login_token(("carol", "carol-pass-1")).await;

    let mut body = every_type();
    body["referredBy"] = json!({"___class": "Users", "objectId": carol_id});
    let (status, updated) = emu.update(Some(&token), &carol_id, &body).await;
    assert_eq!(status, 200, "{updated}");
    let (status, read) = emu
        .get(Some(&token), &format!("data/Users/{carol_id}"))
        .await;
    assert_eq!(status, 200, "{read}");
    for (name, sent) in body.as_object().unwrap() {
        assert_eq!(&updated[name], sent, "update answer of {name}");
        assert_eq!(&read[name], sent, "read-back of {name}");
    }

    // An SDK sends the whole record back: nothing changes.
    let (status, again) = emu.update(Some(&token), &carol_id, &read).await;
    assert_eq!(status, 200, "{again}");
    for (name, value) in read.as_object().unwrap() {
        if name != "updated" {
            assert_eq!(&again[name], value, "whole-record round trip of {name}");
        }
    }

    // Other accepted input forms answer in the canonical shape: WKT, a bare objectId.
    let (status, other) = emu
        .update(
            Some(&token),
            &carol_id,
            &json!({"homeLocation": "POINT (13.4 52.52)", "referredBy": carol_id, "commuteRoute": null}),
        )
        .await;
    assert_eq!(status, 200, "{other}");
    assert_eq!(
        other["homeLocation"],
        json!({"type": "Point", "coordinates": [13.4, 52.52], "srsId": 4326,
               "___class": "com.backendless.persistence.Point"})
    );
    assert_eq!(
        other["referredBy"],
        json!({"___class": "Users", "objectId": carol_id})
    );
    assert_eq!(other["commuteRoute"], Value::Null);

    // Wrong shapes are 3024 naming the property.
    for (name, bad) in [
        (
            "homeLocation",
            json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}),
        ),
        (
            "deliveryArea",
            json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
        ),
        ("commuteRoute", json!("LINESTRING (1 2)")),
        ("referredBy", json!(42)),
        ("memberNumber", json!("seven")),
    ] {
        let message = assert_fault(
            &emu.update(Some(&token), &carol_id, &json!({name: bad}))
                .await,
            3024,
        );
        assert!(message.contains(name), "{name}: {message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_integer_type_index_is_understood() {
    // The fixture gives loyaltyPoints as 1 (INT) and verified as 3 (BOOLEAN), in DataTypeEnum order.
    assert_eq!(fixture()[8]["type"], 1);
    assert_eq!(fixture()[10]["type"], 3);
    let emu = spawn_emulator_with(all_types(false, 0)).await;
    let (_, props) = emu.get(None, "users/userclassprops").await;
    let type_of = |name: &str| {
        props
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .map(|d| d["type"].clone())
            .unwrap_or_else(|| panic!("{name} missing in {props}"))
    };
    assert_eq!(type_of("loyaltyPoints"), "INT");
    assert_eq!(type_of("verified"), "BOOLEAN");
    assert_eq!(type_of("referredBy"), "RELATION");
    assert_eq!(type_of("memberNumber"), "AUTO_INCREMENT");
    assert_eq!(type_of("homeLocation"), "POINT");
    let referred = props
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "referredBy")
        .unwrap();
    assert_eq!(referred["relatedTable"], "Users");

    // And the columns behave as those types.
    register(&emu, json!({"username": "erin", "password": "erin-pass-1"})).await;
    let (token, id) = emu.login_token(("erin", "erin-pass-1")).await;
    assert_fault(
        &emu.update(Some(&token), &id, &json!({"loyaltyPoints": "many"}))
            .await,
        3024,
    );
    assert_fault(
        &emu.update(Some(&token), &id, &json!({"verified": "yes"}))
            .await,
        3024,
    );
    let (status, ok) = emu
        .update(
            Some(&token),
            &id,
            &json!({"loyaltyPoints": 5, "verified": false}),
        )
        .await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(ok["verified"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_users_fill_any_schema_with_plausible_values() {
    let emu = spawn_emulator_with(all_types(true, 50)).await;
    // The demo accounts log in by username; generated ones too.
    let (admin_token, _) = emu.login_token(("admin", "admin-pass-1")).await;
    emu.login(("alice", "alice-pass-1")).await;
    emu.login(("user00050", GENERATED_USER_PASSWORD)).await;

    let (_, count) = emu.get(Some(&admin_token), "data/Users/count").await;
    assert_eq!(count, 53);
    let (status, rows) = emu
        .get(
            Some(&admin_token),
            "data/Users?pageSize=100&sortBy=memberNumber",
        )
        .await;
    assert_eq!(status, 200, "{rows}");
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 53);
    let alice_id = rows[0]["objectId"].as_str().unwrap().to_owned();
    assert_eq!(rows[0]["username"], "alice");
    let mut member_numbers = Vec::new();
    for row in rows {
        let who = row["username"]
            .as_str()
            .unwrap_or_else(|| panic!("username in {row}"));
        let text = |name: &str| row[name].as_str().filter(|s| !s.is_empty()).is_some();
        assert!(
            text("email") && row["email"].as_str().unwrap().contains('@'),
            "{who}: {row}"
        );
        assert!(text("bio"), "{who}: {row}");
        assert!(row["loyaltyPoints"].is_i64(), "{who}: {row}");
        assert!(row["rating"].is_number(), "{who}: {row}");
        assert!(row["verified"].is_boolean(), "{who}: {row}");
        assert!(
            row["memberSince"].as_i64().is_some_and(|ms| ms > 0),
            "{who}: {row}"
        );
        assert!(row["settings"].is_object(), "{who}: {row}");
        for (name, class) in [
            ("homeLocation", "Point"),
            ("commuteRoute", "LineString"),
            ("deliveryArea", "Polygon"),
        ] {
            assert_eq!(row[name]["type"], class, "{who}: {row}");
            assert_eq!(
                row[name]["___class"],
                format!("com.backendless.persistence.{class}"),
                "{who}: {row}"
            );
        }
        if who != "alice" {
            assert_eq!(
                row["referredBy"]["objectId"],
                alice_id.as_str(),
                "{who}: {row}"
            );
        }
        member_numbers.push(row["memberNumber"].as_i64().unwrap());
    }
    assert_eq!(member_numbers, (1..=53).collect::<Vec<_>>());
    // A generated user's values are accepted back unchanged (they are valid values of their types).
    let (token, id) = emu
        .login_token(("user00007", GENERATED_USER_PASSWORD))
        .await;
    let (_, mine) = emu.get(Some(&token), &format!("data/Users/{id}")).await;
    let (status, again) = emu.update(Some(&token), &id, &mine).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["deliveryArea"], mine["deliveryArea"]);
}

#[test]
fn bad_schema_files_fail_serve_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let missing = dir.path().join("missing.json").to_str().unwrap().to_owned();
    let not_json = write("not.json", "[{\"name\": \"username\",");
    let unknown_type = write(
        "unknown.json",
        r#"[{"name":"username","type":"STRING","identity":true},{"name":"avatar","type":"HOLOGRAM"}]"#,
    );
    let bad_index = write(
        "index.json",
        r#"[{"name":"username","type":"STRING","identity":true},{"name":"level","type":99}]"#,
    );
    let duplicate = write(
        "dup.json",
        r#"[{"name":"username","type":"STRING","identity":true},{"name":"Nick","type":"STRING"},{"name":"nick","type":"TEXT"}]"#,
    );
    let not_array = write("object.json", r#"{"name":"username"}"#);
    let cases: [(Vec<&str>, &str); 7] = [
        (vec!["--schema", &missing], "cannot read"),
        (vec!["--schema", &not_json], "not valid JSON"),
        (vec!["--schema", &unknown_type], "HOLOGRAM"),
        (vec!["--schema", &bad_index], "99"),
        (vec!["--schema", &duplicate], "twice"),
        (vec!["--schema", &not_array], "array"),
        (
            vec!["--schema", FIXTURE, "--identity", "nickname"],
            "nickname",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["--memory"];
        all.extend(args.iter().copied());
        let stderr = serve_fails(&all);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr:?}");
        assert!(
            stderr.starts_with("profile-editor: "),
            "{args:?}: {stderr:?}"
        );
        assert!(
            stderr.contains(expected),
            "{args:?}: expected {expected:?} in {stderr:?}"
        );
    }
}

#[test]
fn serve_with_the_fixture_takes_its_marked_identity() {
    let mut child = Command::new(BIN)
        .args(["serve", "--memory", "--schema", FIXTURE, "--demo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("profile-editor starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let origin = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| {
            child.kill().ok();
            panic!("unexpected first line {line:?}")
        });
    let base = format!(
        "{origin}/{}/{}",
        profile_editor::cli::DEMO_APP_ID,
        profile_editor::cli::DEMO_API_KEY
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (props, login) = runtime.block_on(async {
        let http = reqwest::Client::new();
        let props: Value = http
            .get(format!("{base}/users/userclassprops"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let login = http
            .post(format!("{base}/users/login"))
            .json(&json!({"login": "bob", "password": "bob-pass-1"}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        (props, login)
    });
    child.kill().ok();
    child.wait().ok();
    let username = props
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "username")
        .unwrap();
    assert_eq!(username["identity"], true, "{props}");
    assert_eq!(login, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_schema_can_use_name_as_its_identity() {
    let emu = spawn_emulator_with(EmulatorConfig {
        identity: "name".to_owned(),
        demo: true,
        demo_users: 2,
        ..EmulatorConfig::default()
    })
    .await;
    let (token, alice_id) = emu.login_token(("alice liddell", "alice-pass-1")).await;
    emu.login(("User 00002", GENERATED_USER_PASSWORD)).await;
    let (_, props) = emu.get(None, "users/userclassprops").await;
    for descriptor in props.as_array().unwrap() {
        let expected = descriptor["name"] == "name";
        assert_eq!(descriptor["identity"], expected, "{descriptor}");
    }
    // Unique on name (3018), and email is an ordinary property now: any text, not unique.
    assert_fault(
        &emu.update(Some(&token), &alice_id, &json!({"name": "BOB BUILDER"}))
            .await,
        3018,
    );
    let (status, body) = emu
        .update(
            Some(&token),
            &alice_id,
            &json!({"email": "bob@example.com"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_identity_is_kept_and_a_schema_adds_missing_columns() {
    let dir = tempfile::tempdir().unwrap();
    let on_disk = |identity: &str, schema: Option<Value>| EmulatorConfig {
        storage: profile_editor::emulator::Storage::Dir(dir.path().to_owned()),
        identity: identity.to_owned(),
        schema,
        ..EmulatorConfig::default()
    };
    let listen = "127.0.0.1:0".parse().unwrap();
    let first = profile_editor::emulator::RunningEmulator::start(on_disk("email", None), listen)
        .await
        .expect("a fresh store starts");
    first.shutdown().await;
    // Another identity on the same store is refused with a reason naming both.
    let error = profile_editor::emulator::RunningEmulator::start(
        on_disk("username", Some(fixture())),
        listen,
    )
    .await
    .expect_err("the store's identity is email");
    let message = format!("{error:#}");
    assert!(
        message.contains("\"email\"") && message.contains("\"username\""),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
    // The same identity with a schema: the store gains the schema's columns.
    let mut schema = fixture();
    for descriptor in schema.as_array_mut().unwrap() {
        descriptor["identity"] = json!(descriptor["name"] == "email");
    }
    let emu = spawn_emulator_with(on_disk("email", Some(schema))).await;
    let (_, props) = emu.get(None, "users/userclassprops").await;
    let names: Vec<&str> = props
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    for wanted in ["username", "homeLocation", "referredBy", "memberNumber"] {
        assert!(names.contains(&wanted), "{wanted} missing in {names:?}");
    }
}
