//! Process entry: parse flags, then run the emulator (`serve`) or the desktop app.

use clap::Parser as _;
use profile_editor::cli::{Cli, Command};

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // `--help` and `--version` print and exit 0 as usual.
        Err(error) if !error.use_stderr() => error.exit(),
        Err(error) => {
            // One line, so scripts and users can read it; the usage is one `--help` away.
            eprintln!(
                "profile-editor: {} (see --help)",
                profile_editor::cli::one_line(&error)
            );
            std::process::exit(2);
        }
    };
    let result = match cli.command {
        Some(Command::Serve(args)) => profile_editor::emulator::serve_main(args),
        None => profile_editor::app::run(cli.connection),
    };
    if let Err(error) = result {
        eprintln!("profile-editor: {error:#}");
        std::process::exit(1);
    }
}
