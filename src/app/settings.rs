//! What the app remembers between runs: the connections and theme (`settings.json`, no secrets), the
//! REST API keys of those connections (`keys.json`, mode 0600) and, with "Remember me", the user-token in
//! its own owner-only file (`session.json`, mode 0600).
//!
//! Plain data and file I/O only: no egui, no network. The password is never written anywhere. Every file
//! the app writes is owner-only (0600) in folders it creates owner-only (0700), the window state file
//! that eframe writes included ([`prepare_private_file`]).

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cli::ConnectionArgs;

/// Base URL of Backendless Cloud, US region.
pub const CLOUD_US_URL: &str = "https://api.backendless.com";
/// Base URL of Backendless Cloud, EU region.
pub const CLOUD_EU_URL: &str = "https://eu-api.backendless.com";

/// File name of the settings inside the settings dir.
const SETTINGS_FILE: &str = "settings.json";
/// File name of the remembered session inside the settings dir.
const SESSION_FILE: &str = "session.json";
/// File name of the API keys inside the settings dir.
const KEYS_FILE: &str = "keys.json";

/// Which of the four connections is selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ConnectionKind {
    /// The embedded emulator with the demo data.
    #[default]
    LocalDemo,
    /// Backendless Cloud, US region (`https://api.backendless.com`).
    CloudUs,
    /// Backendless Cloud, EU region (`https://eu-api.backendless.com`).
    CloudEu,
    /// Any other server, key-in-path form or an app domain.
    Custom,
}

impl ConnectionKind {
    /// All kinds, in the order the connection picker shows them.
    pub const ALL: [Self; 4] = [Self::LocalDemo, Self::CloudUs, Self::CloudEu, Self::Custom];

    /// The name shown to the user.
    pub fn label(self) -> &'static str {
        match self {
            Self::LocalDemo => "Local demo",
            Self::CloudUs => "Backendless Cloud (US)",
            Self::CloudEu => "Backendless Cloud (EU)",
            Self::Custom => "Custom",
        }
    }
}

/// Application id and REST API key of a Backendless application.
///
/// The API key decides the security role of every request (a Cloud Code key is powerful), so it is kept
/// out of `settings.json`, in the owner-only `keys.json`.
///
/// Debug shows whether each key is set, never the key.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AppKeys {
    /// Application id.
    pub app_id: String,
    /// REST API key; stored in `keys.json`, not in `settings.json`.
    #[serde(skip)]
    pub api_key: String,
    /// The app's CloudCode key (optional): needed by the administrative operations that Backendless allows
    /// only from server code (3054, 2011, 3122). Stored in `keys.json`, never shown in full, never logged.
    #[serde(skip)]
    pub cloudcode_key: String,
}

impl std::fmt::Debug for AppKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |key: &str| {
            if key.is_empty() {
                "<empty>"
            } else {
                "<redacted>"
            }
        };
        f.debug_struct("AppKeys")
            .field("app_id", &self.app_id)
            .field("api_key", &shown(&self.api_key))
            .field("cloudcode_key", &shown(&self.cloudcode_key))
            .finish()
    }
}

/// The content of `keys.json`: the API key of each remote connection, and its CloudCode key if given.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
struct StoredKeys {
    cloud_us: String,
    cloud_eu: String,
    custom: String,
    cloudcode: StoredCloudCodeKeys,
}

/// The CloudCode keys in `keys.json` (an older file has none).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
struct StoredCloudCodeKeys {
    cloud_us: String,
    cloud_eu: String,
    custom: String,
}

/// The "Custom" connection: a server URL, plus app id and API key for the key-in-path form.
/// With both keys empty the server URL is an app domain (`https://sub.backendless.app`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomServer {
    /// Server URL.
    pub server: String,
    /// Application id and API key; empty for the domain form.
    pub keys: AppKeys,
}

/// Light, dark or whatever the system uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ThemeChoice {
    /// Follow the operating system.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

/// Everything in `settings.json`. Holds no password and no user-token.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The selected connection.
    pub connection: ConnectionKind,
    /// Keys for Backendless Cloud (US).
    pub cloud_us: AppKeys,
    /// Keys for Backendless Cloud (EU).
    pub cloud_eu: AppKeys,
    /// The custom server.
    pub custom: CustomServer,
    /// Theme override.
    pub theme: ThemeChoice,
    /// The columns the admin chose in the Users browser (empty: the default ones).
    pub users_columns: Vec<String>,
    /// The identity property of each connection's app (by [`Connection::key`]), learnt from the schema
    /// after a login, so that the login form can name it (`username`) before the next login. Not secret.
    pub identity_names: std::collections::BTreeMap<String, String>,
}

/// A connection resolved from the settings: what the worker needs to reach a server. Its `Debug` hides the
/// API key, so a connection can be logged or shown in a failed assertion without leaking it.
#[derive(Clone, PartialEq, Eq)]
pub enum Connection {
    /// Start the embedded emulator with the demo data and talk to it.
    LocalDemo,
    /// A server reachable over HTTP(S).
    Remote {
        /// Server URL as typed.
        server: String,
        /// Application id; `None` for the domain form.
        app_id: Option<String>,
        /// REST API key; `None` for the domain form.
        api_key: Option<String>,
    },
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::LocalDemo => f.write_str("LocalDemo"),
            Self::Remote {
                server,
                app_id,
                api_key,
            } => f
                .debug_struct("Remote")
                .field("server", server)
                .field("app_id", app_id)
                .field("api_key", &api_key.as_ref().map(|_| "<redacted>"))
                .finish(),
        }
    }
}

impl Connection {
    /// A stable name for this connection, used to tie a remembered session to it. Holds no secret.
    pub fn key(&self) -> String {
        match self {
            Self::LocalDemo => "local-demo".to_owned(),
            Self::Remote { server, app_id, .. } => {
                format!(
                    "{}#{}",
                    server.trim_end_matches('/'),
                    app_id.as_deref().unwrap_or("")
                )
            }
        }
    }
}

impl Settings {
    /// The identity property remembered for `connection` (see [`Settings::identity_names`]).
    pub fn identity_name(&self, connection: &Connection) -> Option<&str> {
        self.identity_names
            .get(&connection.key())
            .map(String::as_str)
    }

    /// Remembers `name` as the identity property of `connection`; `true` when that changed the settings.
    pub fn remember_identity_name(&mut self, connection: &Connection, name: &str) -> bool {
        let key = connection.key();
        if self.identity_names.get(&key).map(String::as_str) == Some(name) {
            return false;
        }
        self.identity_names.insert(key, name.to_owned());
        true
    }

    /// Reads `settings.json` and `keys.json` from `dir`. Missing or broken files give the defaults.
    pub fn load(dir: &Path) -> Self {
        let mut settings: Self = read_json(&dir.join(SETTINGS_FILE)).unwrap_or_default();
        let keys: StoredKeys = read_json(&dir.join(KEYS_FILE)).unwrap_or_default();
        settings.cloud_us.api_key = keys.cloud_us;
        settings.cloud_eu.api_key = keys.cloud_eu;
        settings.custom.keys.api_key = keys.custom;
        settings.cloud_us.cloudcode_key = keys.cloudcode.cloud_us;
        settings.cloud_eu.cloudcode_key = keys.cloudcode.cloud_eu;
        settings.custom.keys.cloudcode_key = keys.cloudcode.custom;
        settings
    }

    /// Writes `settings.json` and `keys.json` into `dir` (created if missing), each replaced atomically and
    /// owner-only. The app hands [`Settings::files`] to its disk worker instead.
    pub fn save(&self, dir: &Path) -> io::Result<()> {
        for (path, bytes) in self.files(dir)? {
            crate::private_file::write(&path, &bytes)?;
        }
        Ok(())
    }

    /// The files [`Settings::save`] writes into `dir`, keys first: each path with its content.
    pub fn files(&self, dir: &Path) -> io::Result<Vec<(PathBuf, Vec<u8>)>> {
        let keys = StoredKeys {
            cloud_us: self.cloud_us.api_key.clone(),
            cloud_eu: self.cloud_eu.api_key.clone(),
            custom: self.custom.keys.api_key.clone(),
            cloudcode: StoredCloudCodeKeys {
                cloud_us: self.cloud_us.cloudcode_key.clone(),
                cloud_eu: self.cloud_eu.cloudcode_key.clone(),
                custom: self.custom.keys.cloudcode_key.clone(),
            },
        };
        let keys = serde_json::to_vec_pretty(&keys).map_err(io::Error::other)?;
        let json = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        Ok(vec![
            (dir.join(KEYS_FILE), keys),
            (dir.join(SETTINGS_FILE), json),
        ])
    }

    /// Selects the connection named on the command line (CONTRACT.md §2), if any.
    ///
    /// `--server` with both keys selects Cloud US/EU when the URL is theirs and Custom otherwise;
    /// `--server` alone selects Custom in the domain form.
    pub fn apply_args(&mut self, args: &ConnectionArgs) {
        let Some(server) = args.server.as_deref() else {
            return;
        };
        let server = server.trim().trim_end_matches('/').to_owned();
        let mut keys = AppKeys {
            app_id: args.app_id.clone().unwrap_or_default(),
            api_key: args.api_key.clone().unwrap_or_default(),
            cloudcode_key: String::new(),
        };
        // The CloudCode key has no flag: a remembered one stays with the same application.
        let keep_cloudcode = |keys: &mut AppKeys, old: &AppKeys| {
            if old.app_id == keys.app_id {
                keys.cloudcode_key = old.cloudcode_key.clone();
            }
        };
        let has_keys = !keys.app_id.is_empty() || !keys.api_key.is_empty();
        if has_keys && server.eq_ignore_ascii_case(CLOUD_US_URL) {
            self.connection = ConnectionKind::CloudUs;
            keep_cloudcode(&mut keys, &self.cloud_us);
            self.cloud_us = keys;
        } else if has_keys && server.eq_ignore_ascii_case(CLOUD_EU_URL) {
            self.connection = ConnectionKind::CloudEu;
            keep_cloudcode(&mut keys, &self.cloud_eu);
            self.cloud_eu = keys;
        } else {
            self.connection = ConnectionKind::Custom;
            keep_cloudcode(&mut keys, &self.custom.keys);
            self.custom = CustomServer { server, keys };
        }
    }

    /// The CloudCode key of the selected connection, if one is set: the Local demo's is the demo key (the app
    /// runs that server itself); a remote connection's is what the user entered. Secret: never logged.
    pub fn cloudcode_key(&self) -> Option<String> {
        let key = match self.connection {
            ConnectionKind::LocalDemo => crate::cli::DEMO_CLOUDCODE_KEY,
            ConnectionKind::CloudUs => &self.cloud_us.cloudcode_key,
            ConnectionKind::CloudEu => &self.cloud_eu.cloudcode_key,
            ConnectionKind::Custom => &self.custom.keys.cloudcode_key,
        };
        let key = key.trim();
        (!key.is_empty()).then(|| key.to_owned())
    }

    /// The selected connection, resolved.
    pub fn selected(&self) -> Connection {
        let remote = |server: &str, keys: &AppKeys| {
            let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
            Connection::Remote {
                server: server.trim().to_owned(),
                app_id: non_empty(&keys.app_id),
                api_key: non_empty(&keys.api_key),
            }
        };
        match self.connection {
            ConnectionKind::LocalDemo => Connection::LocalDemo,
            ConnectionKind::CloudUs => remote(CLOUD_US_URL, &self.cloud_us),
            ConnectionKind::CloudEu => remote(CLOUD_EU_URL, &self.cloud_eu),
            ConnectionKind::Custom => remote(&self.custom.server, &self.custom.keys),
        }
    }
}

/// A user-token remembered with "Remember me", with what is needed to reopen the session.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedSession {
    /// [`Connection::key`] of the connection the token belongs to.
    pub connection_key: String,
    /// The user's objectId, to load the record after the token is validated; parsed as the file is read, so a
    /// file with an unusable one is not loaded at all.
    pub object_id: crate::model::ObjectId,
    /// The identity the user logged in with, to fill the login form if the token is no longer valid.
    pub identity: String,
    /// The user-token. Secret: never logged.
    pub user_token: String,
}

impl std::fmt::Debug for RememberedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RememberedSession")
            .field("connection_key", &self.connection_key)
            .field("object_id", &self.object_id)
            .field("identity", &self.identity)
            .field("user_token", &"<redacted>")
            .finish()
    }
}

impl RememberedSession {
    /// Reads the remembered session from `dir`, if there is a readable one.
    pub fn load(dir: &Path) -> Option<Self> {
        let path = session_path(dir);
        let remembered = read_json(&path);
        if remembered.is_none() && path.exists() {
            // A file that cannot be read as a session (damaged, or an unusable objectId) can never be
            // resumed; it still holds a token, so it goes.
            if let Err(error) = Self::forget(dir) {
                tracing::warn!("cannot delete {}: {error:#}", path.display());
            }
        }
        remembered
    }

    /// Writes the session into `dir` as a file only its owner can read (0600).
    pub fn save(&self, dir: &Path) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        crate::private_file::write(&session_path(dir), &json)
    }

    /// Deletes the remembered session in `dir`; a missing file is not an error.
    pub fn forget(dir: &Path) -> io::Result<()> {
        match fs::remove_file(session_path(dir)) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}

/// Path of the remembered-session file inside the settings dir.
pub fn session_path(dir: &Path) -> PathBuf {
    dir.join(SESSION_FILE)
}

/// File name of eframe's window state (RON) inside its storage folder.
pub const WINDOW_STATE_FILE: &str = "app.ron";

/// Makes `path` an owner-only file before someone else writes it: creates its folder (0700 for the folders
/// it creates), creates the file 0600 holding `{}` (an empty RON map) when missing, and makes an existing one
/// 0600. eframe rewrites its `app.ron` with `File::create`, which keeps the mode of an existing file.
pub fn prepare_private_file(path: &Path) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("the file has no parent directory"))?;
    crate::private_file::create_dir(dir)?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => file.write_all(b"{}\n"),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
            }
            Ok(())
        }
        Err(error) => Err(error),
    }
}

/// Reads a JSON file. `None` when it is missing; an unreadable or malformed one is logged and also gives
/// `None`, because a broken settings file must not keep the app from starting.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .inspect_err(|error| {
                tracing::warn!("ignoring malformed {}: {error:#}", path.display());
            })
            .ok(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => {
            tracing::warn!("ignoring unreadable {}: {error:#}", path.display());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(server: Option<&str>, app_id: Option<&str>, api_key: Option<&str>) -> ConnectionArgs {
        ConnectionArgs {
            server: server.map(str::to_owned),
            app_id: app_id.map(str::to_owned),
            api_key: api_key.map(str::to_owned),
        }
    }

    #[test]
    fn a_connections_debug_never_shows_its_api_key() {
        let connection = Connection::Remote {
            server: "https://api.backendless.com".to_owned(),
            app_id: Some("APP-ID".to_owned()),
            api_key: Some("SECRET-REST-KEY".to_owned()),
        };
        let shown = format!("{connection:?}");
        assert!(!shown.contains("SECRET-REST-KEY"), "{shown}");
        assert!(
            shown.contains("APP-ID") && shown.contains("<redacted>"),
            "{shown}"
        );
    }

    #[test]
    fn default_connection_is_the_local_demo() {
        assert_eq!(Settings::default().selected(), Connection::LocalDemo);
    }

    #[test]
    fn cloud_urls_with_keys_preselect_the_cloud_connections() {
        let mut settings = Settings::default();
        settings.apply_args(&args(
            Some("https://eu-api.backendless.com/"),
            Some("A"),
            Some("K"),
        ));
        assert_eq!(settings.connection, ConnectionKind::CloudEu);
        assert_eq!(
            settings.selected(),
            Connection::Remote {
                server: CLOUD_EU_URL.to_owned(),
                app_id: Some("A".to_owned()),
                api_key: Some("K".to_owned())
            }
        );
        settings.apply_args(&args(
            Some("https://api.backendless.com"),
            Some("B"),
            Some("L"),
        ));
        assert_eq!(settings.connection, ConnectionKind::CloudUs);
        assert_eq!(
            settings.cloud_us,
            AppKeys {
                app_id: "B".to_owned(),
                api_key: "L".to_owned(),
                cloudcode_key: String::new(),
            }
        );
    }

    #[test]
    fn other_server_with_keys_is_custom_key_in_path() {
        let mut settings = Settings::default();
        settings.apply_args(&args(Some("http://127.0.0.1:9000"), Some("A"), Some("K")));
        assert_eq!(settings.connection, ConnectionKind::Custom);
        assert_eq!(settings.custom.server, "http://127.0.0.1:9000");
        assert_eq!(settings.custom.keys.api_key, "K");
    }

    #[test]
    fn server_alone_is_the_domain_form() {
        let mut settings = Settings::default();
        settings.apply_args(&args(Some("https://sub.backendless.app"), None, None));
        assert_eq!(
            settings.selected(),
            Connection::Remote {
                server: "https://sub.backendless.app".to_owned(),
                app_id: None,
                api_key: None
            }
        );
    }

    #[test]
    fn no_server_flag_keeps_the_saved_selection() {
        let mut settings = Settings {
            connection: ConnectionKind::CloudUs,
            ..Settings::default()
        };
        settings.apply_args(&ConnectionArgs::default());
        assert_eq!(settings.connection, ConnectionKind::CloudUs);
    }

    #[test]
    fn api_keys_live_in_an_owner_only_file_not_in_the_settings() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.apply_args(&args(
            Some("http://localhost:1"),
            Some("APP-ID"),
            Some("SECRET-KEY"),
        ));
        settings.cloud_eu.api_key = "EU-KEY".to_owned();
        settings.save(dir.path()).unwrap();
        let text = fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(text.contains("APP-ID"));
        assert!(
            !text.contains("SECRET-KEY") && !text.contains("EU-KEY"),
            "{text}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            for file in [KEYS_FILE, SETTINGS_FILE] {
                let mode = fs::metadata(dir.path().join(file))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600, "{file}");
            }
        }
        let loaded = Settings::load(dir.path());
        assert_eq!(loaded.custom.keys.api_key, "SECRET-KEY");
        assert_eq!(loaded.cloud_eu.api_key, "EU-KEY");
    }

    #[test]
    fn the_selected_connections_cloudcode_key_is_offered() {
        let mut settings = Settings::default();
        assert_eq!(
            settings.cloudcode_key().as_deref(),
            Some(crate::cli::DEMO_CLOUDCODE_KEY)
        );
        settings.connection = ConnectionKind::Custom;
        assert_eq!(settings.cloudcode_key(), None);
        settings.custom.keys.cloudcode_key = " CC ".to_owned();
        assert_eq!(settings.cloudcode_key().as_deref(), Some("CC"));
        settings.connection = ConnectionKind::CloudEu;
        assert_eq!(settings.cloudcode_key(), None);
    }

    #[test]
    fn cloudcode_keys_live_in_the_keys_file_and_never_show_in_debug() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.custom.keys.api_key = "REST-KEY-1".to_owned();
        settings.custom.keys.cloudcode_key = "CC-KEY-CUSTOM".to_owned();
        settings.cloud_us.cloudcode_key = "CC-KEY-US".to_owned();
        settings.save(dir.path()).unwrap();
        let text = fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(!text.contains("CC-KEY"), "{text}");
        let keys = fs::read_to_string(dir.path().join(KEYS_FILE)).unwrap();
        assert!(keys.contains("CC-KEY-CUSTOM") && keys.contains("CC-KEY-US"));
        let loaded = Settings::load(dir.path());
        assert_eq!(loaded.custom.keys.cloudcode_key, "CC-KEY-CUSTOM");
        assert_eq!(loaded.cloud_us.cloudcode_key, "CC-KEY-US");
        assert_eq!(loaded.cloud_eu.cloudcode_key, "");
        let debug = format!("{loaded:?}");
        assert!(
            !debug.contains("CC-KEY") && !debug.contains("REST-KEY"),
            "{debug}"
        );
        assert!(debug.contains("<redacted>") && debug.contains("<empty>"));
        // A keys file written before CloudCode keys existed still loads.
        fs::write(
            dir.path().join(KEYS_FILE),
            r#"{"cloud_us":"","cloud_eu":"","custom":"OLD"}"#,
        )
        .unwrap();
        let old = Settings::load(dir.path());
        assert_eq!(old.custom.keys.api_key, "OLD");
        assert_eq!(old.custom.keys.cloudcode_key, "");
    }

    #[test]
    fn the_identity_name_is_remembered_per_connection() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        let remote = Connection::Remote {
            server: "https://api.backendless.com".to_owned(),
            app_id: Some("APP".to_owned()),
            api_key: Some("KEY".to_owned()),
        };
        assert_eq!(settings.identity_name(&remote), None);
        assert!(settings.remember_identity_name(&remote, "username"));
        assert!(!settings.remember_identity_name(&remote, "username"));
        assert_eq!(settings.identity_name(&Connection::LocalDemo), None);
        settings.save(dir.path()).unwrap();
        let loaded = Settings::load(dir.path());
        assert_eq!(loaded.identity_name(&remote), Some("username"));
        let text = fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(!text.contains("KEY\""), "{text}");
    }

    #[test]
    fn settings_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.apply_args(&args(Some("http://localhost:1"), Some("A"), Some("K")));
        settings.theme = ThemeChoice::Dark;
        settings.save(dir.path()).unwrap();
        assert_eq!(Settings::load(dir.path()), settings);
    }

    #[test]
    fn missing_or_broken_settings_give_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
        fs::write(dir.path().join(SETTINGS_FILE), b"{not json").unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
    }

    #[test]
    fn remembered_session_is_owner_only_and_can_be_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let session = RememberedSession {
            connection_key: Connection::LocalDemo.key(),
            object_id: "OID".parse().unwrap(),
            identity: "alice@example.com".to_owned(),
            user_token: "secret-token".to_owned(),
        };
        session.save(dir.path()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(session_path(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(RememberedSession::load(dir.path()), Some(session.clone()));
        assert!(!format!("{session:?}").contains("secret-token"));
        // The token never lands in the settings file.
        Settings::default().save(dir.path()).unwrap();
        let settings_text = fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(!settings_text.contains("secret-token"));
        RememberedSession::forget(dir.path()).unwrap();
        assert_eq!(RememberedSession::load(dir.path()), None);
        RememberedSession::forget(dir.path()).unwrap();
    }

    // Issue 9 item 14: every file the app owns is owner-only, eframe's window state included.
    #[cfg(unix)]
    #[test]
    fn the_window_state_file_is_prepared_owner_only_and_kept_so() {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("new").join(WINDOW_STATE_FILE);
        prepare_private_file(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(fs::read_to_string(&path).unwrap().trim(), "{}");
        // eframe's own write (File::create) keeps the mode.
        fs::write(&path, "{\"window\": \"…\"}").unwrap();
        assert_eq!(mode(&path), 0o600);
        // A file left 0644 by an older version is made owner-only, its content kept.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        prepare_private_file(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert!(fs::read_to_string(&path).unwrap().contains("window"));
        // The settings folder is created owner-only too.
        let settings_dir = root.path().join("config");
        Settings::default().save(&settings_dir).unwrap();
        assert_eq!(mode(&settings_dir), 0o700);
    }
}
