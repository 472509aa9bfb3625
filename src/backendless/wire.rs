//! Serde shapes exactly as they travel on the wire, shared by the client and the emulator.

use serde::{Deserialize, Serialize};

/// Keys of a Users record that the server owns: never written by an update (official SDKs send whole objects
/// back, so the server ignores them), shown read-only by the editor.
pub const SYSTEM_KEYS: [&str; 11] = [
    "objectId",
    "created",
    "updated",
    "ownerId",
    "___class",
    "user-token",
    "lastLogin",
    "userStatus",
    "socialAccount",
    "accountType",
    "oAuthIdentities",
];

/// A Backendless error body: `{"code": <number>, "message": "<text>", "errorData": {}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// The Backendless error code, e.g. 3003.
    pub code: i64,
    /// The server's message.
    #[serde(default)]
    pub message: String,
    /// Extra data; Backendless sends an object, usually empty.
    #[serde(default = "empty_object")]
    pub error_data: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

impl Fault {
    /// A fault with an empty `errorData`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            error_data: empty_object(),
        }
    }
}

/// The elements of the JSON array `bytes`, each as its own slice (surrounding whitespace trimmed), so that
/// each can be parsed on its own and one that cannot be read spoils only itself.
///
/// Checks the array's structure only (brackets, strings, commas, nothing after the end), without
/// recursion, so no nesting depth can overflow it; the elements' own contents are left to their parsing.
pub fn array_elements(bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    top_level_items(bytes, b'[')
}

/// The value of `key` in the JSON object `bytes` when it is a string at the object's top level, read
/// without parsing the other members (which may be unreadable).
pub fn top_level_string(bytes: &[u8], key: &str) -> Option<String> {
    top_level_items(bytes, b'{')
        .ok()?
        .into_iter()
        .find_map(|member| {
            let colon = member_colon(member)?;
            let name: String = serde_json::from_slice(&member[..colon]).ok()?;
            if name != key {
                return None;
            }
            serde_json::from_slice(&member[colon + 1..]).ok()
        })
}

/// The position of the `:` after the key of an object member (`"key": value`).
fn member_colon(member: &[u8]) -> Option<usize> {
    let mut escaped = false;
    let closing = member
        .iter()
        .enumerate()
        .skip(1)
        .find(|&(_, &b)| {
            let end = !escaped && b == b'"';
            escaped = !escaped && b == b'\\';
            end
        })?
        .0;
    let rest = &member[closing + 1..];
    let offset = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    (rest[offset] == b':').then_some(closing + 1 + offset)
}

/// The top-level items of the array (`open` = `[`) or object (`{`) in `bytes`; for an object, whole
/// `"key": value` members. Keeps a stack of the open brackets on the heap, never recursing.
fn top_level_items(bytes: &[u8], open: u8) -> Result<Vec<&[u8]>, String> {
    let first = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .ok_or("the answer is empty")?;
    if bytes[first] != open {
        let what = if open == b'[' {
            "an array"
        } else {
            "an object"
        };
        return Err(format!("expected {what}"));
    }
    let mut stack = vec![open];
    let mut items = Vec::new();
    let mut item_start = first + 1;
    let mut in_string = false;
    let mut escaped = false;
    let mut end = None;
    for (i, &b) in bytes.iter().enumerate().skip(first + 1) {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => stack.push(b),
            b']' | b'}' => {
                let matching = if b == b']' { b'[' } else { b'{' };
                if stack.pop() != Some(matching) {
                    return Err(format!("unexpected `{}` at byte {i}", b as char));
                }
                if stack.is_empty() {
                    let last = bytes[item_start..i].trim_ascii();
                    if !last.is_empty() || !items.is_empty() {
                        items.push(last);
                    }
                    end = Some(i);
                    break;
                }
            }
            b',' if stack.len() == 1 => {
                items.push(bytes[item_start..i].trim_ascii());
                item_start = i + 1;
            }
            _ => {}
        }
    }
    let end = end.ok_or("the answer ends early")?;
    if !bytes[end + 1..].iter().all(u8::is_ascii_whitespace) {
        return Err(format!("unexpected text after byte {end}"));
    }
    if items.iter().any(|item| item.is_empty()) {
        return Err("an empty element".to_owned());
    }
    Ok(items)
}

/// The type names in the order of Backendless's `DataTypeEnum` (Swift SDK `DataTypeEnum.swift`, Android SDK
/// `DateTypeEnum.java`): a descriptor whose `type` is an integer means the name at that index.
pub const DATA_TYPE_INDEX: [&str; 11] = [
    "UNKNOWN",
    "INT",
    "STRING",
    "BOOLEAN",
    "DATETIME",
    "DOUBLE",
    "RELATION",
    "COLLECTION",
    "RELATION_LIST",
    "STRING_ID",
    "TEXT",
];

/// The name of a descriptor's `type`, given as a name or as an index into [`DATA_TYPE_INDEX`].
fn type_name_or_index<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NameOrIndex {
        Name(String),
        Index(serde_json::Number),
        Null(()),
    }
    Ok(match NameOrIndex::deserialize(d)? {
        NameOrIndex::Name(name) => name,
        NameOrIndex::Index(n) => n
            .as_u64()
            .and_then(|i| DATA_TYPE_INDEX.get(usize::try_from(i).ok()?))
            .unwrap_or(&DATA_TYPE_INDEX[0])
            .to_string(),
        NameOrIndex::Null(()) => String::new(),
    })
}

/// A boolean where `null` means false.
fn bool_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

/// One property descriptor as returned by `users/userclassprops` and `data/Users/properties`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyDescriptor {
    /// Column name.
    pub name: String,
    /// Must be non-empty (`null` reads as false).
    #[serde(default, deserialize_with = "bool_or_null")]
    pub required: bool,
    /// Backendless type name: `STRING`, `INT`, `DATETIME`, ... Some servers send an integer index into
    /// [`DATA_TYPE_INDEX`] instead; it is read as the name (an index out of range as `UNKNOWN`).
    #[serde(rename = "type", default, deserialize_with = "type_name_or_index")]
    pub data_type: String,
    /// Default value used at registration.
    #[serde(default)]
    pub default_value: serde_json::Value,
    /// Whether this is the identity column (only `userclassprops` carries it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<bool>,
    /// Target table of a relation column.
    #[serde(default)]
    pub related_table: Option<String>,
    /// Validator regex.
    #[serde(default)]
    pub custom_regex: Option<String>,
    /// Relation auto-load.
    #[serde(default)]
    pub auto_load: Option<bool>,
    /// Part of the primary key.
    #[serde(default)]
    pub is_primary_key: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(items: &[&[u8]]) -> Vec<String> {
        items
            .iter()
            .map(|item| String::from_utf8_lossy(item).into_owned())
            .collect()
    }

    #[test]
    fn array_elements_are_split_at_top_level_commas_only() {
        let page = br#" [ {"a": [1, 2], "b": "x,]}\"y"}, 3 ,"s" , [] ] "#;
        assert_eq!(
            texts(&array_elements(page).unwrap()),
            [r#"{"a": [1, 2], "b": "x,]}\"y"}"#, "3", r#""s""#, "[]"]
        );
        assert!(array_elements(b"[]").unwrap().is_empty());
        assert!(array_elements(b" [ ] ").unwrap().is_empty());
    }

    #[test]
    fn malformed_arrays_are_refused_as_a_whole() {
        for bad in [
            &b""[..],
            b"{}",
            b"[1,]",
            b"[,1]",
            b"[1 2",
            b"[{]}",
            b"[1] x",
            b"[\"open]",
        ] {
            assert!(
                array_elements(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn any_depth_is_split_without_recursion() {
        // Far deeper than serde_json's limit of 128 (and than any thread stack would allow recursing).
        let depth = 200_000;
        let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let page = format!(r#"[{{"objectId":"A"}},{{"objectId":"B","deep":{deep}}}]"#);
        let items = array_elements(page.as_bytes()).unwrap();
        assert_eq!(items.len(), 2);
        assert!(serde_json::from_slice::<serde_json::Value>(items[1]).is_err());
        assert_eq!(top_level_string(items[1], "objectId").as_deref(), Some("B"));
    }

    #[test]
    fn a_top_level_string_is_read_without_the_other_members() {
        let row = br#"{ "name" : "a\"objectId\":\"no\"", "objectId" : "ID-1", "n": {"objectId": "inner"}}"#;
        assert_eq!(top_level_string(row, "objectId").as_deref(), Some("ID-1"));
        assert_eq!(top_level_string(br#"{"objectId": 5}"#, "objectId"), None);
        assert_eq!(top_level_string(b"[1]", "objectId"), None);
        assert_eq!(top_level_string(br#"{"x": 1}"#, "objectId"), None);
    }

    #[test]
    fn descriptor_type_may_be_a_name_or_an_integer_index() {
        let read = |json: &str| serde_json::from_str::<PropertyDescriptor>(json).unwrap();
        assert_eq!(read(r#"{"name":"a","type":"POINT"}"#).data_type, "POINT");
        assert_eq!(read(r#"{"name":"a","type":1}"#).data_type, "INT");
        assert_eq!(read(r#"{"name":"a","type":3}"#).data_type, "BOOLEAN");
        assert_eq!(read(r#"{"name":"a","type":10}"#).data_type, "TEXT");
        assert_eq!(read(r#"{"name":"a","type":99}"#).data_type, "UNKNOWN");
        assert_eq!(read(r#"{"name":"a","type":-1}"#).data_type, "UNKNOWN");
        assert_eq!(read(r#"{"name":"a","type":null}"#).data_type, "");
        let d = read(r#"{"name":"a","type":"STRING","required":null,"identity":null}"#);
        assert!(!d.required);
        assert_eq!(d.identity, None);
    }
}
