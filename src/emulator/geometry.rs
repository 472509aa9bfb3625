//! Geometry values (`POINT`, `LINESTRING`, `POLYGON`, `GEOMETRY` columns): parsing GeoJSON or WKT from a
//! request into canonical GeoJSON for storage, and the Backendless wire shape for answers.
//!
//! Pure: no I/O. The wire format is documented in `schema`'s module comment.

use serde_json::{Map, Value, json};

use super::schema::ColumnType;

/// The only spatial reference system kept: WGS84, Backendless's default.
pub const SRS_ID: i64 = 4326;

/// Most positions one geometry value may hold (all rings together).
pub const MAX_POSITIONS: usize = 10_000;

/// Most rings (outer plus holes) one polygon may hold.
pub const MAX_RINGS: usize = 100;

/// The three shapes, with their GeoJSON and Backendless class names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Point,
    LineString,
    Polygon,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Point, Kind::LineString, Kind::Polygon];

    fn geojson(self) -> &'static str {
        match self {
            Kind::Point => "Point",
            Kind::LineString => "LineString",
            Kind::Polygon => "Polygon",
        }
    }

    fn class(self) -> String {
        format!("com.backendless.persistence.{}", self.geojson())
    }

    fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.geojson().eq_ignore_ascii_case(name))
    }

    fn allowed_by(self, column_type: ColumnType) -> bool {
        match column_type {
            ColumnType::Point => self == Kind::Point,
            ColumnType::LineString => self == Kind::LineString,
            ColumnType::Polygon => self == Kind::Polygon,
            _ => true,
        }
    }
}

/// Parses a request value for a geometry column into canonical GeoJSON `{"type", "coordinates"}`.
/// The error says what is wrong (the caller adds the property name).
pub fn parse(column_type: ColumnType, value: &Value) -> Result<Value, String> {
    let (kind, coordinates) = match value {
        Value::String(wkt) => parse_wkt(wkt)?,
        Value::Object(map) => parse_geojson(map)?,
        _ => return Err("expected GeoJSON (an object) or WKT (a string)".to_owned()),
    };
    if !kind.allowed_by(column_type) {
        return Err(format!(
            "a {} cannot be stored in a {} column",
            kind.geojson(),
            column_type.name()
        ));
    }
    check_shape(kind, &coordinates)?;
    Ok(json!({"type": kind.geojson(), "coordinates": coordinates}))
}

/// The stored canonical GeoJSON as records carry it: plus `srsId` and the Backendless `___class`.
pub fn to_wire(stored: Value) -> Value {
    let Value::Object(mut map) = stored else {
        return stored;
    };
    let kind = map
        .get("type")
        .and_then(Value::as_str)
        .and_then(Kind::from_name);
    if let Some(kind) = kind {
        map.insert("srsId".to_owned(), Value::from(SRS_ID));
        map.insert("___class".to_owned(), Value::String(kind.class()));
    }
    Value::Object(map)
}

fn parse_geojson(map: &Map<String, Value>) -> Result<(Kind, Value), String> {
    let name = map
        .get("type")
        .and_then(Value::as_str)
        .ok_or("GeoJSON needs a \"type\" (Point, LineString or Polygon)")?;
    let kind = Kind::from_name(name).ok_or_else(|| {
        format!("unsupported geometry type {name:?} (Point, LineString or Polygon)")
    })?;
    if let Some(class) = map.get("___class")
        && class.as_str() != Some(kind.class().as_str())
    {
        return Err(format!("\"___class\" must be {:?}", kind.class()));
    }
    match map.get("srsId") {
        None | Some(Value::Null) => {}
        Some(srs) if srs.as_i64() == Some(SRS_ID) => {}
        Some(other) => {
            return Err(format!(
                "only srsId {SRS_ID} (WGS84) is supported, not {other}"
            ));
        }
    }
    let coordinates = map
        .get("coordinates")
        .cloned()
        .ok_or("GeoJSON needs \"coordinates\"")?;
    Ok((kind, coordinates))
}

/// Checks the coordinates of `kind`: a position is `[x, y]` of finite numbers; a line string has at least
/// two; a polygon's rings are closed and have at least four.
fn check_shape(kind: Kind, coordinates: &Value) -> Result<(), String> {
    let position = |p: &Value| -> Result<(), String> {
        match p.as_array().map(Vec::as_slice) {
            Some([x, y])
                if x.as_f64().is_some_and(f64::is_finite)
                    && y.as_f64().is_some_and(f64::is_finite) =>
            {
                Ok(())
            }
            _ => Err(format!("a position must be [x, y] (two numbers), not {p}")),
        }
    };
    let line = |l: &Value, min: usize| -> Result<usize, String> {
        let points = l.as_array().ok_or("expected an array of positions")?;
        if points.len() < min {
            return Err(format!(
                "needs at least {min} positions, has {}",
                points.len()
            ));
        }
        if points.len() > MAX_POSITIONS {
            return Err(format!("at most {MAX_POSITIONS} positions are allowed"));
        }
        points.iter().try_for_each(position)?;
        Ok(points.len())
    };
    match kind {
        Kind::Point => position(coordinates),
        Kind::LineString => line(coordinates, 2).map(drop),
        Kind::Polygon => {
            let rings = coordinates
                .as_array()
                .ok_or("a polygon is an array of rings")?;
            if rings.is_empty() || rings.len() > MAX_RINGS {
                return Err(format!("a polygon has 1 to {MAX_RINGS} rings"));
            }
            let mut total = 0;
            for ring in rings {
                total += line(ring, 4)?;
                let points = ring.as_array().map(Vec::as_slice).unwrap_or_default();
                if points.first() != points.last() {
                    return Err("a polygon ring must end where it starts".to_owned());
                }
            }
            if total > MAX_POSITIONS {
                return Err(format!("at most {MAX_POSITIONS} positions are allowed"));
            }
            Ok(())
        }
    }
}

/// `POINT (x y)`, `LINESTRING (x y, x y)`, `POLYGON ((x y, ...), (...))`, case-insensitive.
fn parse_wkt(text: &str) -> Result<(Kind, Value), String> {
    let text = text.trim();
    let open = text
        .find('(')
        .ok_or("WKT needs parentheses, e.g. POINT (10 20)")?;
    let name = text[..open].trim();
    let kind = Kind::from_name(name)
        .ok_or_else(|| format!("unsupported WKT type {name:?} (POINT, LINESTRING or POLYGON)"))?;
    let body = text[open..].trim();
    let inner = |s: &str| -> Result<String, String> {
        s.strip_prefix('(')
            .and_then(|s| s.strip_suffix(')'))
            .map(|s| s.trim().to_owned())
            .ok_or_else(|| format!("unbalanced parentheses in {s:?}"))
    };
    let positions = |list: &str| -> Result<Value, String> {
        let mut out = Vec::new();
        for pair in list.split(',') {
            let numbers: Vec<&str> = pair.split_whitespace().collect();
            let [x, y] = numbers.as_slice() else {
                return Err(format!("a WKT position is two numbers, not {pair:?}"));
            };
            let parse = |n: &str| {
                n.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .ok_or_else(|| format!("{n:?} is not a number"))
            };
            out.push(json!([parse(x)?, parse(y)?]));
            if out.len() > MAX_POSITIONS {
                return Err(format!("at most {MAX_POSITIONS} positions are allowed"));
            }
        }
        Ok(Value::Array(out))
    };
    let coordinates = match kind {
        Kind::Point => match positions(&inner(body)?)? {
            Value::Array(mut one) if one.len() == 1 => one.remove(0),
            _ => return Err("a WKT POINT has one position".to_owned()),
        },
        Kind::LineString => positions(&inner(body)?)?,
        Kind::Polygon => {
            let rings_text = inner(body)?;
            let mut rings = Vec::new();
            let mut rest = rings_text.as_str();
            while !rest.is_empty() {
                let close = rest
                    .find(')')
                    .ok_or("unbalanced parentheses in a WKT POLYGON")?;
                rings.push(positions(&inner(rest[..=close].trim())?)?);
                if rings.len() > MAX_RINGS {
                    return Err(format!("a polygon has 1 to {MAX_RINGS} rings"));
                }
                rest = rest[close + 1..].trim_start();
                rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
            }
            Value::Array(rings)
        }
    };
    Ok((kind, coordinates))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geojson_and_wkt_store_the_same_canonical_value() {
        let from_json = parse(
            ColumnType::Point,
            &json!({"type": "Point", "coordinates": [13.4, 52.5]}),
        )
        .unwrap();
        let from_wkt = parse(ColumnType::Point, &json!("POINT (13.4 52.5)")).unwrap();
        assert_eq!(from_json, from_wkt);
        let polygon = parse(
            ColumnType::Polygon,
            &json!("POLYGON ((0 0, 4 0, 4 4, 0 0), (1 1, 2 1, 2 2, 1 1))"),
        )
        .unwrap();
        assert_eq!(polygon["coordinates"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn a_value_read_back_is_accepted_unchanged() {
        let stored = parse(
            ColumnType::LineString,
            &json!({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
        )
        .unwrap();
        let wire = to_wire(stored.clone());
        assert_eq!(wire["___class"], "com.backendless.persistence.LineString");
        assert_eq!(wire["srsId"], SRS_ID);
        assert_eq!(parse(ColumnType::LineString, &wire).unwrap(), stored);
    }

    #[test]
    fn bad_shapes_and_wrong_kinds_are_refused() {
        for (column_type, value) in [
            (
                ColumnType::Point,
                json!({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
            ),
            (
                ColumnType::Point,
                json!({"type": "Point", "coordinates": [1]}),
            ),
            (
                ColumnType::Point,
                json!({"type": "Point", "coordinates": [1, 2], "srsId": 3857}),
            ),
            (
                ColumnType::LineString,
                json!({"type": "LineString", "coordinates": [[0, 0]]}),
            ),
            (
                ColumnType::Polygon,
                json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
            ),
            (ColumnType::Polygon, json!("POLYGON ((0 0, 1 0, 1 1)")),
            (ColumnType::Geometry, json!(42)),
            (ColumnType::Point, json!("POINT (1 2 3)")),
        ] {
            assert!(
                parse(column_type, &value).is_err(),
                "{value} accepted for {column_type:?}"
            );
        }
        let many = vec![json!([0, 0]); MAX_POSITIONS + 1];
        assert!(
            parse(
                ColumnType::LineString,
                &json!({"type": "LineString", "coordinates": many})
            )
            .is_err()
        );
    }
}
