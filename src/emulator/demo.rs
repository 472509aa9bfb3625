//! The demo data of CONTRACT.md §2: the demo columns, Alice / Bob / Admin, and N generated users.
//!
//! Deterministic: two runs produce the same records (objectIds, `created`, every property). Pure: the store
//! writes what this module describes.

use serde_json::{Value, json};

use super::auth::format_id;
use super::schema::{Column, ColumnType};

/// Password of every generated user (`user00001@example.com`, ...).
pub const GENERATED_USER_PASSWORD: &str = "generated-pass-1";

/// `created` of the first demo user: 2024-01-01T00:00:00Z. Later users are one second apart.
const BASE_CREATED_MS: i64 = 1_704_067_200_000;

/// One demo user to create.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoUser {
    /// Deterministic objectId.
    pub object_id: String,
    /// Deterministic `created` (and `updated` is null).
    pub created_ms: i64,
    /// The identity (email).
    pub email: String,
    /// Plain password (hashed by the store); `None` for generated users, which share one hash.
    pub password: Option<&'static str>,
    /// Roles besides the system ones.
    pub roles: Vec<&'static str>,
    /// The other properties, by column name.
    pub properties: serde_json::Map<String, Value>,
}

/// The columns `--demo` adds to the base Users table (`name` becomes required).
pub fn demo_columns() -> Vec<Column> {
    vec![
        Column::user("phoneNumber", ColumnType::String, false),
        Column::user("address", ColumnType::String, false),
        Column::user("age", ColumnType::Int, false),
        Column::user("birthday", ColumnType::DateTime, false),
        Column::user("newsletter", ColumnType::Boolean, false),
        Column::user("score", ColumnType::Double, false),
        Column::user("preferences", ColumnType::Json, false),
    ]
}

fn props(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// A deterministic objectId for demo user number `n` (splitmix64 of `n`, twice).
pub fn demo_object_id(n: u64) -> String {
    let hi = splitmix64(n.wrapping_mul(2).wrapping_add(0xD3A0));
    let lo = splitmix64(n.wrapping_mul(2).wrapping_add(0xD3A1));
    format_id((u128::from(hi) << 64) | u128::from(lo))
}

fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Alice, Bob and Admin exactly as CONTRACT.md §2 lists them.
pub fn named_users() -> Vec<DemoUser> {
    vec![
        DemoUser {
            object_id: demo_object_id(0),
            created_ms: BASE_CREATED_MS,
            email: "alice@example.com".into(),
            password: Some("alice-pass-1"),
            roles: vec![],
            properties: props(json!({
                "name": "Alice Liddell",
                "phoneNumber": "555-0100",
                "address": "12 Rabbit Hole Lane",
                "age": 30,
                // 1996-05-04T00:00:00Z
                "birthday": 831_168_000_000_i64,
                "newsletter": true,
                "score": 4.5,
                "preferences": {"theme": "dark", "langs": ["en", "fr"]},
            })),
        },
        DemoUser {
            object_id: demo_object_id(1),
            created_ms: BASE_CREATED_MS + 1_000,
            email: "bob@example.com".into(),
            password: Some("bob-pass-1"),
            roles: vec![],
            properties: props(json!({"name": "Bob Builder", "phoneNumber": "555-0101"})),
        },
        DemoUser {
            object_id: demo_object_id(2),
            created_ms: BASE_CREATED_MS + 2_000,
            email: "admin@example.com".into(),
            password: Some("admin-pass-1"),
            roles: vec!["Admin"],
            properties: props(json!({"name": "Ada Admin"})),
        },
    ]
}

/// Generated user number `n` (1-based): `user00001@example.com`, "User 00001", with deterministic values.
pub fn generated_user(n: u32) -> DemoUser {
    let h = splitmix64(u64::from(n));
    let age = 18 + (h % 60) as i64;
    // Birthdays spread over 1950..2006, at midnight UTC.
    let birthday_ms = -631_152_000_000_i64 + ((h >> 8) % 20_454) as i64 * 86_400_000;
    DemoUser {
        object_id: demo_object_id(u64::from(n) + 2),
        created_ms: BASE_CREATED_MS + 3_000 + i64::from(n) * 1_000,
        email: format!("user{n:05}@example.com"),
        password: None,
        roles: vec![],
        properties: props(json!({
            "name": format!("User {n:05}"),
            "phoneNumber": format!("555-{:04}", n % 10_000),
            "address": format!("{} Generated Street", n),
            "age": age,
            "birthday": birthday_ms,
            "newsletter": h.is_multiple_of(2),
            "score": ((h >> 16) % 51) as f64 / 10.0,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_users_are_deterministic_and_distinct() {
        assert_eq!(generated_user(7), generated_user(7));
        assert_ne!(generated_user(7).object_id, generated_user(8).object_id);
        assert_eq!(generated_user(1).email, "user00001@example.com");
        let named: Vec<String> = named_users().into_iter().map(|u| u.object_id).collect();
        assert!(!named.contains(&generated_user(1).object_id));
    }
}
