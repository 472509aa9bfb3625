//! Build script: records the commit the binary is built from as `PROFILE_EDITOR_COMMIT` (for `--version` and
//! the About window). `git rev-parse --short=12 HEAD`; `PROFILE_EDITOR_COMMIT` in the environment wins (builds
//! from a source tarball); "unknown" without git. Reruns only when HEAD or the branch it points at moves.
#![allow(
    clippy::print_stdout,
    reason = "a build script talks to cargo on stdout"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The commit when neither git nor the environment says.
const UNKNOWN_COMMIT: &str = "unknown";

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PROFILE_EDITOR_COMMIT");
    let commit = match std::env::var("PROFILE_EDITOR_COMMIT") {
        Ok(commit) if !commit.trim().is_empty() => commit.trim().to_owned(),
        _ => {
            // Only files that exist: a missing one would make cargo rerun this script on every build.
            if let Some(git_dir) = git(&["rev-parse", "--git-dir"]).map(PathBuf::from) {
                let mut watched = vec![git_dir.join("HEAD"), git_dir.join("packed-refs")];
                if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
                    watched.push(git_dir.join(reference));
                }
                for path in watched.iter().filter(|path| Path::new(path).exists()) {
                    println!("cargo:rerun-if-changed={}", path.display());
                }
            }
            git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| UNKNOWN_COMMIT.to_owned())
        }
    };
    println!("cargo:rustc-env=PROFILE_EDITOR_COMMIT={commit}");
}
