//! The three-way merge of a save that raced another writer: original (what the editor loaded), theirs (the
//! record re-read just before writing) and mine (the pending changeset). Pure and deterministic: no I/O.
//!
//! Properties changed only on the server are taken; properties changed only here are kept; properties
//! changed on both sides to different values become [`Conflict`]s for the user to decide one by one.

use super::diff::Changeset;
use super::record::UserRecord;
use super::schema::{PASSWORD, Schema};
use super::value::{parse_datetime, same_json};

/// One property changed on both sides to different values.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// Property name.
    pub name: String,
    /// The value when the editor loaded the record (`None`: the record had no such key).
    pub original: Option<serde_json::Value>,
    /// The value on the server now (`None`: the record has no such key).
    pub theirs: Option<serde_json::Value>,
    /// The value the user wants to send.
    pub mine: serde_json::Value,
}

/// Which side wins a conflicting property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Keep the server's value (nothing is sent for the property).
    Theirs,
    /// Send the user's value.
    Mine,
}

/// The result of [`merge`].
#[derive(Debug, Clone, PartialEq)]
pub struct Merge {
    /// Every change the user made (`mine`), to resolve from.
    mine: Changeset,
    /// The record re-read from the server: the new baseline once the merge is resolved.
    pub theirs: UserRecord,
    /// The user's changes that do not conflict (sorted); sent whatever the choices are.
    pub clean: Changeset,
    /// Properties changed on both sides to different values, sorted by name.
    pub conflicts: Vec<Conflict>,
    /// Properties only the server changed (sorted); they are taken as they are on the server.
    pub theirs_only: Vec<String>,
}

impl Merge {
    /// Whether the user has nothing to decide.
    pub fn is_clean(&self) -> bool {
        self.conflicts.is_empty()
    }

    /// The changes to send once every conflict is decided: the clean changes plus each conflicting
    /// property resolved to [`Choice::Mine`]. A conflict missing from `choices` keeps the server's value,
    /// so nothing is ever overwritten without an explicit choice.
    pub fn resolve(&self, choices: &[(String, Choice)]) -> Changeset {
        let mut changes = self.mine.clone();
        let names: Vec<String> = changes.keys().map(str::to_owned).collect();
        for name in names {
            let keep = self.clean.get(&name).is_some()
                || choices
                    .iter()
                    .any(|(chosen, choice)| *chosen == name && *choice == Choice::Mine)
                    && self.conflicts.iter().any(|conflict| conflict.name == name);
            if !keep {
                changes.remove(&name);
            }
        }
        changes
    }
}

/// Merges `mine` (changes made against `original`) with `theirs` (the record as the server has it now).
///
/// A property whose server value still means what it meant in `original` keeps the user's change; one the
/// server changed to the very value the user typed needs no sending; any other property the server changed
/// is a conflict. The password never conflicts: it is write-only and never read back.
pub fn merge(
    original: &UserRecord,
    theirs: &UserRecord,
    mine: &Changeset,
    schema: &Schema,
) -> Merge {
    let mut clean = mine.clone();
    let mut conflicts = Vec::new();
    for name in mine.keys() {
        let Some(value) = mine.get(name) else {
            continue;
        };
        if name == PASSWORD {
            continue;
        }
        let before = original.get(name);
        let now = theirs.get(name);
        if same(schema, name, before, now) {
            continue;
        }
        clean.remove(name);
        // The same change on both sides needs no sending; anything else is for the user to decide.
        if !same(schema, name, now, Some(value)) {
            conflicts.push(Conflict {
                name: name.to_owned(),
                original: before.cloned(),
                theirs: now.cloned(),
                mine: value.clone(),
            });
        }
    }
    let mut theirs_only: Vec<String> = theirs
        .names()
        .chain(original.names())
        .filter(|name| mine.get(name).is_none() && !is_bookkeeping(name))
        .filter(|name| !same(schema, name, original.get(name), theirs.get(name)))
        .map(str::to_owned)
        .collect();
    theirs_only.sort();
    theirs_only.dedup();
    Merge {
        mine: mine.clone(),
        theirs: theirs.clone(),
        clean,
        conflicts,
        theirs_only,
    }
}

/// Keys that change on every write or login and say nothing about the user's data.
fn is_bookkeeping(name: &str) -> bool {
    matches!(name, "updated" | "lastLogin" | "___class")
}

/// Whether two raw values of `name` mean the same (a missing key is null; dates compare by instant).
fn same(
    schema: &Schema,
    name: &str,
    a: Option<&serde_json::Value>,
    b: Option<&serde_json::Value>,
) -> bool {
    let null = serde_json::Value::Null;
    let (a, b) = (a.unwrap_or(&null), b.unwrap_or(&null));
    if schema.type_of(name, if a.is_null() { b } else { a })
        == super::schema::PropertyType::DateTime
    {
        let ms = |v: &serde_json::Value| match v {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => parse_datetime(s),
            _ => None,
        };
        if let (Some(x), Some(y)) = (ms(a), ms(b)) {
            return x == y;
        }
    }
    same_json(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_fixtures::record;
    use serde_json::json;

    fn original() -> UserRecord {
        record(
            json!({"objectId": "A1", "updated": 1, "name": "Alice", "age": 30, "phoneNumber": "555",
            "score": 4.5, "address": null}),
        )
    }

    /// A changeset holding exactly `pairs` (built with `diff` against a base where every key differs).
    fn changes(pairs: &[(&str, serde_json::Value)]) -> Changeset {
        let mut base = record(json!({"objectId": "A1"}));
        for (name, _) in pairs {
            base.set(name, json!("(before)"));
        }
        let mut edited = base.clone();
        for (name, value) in pairs {
            edited.set(name, value.clone());
        }
        let changes = crate::model::diff::diff(&base, &edited, &Schema::default());
        assert_eq!(changes.len(), pairs.len());
        changes
    }

    fn keys(changes: &Changeset) -> Vec<&str> {
        changes.keys().collect()
    }

    #[test]
    fn a_server_change_to_another_property_is_merged_and_mine_kept() {
        let theirs = record(
            json!({"objectId": "A1", "updated": 2, "name": "Alice", "age": 31,
            "phoneNumber": "555", "score": 4.5, "address": null, "lastLogin": 9}),
        );
        let mine = changes(&[("name", json!("Alice L."))]);
        let merged = merge(&original(), &theirs, &mine, &Schema::default());
        assert!(merged.is_clean());
        assert_eq!(merged.theirs_only, ["age"]);
        assert_eq!(merged.resolve(&[]), mine);
        assert_eq!(merged.theirs.get("age"), Some(&json!(31)));
    }

    #[test]
    fn both_sides_changing_one_property_is_a_conflict_with_all_three_values() {
        let theirs = record(
            json!({"objectId": "A1", "updated": 2, "name": "Alicia", "age": 30,
            "phoneNumber": "555", "score": 4.5}),
        );
        let mine = changes(&[("name", json!("Alice L.")), ("age", json!(40))]);
        let merged = merge(&original(), &theirs, &mine, &Schema::default());
        assert_eq!(
            merged.conflicts,
            vec![Conflict {
                name: "name".into(),
                original: Some(json!("Alice")),
                theirs: Some(json!("Alicia")),
                mine: json!("Alice L."),
            }]
        );
        assert_eq!(keys(&merged.clean), ["age"]);
        assert_eq!(
            keys(&merged.resolve(&[])),
            ["age"],
            "no choice keeps theirs"
        );
        assert_eq!(
            keys(&merged.resolve(&[("name".into(), Choice::Theirs)])),
            ["age"]
        );
        let resolved = merged.resolve(&[("name".into(), Choice::Mine)]);
        assert_eq!(resolved.get("name"), Some(&json!("Alice L.")));
        assert_eq!(keys(&resolved), ["age", "name"]);
    }

    #[test]
    fn the_same_change_on_both_sides_is_neither_sent_nor_a_conflict() {
        let theirs = record(
            json!({"objectId": "A1", "updated": 2, "name": "Alicia", "age": 30,
            "phoneNumber": "555", "score": 4.50}),
        );
        let mine = changes(&[("name", json!("Alicia"))]);
        let merged = merge(&original(), &theirs, &mine, &Schema::default());
        assert!(merged.is_clean());
        assert!(merged.resolve(&[]).is_empty());
    }

    #[test]
    fn numbers_by_value_and_missing_keys_as_null_are_not_changes() {
        // The server wrote 4.50 for 4.5 and dropped the null `address` key: neither is a change.
        let theirs = record(
            json!({"objectId": "A1", "updated": 2, "name": "Alice", "age": 30,
            "phoneNumber": "555", "score": 4.50}),
        );
        let mine = changes(&[("address", json!("Lane 1"))]);
        let merged = merge(&original(), &theirs, &mine, &Schema::default());
        assert!(merged.is_clean());
        assert!(merged.theirs_only.is_empty(), "{:?}", merged.theirs_only);
        assert_eq!(keys(&merged.resolve(&[])), ["address"]);
    }

    #[test]
    fn clearing_to_null_against_a_server_edit_is_a_conflict() {
        let theirs = record(
            json!({"objectId": "A1", "updated": 2, "name": "Alice", "age": 30,
            "phoneNumber": "556", "score": 4.5}),
        );
        let mine = changes(&[("phoneNumber", serde_json::Value::Null)]);
        let merged = merge(&original(), &theirs, &mine, &Schema::default());
        assert_eq!(merged.conflicts.len(), 1);
        assert_eq!(merged.conflicts[0].mine, serde_json::Value::Null);
        assert_eq!(
            merged
                .resolve(&[("phoneNumber".into(), Choice::Mine)])
                .get("phoneNumber"),
            Some(&serde_json::Value::Null)
        );
    }

    #[test]
    fn the_password_never_conflicts_and_is_always_sent() {
        let theirs = record(json!({"objectId": "A1", "updated": 2, "name": "Bob"}));
        let mut mine = Changeset::default();
        mine.set_password("new-secret".to_owned());
        let merged = merge(&original(), &theirs, &mine, &Schema::default());
        assert!(merged.is_clean());
        assert_eq!(keys(&merged.resolve(&[])), ["password"]);
    }

    #[test]
    fn a_new_property_added_on_both_sides_with_different_values_conflicts() {
        let theirs = record(
            json!({"objectId": "A1", "updated": 2, "name": "Alice", "age": 30,
            "phoneNumber": "555", "score": 4.5, "nickname": "Al"}),
        );
        let mine = changes(&[("nickname", json!("Ally"))]);
        let merged = merge(&original(), &theirs, &mine, &Schema::default());
        assert_eq!(merged.conflicts[0].original, None);
        assert_eq!(merged.conflicts[0].theirs, Some(json!("Al")));
    }
}
