//! The official Backendless JS SDK (npm `backendless`, pinned in tests/conformance/package-lock.json) against
//! the emulator: `node tests/conformance/sdk_users.mjs` (the demo app) and `sdk_any_schema.mjs` (a username
//! identity and a schema with every column type) and `sdk_admin.mjs` (issue 12's account and admin calls, with
//! the client key and the CloudCode key) must pass every check and print nothing on stderr.

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
    run_sdk_script(
        &dir,
        "sdk_users.mjs",
        &[
            ("EMU_ORIGIN", emu.origin()),
            ("EMU_APP_ID", profile_editor::cli::DEMO_APP_ID.to_owned()),
            ("EMU_API_KEY", profile_editor::cli::DEMO_API_KEY.to_owned()),
            (
                "EMU_CLOUDCODE_KEY",
                profile_editor::cli::DEMO_CLOUDCODE_KEY.to_owned(),
            ),
            ("BOB_ID", bob_id),
        ],
    )
    .await;
    // The SDK sends whole objects back on update (seen by the recording proxy in front of the emulator).
    let bodies = emu.recorded_update_bodies();
    assert!(
        bodies
            .iter()
            .any(|b| b["phoneNumber"] == "5551212" && b.get("user-token").is_some()),
        "expected the SDK's whole-object update body: {bodies:?}"
    );
}

/// Issue 12 through the official SDK: status, roles, users by role, restore password, verify password and
/// delete, with the client key (refused) and with the CloudCode key (allowed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_js_sdk_admin_and_account_calls_work_against_the_emulator() {
    let dir = conformance_dir();
    let emu = spawn_emulator_with(EmulatorConfig {
        demo: true,
        ..EmulatorConfig::default()
    })
    .await;
    let bob_id = emu
        .emulator
        .admin()
        .object_id_of(BOB.0)
        .expect("bob exists");
    run_sdk_script(
        &dir,
        "sdk_admin.mjs",
        &[
            ("EMU_ORIGIN", emu.origin()),
            ("EMU_APP_ID", profile_editor::cli::DEMO_APP_ID.to_owned()),
            ("EMU_API_KEY", profile_editor::cli::DEMO_API_KEY.to_owned()),
            (
                "EMU_CLOUDCODE_KEY",
                profile_editor::cli::DEMO_CLOUDCODE_KEY.to_owned(),
            ),
            ("BOB_ID", bob_id),
        ],
    )
    .await;
    // What the SDK sent, as the recording proxy saw it: the paths and bodies the emulator serves.
    let sent: Vec<(String, String)> = emu
        .proxy
        .requests()
        .into_iter()
        .map(|r| {
            let path = r.path.split('?').next().unwrap_or_default();
            let rest = path.splitn(4, '/').nth(3).unwrap_or_default().to_owned();
            (r.method, rest)
        })
        .collect();
    for expected in [
        (
            "PUT",
            format!(
                "users/{}/status",
                emu.emulator.admin().object_id_of(BOB.0).unwrap()
            ),
        ),
        ("POST", "users/assignRole".to_owned()),
        ("POST", "users/unassignRole".to_owned()),
        ("GET", "users/role/Editor".to_owned()),
        (
            "GET",
            "users/restorepassword/alice%40example.com".to_owned(),
        ),
        ("POST", "users/verifypassowrd".to_owned()),
    ] {
        assert!(
            sent.iter()
                .any(|(m, p)| m == expected.0 && *p == expected.1),
            "the SDK did not send {expected:?}: {sent:?}"
        );
    }
    assert!(
        sent.iter()
            .any(|(m, p)| m == "DELETE" && p.starts_with("data/Users/")),
        "{sent:?}"
    );
}

/// Issue 11 item 7 through the official SDK: `--identity username --schema` with every column type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_js_sdk_works_with_any_identity_and_schema() {
    let dir = conformance_dir();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/users_schema_all_types.json"))
            .expect("the fixture is JSON");
    let emu = spawn_emulator_with(EmulatorConfig {
        identity: "username".to_owned(),
        schema: Some(schema),
        ..EmulatorConfig::default()
    })
    .await;
    run_sdk_script(
        &dir,
        "sdk_any_schema.mjs",
        &[
            ("EMU_ORIGIN", emu.origin()),
            ("EMU_APP_ID", profile_editor::cli::DEMO_APP_ID.to_owned()),
            ("EMU_API_KEY", profile_editor::cli::DEMO_API_KEY.to_owned()),
        ],
    )
    .await;
}

/// Runs `node SCRIPT` in `dir` with `env`; the script must print `CONFORMANCE OK`, exit 0 and print nothing on
/// stderr.
#[allow(
    clippy::print_stdout,
    reason = "the SDK's check lines belong in the test log"
)]
async fn run_sdk_script(dir: &std::path::Path, script: &str, env: &[(&str, String)]) {
    assert!(
        dir.join("node_modules").join("backendless").is_dir(),
        "the Backendless JS SDK is not installed: run `npm ci --prefix tests/conformance` first"
    );
    let mut command = Command::new("node");
    command.arg(dir.join(script)).current_dir(dir);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("`node` runs (install Node.js 18+ to run the conformance tests)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the SDK checks of {script} failed:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("CONFORMANCE OK"), "{stdout}");
    assert!(
        stderr.trim().is_empty(),
        "node printed on stderr:\n{stderr}"
    );
}
