//! Every error code of the emulator and hostile input, over real HTTP; the server keeps serving afterwards.

use profile_editor::emulator::EmulatorConfig;
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN, ALICE, BOB, TestEmulator, assert_fault, send, spawn_emulator, spawn_emulator_with,
};

/// The server still answers normally.
async fn assert_still_serving(emu: &TestEmulator) {
    let (status, info) = emu.get(None, "info").await;
    assert_eq!(status, 200, "{info}");
    emu.login(BOB).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_error_codes_match_the_contract_table() {
    let emu = spawn_emulator().await;
    let (alice, alice_id) = emu.login_token(ALICE).await;
    let (admin, _) = emu.login_token(ADMIN).await;
    let bob_id = emu.emulator.admin().object_id_of(BOB.0).unwrap();

    // 2002: wrong application id or key, in either position.
    let wrong_app = format!(
        "{}/WRONG-APP/{}/users/{alice_id}",
        emu.emulator.origin(),
        profile_editor::cli::DEMO_API_KEY
    );
    let result = send(
        emu.http
            .put(wrong_app)
            .header("user-token", &alice)
            .json(&json!({"age": 1})),
    )
    .await;
    assert_fault(&result, 2002);
    assert_eq!(result.0, 400);
    let wrong_key = format!(
        "{}/{}/WRONG-KEY/users/{alice_id}",
        emu.emulator.origin(),
        profile_editor::cli::DEMO_APP_ID
    );
    assert_fault(
        &send(emu.http.put(wrong_key).json(&json!({"age": 1}))).await,
        2002,
    );
    // 3028: no token.
    let result = emu.update(None, &alice_id, &json!({"age": 1})).await;
    assert_fault(&result, 3028);
    assert_eq!(result.0, 401);
    // 3064: unknown token.
    let result = emu
        .update(
            Some("00000000-0000-0000-0000-000000000000"),
            &alice_id,
            &json!({"age": 1}),
        )
        .await;
    let message = assert_fault(&result, 3064);
    assert!(message.starts_with("Not existing user token"), "{message}");
    assert_eq!(result.0, 401);
    // 3029: someone else's record, checked before existence.
    let result = emu.update(Some(&alice), &bob_id, &json!({"age": 1})).await;
    assert_fault(&result, 3029);
    assert_eq!(result.0, 403);
    assert_fault(
        &emu.update(Some(&alice), "NO-SUCH-ID", &json!({"age": 1}))
            .await,
        3029,
    );
    // 3030: an admin updating a missing id.
    let result = emu
        .update(Some(&admin), "NO-SUCH-ID", &json!({"age": 1}))
        .await;
    assert_fault(&result, 3030);
    assert_eq!(result.0, 404);
    // 3031: dynamic schema off and an unknown property.
    emu.emulator.admin().set_dynamic_schema(false);
    let message = assert_fault(
        &emu.update(Some(&alice), &alice_id, &json!({"shoeSize": 9}))
            .await,
        3031,
    );
    assert!(message.contains("shoeSize"), "{message}");
    // ... and 3031 comes before 3045.
    assert_fault(
        &emu.update(
            Some(&alice),
            &alice_id,
            &json!({"shoeSize": 9, "name": null}),
        )
        .await,
        3031,
    );
    emu.emulator.admin().set_dynamic_schema(true);
    // 3045: required property null or empty (name, the identity, the password).
    assert_fault(
        &emu.update(Some(&alice), &alice_id, &json!({"name": null}))
            .await,
        3045,
    );
    assert_fault(
        &emu.update(Some(&alice), &alice_id, &json!({"name": ""}))
            .await,
        3045,
    );
    assert_fault(
        &emu.update(Some(&alice), &alice_id, &json!({"email": ""}))
            .await,
        3045,
    );
    assert_fault(
        &emu.update(Some(&alice), &alice_id, &json!({"password": ""}))
            .await,
        3045,
    );
    // ... and 3045 comes before 3018.
    assert_fault(
        &emu.update(
            Some(&alice),
            &alice_id,
            &json!({"email": BOB.0, "name": ""}),
        )
        .await,
        3045,
    );
    // 3018: someone else's identity, compared case-insensitively.
    let result = emu
        .update(
            Some(&alice),
            &alice_id,
            &json!({"email": "BOB@Example.com"}),
        )
        .await;
    assert_fault(&result, 3018);
    assert_eq!(result.0, 409);
    // ... and 3018 comes before 3024.
    assert_fault(
        &emu.update(
            Some(&alice),
            &alice_id,
            &json!({"email": BOB.0, "age": "x"}),
        )
        .await,
        3018,
    );
    // Keeping one's own identity (in another case) is fine.
    let (status, user) = emu
        .update(
            Some(&alice),
            &alice_id,
            &json!({"email": "Alice@Example.com"}),
        )
        .await;
    assert_eq!(status, 200, "{user}");
    // 3024: wrong types, naming the property.
    let message = assert_fault(
        &emu.update(Some(&alice), &alice_id, &json!({"age": "thirty"}))
            .await,
        3024,
    );
    assert!(message.contains("property 'age'"), "{message}");
    let message = assert_fault(
        &emu.update(Some(&alice), &alice_id, &json!({"newsletter": "yes"}))
            .await,
        3024,
    );
    assert!(message.contains("property 'newsletter'"), "{message}");
    let message = assert_fault(
        &emu.update(Some(&alice), &alice_id, &json!({"birthday": "someday"}))
            .await,
        3024,
    );
    assert!(message.contains("property 'birthday'"), "{message}");
    let message = assert_fault(
        &emu.update(Some(&alice), &alice_id, &json!({"password": 12345}))
            .await,
        3024,
    );
    assert!(message.contains("property 'password'"), "{message}");
    let message = assert_fault(
        &emu.update(Some(&alice), &alice_id, &json!({"bad name": 1}))
            .await,
        3024,
    );
    assert!(message.contains("property 'bad name'"), "{message}");
    assert_fault(
        &emu.update(Some(&alice), &alice_id, &json!({"email": "not an email"}))
            .await,
        3024,
    );
    assert_fault(
        &emu.update(Some(&alice), &alice_id, &json!(["not", "an", "object"]))
            .await,
        3024,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_update_changes_nothing() {
    let emu = spawn_emulator().await;
    let (alice, alice_id) = emu.login_token(ALICE).await;
    // The valid `address` must not be applied when `age` fails.
    assert_fault(
        &emu.update(
            Some(&alice),
            &alice_id,
            &json!({"address": "Half Applied", "age": "x", "brandNew": 1}),
        )
        .await,
        3024,
    );
    let (_, user) = emu
        .get(Some(&alice), &format!("data/Users/{alice_id}"))
        .await;
    assert_eq!(user["address"], "12 Rabbit Hole Lane");
    assert!(user["updated"].is_null());
    assert!(
        user.get("brandNew").is_none(),
        "no column was created by the failed update"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_own_record_is_3030_for_its_token() {
    let emu = spawn_emulator().await;
    let (bob, bob_id) = emu.login_token(BOB).await;
    assert!(emu.emulator.admin().delete_user(&bob_id).unwrap());
    assert_fault(
        &emu.update(Some(&bob), &bob_id, &json!({"age": 1})).await,
        3030,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_tokens_are_3064() {
    let emu = spawn_emulator().await;
    let (bob, bob_id) = emu.login_token(BOB).await;
    emu.emulator.admin().revoke_tokens(BOB.0).unwrap();
    assert_fault(
        &emu.update(Some(&bob), &bob_id, &json!({"age": 1})).await,
        3064,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_errors_are_3003_3006_3036_3090() {
    let emu = spawn_emulator_with(EmulatorConfig {
        demo: true,
        failed_logins_lock: 2,
        // Long enough that no pause of a loaded machine can end the lock before the 3036 check below; the end
        // of a lockout has its own test (`lockouts_end_after_their_time`).
        lockout_secs: 900,
        ..EmulatorConfig::default()
    })
    .await;
    let login = |identity: &str, password: &str| json!({"login": identity, "password": password});
    let result = emu
        .post(None, "users/login", &login("nobody@example.com", "x"))
        .await;
    let unknown_message = assert_fault(&result, 3003);
    let wrong_message = assert_fault(
        &emu.post(None, "users/login", &login(ALICE.0, "wrong"))
            .await,
        3003,
    );
    assert_eq!(
        unknown_message, wrong_message,
        "the message does not tell which half was wrong"
    );
    assert_fault(&emu.post(None, "users/login", &login("", "x")).await, 3006);
    assert_fault(
        &emu.post(None, "users/login", &login(ALICE.0, "")).await,
        3006,
    );
    assert_fault(&emu.post(None, "users/login", &json!({})).await, 3006);

    // Lockout after 2 consecutive failures (a success in between resets the count), as Backendless's e2e test.
    emu.login(ALICE).await;
    assert_fault(
        &emu.post(None, "users/login", &login(ALICE.0, "wrong"))
            .await,
        3003,
    );
    assert_fault(
        &emu.post(None, "users/login", &login(ALICE.0, "wrong"))
            .await,
        3003,
    );
    assert_fault(
        &emu.post(None, "users/login", &login(ALICE.0, ALICE.1))
            .await,
        3036,
    );

    emu.emulator
        .admin()
        .set_user_status(BOB.0, "DISABLED")
        .unwrap();
    assert_fault(
        &emu.post(None, "users/login", &login(BOB.0, BOB.1)).await,
        3090,
    );
    emu.emulator
        .admin()
        .set_user_status(BOB.0, "ENABLED")
        .unwrap();
    emu.login(BOB).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lockouts_end_after_their_time() {
    // Margins both ways: the lock is checked at once (LOCKOUT to spare) and again after waiting
    // 1.5·LOCKOUT in all. Nothing asserts a time; waiting longer only makes the last step surer.
    const LOCKOUT_SECS: u64 = 2;
    let emu = spawn_emulator_with(EmulatorConfig {
        demo: true,
        failed_logins_lock: 2,
        lockout_secs: LOCKOUT_SECS,
        ..EmulatorConfig::default()
    })
    .await;
    let login = |password: &str| json!({"login": ALICE.0, "password": password});
    for _ in 0..2 {
        assert_fault(&emu.post(None, "users/login", &login("wrong")).await, 3003);
    }
    assert_fault(&emu.post(None, "users/login", &login(ALICE.1)).await, 3036);
    tokio::time::sleep(std::time::Duration::from_millis(LOCKOUT_SECS * 1_500)).await;
    emu.login(ALICE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_lock_setting_accounts_never_lock() {
    let emu = spawn_emulator().await;
    for _ in 0..5 {
        assert_fault(
            &emu.post(
                None,
                "users/login",
                &json!({"login": BOB.0, "password": "wrong"}),
            )
            .await,
            3003,
        );
    }
    emu.login(BOB).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_8002() {
    let emu = spawn_emulator().await;
    let (alice, alice_id) = emu.login_token(ALICE).await;
    for path in [
        "users/login",
        "users/register",
        "data/Users/find",
        "data/Users/count",
    ] {
        let request = emu
            .http
            .post(emu.url(path))
            .header("content-type", "application/json")
            .body("{\"login\": ");
        assert_fault(&send(request).await, 8002);
    }
    let request = emu
        .http
        .put(emu.url(&format!("users/{alice_id}")))
        .header("user-token", &alice)
        .header("content-type", "application/json")
        .body("{not json}");
    assert_fault(&send(request).await, 8002);
    assert_still_serving(&emu).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_one_mebibyte_are_413_with_a_backendless_body() {
    let emu = spawn_emulator().await;
    let (alice, alice_id) = emu.login_token(ALICE).await;
    let big = json!({"address": "x".repeat(1024 * 1024 + 10)});
    let (status, body) = emu.update(Some(&alice), &alice_id, &big).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["code"].is_i64() && body["message"].is_string() && body["errorData"].is_object(),
        "{body}"
    );
    // Just under the limit is accepted (spread over 16 properties: one value may hold at most 65,536 characters).
    let fits: serde_json::Map<String, Value> = (0..16)
        .map(|i| (format!("part{i}"), json!("y".repeat(62_000))))
        .collect();
    let fits = Value::Object(fits);
    assert!(fits.to_string().len() > 990_000);
    assert_eq!(emu.update(Some(&alice), &alice_id, &fits).await.0, 200);
    assert_still_serving(&emu).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_are_404_json() {
    let emu = spawn_emulator().await;
    for path in ["nope", "users/nope/deeper", "data/Orders"] {
        let (status, body) = emu.get(None, path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(
            body["code"].is_i64() && body["message"].is_string(),
            "{body}"
        );
    }
    let (status, body) = send(
        emu.http
            .get(format!("{}/favicon.ico", emu.emulator.origin())),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = send(emu.http.delete(emu.url("users/login"))).await;
    assert_eq!(status, 404);
    assert_still_serving(&emu).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_errors_are_1017_and_unknown_columns_1006() {
    let emu = spawn_emulator().await;
    let (admin, _) = emu.login_token(ADMIN).await;
    let find = |clause: &str| json!({"where": clause});
    assert_fault(
        &emu.post(Some(&admin), "data/Users/find", &find("age >"))
            .await,
        1017,
    );
    assert_fault(
        &emu.post(Some(&admin), "data/Users/find", &find("age = = 3"))
            .await,
        1017,
    );
    assert_fault(
        &emu.post(Some(&admin), "data/Users/find", &find("nosuch = 3"))
            .await,
        1006,
    );
    assert_fault(
        &emu.post(Some(&admin), "data/Users/count", &find("nosuch = 3"))
            .await,
        1006,
    );
    assert_fault(
        &emu.post(
            Some(&admin),
            "data/Users/find",
            &json!({"props": "name,nosuch"}),
        )
        .await,
        1006,
    );
    assert_fault(
        &emu.post(
            Some(&admin),
            "data/Users/find",
            &json!({"sortBy": "nosuch desc"}),
        )
        .await,
        1006,
    );
    assert_fault(
        &emu.get(Some(&admin), "data/Users?sortBy=password").await,
        1006,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_injection_in_where_sort_by_and_props_is_refused() {
    let emu = spawn_emulator().await;
    let (admin, _) = emu.login_token(ADMIN).await;
    let (_, before) = emu.get(Some(&admin), "data/Users/count").await;
    // Each attempt with the one code it must get: 1017 for a `where` that is not a condition on columns,
    // 1006 for a name that is not a readable column (the password is never one).
    let attempts = [
        (json!({"where": "1=1; DROP TABLE Users"}), 1017),
        (json!({"where": "email = '' OR 1=1 --"}), 1017),
        (
            json!({"where": "email = (SELECT password FROM Users LIMIT 1)"}),
            1017,
        ),
        (
            json!({"where": "email LIKE '%' UNION SELECT * FROM _sessions"}),
            1017,
        ),
        (
            json!({"where": "email = 'x' OR password LIKE '$argon2%'"}),
            1006,
        ),
        (json!({"sortBy": "email; DROP TABLE Users"}), 1006),
        (json!({"sortBy": "(SELECT 1)"}), 1006),
        (json!({"sortBy": "email desc, 1"}), 1006),
        (json!({"props": "password"}), 1006),
        (json!({"props": "email FROM Users; --"}), 1006),
        (json!({"props": "*, (SELECT token FROM _sessions)"}), 1006),
    ];
    for (attempt, code) in attempts {
        let (status, body) = emu.post(Some(&admin), "data/Users/find", &attempt).await;
        assert!(
            (400..500).contains(&status),
            "{attempt} gave {status} {body}"
        );
        assert_eq!(body["code"].as_i64(), Some(code), "{attempt} gave {body}");
    }
    // A quote in a value is data: it matches nothing rather than everything.
    let (status, page) = emu
        .post(
            Some(&admin),
            "data/Users/find",
            &json!({"where": "email = 'x'' OR ''1''=''1'"}),
        )
        .await;
    assert_eq!((status, page), (200, json!([])));
    assert_eq!(
        emu.get(Some(&admin), "data/Users/count").await.1,
        before,
        "nothing was dropped"
    );
    assert_still_serving(&emu).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absurd_paging_values_are_clamped_or_refused() {
    let emu = spawn_emulator().await;
    let (admin, _) = emu.login_token(ADMIN).await;
    let page_len = |v: &Value| v.as_array().map(Vec::len);
    let (status, page) = emu.get(Some(&admin), "data/Users?pageSize=0").await;
    assert_eq!(
        (status, page_len(&page)),
        (200, Some(1)),
        "page size 0 means the minimum, 1"
    );
    let (status, page) = emu.get(Some(&admin), "data/Users?pageSize=-5").await;
    assert_eq!((status, page_len(&page)), (200, Some(1)));
    let (status, page) = emu
        .get(Some(&admin), "data/Users?pageSize=99999999999999999999999")
        .await;
    assert_eq!((status, page_len(&page)), (200, Some(3)));
    let (status, page) = emu
        .get(Some(&admin), "data/Users?offset=99999999999999999999999")
        .await;
    assert_eq!((status, page), (200, json!([])));
    assert_fault(&emu.get(Some(&admin), "data/Users?offset=-1").await, 1004);
    assert_fault(&emu.get(Some(&admin), "data/Users?offset=abc").await, 1004);
    assert_fault(
        &emu.post(Some(&admin), "data/Users/find", &json!({"offset": 1.5}))
            .await,
        1004,
    );
    assert_fault(
        &emu.get(Some(&admin), "data/Users?pageSize=ten").await,
        1005,
    );
    assert_fault(
        &emu.post(
            Some(&admin),
            "data/Users/find",
            &json!({"pageSize": "many"}),
        )
        .await,
        1005,
    );
    assert_still_serving(&emu).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_updates_of_one_user_are_atomic_and_none_is_lost() {
    let emu = spawn_emulator().await;
    let (alice, alice_id) = emu.login_token(ALICE).await;
    let clients = 32;
    let rounds = 10;
    let mut tasks = Vec::new();
    for client in 0..clients {
        let http = reqwest::Client::new();
        let url = emu.url(&format!("users/{alice_id}"));
        let token = alice.clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..rounds {
                // Each update writes a pair that must stay together, and its own property that must survive.
                let tag = format!("client{client}-round{round}");
                let mut body = json!({"address": tag, "phoneNumber": tag});
                body[format!("c{client}")] = json!(round);
                let (status, user) =
                    send(http.put(&url).header("user-token", &token).json(&body)).await;
                assert_eq!(status, 200, "{user}");
                assert_eq!(
                    user["address"], user["phoneNumber"],
                    "a response shows a half-applied update"
                );
                assert_eq!(user[format!("c{client}")], round);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let (_, user) = emu
        .get(Some(&alice), &format!("data/Users/{alice_id}"))
        .await;
    assert_eq!(user["address"], user["phoneNumber"]);
    for client in 0..clients {
        assert_eq!(
            user[format!("c{client}")],
            rounds - 1,
            "client {client}'s last update was lost: {user}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn property_names_that_clash_or_overflow_are_3024_not_server_faults() {
    let emu = spawn_emulator().await;
    let (alice, alice_id) = emu.login_token(ALICE).await;
    // SQLite column names ignore case: `Nick` and `nick` cannot both become columns.
    let message = assert_fault(
        &emu.update(Some(&alice), &alice_id, &json!({"Nick": "a", "nick": "b"}))
            .await,
        3024,
    );
    assert!(message.contains("letter case"), "{message}");
    let message = assert_fault(
        &emu.update(Some(&alice), &alice_id, &json!({"AGE": 3}))
            .await,
        3024,
    );
    assert!(message.contains("property 'AGE'"), "{message}");
    let mut many = serde_json::Map::new();
    for n in 0..600 {
        many.insert(format!("p{n}"), json!(n));
    }
    assert_fault(
        &emu.update(Some(&alice), &alice_id, &Value::Object(many))
            .await,
        3024,
    );
    assert_still_serving(&emu).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_sort_and_props_lists_are_served_or_refused_cleanly() {
    let emu = spawn_emulator().await;
    let (admin, _) = emu.login_token(ADMIN).await;
    let body =
        json!({"sortBy": vec!["age desc"; 5000].join(","), "props": vec!["name"; 5000].join(",")});
    let (status, page) = emu.post(Some(&admin), "data/Users/find", &body).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page.as_array().unwrap().len(), 3);
    let clause = vec!["age > 1"; 20_000].join(" AND ");
    assert_fault(
        &emu.post(Some(&admin), "data/Users/find", &json!({"where": clause}))
            .await,
        1017,
    );
    let nested = format!("{}age > 1{}", "(".repeat(500), ")".repeat(500));
    assert_fault(
        &emu.post(Some(&admin), "data/Users/find", &json!({"where": nested}))
            .await,
        1017,
    );
    assert_still_serving(&emu).await;
}
