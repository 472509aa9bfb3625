//! Command-line flags (CONTRACT.md §2). Parsing only: what the flags do lives in `emulator` and `app`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The demo application id of the Local demo and of `serve` by default.
pub const DEMO_APP_ID: &str = "D3A0C0DE-0000-4000-8000-000000000001";
/// The demo REST API key of the Local demo and of `serve` by default.
pub const DEMO_API_KEY: &str = "D3A0C0DE-0000-4000-8000-000000000002";
/// The demo CloudCode (server) key of the Local demo and of `serve` by default.
pub const DEMO_CLOUDCODE_KEY: &str = "D3A0C0DE-0000-4000-8000-000000000003";

/// The commit the binary was built from (12 hex digits, or "unknown"; see `build.rs`).
pub const COMMIT: &str = env!("PROFILE_EDITOR_COMMIT");

/// What `--version` prints after the name and the About window shows: `0.1.0 (commit 1f41eb0c2a3b)`.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("PROFILE_EDITOR_COMMIT"),
    ")"
);

/// The OS directories of the app (config, data); `serve --data` defaults to `emulator/` in the data dir.
pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("dev", "profile-editor", "Profile Editor")
}

/// `profile-editor`: edit your Backendless user profile.
#[derive(Debug, Parser)]
#[command(name = "profile-editor", version = VERSION, about)]
pub struct Cli {
    /// What to run; the desktop app when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Connection to preselect in the desktop app.
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Flags that preselect a connection in the desktop app.
#[derive(Debug, Clone, Default, Args)]
pub struct ConnectionArgs {
    /// Server URL: `https://api.backendless.com` (with --app-id and --api-key) or `https://sub.backendless.app`.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Application id (key-in-path form).
    #[arg(long, value_name = "ID", requires = "server")]
    pub app_id: Option<String>,
    /// REST API key (key-in-path form).
    #[arg(long, value_name = "KEY", requires = "server")]
    pub api_key: Option<String>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run only the Backendless-compatible emulator, headless, until Ctrl-C or SIGTERM.
    Serve(ServeArgs),
}

/// `serve` flags; names are fixed by CONTRACT.md §2.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to bind; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Where the SQLite database lives [default: the app's data dir, sub-folder `emulator`].
    #[arg(long, value_name = "DIR", conflicts_with = "memory")]
    pub data: Option<PathBuf>,
    /// Keep everything in memory (nothing written to disk).
    #[arg(long)]
    pub memory: bool,
    /// The only application id accepted.
    #[arg(long, default_value = DEMO_APP_ID, value_name = "ID")]
    pub app_id: String,
    /// The only REST API key accepted.
    #[arg(long, default_value = DEMO_API_KEY, value_name = "KEY")]
    pub api_key: String,
    /// Create the demo schema and users if the database is empty.
    #[arg(long)]
    pub demo: bool,
    /// With --demo, also create N generated users user00001@example.com, ...
    #[arg(long, default_value_t = 0, value_name = "N", requires = "demo")]
    pub demo_users: u32,
    /// Backendless "dynamic schema definition" setting.
    #[arg(long, value_enum, default_value_t = OnOff::On, value_name = "on|off")]
    pub dynamic_schema: OnOff,
    /// Lock an account after N consecutive failed logins (0 = never).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub failed_logins_lock: u32,
    /// How long a locked account stays locked, in seconds.
    #[arg(long, default_value_t = 900, value_name = "S")]
    pub lockout_secs: u64,
    /// Sliding inactivity timeout of a user-token, in seconds.
    #[arg(long, default_value_t = 3600, value_name = "S")]
    pub session_timeout_secs: u64,
    /// The CloudCode (server) key, accepted where the REST API key is; some operations need it.
    #[arg(long, default_value = DEMO_CLOUDCODE_KEY, value_name = "KEY")]
    pub cloudcode_key: String,
    /// What a second login of the same user does: `replace` ends the earlier session, `refuse` fails with
    /// 3002 while one is alive, `N` allows up to N concurrent sessions (one more fails with 3044).
    #[arg(long, default_value = "replace", value_parser = Logins::parse, value_name = "replace|refuse|N")]
    pub logins: Logins,
    /// Whether `users/register` is open.
    #[arg(long, value_enum, default_value_t = OnOff::On, value_name = "on|off")]
    pub registration: OnOff,
    /// The identity column [default: email, or the column the --schema file marks `identity: true`].
    #[arg(long, value_name = "PROPERTY")]
    pub identity: Option<String>,
    /// Start from this Users schema: the JSON array `users/userclassprops` returns [default: the demo schema].
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
}

/// `serve --logins`: what a new login of a user who already has a live session does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Logins {
    /// The new login ends the user's earlier sessions (a real app's default).
    #[default]
    Replace,
    /// The new login fails with 3002 while a session of the user is alive.
    Refuse,
    /// Up to this many concurrent sessions (at least 1); one more login fails with 3044.
    Max(u32),
}

impl Logins {
    /// Parses `replace`, `refuse` or a whole number of at least 1.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "replace" => Ok(Self::Replace),
            "refuse" => Ok(Self::Refuse),
            number => match number.parse::<u32>() {
                Ok(n) if n >= 1 => Ok(Self::Max(n)),
                _ => Err(format!(
                    "expected replace, refuse or a number of sessions (1 or more), got {text:?}"
                )),
            },
        }
    }
}

/// A setting that is on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

impl OnOff {
    /// `true` for [`OnOff::On`].
    pub fn is_on(self) -> bool {
        self == Self::On
    }
}

/// A flag-parsing error as one line: clap's message without its `error: ` prefix, usage and tips.
pub fn one_line(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let message: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"))
        .filter(|line| !line.is_empty() && !line.starts_with("tip:"))
        .collect();
    let message = message.join(" ");
    message
        .strip_prefix("error: ")
        .unwrap_or(&message)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn version_names_the_package_version_and_the_commit() {
        let rendered = Cli::command().render_version();
        assert_eq!(
            rendered.trim(),
            format!(
                "profile-editor {} (commit {COMMIT})",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert!(
            COMMIT == "unknown" || COMMIT.chars().all(|c| c.is_ascii_hexdigit()),
            "{COMMIT}"
        );
    }

    #[test]
    fn serve_defaults_follow_the_contract() {
        let cli = Cli::try_parse_from(["profile-editor", "serve"]).unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("expected serve")
        };
        assert_eq!(args.listen.to_string(), "127.0.0.1:0");
        assert_eq!(args.app_id, DEMO_APP_ID);
        assert!(args.dynamic_schema.is_on());
        assert_eq!(args.lockout_secs, 900);
        assert_eq!(args.session_timeout_secs, 3600);
        assert_eq!(args.cloudcode_key, DEMO_CLOUDCODE_KEY);
        assert_eq!(args.logins, Logins::Replace);
        assert!(args.registration.is_on());
    }

    #[test]
    fn logins_take_replace_refuse_or_a_positive_number() {
        let parse = |value: &str| {
            Cli::try_parse_from(["profile-editor", "serve", "--logins", value]).map(|cli| match cli
                .command
            {
                Some(Command::Serve(args)) => args.logins,
                None => panic!("expected serve"),
            })
        };
        assert_eq!(parse("replace").unwrap(), Logins::Replace);
        assert_eq!(parse("refuse").unwrap(), Logins::Refuse);
        assert_eq!(parse("3").unwrap(), Logins::Max(3));
        assert!(parse("0").is_err());
        assert!(parse("many").is_err());
    }

    #[test]
    fn bad_flags_are_rejected() {
        assert!(Cli::try_parse_from(["profile-editor", "serve", "--listen", "nonsense"]).is_err());
        assert!(
            Cli::try_parse_from(["profile-editor", "serve", "--dynamic-schema", "maybe"]).is_err()
        );
        assert!(
            Cli::try_parse_from(["profile-editor", "serve", "--memory", "--data", "/tmp/x"])
                .is_err()
        );
    }

    #[test]
    fn a_flag_error_reads_as_one_line() {
        let error =
            Cli::try_parse_from(["profile-editor", "serve", "--listen", "nonsense"]).unwrap_err();
        let line = one_line(&error);
        assert!(
            line.contains("--listen") && !line.starts_with("error"),
            "{line}"
        );
        let error =
            Cli::try_parse_from(["profile-editor", "serve", "--demo-users", "3"]).unwrap_err();
        let line = one_line(&error);
        assert!(line.contains("--demo") && !line.contains('\n'), "{line}");
    }
}
