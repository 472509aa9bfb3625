//! Where a Backendless application lives: the key-in-path form (`{server}/{app-id}/{api-key}`) or the
//! domain form (`https://sub.backendless.app/api`). Parsing and printing only; never logs the key.

use std::fmt;

/// The base of every API URL of one application.
#[derive(Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `{server}/{app_id}/{api_key}`: Backendless Cloud (US, EU), self-hosted, the emulator.
    KeyInPath {
        /// Scheme, host, port and an optional path prefix; no trailing slash.
        server: url::Url,
        /// Application id.
        app_id: String,
        /// REST API key.
        api_key: String,
    },
    /// `{domain}/api`: a `*.backendless.app` subdomain or a custom domain.
    Domain {
        /// Scheme, host, port and an optional path prefix, without the `/api` suffix.
        domain: url::Url,
    },
}

/// Why a server address is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Sent when the address is blank.
    #[error("Enter the server address.")]
    Empty,
    /// Sent when the address is not a URL.
    #[error("The server address is not a valid URL: {detail}")]
    InvalidUrl { detail: String },
    /// Sent for a scheme other than http/https.
    #[error("The server address must start with http:// or https://, not {scheme}://.")]
    UnsupportedScheme { scheme: String },
    /// Sent when the address has a query or a fragment.
    #[error("The server address must not contain '?' or '#'.")]
    QueryOrFragment,
    /// Sent when only the API key is given.
    #[error("Enter the application id as well as the API key.")]
    MissingAppId,
    /// Sent when only the application id is given.
    #[error("Enter the API key as well as the application id.")]
    MissingApiKey,
    /// Sent when an id contains characters that cannot appear in a URL path segment.
    #[error("The {what} must not be '.' or '..', nor contain '/', '?', '#', '%' or spaces.")]
    InvalidId { what: &'static str },
    /// Sent when the CloudCode key is to be used with an app domain address, which carries no key.
    #[error(
        "The CloudCode key can be used only with a server address plus application id and API key (such as https://api.backendless.com), not with an app domain. Change the connection to that form."
    )]
    KeyNeedsKeyInPath,
}

impl fmt::Debug for Endpoint {
    // The API key stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::KeyInPath { server, app_id, .. } => f
                .debug_struct("KeyInPath")
                .field("server", &server.as_str())
                .field("app_id", app_id)
                .field("api_key", &"…redacted")
                .finish(),
            Self::Domain { domain } => f
                .debug_struct("Domain")
                .field("domain", &domain.as_str())
                .finish(),
        }
    }
}

impl Endpoint {
    /// Parses a server address plus optional ids. With both ids: key-in-path; with neither: domain form
    /// (a trailing `/api` is tolerated). Trailing slashes are tolerated; a bare host gets `https://`.
    pub fn parse(
        server: &str,
        app_id: Option<&str>,
        api_key: Option<&str>,
    ) -> Result<Self, EndpointError> {
        let server = server.trim();
        if server.is_empty() {
            return Err(EndpointError::Empty);
        }
        let with_scheme = if server.contains("://") {
            server.to_owned()
        } else {
            format!("https://{server}")
        };
        let mut url = url::Url::parse(&with_scheme).map_err(|e| EndpointError::InvalidUrl {
            detail: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(EndpointError::UnsupportedScheme {
                scheme: url.scheme().to_owned(),
            });
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(EndpointError::InvalidUrl {
                detail: "no host".into(),
            });
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(EndpointError::QueryOrFragment);
        }
        let app_id = app_id.map(str::trim).filter(|s| !s.is_empty());
        let api_key = api_key.map(str::trim).filter(|s| !s.is_empty());
        let path = url.path().trim_end_matches('/').to_owned();
        match (app_id, api_key) {
            (Some(app_id), Some(api_key)) => {
                check_id(app_id, "application id")?;
                check_id(api_key, "API key")?;
                url.set_path(&path);
                Ok(Self::KeyInPath {
                    server: url,
                    app_id: app_id.to_owned(),
                    api_key: api_key.to_owned(),
                })
            }
            (None, None) => {
                let path = path
                    .strip_suffix("/api")
                    .unwrap_or(&path)
                    .trim_end_matches('/')
                    .to_owned();
                url.set_path(&path);
                Ok(Self::Domain { domain: url })
            }
            (None, Some(_)) => Err(EndpointError::MissingAppId),
            (Some(_), None) => Err(EndpointError::MissingApiKey),
        }
    }

    /// The parsed URL every API path is appended to, without a trailing slash:
    /// `https://api.backendless.com/APP/KEY` or `https://sub.backendless.app/api`. Built once per client.
    pub fn base_url(&self) -> BaseUrl {
        let (mut url, tail): (url::Url, Vec<&str>) = match self {
            Self::KeyInPath {
                server,
                app_id,
                api_key,
            } => (server.clone(), vec![app_id, api_key]),
            Self::Domain { domain } => (domain.clone(), vec!["api"]),
        };
        // An http(s) URL with a host always takes a path; `BaseUrl::join` reports the impossible other case.
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(tail);
        }
        BaseUrl(url)
    }

    /// The same application reached with `key` instead of its API key (the CloudCode key, for the operations
    /// Backendless allows only from server code). Only the key-in-path form carries a key; an app domain
    /// gives [`EndpointError::KeyNeedsKeyInPath`]. A blank key is [`EndpointError::MissingApiKey`].
    pub fn with_api_key(&self, key: &str) -> Result<Self, EndpointError> {
        let key = key.trim();
        if key.is_empty() {
            return Err(EndpointError::MissingApiKey);
        }
        check_id(key, "CloudCode key")?;
        match self {
            Self::KeyInPath { server, app_id, .. } => Ok(Self::KeyInPath {
                server: server.clone(),
                app_id: app_id.clone(),
                api_key: key.to_owned(),
            }),
            Self::Domain { .. } => Err(EndpointError::KeyNeedsKeyInPath),
        }
    }

    /// `host[:port]` for display; never the key.
    pub fn display_host(&self) -> String {
        let url = match self {
            Self::KeyInPath { server, .. } => server,
            Self::Domain { domain } => domain,
        };
        let host = url.host_str().unwrap_or_default();
        match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }
}

/// The most characters one path segment (an objectId, an identity, a role name) may have in a request URL.
pub const MAX_PATH_SEGMENT_CHARS: usize = 1024;

/// The parsed base of every API URL of one application (from [`Endpoint::base_url`]), parsed once; each
/// request URL is a clone with its path segments appended. `Debug` never shows the API key.
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl(url::Url);

/// Why a value cannot be one segment of a request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathSegmentError {
    /// Sent for an empty segment, `.` or `..`: URL parsing drops or resolves them, changing the path.
    #[error("a path segment is empty, '.' or '..'")]
    DotOrEmpty,
    /// Sent for a segment with a control character (URL parsing silently drops tabs and newlines).
    #[error("a path segment holds a control character")]
    ControlCharacter,
    /// Sent for a segment longer than [`MAX_PATH_SEGMENT_CHARS`].
    #[error("a path segment is longer than {MAX_PATH_SEGMENT_CHARS} characters")]
    TooLong,
    /// Sent when the base URL cannot take a path (never for an http(s) address with a host).
    #[error("the server address cannot take a path")]
    NotABase,
}

impl BaseUrl {
    /// The base followed by `segments`, each percent-encoded as one segment: a `/`, `?`, `#` or `%` inside
    /// an objectId or an identity stays inside its segment and never changes the path, query or fragment.
    /// Segments that URL parsing would drop or resolve (empty, `.`, `..`) or alter (control characters) are
    /// refused rather than sent as something else.
    pub fn join(&self, segments: &[&str]) -> Result<url::Url, PathSegmentError> {
        for segment in segments {
            check_path_segment(segment)?;
        }
        let mut url = self.0.clone();
        url.path_segments_mut()
            .map_err(|()| PathSegmentError::NotABase)?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// The URL as text, without a trailing slash. Holds the API key in the key-in-path form: never log it.
    pub fn as_str(&self) -> &str {
        trimmed(&self.0)
    }
}

impl fmt::Debug for BaseUrl {
    // The API key stays out of logs: only the origin is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({}/…)", self.0.origin().ascii_serialization())
    }
}

/// Whether `segment` can be sent as exactly one path segment (see [`BaseUrl::join`]).
fn check_path_segment(segment: &str) -> Result<(), PathSegmentError> {
    if matches!(segment, "" | "." | "..") {
        return Err(PathSegmentError::DotOrEmpty);
    }
    if segment.chars().any(char::is_control) {
        return Err(PathSegmentError::ControlCharacter);
    }
    if segment.chars().count() > MAX_PATH_SEGMENT_CHARS {
        return Err(PathSegmentError::TooLong);
    }
    Ok(())
}

/// A server address with an application id and API key at the end of its path, split into the three.
/// `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyInPathUrl {
    /// The address without the two ids, e.g. `https://api.backendless.com`.
    pub server: String,
    /// The first of the two last path segments.
    pub app_id: String,
    /// The last path segment.
    pub api_key: String,
}

impl fmt::Debug for KeyInPathUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyInPathUrl")
            .field("server", &self.server)
            .field("app_id", &self.app_id)
            .field("api_key", &"…redacted")
            .finish()
    }
}

/// Recognises the key-in-path form pasted whole into a server address field
/// (`https://api.backendless.com/APP-ID/API-KEY`, as the Backendless console shows it): the last two path
/// segments are taken as the application id and the API key, anything before them stays the server's
/// path prefix. `None` when there are fewer than two path segments, when one of them is `api` (the domain
/// form) or cannot be an id, or when the text is not an http(s) URL.
pub fn split_key_in_path(text: &str) -> Option<KeyInPathUrl> {
    let text = text.trim();
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("https://{text}")
    };
    let mut url = url::Url::parse(&with_scheme).ok()?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none_or(str::is_empty)
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return None;
    }
    let segments: Vec<String> = url
        .path_segments()?
        .filter(|segment| !segment.is_empty())
        .map(str::to_owned)
        .collect();
    let [prefix @ .., app_id, api_key] = segments.as_slice() else {
        return None;
    };
    let is_id = |id: &str| {
        !id.eq_ignore_ascii_case("api") && check_id(id, "id").is_ok() && !id.contains('.')
    };
    if !is_id(app_id) || !is_id(api_key) {
        return None;
    }
    url.set_path(&prefix.join("/"));
    Some(KeyInPathUrl {
        server: trimmed(&url).to_owned(),
        app_id: app_id.clone(),
        api_key: api_key.clone(),
    })
}

/// A server address as it may be shown: a key-in-path URL loses its API key
/// (`https://api.backendless.com/APP-ID/…`); anything else is shown as typed.
pub fn display_server(text: &str) -> String {
    match split_key_in_path(text) {
        Some(split) => format!("{}/{}/…", split.server, split.app_id),
        None => text.trim().to_owned(),
    }
}

fn trimmed(url: &url::Url) -> &str {
    url.as_str().trim_end_matches('/')
}

fn check_id(id: &str, what: &'static str) -> Result<(), EndpointError> {
    if matches!(id, "." | "..")
        || id
            .chars()
            .any(|c| matches!(c, '/' | '?' | '#' | '%') || c.is_whitespace() || c.is_control())
    {
        return Err(EndpointError::InvalidId { what });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_in_path_for_cloud_eu_and_self_hosted() {
        let cases = [
            (
                "https://api.backendless.com",
                "https://api.backendless.com/APP/KEY",
                "api.backendless.com",
            ),
            (
                "https://eu-api.backendless.com/",
                "https://eu-api.backendless.com/APP/KEY",
                "eu-api.backendless.com",
            ),
            (
                "http://10.0.0.5:9000//",
                "http://10.0.0.5:9000/APP/KEY",
                "10.0.0.5:9000",
            ),
            (
                "http://host:8080/backendless/",
                "http://host:8080/backendless/APP/KEY",
                "host:8080",
            ),
            (
                "api.backendless.com",
                "https://api.backendless.com/APP/KEY",
                "api.backendless.com",
            ),
        ];
        for (server, base, host) in cases {
            let endpoint = Endpoint::parse(server, Some(" APP "), Some("KEY")).unwrap();
            assert_eq!(endpoint.base_url().as_str(), base, "{server}");
            assert_eq!(endpoint.display_host(), host, "{server}");
            assert!(!format!("{endpoint:?}").contains("KEY"), "{endpoint:?}");
        }
    }

    #[test]
    fn domain_form_tolerates_api_suffix_and_slashes() {
        for server in [
            "https://sub.backendless.app",
            "https://sub.backendless.app/",
            "https://sub.backendless.app/api/",
        ] {
            let endpoint = Endpoint::parse(server, None, Some("")).unwrap();
            assert_eq!(
                endpoint.base_url().as_str(),
                "https://sub.backendless.app/api",
                "{server}"
            );
            assert_eq!(endpoint.display_host(), "sub.backendless.app");
        }
    }

    #[test]
    fn a_pasted_key_in_path_url_is_split() {
        let cases = [
            (
                "https://api.backendless.com/APP-ID/API-KEY",
                "https://api.backendless.com",
                "APP-ID",
                "API-KEY",
            ),
            (
                " https://eu-api.backendless.com/D3A0C0DE-0000-4000-8000-000000000001/D3A0C0DE-0000-4000-8000-000000000002/ ",
                "https://eu-api.backendless.com",
                "D3A0C0DE-0000-4000-8000-000000000001",
                "D3A0C0DE-0000-4000-8000-000000000002",
            ),
            (
                "http://10.0.0.5:9000/backendless/APP/KEY",
                "http://10.0.0.5:9000/backendless",
                "APP",
                "KEY",
            ),
            (
                "api.backendless.com/APP/KEY",
                "https://api.backendless.com",
                "APP",
                "KEY",
            ),
        ];
        for (text, server, app_id, api_key) in cases {
            let split = split_key_in_path(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(split.server, server, "{text}");
            assert_eq!(split.app_id, app_id, "{text}");
            assert_eq!(split.api_key, api_key, "{text}");
            assert!(!format!("{split:?}").contains(api_key), "{split:?}");
            // The parts make the base URL the pasted text meant.
            let endpoint =
                Endpoint::parse(&split.server, Some(&split.app_id), Some(&split.api_key)).unwrap();
            assert_eq!(
                endpoint.base_url().as_str(),
                format!("{server}/{app_id}/{api_key}")
            );
        }
    }

    #[test]
    fn a_shown_server_address_never_holds_the_key() {
        assert_eq!(
            display_server("https://api.backendless.com/APP-ID/SECRET-KEY"),
            "https://api.backendless.com/APP-ID/…"
        );
        assert_eq!(
            display_server(" https://sub.backendless.app "),
            "https://sub.backendless.app"
        );
    }

    #[test]
    fn other_addresses_are_not_split() {
        for text in [
            "https://api.backendless.com",
            "https://api.backendless.com/",
            "https://sub.backendless.app/api",
            "https://sub.backendless.app/api/",
            "http://host:8080/backendless",
            "https://x.com/app/api",
            "https://x.com/A/B?x=1",
            "ftp://x.com/A/B",
            "https://x.com/A/B.html",
            "",
        ] {
            assert_eq!(split_key_in_path(text), None, "{text}");
        }
    }

    #[test]
    fn another_key_replaces_the_api_key_only_in_the_key_in_path_form() {
        let endpoint =
            Endpoint::parse("https://api.backendless.com", Some("APP"), Some("KEY")).unwrap();
        let cloudcode = endpoint.with_api_key(" CC-KEY ").unwrap();
        assert_eq!(
            cloudcode.base_url().as_str(),
            "https://api.backendless.com/APP/CC-KEY"
        );
        assert!(
            !format!("{cloudcode:?}").contains("CC-KEY"),
            "{cloudcode:?}"
        );
        assert_eq!(
            endpoint.with_api_key(" "),
            Err(EndpointError::MissingApiKey)
        );
        assert!(matches!(
            endpoint.with_api_key("A/B"),
            Err(EndpointError::InvalidId { .. })
        ));
        let domain = Endpoint::parse("https://sub.backendless.app", None, None).unwrap();
        assert_eq!(
            domain.with_api_key("CC-KEY"),
            Err(EndpointError::KeyNeedsKeyInPath)
        );
    }

    #[test]
    fn each_path_value_stays_one_segment_of_the_built_url() {
        let base = Endpoint::parse("http://host:8080/backendless", Some("APP"), Some("KEY"))
            .unwrap()
            .base_url();
        let cases = [
            ("F00D-1", "F00D-1"),
            ("a/b", "a%2Fb"),
            ("a?where=1", "a%3Fwhere=1"),
            ("a#frag", "a%23frag"),
            ("100%", "100%25"),
            ("%2e%2e", "%252e%252e"),
            ("../../admin", "..%2F..%2Fadmin"),
            ("a\\b", "a%5Cb"),
            ("a b", "a%20b"),
        ];
        for (object_id, encoded) in cases {
            let url = base.join(&["data", "Users", object_id]).unwrap();
            assert_eq!(
                url.as_str(),
                format!("http://host:8080/backendless/APP/KEY/data/Users/{encoded}"),
                "{object_id:?}"
            );
            assert_eq!((url.query(), url.fragment()), (None, None), "{object_id:?}");
            assert_eq!(url.path_segments().unwrap().count(), 6, "{object_id:?}");
        }
        for bad in ["", ".", "..", "a\nb", "a\tb"] {
            assert!(base.join(&["users", bad, "status"]).is_err(), "{bad:?}");
        }
        let long = "x".repeat(MAX_PATH_SEGMENT_CHARS + 1);
        assert_eq!(base.join(&["users", &long]), Err(PathSegmentError::TooLong));
        // The base is not changed by a join, and never shows the key.
        assert_eq!(base.as_str(), "http://host:8080/backendless/APP/KEY");
        assert_eq!(format!("{base:?}"), "BaseUrl(http://host:8080/…)");
    }

    #[test]
    fn bad_addresses_are_refused() {
        assert_eq!(Endpoint::parse("  ", None, None), Err(EndpointError::Empty));
        assert_eq!(
            Endpoint::parse("ftp://x.com", None, None),
            Err(EndpointError::UnsupportedScheme {
                scheme: "ftp".into()
            })
        );
        assert_eq!(
            Endpoint::parse("https://x.com/?a=1", None, None),
            Err(EndpointError::QueryOrFragment)
        );
        assert_eq!(
            Endpoint::parse("https://x.com", Some("A"), None),
            Err(EndpointError::MissingApiKey)
        );
        assert_eq!(
            Endpoint::parse("https://x.com", None, Some("K")),
            Err(EndpointError::MissingAppId)
        );
        assert!(matches!(
            Endpoint::parse("https://x.com", Some("A/B"), Some("K")),
            Err(EndpointError::InvalidId { .. })
        ));
        // A dot segment would be resolved away by URL parsing, taking the base URL somewhere else.
        for dots in [".", ".."] {
            assert!(matches!(
                Endpoint::parse("https://x.com/prefix", Some("A"), Some(dots)),
                Err(EndpointError::InvalidId { .. })
            ));
        }
        assert!(matches!(
            Endpoint::parse("http://", None, None),
            Err(EndpointError::InvalidUrl { .. })
        ));
    }
}
