//! Benchmarks of the pure model: diff and update-body encoding for a 1,000-property record
//! (target: under 100 µs), and the whole CPU side of a save as the app does it (`save/…`): the session's
//! changeset (a clone of the record, every edited buffer parsed, the diff), the body, and parsing the two
//! answers a checked save reads (the re-read record and the updated record). Run with
//! `cargo bench --bench model`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use profile_editor::model::{Schema, UserRecord, diff};
use profile_editor::profile::session::EditSession;
use serde_json::{Value, json};

#[path = "common/mod.rs"]
mod common;
use common::descriptor;

const PROPERTIES: usize = 1_000;

/// The Backendless type and a value of that type for property `i`.
fn property(i: usize) -> (&'static str, Value) {
    match i % 7 {
        0 => ("STRING", json!(format!("value number {i}"))),
        1 => ("INT", json!(i * 1_000)),
        2 => (
            "DOUBLE",
            serde_json::from_str(&format!("{i}.250")).unwrap_or(Value::Null),
        ),
        3 => ("BOOLEAN", json!(i.is_multiple_of(2))),
        4 => ("DATETIME", json!(1_700_000_000_000_i64 + i as i64)),
        5 => (
            "JSON",
            json!({"i": i, "tags": ["a", "b"], "nested": {"x": 1.5}}),
        ),
        _ => ("TEXT", Value::Null),
    }
}

fn wide_schema_and_record() -> (Schema, UserRecord) {
    let mut descriptors = vec![
        descriptor("email", "STRING", true, true),
        descriptor("objectId", "STRING_ID", false, false),
        descriptor("created", "DATETIME", false, false),
        descriptor("updated", "DATETIME", false, false),
    ];
    let mut map = serde_json::Map::new();
    map.insert(
        "objectId".into(),
        json!("A1B2C3D4-0000-4000-8000-000000000001"),
    );
    map.insert("___class".into(), json!("Users"));
    map.insert("created".into(), json!(1_700_000_000_000_i64));
    map.insert("updated".into(), Value::Null);
    map.insert("email".into(), json!("wide@example.com"));
    for i in 0..PROPERTIES - 5 {
        let (ty, value) = property(i);
        let name = format!("prop{i:04}");
        descriptors.push(descriptor(&name, ty, false, false));
        map.insert(name, value);
    }
    let record = UserRecord::from_json(map).expect("the bench record has an objectId");
    (Schema::from_descriptors(descriptors), record)
}

fn model(c: &mut Criterion) {
    let (schema, original) = wide_schema_and_record();
    assert_eq!(original.names().count(), PROPERTIES);

    let mut one_change = original.clone();
    one_change.set("prop0007", json!("edited"));
    let mut every_change = original.clone();
    for i in 0..PROPERTIES - 5 {
        let name = format!("prop{i:04}");
        let new = match property(i).0 {
            "STRING" | "TEXT" => json!("x"),
            "INT" | "DATETIME" => json!(7),
            "DOUBLE" => json!(0.5),
            "BOOLEAN" => json!(!i.is_multiple_of(2)),
            _ => json!({"edited": true}),
        };
        every_change.set(&name, new);
    }

    c.bench_function("diff/1000 properties, unchanged", |b| {
        b.iter(|| {
            diff(
                black_box(&original),
                black_box(&original),
                black_box(&schema),
            )
        })
    });
    c.bench_function("diff+body/1000 properties, one change", |b| {
        b.iter(|| {
            diff(
                black_box(&original),
                black_box(&one_change),
                black_box(&schema),
            )
            .to_body_bytes()
        })
    });
    c.bench_function("diff+body/1000 properties, all changed", |b| {
        b.iter(|| {
            diff(
                black_box(&original),
                black_box(&every_change),
                black_box(&schema),
            )
            .to_body_bytes()
        })
    });
    let all = diff(&original, &every_change, &schema);
    assert_eq!(all.len(), PROPERTIES - 5);
    c.bench_function("body/995 changed properties", |b| {
        b.iter(|| black_box(&all).to_body_bytes())
    });

    // The save as the app runs it, from the edit buffers to the parsed answers.
    for (label, edited) in [("one change", &one_change), ("all changed", &every_change)] {
        let mut session = EditSession::new(schema.clone(), original.clone());
        let edits: Vec<(String, Value)> = edited
            .names()
            .filter(|name| edited.get(name) != original.get(name))
            .map(|name| {
                (
                    name.to_owned(),
                    edited.get(name).cloned().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(session.import_values(&edits).len(), edits.len());
        let expected = diff(&original, edited, &schema);
        assert!(session.changeset().ok() == Some(expected), "{label}");
        // What the server answers: the re-read record, then the updated one.
        let reread = serde_json::to_vec(&original.to_json()).unwrap_or_default();
        let saved = serde_json::to_vec(&edited.to_json()).unwrap_or_default();
        c.bench_function(&format!("save/1000 properties, {label}"), |b| {
            b.iter(|| {
                let changes = black_box(&session).changeset().ok()?;
                let body = changes.to_body_bytes();
                let current = parse_record(black_box(&reread))?;
                let updated = parse_record(black_box(&saved))?;
                Some((body, current, updated))
            })
        });
    }
}

/// A record from an answer's bytes, as the client reads one.
fn parse_record(bytes: &[u8]) -> Option<UserRecord> {
    let map: serde_json::Map<String, Value> = serde_json::from_slice(bytes).ok()?;
    UserRecord::from_json(map).ok()
}

criterion_group!(benches, model);
criterion_main!(benches);
