//! Hardening of the emulator's login and storage (issue 9): no request bodies kept, an atomic lockout that
//! does not reveal accounts, bounded password hashing, no plain tokens at rest, owner-only files, and a
//! damaged store refused at start. Memory is measured on a `serve` child process (Linux /proc).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use profile_editor::emulator::{DB_FILE_NAME, EmulatorConfig, Storage};
use serde_json::{Value, json};

use crate::helpers::{ALICE, BOB, assert_fault, send, spawn_emulator_with};

const BIN: &str = env!("CARGO_BIN_EXE_profile-editor");

/// A `serve` child process, killed when dropped.
struct Served {
    child: Child,
    origin: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Served {
    /// `profile-editor serve ARGS`, once it printed its listening line.
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .arg("serve")
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("profile-editor starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("serve prints its listening line");
        let origin = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self { child, origin }
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/{}/{}/{path}",
            self.origin,
            profile_editor::cli::DEMO_APP_ID,
            profile_editor::cli::DEMO_API_KEY
        )
    }

    /// A `/proc/PID/status` figure in MiB, e.g. `VmRSS` (now) or `VmHWM` (peak so far).
    fn memory_mib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/PID/status is readable (Linux)");
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {field} in {status}"));
        kib / 1024
    }

    /// Stops it with SIGTERM and waits.
    fn stop(mut self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
        self.child.wait().ok();
    }
}

fn login_body((identity, password): (&str, &str)) -> Value {
    json!({"login": identity, "password": password})
}

/// Item 1: the shipped server keeps no request bodies. 40 unauthenticated `PUT users/{id}` of a 1 MiB
/// `[0,0,…]` body each made it grow by ~50 MB apiece (kept, parsed, for tests); now RSS stays flat.
#[test]
fn unauthenticated_megabyte_updates_leave_no_memory_behind() {
    const REQUESTS: usize = 40;
    const CONCURRENCY: usize = 4;
    const MAX_GROWTH_MIB: u64 = 200;
    let served = Served::start(&["--memory", "--demo"]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    let (status, _) = runtime.block_on(send(http.get(served.url("users/userroles"))));
    assert_eq!(status, 200);
    let before = served.memory_mib("VmRSS");

    let body = format!("[{}0]", "0,".repeat(524_286));
    assert!(body.len() <= 1024 * 1024);
    let url = served.url("users/SOME-USER-ID");
    runtime.block_on(async {
        for _ in 0..REQUESTS / CONCURRENCY {
            let batch: Vec<_> = (0..CONCURRENCY)
                .map(|_| {
                    send(
                        http.put(&url)
                            .header("content-type", "application/json")
                            .body(body.clone()),
                    )
                })
                .collect();
            for (status, body) in futures_join_all(batch).await {
                assert!((400..500).contains(&status), "{status} {body}");
            }
        }
    });
    let after = served.memory_mib("VmRSS");
    eprintln!("RSS before {before} MiB, after {REQUESTS} × 1 MiB unauthenticated PUTs {after} MiB");
    assert!(
        after.saturating_sub(before) < MAX_GROWTH_MIB,
        "RSS grew from {before} MiB to {after} MiB"
    );
}

/// Awaits every future (no extra dependency).
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: Vec<F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        outputs.push(handle.await.expect("task"));
    }
    outputs
}

/// Item 3: hashing is bounded (about one Argon2id check per core at a time, each ~19 MiB, the rest queue) and
/// the memory goes back afterwards. 100 concurrent logins took the server to GBs; now the peak stays under
/// 400 MB and the resident size comes back down.
#[test]
fn a_hundred_concurrent_logins_stay_under_400_mb_and_give_the_memory_back() {
    const LOGINS: usize = 100;
    const MAX_PEAK_MIB: u64 = 400;
    const MAX_KEPT_MIB: u64 = 100;
    let served = Served::start(&["--memory", "--demo"]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    let (status, _) = runtime.block_on(send(http.get(served.url("users/userroles"))));
    assert_eq!(status, 200);
    let before = served.memory_mib("VmRSS");
    let url = served.url("users/login");
    let logins: Vec<_> = (0..LOGINS)
        .map(|_| send(http.post(&url).json(&login_body(ALICE))))
        .collect();
    let results = runtime.block_on(futures_join_all(logins));
    for (status, body) in &results {
        assert_eq!(*status, 200, "{body}");
    }
    let peak = served.memory_mib("VmHWM");
    let after = served.memory_mib("VmRSS");
    eprintln!(
        "{LOGINS} concurrent logins: RSS before {before} MiB, peak {peak} MiB, after {after} MiB"
    );
    assert!(peak < MAX_PEAK_MIB, "peak RSS {peak} MiB");
    assert!(
        after.saturating_sub(before) < MAX_KEPT_MIB,
        "RSS stayed at {after} MiB after the burst (before: {before} MiB)"
    );
}

/// Item 2: attempts are counted and reserved before hashing, so 40 concurrent wrong passwords with a limit of
/// 3 get exactly three 3003 answers and 3036 for the rest; the lock then refuses the right password too; an
/// unknown identity locks exactly like a known one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_wrong_passwords_cannot_race_the_lockout() {
    const LIMIT: u32 = 3;
    let emu = spawn_emulator_with(EmulatorConfig {
        demo: true,
        failed_logins_lock: LIMIT,
        lockout_secs: 3600,
        ..EmulatorConfig::default()
    })
    .await;
    let attempts: Vec<_> = (0..40)
        .map(|_| {
            send(
                emu.http
                    .post(emu.url("users/login"))
                    .json(&login_body((ALICE.0, "wrong"))),
            )
        })
        .collect();
    let results = futures_join_all(attempts).await;
    let codes: Vec<i64> = results
        .iter()
        .map(|(_, body)| body["code"].as_i64().unwrap_or_default())
        .collect();
    let checked = codes.iter().filter(|c| **c == 3003).count();
    let locked = codes.iter().filter(|c| **c == 3036).count();
    assert_eq!(checked, LIMIT as usize, "{codes:?}");
    assert_eq!(locked, 40 - LIMIT as usize, "{codes:?}");
    // Locked: even the right password (in any letter case of the identity) is refused.
    let upper = ALICE.0.to_uppercase();
    let locked_message = assert_fault(
        &emu.post(None, "users/login", &login_body((&upper, ALICE.1)))
            .await,
        3036,
    );
    assert_fault(
        &emu.post(None, "users/login", &login_body(ALICE)).await,
        3036,
    );
    // Bob is not affected.
    emu.login(BOB).await;

    // An unknown identity: the same number of 3003s, then the same 3036.
    for _ in 0..LIMIT {
        assert_fault(
            &emu.post(
                None,
                "users/login",
                &login_body(("nobody@example.com", "x")),
            )
            .await,
            3003,
        );
    }
    let unknown_message = assert_fault(
        &emu.post(
            None,
            "users/login",
            &login_body(("nobody@example.com", "x")),
        )
        .await,
        3036,
    );
    assert_eq!(
        unknown_message, locked_message,
        "the lock does not tell which accounts exist"
    );
}

/// A lock runs out after `--lockout-secs`; a later failure starts counting afresh and a success clears the count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_runs_out_and_counting_restarts() {
    let emu = spawn_emulator_with(EmulatorConfig {
        demo: true,
        failed_logins_lock: 2,
        lockout_secs: 1,
        ..EmulatorConfig::default()
    })
    .await;
    for _ in 0..2 {
        assert_fault(
            &emu.post(None, "users/login", &login_body((BOB.0, "wrong")))
                .await,
            3003,
        );
    }
    assert_fault(&emu.post(None, "users/login", &login_body(BOB)).await, 3036);
    // Well past the 1 s lock.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_fault(
        &emu.post(None, "users/login", &login_body((BOB.0, "wrong")))
            .await,
        3003,
    );
    emu.login(BOB).await;
    assert_fault(
        &emu.post(None, "users/login", &login_body((BOB.0, "wrong")))
            .await,
        3003,
    );
    emu.login(BOB).await;
}

/// A lock outlives a restart of the server (only the lock is kept on disk, not the failure count).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_survives_a_restart() {
    let parent = tempfile::tempdir().unwrap();
    let config = EmulatorConfig {
        demo: true,
        storage: Storage::Dir(parent.path().join("emulator")),
        failed_logins_lock: 1,
        lockout_secs: 3600,
        ..EmulatorConfig::default()
    };
    let emu = spawn_emulator_with(config.clone()).await;
    assert_fault(
        &emu.post(None, "users/login", &login_body((BOB.0, "wrong")))
            .await,
        3003,
    );
    emu.emulator.shutdown().await;

    let emu = spawn_emulator_with(config).await;
    assert_fault(&emu.post(None, "users/login", &login_body(BOB)).await, 3036);
    emu.login(ALICE).await;
}

/// Every file in `dir` (the database, its WAL and shared-memory files), as raw bytes.
fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            )
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Item 6: the store keeps only digests of user-tokens, and its folder and files are owner-only, also when the
/// folder already existed with looser permissions.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_not_stored_and_the_store_is_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("emulator");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    // An empty database file that anyone may read (SQLite starts an empty file as a new database).
    std::fs::write(dir.join(DB_FILE_NAME), b"").unwrap();
    std::fs::set_permissions(
        dir.join(DB_FILE_NAME),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let emu = spawn_emulator_with(EmulatorConfig {
        demo: true,
        storage: Storage::Dir(dir.clone()),
        ..EmulatorConfig::default()
    })
    .await;
    let (alice, _) = emu.login_token(ALICE).await;
    let (bob, _) = emu.login_token(BOB).await;
    // The tokens work…
    for token in [&alice, &bob] {
        let (status, valid) = emu
            .get(None, &format!("users/isvalidusertoken/{token}"))
            .await;
        assert_eq!((status, valid), (200, json!(true)));
    }
    // …but no file holds them.
    let files = files_in(&dir);
    assert!(
        files.iter().any(|(name, _)| name == DB_FILE_NAME),
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (name, bytes) in &files {
        for token in [&alice, &bob] {
            assert!(!contains(bytes, token), "{name} holds a user-token");
        }
    }
    assert_eq!(mode_of(&dir), 0o700, "data dir");
    for (name, _) in &files {
        assert_eq!(mode_of(&dir.join(name)), 0o600, "{name}");
    }
}

/// Item 6, migration: a store written before token digests (plain `_sessions.token`) still opens, its sessions
/// keep working, and the plain token is gone from the files afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_with_plain_tokens_is_migrated_and_its_sessions_survive() {
    const OLD_TOKEN: &str = "0A1B2C3D-0000-4000-8000-00000000CAFE";
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("emulator");
    let config = EmulatorConfig {
        demo: true,
        storage: Storage::Dir(dir.clone()),
        ..EmulatorConfig::default()
    };
    let alice_id = {
        let emu = spawn_emulator_with(config.clone()).await;
        let id = emu.emulator.admin().object_id_of(ALICE.0).unwrap();
        emu.emulator.shutdown().await;
        id
    };
    // Rewrite the sessions table the way the old version stored it.
    {
        let conn = rusqlite::Connection::open(dir.join(DB_FILE_NAME)).unwrap();
        conn.execute_batch(
            "DROP TABLE _sessions;
             CREATE TABLE _sessions (token TEXT PRIMARY KEY NOT NULL, object_id TEXT NOT NULL,
                                     created INTEGER NOT NULL, last_used INTEGER NOT NULL);",
        )
        .unwrap();
        let now = profile_editor_now_ms();
        conn.execute(
            "INSERT INTO _sessions (token, object_id, created, last_used) VALUES (?1, ?2, ?3, ?3)",
            rusqlite::params![OLD_TOKEN, alice_id, now],
        )
        .unwrap();
    }
    assert!(
        files_in(&dir)
            .iter()
            .any(|(_, bytes)| contains(bytes, OLD_TOKEN))
    );

    let emu = spawn_emulator_with(config).await;
    let (status, user) = emu
        .get(Some(OLD_TOKEN), &format!("data/Users/{alice_id}"))
        .await;
    assert_eq!(status, 200, "the old session still works: {user}");
    for (name, bytes) in files_in(&dir) {
        assert!(
            !contains(&bytes, OLD_TOKEN),
            "{name} still holds the plain token"
        );
    }
}

fn profile_editor_now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(now.as_millis()).unwrap()
}

/// Item 11: a corrupt page in the middle of the database is noticed at start: `serve` exits non-zero with a
/// one-line reason instead of serving 500s.
#[test]
fn a_damaged_store_is_refused_at_start_with_a_one_line_reason() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("emulator");
    let data = dir.to_str().unwrap();
    Served::start(&["--data", data, "--demo", "--demo-users", "3000"]).stop();
    let path = dir.join(DB_FILE_NAME);
    {
        // Everything into the main file, so the damage below is what a reader sees.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    const PAGE: usize = 4096;
    let pages = bytes.len() / PAGE;
    assert!(pages > 20, "{pages} pages");
    let middle = pages / 2 * PAGE;
    bytes[middle..middle + PAGE].fill(0x5A);
    std::fs::write(&path, &bytes).unwrap();

    let stderr = crate::emulator_cli::serve_fails(&["--data", data]);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr:?}");
    assert!(stderr.contains("damaged"), "{stderr:?}");
    assert!(
        stderr.contains("move it aside or restore a backup"),
        "{stderr:?}"
    );
}
