//! Issue 11 items 8–10: the client reads the answers of a real Backendless app. Recorded response shapes
//! (`tests/fixtures/real_server/`) are served by a tiny canned HTTP server and read through the real
//! `Client`: `socialAccount`, `accountType`, `oAuthIdentities`, an integer `type`, a `GUEST` user, geometry,
//! relations, AUTO_INCREMENT, an unknown column type, the 3064 of a session ended elsewhere and the 3054 of
//! an operation that needs the CloudCode key.

use std::path::Path;

use profile_editor::backendless::client::{Client, FindQuery, Password, UserToken};
use profile_editor::backendless::endpoint::Endpoint;
use profile_editor::backendless::error::{ApiError, CLOUDCODE_KEY_NEEDED};
use profile_editor::backendless::wire::Fault;
use profile_editor::model::schema::{Access, PropertyType, Schema};
use profile_editor::model::{Value, diff};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// A recorded answer from `tests/fixtures/real_server/`.
fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real_server")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Which fixture answers a request head, with its HTTP status.
fn answer_for(head: &str) -> (u16, String) {
    let line = head.lines().next().unwrap_or_default();
    if line.contains("/users/login") {
        (200, fixture("login.json"))
    } else if line.contains("/users/userclassprops") {
        (200, fixture("userclassprops.json"))
    } else if line.contains("/data/Users/find") || line.contains("/data/Users?") {
        (200, fixture("find_users.json"))
    } else if line.contains("/data/Users/") {
        (401, fixture("error_3064.json"))
    } else {
        (
            404,
            r#"{"code":0,"message":"no fixture","errorData":{}}"#.to_owned(),
        )
    }
}

/// Serves the fixtures on a free port; returns the origin.
async fn recorded_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                let mut read = 0;
                while !buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer[read..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read += n,
                    }
                }
                let head = String::from_utf8_lossy(&buffer[..read]).into_owned();
                let (status, body) = answer_for(&head);
                let response = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                socket.write_all(response.as_bytes()).await.ok();
                socket.shutdown().await.ok();
            });
        }
    });
    origin
}

fn client(origin: &str) -> Client {
    Client::new(Endpoint::parse(origin, Some("APP-ID"), Some("REST-KEY")).unwrap())
}

#[tokio::test]
async fn a_real_apps_schema_and_record_are_read_typed_and_kept_whole() {
    let origin = recorded_server().await;
    let client = client(&origin);
    let reply = client
        .login("rosa", &Password::new("pw".to_owned()))
        .await
        .unwrap();
    let descriptors = client
        .describe_user_class(Some(&reply.token))
        .await
        .unwrap();
    let schema = Schema::from_descriptors(descriptors);

    // Integer `type` indexes (Backendless's DataTypeEnum order) and a non-email identity.
    let ty = |name: &str| schema.get(name).unwrap().ty.clone();
    assert_eq!(ty("created"), PropertyType::DateTime);
    assert_eq!(ty("username"), PropertyType::String);
    assert_eq!(ty("loyaltyPoints"), PropertyType::Int);
    assert_eq!(ty("rating"), PropertyType::Double);
    assert_eq!(ty("verified"), PropertyType::Boolean);
    assert_eq!(ty("referredBy"), PropertyType::Relation { list: false });
    assert_eq!(ty("legacyRef"), PropertyType::Unknown("GEO_REF".into()));
    assert_eq!(schema.identity().unwrap().name, "username");
    assert_eq!(
        schema.get("referredBy").unwrap().related_table.as_deref(),
        Some("Users")
    );

    // System columns of a real record are read-only; blUserLocale is an ordinary STRING.
    let record = reply.user;
    for name in [
        "socialAccount",
        "accountType",
        "oAuthIdentities",
        "userStatus",
        "lastLogin",
        "memberNumber",
        "referredBy",
        "legacyRef",
    ] {
        assert!(
            !schema.is_editable(name, record.get(name).unwrap()),
            "{name} must be read-only"
        );
    }
    assert_eq!(schema.get("memberNumber").unwrap().access, Access::ReadOnly);
    assert!(schema.is_editable("blUserLocale", &serde_json::json!("en")));
    assert!(
        record.get("user-token").is_none(),
        "the token is not a property"
    );

    // Geometry reads as WKT, a relation as the related object's id, AUTO_INCREMENT as a number, an
    // unknown type as its JSON.
    assert_eq!(
        record.typed("homeLocation", &schema).edit_text(),
        "POINT (-3.7038 40.4168)"
    );
    assert_eq!(
        record.typed("deliveryArea", &schema).edit_text(),
        "POLYGON ((-3.71 40.41, -3.69 40.41, -3.69 40.43, -3.71 40.41))"
    );
    assert_eq!(
        record.typed("referredBy", &schema).edit_text(),
        "0B7E2A44-91C3-4D1E-8F00-5A6B7C8D9E0F"
    );
    assert_eq!(
        record.typed("memberNumber", &schema),
        Value::Int(1042.into())
    );
    assert!(matches!(
        record.typed("legacyRef", &schema),
        Value::Opaque(_)
    ));

    // Nothing is lost: the record is kept byte for byte (minus the token), and an unedited record sends
    // nothing.
    let mut sent: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&fixture("login.json")).unwrap();
    sent.shift_remove("user-token");
    assert_eq!(
        serde_json::to_string(&record.to_json()).unwrap(),
        serde_json::to_string(&sent).unwrap()
    );
    assert!(diff(&record, &record.clone(), &schema).is_empty());

    // An edited geometry is validated and sent as GeoJSON; the other values are carried unchanged.
    let mut edited = record.clone();
    edited
        .apply_edit("homeLocation", &ty("homeLocation"), "POINT (2.35 48.85)")
        .unwrap();
    let error = edited
        .apply_edit("homeLocation", &ty("homeLocation"), "POINT (48.85 200)")
        .unwrap_err();
    assert!(error.message.contains("Latitude 200"), "{error}");
    let changes = diff(&record, &edited, &schema);
    assert_eq!(
        String::from_utf8(changes.to_body_bytes()).unwrap(),
        r#"{"homeLocation":{"type":"Point","coordinates":[2.35,48.85]}}"#
    );
}

#[tokio::test]
async fn guest_users_and_records_without_newer_columns_are_read() {
    let origin = recorded_server().await;
    let client = client(&origin);
    let token = UserToken::new("T".to_owned());
    let rows = client
        .find_users(Some(&token), &FindQuery::default())
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].get("userStatus"), Some(&serde_json::json!("GUEST")));
    assert_eq!(rows[0].get("username"), Some(&serde_json::Value::Null));
    assert!(rows[2].get("accountType").is_none());
    let schema =
        Schema::from_descriptors(serde_json::from_str(&fixture("userclassprops.json")).unwrap());
    assert_eq!(
        rows[1].typed("referredBy", &schema).edit_text(),
        "0B7E2A44-91C3-4D1E-8F00-5A6B7C8D9E0F"
    );
}

#[tokio::test]
async fn a_session_ended_elsewhere_is_a_session_end_and_never_shows_the_token() {
    let origin = recorded_server().await;
    let client = client(&origin);
    let token = UserToken::new("F00DCAFE-0000-4000-8000-0000DEADBEEF".to_owned());
    let error = client
        .get_user(Some(&token), &"SOMEONE".parse().unwrap())
        .await
        .unwrap_err();
    assert!(error.is_session_ending(), "{error:?}");
    assert_eq!(error.code(), Some(3064));
    let shown = format!("{error} {:?} {:?}", error, error.server_message());
    assert!(!shown.contains("DEADBEEF"), "{shown}");
}

#[test]
fn an_operation_for_server_code_asks_for_the_cloudcode_key() {
    let fault: Fault = serde_json::from_str(&fixture("error_3054.json")).unwrap();
    let error = ApiError::from_fault(400, fault);
    assert_eq!(error.cloudcode_key_hint(), Some(CLOUDCODE_KEY_NEEDED));
    assert_eq!(
        CLOUDCODE_KEY_NEEDED,
        "This needs the app's CloudCode key: add it to the connection (Connection → CloudCode key)"
    );
}
