//! issue 12: the client's account and admin calls against the emulator on port 0: restore password, verify
//! password, status, roles, users by role, delete, and the CloudCode-key client they need.

use profile_editor::backendless::{ApiError, Client, Endpoint, FindQuery};
use profile_editor::cli::DEMO_CLOUDCODE_KEY;

use crate::client::{login, password, recording_client as client};
use crate::helpers::{ADMIN, ALICE, BOB, TestEmulator, spawn_emulator};

/// The same, with the demo CloudCode key.
fn cloudcode_client(emu: &TestEmulator) -> Client {
    client(emu).with_cloudcode_key(DEMO_CLOUDCODE_KEY).unwrap()
}

/// Paths (without query) of the requests the proxy saw, with the keys cut off: `users/login`, ...
fn sent_paths(emu: &TestEmulator, method: &str) -> Vec<(String, String)> {
    emu.proxy
        .requests()
        .into_iter()
        .filter(|r| r.method == method)
        .map(|r| {
            let path = r.path.split('?').next().unwrap_or_default().to_owned();
            let key = path.split('/').nth(2).unwrap_or_default().to_owned();
            let rest = path.splitn(4, '/').nth(3).unwrap_or_default().to_owned();
            (key, rest)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cloudcode_client_puts_its_key_in_the_path_and_never_shows_it() {
    let emu = spawn_emulator().await;
    let cloudcode = cloudcode_client(&emu);
    assert!(!format!("{cloudcode:?}").contains(DEMO_CLOUDCODE_KEY));
    let (_, token) = login(&cloudcode, ALICE).await;
    assert!(
        cloudcode
            .verify_password(&token, &password(ALICE.1))
            .await
            .unwrap()
    );
    assert_eq!(
        sent_paths(&emu, "POST").last().unwrap(),
        &(
            DEMO_CLOUDCODE_KEY.to_owned(),
            "users/verifypassowrd".to_owned()
        )
    );

    // A wrong key is refused as bad app keys, and no text of the error holds it.
    let wrong = client(&emu)
        .with_cloudcode_key("NOT-THE-CLOUDCODE-KEY-42")
        .unwrap();
    let error = wrong.restore_password(ALICE.0).await.unwrap_err();
    assert!(matches!(error, ApiError::BadAppKeys { .. }), "{error:?}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("NOT-THE-CLOUDCODE-KEY-42"), "{shown}");

    // An app domain carries no key, so it cannot take the CloudCode key.
    let domain = Client::new(Endpoint::parse(&emu.origin(), None, None).unwrap());
    assert!(domain.with_cloudcode_key(DEMO_CLOUDCODE_KEY).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_password_needs_the_cloudcode_key_and_tells_right_from_wrong() {
    let emu = spawn_emulator().await;
    let client = client(&emu);
    let (_, token) = login(&client, ALICE).await;
    let error = client
        .verify_password(&token, &password(ALICE.1))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ApiError::PasswordCheckNeedsCloudCodeKey { .. }),
        "{error:?}"
    );
    assert!(error.cloudcode_key_hint().is_some());

    let cloudcode = client.with_cloudcode_key(DEMO_CLOUDCODE_KEY).unwrap();
    assert!(
        cloudcode
            .verify_password(&token, &password(ALICE.1))
            .await
            .unwrap()
    );
    assert!(
        !cloudcode
            .verify_password(&token, &password("not-it"))
            .await
            .unwrap()
    );
    // What was sent: only the password, in the body.
    let sent = emu
        .proxy
        .requests()
        .into_iter()
        .rfind(|r| r.path.ends_with("/users/verifypassowrd"))
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&sent.body).unwrap(),
        serde_json::json!({"password": "not-it"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_password_mails_a_known_identity_and_names_an_unknown_one() {
    let emu = spawn_emulator().await;
    let client = client(&emu);
    client.restore_password(ALICE.0).await.unwrap();
    assert_eq!(
        sent_paths(&emu, "GET").last().unwrap().1,
        "users/restorepassword/alice@example.com"
    );
    let error = client
        .restore_password("nobody@example.com")
        .await
        .unwrap_err();
    assert!(
        matches!(error, ApiError::UnknownIdentity { .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), Some(3020));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_changes_need_the_cloudcode_key_and_a_disabled_user_cannot_log_in() {
    let emu = spawn_emulator().await;
    let client = client(&emu);
    let (_, admin_token) = login(&client, ADMIN).await;
    let (bob, _) = login(&client, BOB).await;
    let error = client
        .set_user_status(Some(&admin_token), bob.object_id(), false)
        .await
        .unwrap_err();
    assert!(
        matches!(error, ApiError::StatusChangeNeedsCloudCodeKey { .. }),
        "{error:?}"
    );
    login(&client, BOB).await;

    let cloudcode = client.with_cloudcode_key(DEMO_CLOUDCODE_KEY).unwrap();
    let disabled = cloudcode
        .set_user_status(Some(&admin_token), bob.object_id(), false)
        .await
        .unwrap();
    if let Some(record) = disabled {
        assert_eq!(record.object_id(), bob.object_id());
    }
    let refused = client.login(BOB.0, &password(BOB.1)).await.unwrap_err();
    assert!(
        matches!(refused, ApiError::AccountDisabled { .. }),
        "{refused:?}"
    );
    cloudcode
        .set_user_status(Some(&admin_token), bob.object_id(), true)
        .await
        .unwrap();
    login(&client, BOB).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_read_assigned_unassigned_and_found_by() {
    let emu = spawn_emulator().await;
    let client = client(&emu);
    let (_, admin_token) = login(&client, ADMIN).await;
    let (bob, _) = login(&client, BOB).await;
    let admin = Some(&admin_token);
    let cloudcode = client.with_cloudcode_key(DEMO_CLOUDCODE_KEY).unwrap();

    assert!(
        !client
            .roles_of(admin, bob.object_id())
            .await
            .unwrap()
            .contains(&"Editor".to_owned())
    );
    let error = client
        .assign_role(admin, BOB.0, "Editor")
        .await
        .unwrap_err();
    assert!(
        matches!(error, ApiError::RoleChangeNeedsCloudCodeKey { .. }),
        "{error:?}"
    );
    cloudcode.assign_role(admin, BOB.0, "Editor").await.unwrap();
    let roles = client.roles_of(admin, bob.object_id()).await.unwrap();
    assert!(roles.contains(&"Editor".to_owned()), "{roles:?}");
    let sent = emu
        .proxy
        .requests()
        .into_iter()
        .rfind(|r| r.path.ends_with("/users/assignRole"))
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&sent.body).unwrap(),
        serde_json::json!({"user": BOB.0, "roleName": "Editor"})
    );

    let page = FindQuery {
        page_size: 100,
        ..FindQuery::default()
    };
    let editors = client
        .users_with_role(admin, "Editor", &page)
        .await
        .unwrap();
    let ids: Vec<String> = editors
        .into_iter()
        .map(|row| row.unwrap().object_id().to_string())
        .collect();
    assert_eq!(ids, [bob.object_id().to_owned()]);

    cloudcode
        .unassign_role(admin, BOB.0, "Editor")
        .await
        .unwrap();
    assert!(
        !client
            .roles_of(admin, bob.object_id())
            .await
            .unwrap()
            .contains(&"Editor".to_owned())
    );
    assert!(
        client
            .users_with_role(admin, "Editor", &page)
            .await
            .unwrap()
            .is_empty()
    );

    let missing = cloudcode
        .assign_role(admin, BOB.0, "NoSuchRole")
        .await
        .unwrap_err();
    assert!(
        matches!(missing, ApiError::RoleNotFound { .. }),
        "{missing:?}"
    );
    for result in [
        cloudcode
            .assign_role(admin, BOB.0, "AuthenticatedUser")
            .await,
        cloudcode
            .unassign_role(admin, BOB.0, "AuthenticatedUser")
            .await,
    ] {
        let error = result.unwrap_err();
        assert!(matches!(error, ApiError::BuiltInRole { .. }), "{error:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_user_answers_the_deletion_time_and_the_user_is_gone() {
    let emu = spawn_emulator().await;
    let client = client(&emu);
    let (_, admin_token) = login(&client, ADMIN).await;
    let (bob, _) = login(&client, BOB).await;
    let (alice, alice_token) = login(&client, ALICE).await;

    // Not an admin: refused, and nothing changes.
    let error = client
        .delete_user(Some(&alice_token), bob.object_id())
        .await
        .unwrap_err();
    assert!(matches!(error, ApiError::NotYourRecord { .. }), "{error:?}");

    let deleted_at = client
        .delete_user(Some(&admin_token), bob.object_id())
        .await
        .unwrap();
    assert!(deleted_at > 0);
    let gone = client
        .get_user(Some(&admin_token), bob.object_id())
        .await
        .unwrap_err();
    assert!(matches!(gone, ApiError::EntityNotFound { .. }), "{gone:?}");
    let again = client
        .delete_user(Some(&admin_token), bob.object_id())
        .await
        .unwrap_err();
    assert!(
        matches!(again, ApiError::EntityNotFound { .. }),
        "{again:?}"
    );
    client
        .get_user(Some(&admin_token), alice.object_id())
        .await
        .unwrap();
}
