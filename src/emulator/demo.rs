//! The demo data of CONTRACT.md §2: the demo columns, Alice / Bob / Admin, and N generated users.
//!
//! Deterministic: two runs produce the same records (objectIds, `created`, every property). Pure: the store
//! writes what this module describes.

use serde_json::{Value, json};

use super::auth::format_id;
use super::schema::{Column, ColumnType, IDENTITY, USERS_TABLE, json_to_sql};

/// Password of every generated user (`user00001@example.com`, ...).
pub const GENERATED_USER_PASSWORD: &str = "generated-pass-1";

/// Decimals of generated coordinates (about 10 cm): what a person would type, without float noise.
const COORDINATE_DECIMALS: i32 = 6;

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

/// A demo user's identity in a store whose identity column is `identity`: the email for `email`, otherwise
/// the user's own value of that property if it has one (`name`: "Alice Liddell"), else the email's local part
/// (`alice`, `user00001`); each is unique among the demo users.
pub fn identity_value(user: &DemoUser, identity: &str) -> String {
    if identity.eq_ignore_ascii_case(IDENTITY) {
        return user.email.clone();
    }
    if let Some(Value::String(own)) = user.properties.get(identity) {
        return own.clone();
    }
    user.email
        .split_once('@')
        .map_or_else(|| user.email.clone(), |(local, _)| local.to_owned())
}

/// For a `--schema` store: gives `user` a plausible value for every user column it has no fitting value for,
/// deterministic in `ordinal` (the user's place in creation order, from 1). Named users keep the CONTRACT
/// values of the columns the schema shares with the demo schema.
pub fn fill_plausible(user: &mut DemoUser, columns: &[Column], ordinal: u64) {
    for column in columns.iter().filter(|c| !c.system && !c.identity) {
        let fits = user
            .properties
            .get(&column.name)
            .is_some_and(|v| json_to_sql(column, v).is_ok());
        if fits || column.name == super::schema::PASSWORD || column.name == "blUserLocale" {
            continue;
        }
        let value = plausible_value(column, &user.email, ordinal);
        user.properties.insert(column.name.clone(), value);
    }
}

/// A plausible, deterministic value of `column`'s type (the text guided by the column's name).
pub fn plausible_value(column: &Column, email: &str, ordinal: u64) -> Value {
    let h = splitmix64(ordinal ^ fnv(&column.name));
    let local = email.split_once('@').map_or(email, |(l, _)| l);
    let name = column.name.to_ascii_lowercase();
    // A spot in Europe, roughly: lon 0..20, lat 40..55, 4 decimals.
    let lon = (h % 200_000) as f64 / 10_000.0;
    let lat = 40.0 + ((h >> 20) % 150_000) as f64 / 10_000.0;
    // A corner `east` / `north` hundredths of a degree away, rounded as typed.
    let at = |east: f64, north: f64| json!([coordinate(lon + east), coordinate(lat + north)]);
    match column.column_type {
        ColumnType::String | ColumnType::StringId => Value::String(if name.contains("mail") {
            format!("{local}@example.com")
        } else if name.contains("phone") {
            format!("555-{:04}", ordinal % 10_000)
        } else if name.contains("name") {
            format!("User {local}")
        } else if name.contains("address") || name.contains("street") {
            format!("{ordinal} Generated Street")
        } else if name.contains("city") {
            ["Lisbon", "Oslo", "Vienna", "Lyon", "Porto"][(h % 5) as usize].to_owned()
        } else if name.contains("url") || name.contains("site") {
            format!("https://example.com/{local}")
        } else {
            format!("{} of {local}", column.name)
        }),
        ColumnType::Text => Value::String(format!(
            "Generated {} for {local}: a longer text,\nwith a second line.",
            column.name
        )),
        ColumnType::FileRef => Value::String(format!("https://example.com/files/{local}.png")),
        ColumnType::Int => json!(h % 1_000),
        ColumnType::AutoIncrement => json!(ordinal),
        ColumnType::Double => json!(((h >> 16) % 5_001) as f64 / 100.0),
        ColumnType::Boolean => Value::Bool(h.is_multiple_of(2)),
        // Midnight UTC in 2000..2024.
        ColumnType::DateTime => json!(946_684_800_000_i64 + ((h >> 8) % 8_766) as i64 * 86_400_000),
        ColumnType::Json => {
            json!({"theme": if h.is_multiple_of(2) { "dark" } else { "light" }, "tags": [format!("tag{}", h % 10)]})
        }
        ColumnType::Point | ColumnType::Geometry => {
            json!({"type": "Point", "coordinates": at(0.0, 0.0)})
        }
        ColumnType::LineString => {
            json!({"type": "LineString", "coordinates": [at(0.0, 0.0), at(0.01, 0.01), at(0.02, 0.0)]})
        }
        ColumnType::Polygon => {
            json!({"type": "Polygon", "coordinates": [[at(0.0, 0.0), at(0.01, 0.0), at(0.01, 0.01), at(0.0, 0.01), at(0.0, 0.0)]]})
        }
        // Only Users exists here: point at Alice (Alice herself points at nobody).
        ColumnType::Relation | ColumnType::RelationList
            if column.related_table.as_deref() == Some(USERS_TABLE) && ordinal > 1 =>
        {
            let alice = json!({"___class": USERS_TABLE, "objectId": demo_object_id(0)});
            match column.column_type {
                ColumnType::Relation => alice,
                _ => json!([alice]),
            }
        }
        ColumnType::Relation | ColumnType::RelationList => Value::Null,
    }
}

/// `degrees` rounded to [`COORDINATE_DECIMALS`] decimals: the nearest double to the decimal a person would
/// type, so it is written back as `13.41`, never `13.410000000000002`.
fn coordinate(degrees: f64) -> f64 {
    let scale = 10_f64.powi(COORDINATE_DECIMALS);
    (degrees * scale).round() / scale
}

/// FNV-1a of a name, to vary values between columns.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
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

    /// Every number in `value`, as serde_json writes it.
    fn numbers(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Number(n) => out.push(n.to_string()),
            Value::Array(items) => items.iter().for_each(|v| numbers(v, out)),
            Value::Object(map) => map.values().for_each(|v| numbers(v, out)),
            _ => {}
        }
    }

    /// Generated geometry reads as a person would type it: at most `COORDINATE_DECIMALS` decimals, no
    /// float noise such as `13.400000000000002`.
    #[test]
    fn generated_coordinates_have_no_float_noise() {
        for column_type in [
            ColumnType::Point,
            ColumnType::LineString,
            ColumnType::Polygon,
        ] {
            let column = Column::user("place", column_type, false);
            for ordinal in 1..2_000 {
                let mut texts = Vec::new();
                numbers(
                    &plausible_value(&column, "someone@example.com", ordinal),
                    &mut texts,
                );
                assert!(!texts.is_empty());
                for text in texts {
                    let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
                    assert!(
                        decimals <= COORDINATE_DECIMALS as usize && !text.contains('e'),
                        "{column_type:?} #{ordinal}: coordinate {text}"
                    );
                }
            }
        }
    }
}
