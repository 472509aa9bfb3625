//! Geometry values (POINT, LINESTRING, POLYGON, GEOMETRY) as WKT text for the editor.
//!
//! Pure: no I/O. Backendless answers geometry as GeoJSON (`{"type":"Point","coordinates":[x,y]}`, plus
//! `srsId` and `___class`) and some stores keep WKT strings (`POINT (x y)`); both are read. An edit is WKT,
//! validated here (shape, kind of the column, closed rings, WGS84 ranges, [`MAX_GEOMETRY_POINTS`]) and sent
//! as GeoJSON, the form Backendless documents for requests.

use std::str::FromStr as _;

/// The most points one geometry value may have when typed in the editor.
pub const MAX_GEOMETRY_POINTS: usize = 10_000;

/// The most characters of WKT the editor parses (the emulator's text limit).
pub const MAX_WKT_CHARS: usize = 65_536;

/// One coordinate pair, kept as the exact JSON number texts.
type Pair = [serde_json::Number; 2];

/// A parsed geometry.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Point(Pair),
    LineString(Vec<Pair>),
    Polygon(Vec<Vec<Pair>>),
}

impl Shape {
    fn wkt_name(&self) -> &'static str {
        match self {
            Shape::Point(_) => "POINT",
            Shape::LineString(_) => "LINESTRING",
            Shape::Polygon(_) => "POLYGON",
        }
    }

    fn to_wkt(&self) -> String {
        let pair = |p: &Pair| format!("{} {}", p[0], p[1]);
        let ring = |r: &[Pair]| r.iter().map(pair).collect::<Vec<_>>().join(", ");
        match self {
            Shape::Point(p) => format!("POINT ({})", pair(p)),
            Shape::LineString(points) => format!("LINESTRING ({})", ring(points)),
            Shape::Polygon(rings) => format!(
                "POLYGON ({})",
                rings
                    .iter()
                    .map(|r| format!("({})", ring(r)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn to_geojson(&self) -> serde_json::Value {
        let pair = |p: &Pair| {
            serde_json::Value::Array(vec![
                serde_json::Value::Number(p[0].clone()),
                serde_json::Value::Number(p[1].clone()),
            ])
        };
        let ring = |r: &[Pair]| serde_json::Value::Array(r.iter().map(pair).collect());
        let (kind, coordinates) = match self {
            Shape::Point(p) => ("Point", pair(p)),
            Shape::LineString(points) => ("LineString", ring(points)),
            Shape::Polygon(rings) => (
                "Polygon",
                serde_json::Value::Array(rings.iter().map(|r| ring(r)).collect()),
            ),
        };
        serde_json::json!({ "type": kind, "coordinates": coordinates })
    }
}

/// The WKT text of a geometry value as the server sent it (GeoJSON object or WKT string); `None` when it is
/// not a geometry this program reads (it is then shown as JSON and carried unchanged).
pub fn wkt_of(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => parse_shape(text).ok().map(|s| s.to_wkt()),
        serde_json::Value::Object(_) => shape_of_geojson(value).map(|s| s.to_wkt()),
        _ => None,
    }
}

/// Parses WKT typed for a column of geometry type `column` (`POINT`, `LINESTRING`, `POLYGON`, or
/// `GEOMETRY` for any of them) into the GeoJSON sent to the server.
pub fn parse_wkt(column: &str, text: &str) -> Result<serde_json::Value, String> {
    let shape = parse_shape(text)?;
    let column = column.to_ascii_uppercase();
    if column != "GEOMETRY" && column != shape.wkt_name() {
        return Err(format!(
            "This property holds a {column}, not a {}. Example: {}.",
            shape.wkt_name(),
            example(&column)
        ));
    }
    Ok(shape.to_geojson())
}

/// An example of WKT for a column type, for hints and errors.
pub fn example(column: &str) -> &'static str {
    match column.to_ascii_uppercase().as_str() {
        "POINT" => "POINT (13.4 52.5)",
        "LINESTRING" => "LINESTRING (13.4 52.5, 2.35 48.85)",
        "POLYGON" => "POLYGON ((0 0, 10 0, 10 10, 0 0))",
        _ => "POINT (13.4 52.5)",
    }
}

fn shape_of_geojson(value: &serde_json::Value) -> Option<Shape> {
    let kind = value.get("type")?.as_str()?;
    let coordinates = value.get("coordinates")?;
    let pair = |v: &serde_json::Value| -> Option<Pair> {
        match v.as_array()?.as_slice() {
            [serde_json::Value::Number(x), serde_json::Value::Number(y)] => {
                Some([x.clone(), y.clone()])
            }
            _ => None,
        }
    };
    let ring =
        |v: &serde_json::Value| -> Option<Vec<Pair>> { v.as_array()?.iter().map(pair).collect() };
    let shape = match kind.to_ascii_lowercase().as_str() {
        "point" => Shape::Point(pair(coordinates)?),
        "linestring" => Shape::LineString(ring(coordinates)?),
        "polygon" => Shape::Polygon(
            coordinates
                .as_array()?
                .iter()
                .map(ring)
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    };
    validate(&shape).ok()?;
    Some(shape)
}

fn parse_shape(text: &str) -> Result<Shape, String> {
    if text.chars().count() > MAX_WKT_CHARS {
        return Err(format!(
            "A geometry can have at most {MAX_WKT_CHARS} characters of WKT."
        ));
    }
    let trimmed = text.trim();
    let open = trimmed.find('(').ok_or_else(|| shape_error(trimmed))?;
    let kind = trimmed[..open].trim().to_ascii_uppercase();
    let body = trimmed[open..].trim();
    let inner = body
        .strip_prefix('(')
        .and_then(|b| b.strip_suffix(')'))
        .ok_or_else(|| shape_error(trimmed))?;
    let shape = match kind.as_str() {
        "POINT" => {
            let points = parse_points(inner)?;
            match points.as_slice() {
                [p] => Shape::Point(p.clone()),
                _ => return Err("A POINT has exactly one “x y” pair.".to_owned()),
            }
        }
        "LINESTRING" => Shape::LineString(parse_points(inner)?),
        "POLYGON" => {
            let mut rings = Vec::new();
            for part in split_rings(inner)? {
                rings.push(parse_points(part)?);
            }
            Shape::Polygon(rings)
        }
        _ => return Err(shape_error(trimmed)),
    };
    validate(&shape)?;
    Ok(shape)
}

fn shape_error(text: &str) -> String {
    let shown: String = text.chars().take(40).collect();
    format!(
        "“{shown}” is not WKT. Write POINT (x y), LINESTRING (x y, x y) or POLYGON ((x y, x y, x y, x y))."
    )
}

/// `(a b, c d), (e f, …)` → the text inside each pair of parentheses.
fn split_rings(inner: &str) -> Result<Vec<&str>, String> {
    let mut rings = Vec::new();
    let mut rest = inner.trim();
    loop {
        let body = rest
            .strip_prefix('(')
            .ok_or("Each ring of a POLYGON is written in its own parentheses: ((x y, …)).")?;
        let close = body
            .find(')')
            .ok_or("A ring of the POLYGON is not closed with “)”.")?;
        rings.push(&body[..close]);
        rest = body[close + 1..].trim_start();
        if rest.is_empty() {
            return Ok(rings);
        }
        rest = rest
            .strip_prefix(',')
            .ok_or("Separate the rings of a POLYGON with commas.")?
            .trim_start();
    }
}

fn parse_points(text: &str) -> Result<Vec<Pair>, String> {
    let mut points = Vec::new();
    for part in text.split(',') {
        if points.len() == MAX_GEOMETRY_POINTS {
            return Err(format!(
                "A geometry can have at most {MAX_GEOMETRY_POINTS} points."
            ));
        }
        let numbers: Vec<&str> = part.split_whitespace().collect();
        let [x, y] = numbers.as_slice() else {
            return Err(format!(
                "“{}” is not a point: write two numbers, “x y” (longitude latitude).",
                part.trim()
            ));
        };
        points.push([coordinate(x)?, coordinate(y)?]);
    }
    Ok(points)
}

fn coordinate(text: &str) -> Result<serde_json::Number, String> {
    let finite = text.parse::<f64>().is_ok_and(f64::is_finite);
    match serde_json::Number::from_str(text.strip_prefix('+').unwrap_or(text)) {
        Ok(n) if finite => Ok(n),
        _ => Err(format!("“{text}” is not a number; use a dot for decimals.")),
    }
}

fn validate(shape: &Shape) -> Result<(), String> {
    let in_range = |p: &Pair| -> Result<(), String> {
        let x = p[0].as_f64().unwrap_or(f64::NAN);
        let y = p[1].as_f64().unwrap_or(f64::NAN);
        if !(-180.0..=180.0).contains(&x) {
            return Err(format!(
                "Longitude {} is outside -180…180 (WGS84: x is the longitude).",
                p[0]
            ));
        }
        if !(-90.0..=90.0).contains(&y) {
            return Err(format!(
                "Latitude {} is outside -90…90 (WGS84: y is the latitude).",
                p[1]
            ));
        }
        Ok(())
    };
    let count: usize = match shape {
        Shape::Point(_) => 1,
        Shape::LineString(points) => points.len(),
        Shape::Polygon(rings) => rings.iter().map(Vec::len).sum(),
    };
    if count > MAX_GEOMETRY_POINTS {
        return Err(format!(
            "A geometry can have at most {MAX_GEOMETRY_POINTS} points."
        ));
    }
    match shape {
        Shape::Point(p) => in_range(p),
        Shape::LineString(points) => {
            if points.len() < 2 {
                return Err("A LINESTRING needs at least two points.".to_owned());
            }
            points.iter().try_for_each(in_range)
        }
        Shape::Polygon(rings) => {
            if rings.is_empty() {
                return Err("A POLYGON needs at least one ring.".to_owned());
            }
            for ring in rings {
                if ring.len() < 4 {
                    return Err(
                        "Each ring of a POLYGON needs at least four points, the last equal to the first."
                            .to_owned(),
                    );
                }
                if !same_point(&ring[0], &ring[ring.len() - 1]) {
                    return Err(
                        "A POLYGON ring must end where it starts (repeat the first point last)."
                            .to_owned(),
                    );
                }
                ring.iter().try_for_each(in_range)?;
            }
            Ok(())
        }
    }
}

fn same_point(a: &Pair, b: &Pair) -> bool {
    super::value::same_json(
        &serde_json::Value::Number(a[0].clone()),
        &serde_json::Value::Number(b[0].clone()),
    ) && super::value::same_json(
        &serde_json::Value::Number(a[1].clone()),
        &serde_json::Value::Number(b[1].clone()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn geojson_from_the_server_reads_as_wkt() {
        let point = json!({"type": "Point", "coordinates": [13.4, 52.5], "srsId": 4326,
            "___class": "com.backendless.persistence.Point"});
        assert_eq!(wkt_of(&point).unwrap(), "POINT (13.4 52.5)");
        let line = json!({"type": "LineString", "coordinates": [[1, 2], [3.25, -4]]});
        assert_eq!(wkt_of(&line).unwrap(), "LINESTRING (1 2, 3.25 -4)");
        let polygon =
            json!({"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 0]]]});
        assert_eq!(
            wkt_of(&polygon).unwrap(),
            "POLYGON ((0 0, 10 0, 10 10, 0 0))"
        );
        assert_eq!(
            wkt_of(&json!("point(1 2)")).unwrap(),
            "POINT (1 2)",
            "a WKT string is read too"
        );
        assert_eq!(wkt_of(&json!({"type": "Circle"})), None);
        assert_eq!(wkt_of(&json!(5)), None);
    }

    #[test]
    fn wkt_round_trips_to_geojson_and_back() {
        for (column, text) in [
            ("POINT", "POINT (13.4 52.5)"),
            ("LINESTRING", "LINESTRING (13.4 52.5, 2.35 48.85)"),
            (
                "POLYGON",
                "POLYGON ((0 0, 10 0, 10 10, 0 0), (1 1, 2 1, 2 2, 1 1))",
            ),
            ("GEOMETRY", "POINT (-0.5 0.25)"),
        ] {
            let geojson = parse_wkt(column, text).unwrap();
            assert_eq!(wkt_of(&geojson).unwrap(), text);
        }
        assert_eq!(
            parse_wkt("POINT", " point( 1.50   -2 ) ")
                .unwrap()
                .to_string(),
            r#"{"type":"Point","coordinates":[1.50,-2]}"#,
            "numbers keep their text"
        );
    }

    #[test]
    fn bad_wkt_says_what_is_wrong() {
        let cases = [
            ("POINT", "13.4 52.5", "is not WKT"),
            ("POINT", "POINT (1)", "is not a point"),
            ("POINT", "POINT (1 2, 3 4)", "exactly one"),
            ("POINT", "POINT (1,5 2)", "is not a point"),
            ("POINT", "POINT (a b)", "is not a number"),
            (
                "POINT",
                "LINESTRING (1 2, 3 4)",
                "holds a POINT, not a LINESTRING",
            ),
            ("POINT", "POINT (200 0)", "Longitude 200"),
            ("POINT", "POINT (0 -91)", "Latitude -91"),
            ("LINESTRING", "LINESTRING (1 2)", "at least two points"),
            (
                "POLYGON",
                "POLYGON ((0 0, 1 0, 1 1, 0 1))",
                "must end where it starts",
            ),
            (
                "POLYGON",
                "POLYGON ((0 0, 1 0, 0 0))",
                "at least four points",
            ),
            ("POLYGON", "POLYGON (0 0, 1 0, 1 1, 0 0)", "own parentheses"),
            ("POLYGON", "POLYGON ((0 0, 1 0, 1 1, 0 0)", "not closed"),
        ];
        for (column, text, expected) in cases {
            let error = parse_wkt(column, text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn point_and_text_limits_are_enforced() {
        let ring = |n: usize| {
            let mut points: Vec<String> = (0..n - 1).map(|i| format!("{} 0", i % 100)).collect();
            points.push("0 0".to_owned());
            format!("LINESTRING ({})", points.join(","))
        };
        assert!(parse_wkt("LINESTRING", &ring(MAX_GEOMETRY_POINTS)).is_ok());
        let error = parse_wkt("LINESTRING", &ring(MAX_GEOMETRY_POINTS + 1)).unwrap_err();
        assert!(error.contains("at most 10000 points"), "{error}");
        let long = format!("POINT (1 2{})", " ".repeat(MAX_WKT_CHARS));
        let error = parse_wkt("POINT", &long).unwrap_err();
        assert!(error.contains("at most 65536 characters"), "{error}");
    }
}
