//! Issue 14: after a login the app asks for the Users schema and the user's roles at the same time, not one
//! after the other (on a link with 100 ms per request that was a whole round trip before the editor and
//! the Users switch). Observed at the recording proxy: the schema request is held there until the roles
//! request has arrived as well, so both are in flight at once. No timing is measured.

use profile_editor::emulator::EmulatorConfig;

use crate::helpers::{ADMIN, RecordingProxy};
use crate::ui_support::{
    ANSWER_TIMEOUT, app, custom_args, emulator, log_in, step_until, wait_for_editor,
};

/// Whether a request whose path ends with `path` has reached `proxy`.
fn arrived(proxy: &RecordingProxy, path: &str) -> bool {
    proxy.requests().iter().any(|r| r.path.ends_with(path))
}

#[test]
fn after_a_login_the_schema_and_the_roles_are_asked_for_at_once() {
    let (_runtime, emu) = emulator(EmulatorConfig {
        demo: true,
        ..EmulatorConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emu));
    let schema = emu.proxy.hold_next("/users/userclassprops");
    let roles = emu.proxy.hold_next("/users/userroles");
    log_in(&mut harness, ADMIN, false);
    step_until(&mut harness, "the schema request", |_| {
        arrived(&emu.proxy, "/users/userclassprops")
    });
    schema.wait_until_arrived(ANSWER_TIMEOUT);
    // Asked one after the other, the roles request would wait for the schema's answer, which the proxy holds.
    step_until(
        &mut harness,
        "the roles request while the schema's is held",
        |h| {
            // Asked one after the other, the client gives up on the held schema request first.
            let failed = h.state().state().login_error();
            assert!(failed.is_none(), "the login failed first: {failed:?}");
            arrived(&emu.proxy, "/users/userroles")
        },
    );
    roles.wait_until_arrived(ANSWER_TIMEOUT);
    schema.release();
    roles.release();
    wait_for_editor(&mut harness, ADMIN.0);
    step_until(&mut harness, "the Users switch for the admin", |h| {
        h.state().users().is_admin()
    });
    let asked = emu
        .proxy
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/users/userroles"))
        .count();
    assert_eq!(asked, 1, "the roles are asked for once");
}
