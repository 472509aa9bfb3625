//! The official Backendless JS SDK (npm `backendless`, pinned in tests/conformance/package-lock.json) against
//! the emulator: `node tests/conformance/sdk_users.mjs` must pass every check and print nothing on stderr.

use std::path::PathBuf;
use std::process::Command;

use profile_editor::emulator::EmulatorConfig;

use crate::helpers::{BOB, spawn_emulator_with};

fn conformance_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("conformance")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_js_sdk_works_against_the_emulator() {
    let dir = conformance_dir();
    assert!(
        dir.join("node_modules").join("backendless").is_dir(),
        "the Backendless JS SDK is not installed: run `npm ci --prefix tests/conformance` first"
    );
    let config = EmulatorConfig {
        demo: true,
        demo_users: 20,
        dynamic_schema: false,
        ..EmulatorConfig::default()
    };
    let emu = spawn_emulator_with(config).await;
    let bob_id = emu
        .emulator
        .admin()
        .object_id_of(BOB.0)
        .expect("bob exists");
    let mut command = Command::new("node");
    command
        .arg(dir.join("sdk_users.mjs"))
        .current_dir(&dir)
        .env("EMU_ORIGIN", emu.origin())
        .env("EMU_APP_ID", profile_editor::cli::DEMO_APP_ID)
        .env("EMU_API_KEY", profile_editor::cli::DEMO_API_KEY)
        .env("EMU_CLOUDCODE_KEY", profile_editor::cli::DEMO_CLOUDCODE_KEY)
        .env("BOB_ID", bob_id);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("`node` runs (install Node.js 18+ to run the conformance tests)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the SDK checks failed:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("CONFORMANCE OK"), "{stdout}");
    assert!(
        stderr.trim().is_empty(),
        "node printed on stderr:\n{stderr}"
    );
    // The SDK sends whole objects back on update (seen by the recording proxy in front of the emulator).
    let bodies = emu.recorded_update_bodies();
    assert!(
        bodies
            .iter()
            .any(|b| b["phoneNumber"] == "5551212" && b.get("user-token").is_some()),
        "expected the SDK's whole-object update body: {bodies:?}"
    );
}
