//! Process entry: parse flags, then run the emulator (`serve`) or the desktop app.

use clap::Parser as _;
use profile_editor::cli::{Cli, Command};

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Serve(args)) => profile_editor::emulator::serve_main(args),
        None => profile_editor::app::run(cli.connection),
    };
    if let Err(error) = result {
        // One line, so scripts and users can read it.
        eprintln!("profile-editor: {error:#}");
        std::process::exit(1);
    }
}
