//! Typed property values: reading them from JSON, printing them for an editor and parsing edits back.
//!
//! Pure: no I/O. Values the program does not understand stay [`Value::Opaque`] and are carried unchanged;
//! numbers keep their exact text (`serde_json` is built with `arbitrary_precision`).

use std::str::FromStr as _;

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _, Utc};

use super::schema::{PropertyType, is_whole_number};

/// One property value, typed by the schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value (distinct from the empty string).
    Null,
    /// STRING, TEXT and FILE_REF values.
    Text(String),
    /// INT (and AUTO_INCREMENT) values, exact at any size.
    Int(serde_json::Number),
    /// DOUBLE values, with their exact text.
    Double(serde_json::Number),
    /// BOOLEAN values.
    Bool(bool),
    /// DATETIME values as epoch milliseconds (UTC).
    DateTime(i64),
    /// JSON column values: any JSON, key order and number text kept.
    Json(serde_json::Value),
    /// POINT, LINESTRING, POLYGON and GEOMETRY values, as received (GeoJSON or WKT) or as parsed from WKT
    /// (GeoJSON); edited as WKT text.
    Geometry(serde_json::Value),
    /// RELATION and RELATION_LIST values, as received: shown as the related objects' ids, read-only.
    Relation(serde_json::Value),
    /// Unknown types and values of an unexpected JSON shape: shown read-only, carried unchanged.
    Opaque(serde_json::Value),
}

impl Value {
    /// Reads a raw JSON value as the given type; a value of an unexpected shape becomes [`Value::Opaque`] so
    /// that it is never corrupted.
    pub fn from_json(ty: &PropertyType, v: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match (ty, v) {
            (_, J::Null) => Value::Null,
            (
                PropertyType::String
                | PropertyType::Text
                | PropertyType::FileRef
                | PropertyType::StringId,
                J::String(s),
            ) => Value::Text(s.clone()),
            (PropertyType::Int | PropertyType::AutoIncrement, J::Number(n))
                if is_whole_number(n) =>
            {
                Value::Int(n.clone())
            }
            (PropertyType::Double, J::Number(n)) => Value::Double(n.clone()),
            (PropertyType::Boolean, J::Bool(b)) => Value::Bool(*b),
            (PropertyType::DateTime, J::Number(n)) => match n.as_i64() {
                Some(ms) if is_whole_number(n) => Value::DateTime(ms),
                _ => Value::Opaque(v.clone()),
            },
            (PropertyType::DateTime, J::String(s)) => match parse_datetime(s) {
                Some(ms) => Value::DateTime(ms),
                None => Value::Opaque(v.clone()),
            },
            (PropertyType::Json, _) => Value::Json(v.clone()),
            (PropertyType::Geometry(_), _) if super::geometry::wkt_of(v).is_some() => {
                Value::Geometry(v.clone())
            }
            (PropertyType::Relation { .. }, _) if relation_ids(v).is_some() => {
                Value::Relation(v.clone())
            }
            _ => Value::Opaque(v.clone()),
        }
    }

    /// The JSON this value is sent as: DATETIME as epoch ms, numbers with their exact text.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Text(s) => serde_json::Value::String(s.clone()),
            Value::Int(n) | Value::Double(n) => serde_json::Value::Number(n.clone()),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::DateTime(ms) => serde_json::Value::Number((*ms).into()),
            Value::Json(v) | Value::Geometry(v) | Value::Relation(v) | Value::Opaque(v) => {
                v.clone()
            }
        }
    }

    /// Text for an editor; `""` for Null. [`parse_edit`] of this text gives the value back.
    ///
    /// DATETIME is local time, `YYYY-MM-DD HH:MM:SS` (with `.mmm` when the milliseconds are not zero); a local
    /// time that daylight saving makes ambiguous is written as RFC 3339 with its offset instead.
    pub fn edit_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Text(s) => s.clone(),
            Value::Int(n) | Value::Double(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::DateTime(ms) => datetime_edit_text(*ms),
            Value::Geometry(v) => super::geometry::wkt_of(v).unwrap_or_else(|| v.to_string()),
            Value::Relation(v) => match relation_ids(v) {
                Some(ids) if ids.is_empty() => "(none)".to_owned(),
                Some(ids) => ids.join(", "),
                None => v.to_string(),
            },
            Value::Json(v) | Value::Opaque(v) => v.to_string(),
        }
    }

    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// The ids of the objects a relation value points at: an id string, an object with `objectId`, or an array
/// of those; `None` for any other shape.
pub fn relation_ids(v: &serde_json::Value) -> Option<Vec<String>> {
    let one = |v: &serde_json::Value| match v {
        serde_json::Value::String(id) => Some(id.clone()),
        serde_json::Value::Object(map) => map
            .get("objectId")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
        _ => None,
    };
    match v {
        serde_json::Value::Array(items) => items.iter().map(one).collect(),
        other => one(other).map(|id| vec![id]),
    }
}

/// A per-field parse error, worded for the person who typed the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EditError {
    /// E.g. "“12a” is not a whole number."
    pub message: String,
}

impl EditError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// Parses editor text as a value of type `ty`.
///
/// STRING/TEXT: any text, `""` is the empty string (null is set explicitly, not typed). Numbers, dates and
/// JSON: `""` is an error. DATETIME accepts RFC 3339 / ISO-8601 with an offset, `YYYY-MM-DD HH:MM[:SS[.mmm]]`
/// (or with a `T`) in LOCAL time, the same followed by ` UTC` or `Z`, a bare date (local midnight) and epoch
/// milliseconds. BOOLEAN accepts true/false in any case.
pub fn parse_edit(ty: &PropertyType, text: &str) -> Result<Value, EditError> {
    match ty {
        PropertyType::String | PropertyType::Text | PropertyType::FileRef => {
            Ok(Value::Text(text.to_owned()))
        }
        PropertyType::Int | PropertyType::AutoIncrement => parse_int(text).map(Value::Int),
        PropertyType::Double => parse_double(text).map(Value::Double),
        PropertyType::Boolean => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            "" => Err(EditError::new(
                "Enter true or false (or set the field to null).",
            )),
            _ => Err(EditError::new(format!(
                "“{}” is not true or false.",
                text.trim()
            ))),
        },
        PropertyType::DateTime => {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                return Err(EditError::new(
                    "Enter a date and time (or set the field to null).",
                ));
            }
            parse_datetime(trimmed)
                .map(Value::DateTime)
                .ok_or_else(|| datetime_error(trimmed))
        }
        PropertyType::Json => parse_json(text).map(Value::Json),
        PropertyType::Geometry(column) => {
            if text.trim().is_empty() {
                return Err(EditError::new(format!(
                    "Enter a geometry as WKT, e.g. {} (or set the field to null).",
                    super::geometry::example(column)
                )));
            }
            super::geometry::parse_wkt(column, text)
                .map(Value::Geometry)
                .map_err(EditError::new)
        }
        PropertyType::Relation { .. } | PropertyType::StringId | PropertyType::Unknown(_) => Err(
            EditError::new(format!("{} properties cannot be edited here.", ty.name())),
        ),
    }
}

fn parse_int(text: &str) -> Result<serde_json::Number, EditError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(EditError::new(
            "Enter a whole number (or set the field to null).",
        ));
    }
    let digits = trimmed.strip_prefix(['-', '+']).unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        let hint = if is_grouped_digits(digits) {
            "; leave out the thousands separators"
        } else {
            ""
        };
        return Err(EditError::new(format!(
            "“{trimmed}” is not a whole number{hint}."
        )));
    }
    match trimmed.parse::<i64>() {
        Ok(n) => Ok(n.into()),
        Err(_) => Err(EditError::new(format!(
            "“{trimmed}” is too large for a whole-number property."
        ))),
    }
}

fn parse_double(text: &str) -> Result<serde_json::Number, EditError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(EditError::new("Enter a number (or set the field to null)."));
    }
    // A comma is never read as a decimal point or skipped: the text is refused, with what to type instead.
    let not_a_number = || {
        let hint = match comma_as_decimal_point(trimmed) {
            Some(dotted) => format!("; use a dot for decimals ({dotted})"),
            None if trimmed.contains(',') => "; leave out the thousands separators".to_owned(),
            None => String::new(),
        };
        EditError::new(format!("“{trimmed}” is not a number{hint}."))
    };
    // Only finite values: "NaN" and "inf" parse as f64 but are not JSON.
    match trimmed.parse::<f64>() {
        Ok(f) if f.is_finite() => {}
        Ok(f) if f.is_infinite() && trimmed.bytes().any(|b| b.is_ascii_digit()) => {
            return Err(EditError::new(format!(
                "“{trimmed}” is too large for a number property."
            )));
        }
        Ok(_) => return Err(not_a_number()),
        Err(_) => return Err(not_a_number()),
    }
    // Keep the exact text when it is a JSON number ("4.50" stays "4.50"); otherwise ("+1", ".5", "1.") use
    // the shortest text of the f64.
    let json_text = trimmed.strip_prefix('+').unwrap_or(trimmed);
    match serde_json::Number::from_str(json_text) {
        Ok(n) => Ok(n),
        Err(_) => trimmed
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .ok_or_else(not_a_number),
    }
}

/// `"1,5"` → `Some("1.5")`: the text with its one comma as a decimal point, when that is a plain decimal
/// number. Only for the hint in the error; the typed text is never changed.
fn comma_as_decimal_point(text: &str) -> Option<String> {
    let (whole, fraction) = text.split_once(',')?;
    let digits = whole.strip_prefix(['-', '+']).unwrap_or(whole);
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    // "1,000" is more likely a thousands separator than a decimal comma: no hint then.
    (all_digits(digits) && all_digits(fraction) && fraction.len() != 3)
        .then(|| format!("{whole}.{fraction}"))
}

/// Whether `text` is digits in groups of three separated by commas ("1,000", "12,345,678").
fn is_grouped_digits(text: &str) -> bool {
    let mut groups = text.split(',');
    let first = groups.next().unwrap_or_default();
    let rest: Vec<&str> = groups.collect();
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !rest.is_empty()
        && (1..=3).contains(&first.len())
        && digits(first)
        && rest.iter().all(|group| group.len() == 3 && digits(group))
}

fn parse_json(text: &str) -> Result<serde_json::Value, EditError> {
    if text.trim().is_empty() {
        return Err(EditError::new(
            "Enter a JSON value (or set the field to null).",
        ));
    }
    serde_json::from_str(text).map_err(|e| EditError::new(format!("This is not valid JSON: {e}.")))
}

fn datetime_error(text: &str) -> EditError {
    EditError::new(format!(
        "“{text}” is not a valid date and time. Use YYYY-MM-DD HH:MM[:SS] (local time), RFC 3339 or epoch milliseconds."
    ))
}

/// Parses any accepted DATETIME text into epoch ms; `None` when it is not a possible date and time.
pub(crate) fn parse_datetime(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let ms = text.parse::<i64>().ok()?;
        return DateTime::from_timestamp_millis(ms).map(|_| ms);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.timestamp_millis());
    }
    for format in [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(text, format) {
            return Some(dt.timestamp_millis());
        }
    }
    let utc_text = text
        .strip_suffix(" UTC")
        .or_else(|| text.strip_suffix("UTC"))
        .or_else(|| text.strip_suffix('Z'))
        .or_else(|| text.strip_suffix('z'));
    if let Some(utc_text) = utc_text {
        return parse_naive(utc_text.trim_end()).map(|naive| naive.and_utc().timestamp_millis());
    }
    let naive = parse_naive(text)?;
    // A local time skipped by a daylight-saving change does not exist; an ambiguous one takes the earlier.
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|dt| dt.timestamp_millis())
}

fn parse_naive(text: &str) -> Option<NaiveDateTime> {
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive);
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_time(NaiveTime::MIN))
}

fn datetime_edit_text(ms: i64) -> String {
    let Some(utc) = DateTime::<Utc>::from_timestamp_millis(ms) else {
        return ms.to_string();
    };
    let local = utc.with_timezone(&Local);
    let format = if ms.rem_euclid(1000) == 0 {
        "%Y-%m-%d %H:%M:%S"
    } else {
        "%Y-%m-%d %H:%M:%S%.3f"
    };
    let text = local.format(format).to_string();
    if parse_datetime(&text) == Some(ms) {
        text
    } else {
        local.to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
    }
}

/// `"2026-11-29 14:03:05"` in local time, for display; out-of-range values print as `"<ms> ms"`.
pub fn format_datetime_local(ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(utc) => utc
            .with_timezone(&Local)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        None => format!("{ms} ms"),
    }
}

/// `"2026-11-29 13:03:05 UTC"`, for display; out-of-range values print as `"<ms> ms"`.
pub fn format_datetime_utc(ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(utc) => utc.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        None => format!("{ms} ms"),
    }
}

/// Whether two JSON values mean the same: numbers compare by exact decimal value (`4.5` = `4.50` = `45e-1`,
/// and no precision is lost for big numbers), objects regardless of key order, everything else exactly.
pub fn same_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => same_number(x, y),
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (J::Object(x), J::Object(y)) => {
            if x.len() != y.len() {
                return false;
            }
            // Usually both keep the same key order: compare pairwise without hashing.
            if x.keys().zip(y.keys()).all(|(a, b)| a == b) {
                return x.values().zip(y.values()).all(|(v, w)| same_json(v, w));
            }
            x.iter()
                .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// Exact decimal equality of two JSON numbers, from their text.
fn same_number(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    // `as_str` is the exact text (serde_json's `arbitrary_precision`); equal texts need no parsing.
    let (a, b) = (a.as_str(), b.as_str());
    a == b || matches!((decimal_parts(a), decimal_parts(b)), (Some(x), Some(y)) if x == y)
}

/// `(negative, significant digits, exponent)` with value = digits × 10^exponent; zero is `(false, "", 0)`.
fn decimal_parts(text: &str) -> Option<(bool, String, i64)> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut exponent = exponent.checked_sub(i64::try_from(frac_part.len()).ok()?)?;
    let all = format!("{int_part}{frac_part}");
    let trimmed = all.trim_start_matches('0');
    if trimmed.is_empty() {
        return Some((false, String::new(), 0));
    }
    let significant = trimmed.trim_end_matches('0');
    exponent = exponent.checked_add(i64::try_from(trimmed.len() - significant.len()).ok()?)?;
    Some((negative, significant.to_owned(), exponent))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn raw(text: &str) -> serde_json::Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn values_of_every_type_read_and_write_back_unchanged() {
        let cases: Vec<(PropertyType, &str)> = vec![
            (PropertyType::String, r#""Alice""#),
            (PropertyType::Text, r#""""#),
            (PropertyType::Int, "9007199254740993"),
            (PropertyType::Int, "123456789012345678901234567890"),
            (PropertyType::Double, "4.50"),
            (PropertyType::Double, "1e-7"),
            (PropertyType::Boolean, "false"),
            (PropertyType::DateTime, "1700000000123"),
            (
                PropertyType::Json,
                r#"{"z":1,"a":[1.10,{"b":null}],"big":123456789012345678901234567890}"#,
            ),
            (
                PropertyType::Geometry("POINT".into()),
                r#"{"type":"Point","coordinates":[1.5,2.25],"srsId":4326}"#,
            ),
            (
                PropertyType::Relation { list: false },
                r#"{"___class":"Address","objectId":"X","zip":"0001"}"#,
            ),
            (PropertyType::Unknown("MYSTERY".into()), r#"[1,"two",3.0]"#),
            (PropertyType::Int, r#""not a number""#),
        ];
        for (ty, text) in cases {
            let value = Value::from_json(&ty, &raw(text));
            assert_eq!(
                serde_json::to_string(&value.to_json()).unwrap(),
                text,
                "{ty:?} {text}"
            );
        }
    }

    #[test]
    fn unexpected_shapes_become_opaque() {
        assert_eq!(
            Value::from_json(&PropertyType::Int, &json!("7")),
            Value::Opaque(json!("7"))
        );
        assert_eq!(
            Value::from_json(&PropertyType::Int, &raw("7.5")),
            Value::Opaque(raw("7.5"))
        );
        assert_eq!(
            Value::from_json(&PropertyType::Boolean, &json!(1)),
            Value::Opaque(json!(1))
        );
        assert!(Value::from_json(&PropertyType::String, &json!(null)).is_null());
    }

    #[test]
    fn null_is_not_the_empty_string() {
        let empty = parse_edit(&PropertyType::String, "").unwrap();
        assert_eq!(empty, Value::Text(String::new()));
        assert!(!empty.is_null());
        assert_eq!(empty.to_json(), json!(""));
        assert_eq!(Value::Null.to_json(), json!(null));
        assert_eq!(Value::Null.edit_text(), "");
    }

    #[test]
    fn bad_edits_give_a_clear_error() {
        let cases: &[(PropertyType, &str, &str)] = &[
            (PropertyType::Int, "12a", "“12a” is not a whole number."),
            (PropertyType::Int, "1.5", "“1.5” is not a whole number."),
            (
                PropertyType::Int,
                "",
                "Enter a whole number (or set the field to null).",
            ),
            (
                PropertyType::Int,
                "99999999999999999999",
                "“99999999999999999999” is too large for a whole-number property.",
            ),
            (
                PropertyType::Double,
                "12,5",
                "“12,5” is not a number; use a dot for decimals (12.5).",
            ),
            (
                PropertyType::Double,
                "1,5",
                "“1,5” is not a number; use a dot for decimals (1.5).",
            ),
            (
                PropertyType::Double,
                "-0,25",
                "“-0,25” is not a number; use a dot for decimals (-0.25).",
            ),
            (
                PropertyType::Double,
                "1,000.5",
                "“1,000.5” is not a number; leave out the thousands separators.",
            ),
            (
                PropertyType::Int,
                "1,000",
                "“1,000” is not a whole number; leave out the thousands separators.",
            ),
            (PropertyType::Int, "1,5", "“1,5” is not a whole number."),
            (PropertyType::Int, "abc", "“abc” is not a whole number."),
            (PropertyType::Double, "NaN", "“NaN” is not a number."),
            (
                PropertyType::Double,
                "1e999",
                "“1e999” is too large for a number property.",
            ),
            (PropertyType::Boolean, "yes", "“yes” is not true or false."),
            (
                PropertyType::Json,
                "",
                "Enter a JSON value (or set the field to null).",
            ),
        ];
        for (ty, text, message) in cases {
            assert_eq!(
                parse_edit(ty, text).unwrap_err().message,
                *message,
                "{ty:?} {text:?}"
            );
        }
        let json_error = parse_edit(&PropertyType::Json, "{\"a\":")
            .unwrap_err()
            .message;
        assert!(
            json_error.starts_with("This is not valid JSON:"),
            "{json_error}"
        );
        for impossible in [
            "2026-02-30 10:00",
            "2026-13-01",
            "2026-11-29 25:00",
            "yesterday",
            "",
        ] {
            assert!(
                parse_edit(&PropertyType::DateTime, impossible).is_err(),
                "{impossible:?} was accepted"
            );
        }
        assert!(parse_edit(&PropertyType::Relation { list: true }, "[]").is_err());
    }

    #[test]
    fn good_edits_parse() {
        assert_eq!(
            parse_edit(&PropertyType::Int, " -42 ").unwrap(),
            Value::Int((-42).into())
        );
        assert_eq!(
            parse_edit(&PropertyType::Int, "+7").unwrap(),
            Value::Int(7.into())
        );
        assert_eq!(
            parse_edit(&PropertyType::Double, "4.50")
                .unwrap()
                .to_json()
                .to_string(),
            "4.50"
        );
        assert_eq!(
            parse_edit(&PropertyType::Double, ".5")
                .unwrap()
                .to_json()
                .to_string(),
            "0.5"
        );
        assert_eq!(
            parse_edit(&PropertyType::Boolean, "TRUE").unwrap(),
            Value::Bool(true)
        );
        let json = parse_edit(&PropertyType::Json, r#"{"b":1,"a":2.50}"#).unwrap();
        assert_eq!(json.to_json().to_string(), r#"{"b":1,"a":2.50}"#);
        assert_eq!(
            parse_edit(&PropertyType::Text, "  x ").unwrap(),
            Value::Text("  x ".into())
        );
    }

    #[test]
    fn datetime_accepts_every_documented_form() {
        let utc_ms = 1_764_424_985_000; // 2025-11-29T14:03:05Z
        for text in [
            "2025-11-29T14:03:05Z",
            "2025-11-29T14:03:05.000Z",
            "2025-11-29T15:03:05+01:00",
            "2025-11-29 14:03:05 UTC",
            "2025-11-29 14:03:05Z",
            "1764424985000",
        ] {
            assert_eq!(parse_datetime(text), Some(utc_ms), "{text}");
        }
        let local = Local.from_local_datetime(
            &NaiveDate::from_ymd_opt(2025, 11, 29)
                .unwrap()
                .and_hms_opt(14, 3, 0)
                .unwrap(),
        );
        let local_ms = local.earliest().unwrap().timestamp_millis();
        assert_eq!(parse_datetime("2025-11-29T14:03Z"), Some(utc_ms - 5000));
        assert_eq!(parse_datetime("2025-11-29 14:03"), Some(local_ms));
        assert_eq!(parse_datetime("2025-11-29T14:03:00"), Some(local_ms));
        assert_eq!(format_datetime_utc(utc_ms), "2025-11-29 14:03:05 UTC");
        assert_eq!(parse_datetime(&format_datetime_local(utc_ms)), Some(utc_ms));
    }

    #[test]
    fn datetime_editor_text_round_trips_through_daylight_saving_changes() {
        // Every 15 minutes of 2025 (run with TZ=Europe/Paris or similar to cover both DST changes).
        let start = 1_735_689_600_000_i64;
        for step in 0..(365 * 96) {
            let ms = start + step * 15 * 60 * 1000 + 123;
            let text = Value::DateTime(ms).edit_text();
            assert_eq!(parse_datetime(&text), Some(ms), "{text}");
        }
    }

    #[test]
    fn number_equality_is_exact_decimal() {
        assert!(same_json(&raw("4.5"), &raw("4.50")));
        assert!(same_json(&raw("45e-1"), &raw("4.5")));
        assert!(same_json(&raw("0.0"), &raw("-0")));
        assert!(same_json(&raw("1e3"), &raw("1000")));
        assert!(!same_json(
            &raw("9007199254740993"),
            &raw("9007199254740992")
        ));
        assert!(!same_json(
            &raw("12345678901234567890.1"),
            &raw("12345678901234567890.2")
        ));
        assert!(same_json(
            &raw(r#"{"a":1,"b":2}"#),
            &raw(r#"{"b":2.0,"a":1}"#)
        ));
        assert!(!same_json(&raw("[1,2]"), &raw("[2,1]")));
        assert!(!same_json(&raw(r#""1""#), &raw("1")));
    }

    fn editable_type() -> impl Strategy<Value = PropertyType> {
        prop_oneof![
            Just(PropertyType::String),
            Just(PropertyType::Text),
            Just(PropertyType::Int),
            Just(PropertyType::Double),
            Just(PropertyType::Boolean),
            Just(PropertyType::DateTime),
            Just(PropertyType::Json),
        ]
    }

    /// A non-null value of the given type, as the server would send it.
    pub(crate) fn wire_value(ty: &PropertyType) -> BoxedStrategy<serde_json::Value> {
        match ty {
            PropertyType::String | PropertyType::Text => {
                any::<String>().prop_map(serde_json::Value::String).boxed()
            }
            PropertyType::Int => any::<i64>().prop_map(|n| json!(n)).boxed(),
            PropertyType::Double => (any::<i32>(), 0u32..6)
                .prop_map(|(m, scale)| {
                    let text = format!("{m}e-{scale}");
                    serde_json::from_str(&text).unwrap()
                })
                .boxed(),
            PropertyType::Boolean => any::<bool>().prop_map(serde_json::Value::Bool).boxed(),
            // Years 1900..2200, where local-time printing has no surprises beyond DST folds.
            PropertyType::DateTime => (-2_208_988_800_000i64..7_258_118_400_000)
                .prop_map(|ms| json!(ms))
                .boxed(),
            _ => prop_oneof![
                any::<i32>().prop_map(|n| json!({"n": n, "list": [n, "x"], "nested": {"z": null}})),
                "[a-z]{0,8}".prop_map(|s| json!([s, 1.25, true])),
            ]
            .boxed(),
        }
    }

    proptest! {
        #[test]
        fn printing_then_parsing_gives_the_value_back(
            (ty, v) in editable_type().prop_flat_map(|ty| { let s = wire_value(&ty); (Just(ty), s) })
        ) {
            let value = Value::from_json(&ty, &v);
            let reparsed = parse_edit(&ty, &value.edit_text()).unwrap();
            prop_assert!(same_json(&reparsed.to_json(), &value.to_json()), "{:?} -> {:?} -> {:?}", v, value.edit_text(), reparsed);
        }

        #[test]
        fn any_json_text_round_trips_byte_for_byte(v in wire_value(&PropertyType::Json)) {
            let text = v.to_string();
            let parsed = parse_edit(&PropertyType::Json, &text).unwrap();
            prop_assert_eq!(parsed.to_json().to_string(), text);
        }

        #[test]
        fn any_integer_text_round_trips(n in any::<i64>()) {
            let value = parse_edit(&PropertyType::Int, &n.to_string()).unwrap();
            prop_assert_eq!(value.edit_text(), n.to_string());
        }
    }
}
