//! `loadgen`: load generator for the emulator. Measures, on loopback with durable storage (a temporary
//! `--data` directory): time to create the demo users, authenticated `PUT users/{id}` throughput and p50/p99
//! latency with 1 and 32 concurrent clients (each updating its own record), then 32 clients updating the SAME
//! record (`--same-record N`), and the latency of a 100-row `find` page with a `where` clause. The app's CSV
//! export of the whole Users table (rows/s, the process's peak memory, and where the time goes:
//! `--export-rows`; `--only-export` measures just that).
//! First, on a fresh in-memory emulator, the process's peak memory (Linux `VmHWM`, reset just before) during
//! a burst of 100 concurrent logins (`--login-burst N`; `--only-login-burst` measures just that). Last, the p99
//! of another user's reads while an admin's `find` keeps running into the 2 s query deadline.
//!
//! Run: `cargo run --release --bin loadgen` (add `-- --help` for options). Prints a plain-text report.
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use profile_editor::emulator::{EmulatorConfig, GENERATED_USER_PASSWORD, RunningEmulator, Storage};
use serde_json::{Value, json};

/// Creating 100 000 demo users should take at most this long (the timing that used to be asserted by an
/// integration test; measured here because a test must not depend on the machine's speed).
const DEMO_CREATE_BUDGET: Duration = Duration::from_secs(60);

/// Load generator for the Profile Editor emulator.
#[derive(Debug, Parser)]
struct Args {
    /// Generated users to create.
    #[arg(long, default_value_t = 100_000)]
    users: u32,
    /// How long each update run lasts, in seconds.
    #[arg(long, default_value_t = 5)]
    duration_secs: u64,
    /// Concurrent client counts to measure.
    #[arg(long, value_delimiter = ',', default_values_t = [1_usize, 32])]
    clients: Vec<usize>,
    /// How many find pages to time.
    #[arg(long, default_value_t = 200)]
    find_requests: usize,
    /// Concurrent logins whose peak memory is measured (0: skip).
    #[arg(long, default_value_t = 100)]
    login_burst: usize,
    /// Measure only the login burst.
    #[arg(long)]
    only_login_burst: bool,
    /// Another user's reads timed while an admin's query runs into the 2 s deadline over and over (0: skip).
    #[arg(long, default_value_t = 200)]
    long_query_reads: usize,
    /// Clients that all update the same record at once, each with its own session (0: skip).
    #[arg(long, default_value_t = 32)]
    same_record: usize,
    /// Export the whole Users table to CSV (the app's export) when it has at least this many rows; the
    /// export runs on `--users` generated users (0: skip).
    #[arg(long, default_value_t = 100_000)]
    export_rows: u32,
    /// Create the users and measure only the CSV export.
    #[arg(long)]
    only_export: bool,
}

/// Sessions one user may hold at once on the loadgen's emulator: the same-record run logs one user in from
/// every client.
const MAX_SESSIONS: u32 = 256;

/// A `/proc/self/status` figure in MiB (`VmRSS`, `VmHWM`), if this is Linux.
fn memory_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// Peak memory of this process (server and client) while `logins` clients log in at once on a fresh
/// in-memory emulator. `VmHWM` is reset first (Linux `clear_refs` 5), so earlier work does not count.
fn login_burst(
    server_rt: &tokio::runtime::Runtime,
    client_rt: &tokio::runtime::Runtime,
    logins: usize,
) -> anyhow::Result<()> {
    let config = EmulatorConfig {
        demo: true,
        ..EmulatorConfig::default()
    };
    let emulator = server_rt.block_on(RunningEmulator::start(config, "127.0.0.1:0".parse()?))?;
    let base_url = emulator.base_url();
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = memory_mib("VmRSS");
    let started = Instant::now();
    client_rt.block_on(async {
        let http = reqwest::Client::new();
        let tasks: Vec<_> = (0..logins)
            .map(|_| {
                let (http, base_url) = (http.clone(), base_url.clone());
                tokio::spawn(async move {
                    login(&http, &base_url, "alice@example.com", "alice-pass-1").await
                })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
        anyhow::Ok(())
    })?;
    let elapsed = started.elapsed();
    let (peak, after) = (memory_mib("VmHWM"), memory_mib("VmRSS"));
    let show = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.0} MiB"));
    println!(
        "{logins} concurrent logins: {:.2} s; process RSS before {}, peak {}{}, after {} (target: peak under 400 MB)",
        elapsed.as_secs_f64(),
        show(before),
        show(peak),
        if reset {
            ""
        } else {
            " (peak not reset: includes earlier work)"
        },
        show(after),
    );
    server_rt.block_on(emulator.shutdown());
    Ok(())
}

/// Latency percentiles of a sorted sample.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

async fn login(
    http: &reqwest::Client,
    base_url: &str,
    identity: &str,
    password: &str,
) -> anyhow::Result<(String, String)> {
    let response = http
        .post(format!("{base_url}/users/login"))
        .json(&json!({"login": identity, "password": password}))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "login of {identity} failed: {}",
        response.status()
    );
    let body: Value = response.json().await?;
    let token = body["user-token"]
        .as_str()
        .context("no user-token")?
        .to_owned();
    let object_id = body["objectId"].as_str().context("no objectId")?.to_owned();
    Ok((token, object_id))
}

/// Which records the clients of an update run write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Records {
    /// Client `n` logs in as generated user `n` and updates its own record.
    OwnRecord,
    /// Every client logs in (its own session) as generated user 1 and updates that one record.
    SameRecord,
}

/// Runs `clients` concurrent update loops for `duration`; returns (completed updates, sorted latencies).
async fn update_run(
    base_url: &str,
    clients: usize,
    duration: Duration,
    records: Records,
) -> anyhow::Result<(usize, Duration, Vec<Duration>)> {
    let mut sessions = Vec::new();
    for n in 1..=clients {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()?;
        let user = match records {
            Records::OwnRecord => n,
            Records::SameRecord => 1,
        };
        let (token, object_id) = login(
            &http,
            base_url,
            &format!("user{user:05}@example.com"),
            GENERATED_USER_PASSWORD,
        )
        .await?;
        sessions.push((http, token, object_id));
    }
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for (http, token, object_id) in sessions {
        let url = format!("{base_url}/users/{object_id}");
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n: u64 = 0;
            while Instant::now() < deadline {
                n += 1;
                let body = json!({"phoneNumber": format!("555-{n:07}"), "age": 20 + (n % 50)});
                let sent = Instant::now();
                let response = http
                    .put(&url)
                    .header("user-token", &token)
                    .json(&body)
                    .send()
                    .await?;
                let status = response.status();
                let _ = response.bytes().await?;
                anyhow::ensure!(status.is_success(), "update failed: {status}");
                latencies.push(sent.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    let elapsed = started.elapsed();
    all.sort_unstable();
    Ok((all.len(), elapsed, all))
}

/// Times `requests` find pages; returns sorted latencies.
async fn find_run(
    base_url: &str,
    token: &str,
    body: &Value,
    requests: usize,
) -> anyhow::Result<Vec<Duration>> {
    let http = reqwest::Client::new();
    let mut latencies = Vec::with_capacity(requests);
    for _ in 0..requests {
        let sent = Instant::now();
        let response = http
            .post(format!("{base_url}/data/Users/find"))
            .header("user-token", token)
            .json(body)
            .send()
            .await?;
        let status = response.status();
        let rows: Value = response.json().await?;
        latencies.push(sent.elapsed());
        anyhow::ensure!(status.is_success(), "find failed: {status} {rows}");
        anyhow::ensure!(rows.is_array(), "expected a page (JSON array): {rows}");
    }
    latencies.sort_unstable();
    Ok(latencies)
}

/// Big `notes` values on this many generated users make the long query slow (~6.5e7 `LIKE` steps per user).
const LONG_QUERY_USERS: usize = 50;

/// While an admin's `find` keeps running into the query deadline, another user (Alice) reads her own record
/// and runs a one-row find; returns the sorted latencies of those reads and how many long queries were stopped
/// (each must end with the deadline's 1017 answer).
async fn reads_during_long_query(
    base_url: &str,
    admin: &str,
    reads: usize,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let http = reqwest::Client::new();
    let page: Value = http
        .post(format!("{base_url}/data/Users/find"))
        .header("user-token", admin)
        .json(&json!({"where": "email LIKE 'user%'", "pageSize": LONG_QUERY_USERS}))
        .send()
        .await?
        .json()
        .await?;
    let notes = "a".repeat(65_000);
    for user in page.as_array().context("a page of users")? {
        let id = user["objectId"].as_str().context("objectId")?;
        let response = http
            .put(format!("{base_url}/users/{id}"))
            .header("user-token", admin)
            .json(&json!({"notes": notes}))
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "notes not set: {}",
            response.status()
        );
    }
    let slow = json!({"where": format!("notes LIKE '%{}b%'", "a".repeat(997)), "pageSize": 100});
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let long_queries = {
        let (http, url, admin, stop) = (
            http.clone(),
            format!("{base_url}/data/Users/find"),
            admin.to_owned(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let mut ended = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let response = http
                    .post(&url)
                    .header("user-token", &admin)
                    .json(&slow)
                    .send()
                    .await?;
                let fault: Value = response.json().await?;
                anyhow::ensure!(
                    fault["code"] == 1017,
                    "the long query was not stopped at the deadline: {fault}"
                );
                ended += 1;
            }
            anyhow::Ok(ended)
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (alice, alice_id) = login(&http, base_url, "alice@example.com", "alice-pass-1").await?;
    let mut latencies = Vec::with_capacity(reads);
    for n in 0..reads {
        let sent = Instant::now();
        let request = if n % 2 == 0 {
            http.get(format!("{base_url}/data/Users/{alice_id}"))
        } else {
            http.post(format!("{base_url}/data/Users/find"))
                .json(&json!({"where": "age > 1", "pageSize": 1}))
        };
        let response = request.header("user-token", &alice).send().await?;
        let status = response.status();
        let _ = response.bytes().await?;
        latencies.push(sent.elapsed());
        anyhow::ensure!(status.is_success(), "read failed: {status}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let ended = long_queries.await??;
    latencies.sort_unstable();
    Ok((latencies, ended))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let profile = if cfg!(debug_assertions) {
        "dev (debug assertions on; NOT representative)"
    } else {
        "release"
    };
    let dir = TempDir(
        std::env::temp_dir().join(format!("profile-editor-loadgen-{}", std::process::id())),
    );
    println!(
        "loadgen: profile {profile}, {} cores, data dir {}",
        num_cpus(),
        dir.0.display()
    );

    // The server gets its own runtime so client work does not starve it of worker threads.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("emulator")
        .build()?;
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("loadgen")
        .build()?;

    if args.login_burst > 0 && !args.only_export {
        login_burst(&server_rt, &client_rt, args.login_burst)?;
    }
    if args.only_login_burst {
        return Ok(());
    }

    let config = EmulatorConfig {
        storage: Storage::Dir(dir.0.clone()),
        demo: true,
        demo_users: args.users,
        logins: profile_editor::cli::Logins::Max(MAX_SESSIONS),
        ..EmulatorConfig::default()
    };
    let listen: SocketAddr = "127.0.0.1:0".parse()?;
    let started = Instant::now();
    let emulator = server_rt.block_on(RunningEmulator::start(config, listen))?;
    let create_time = started.elapsed();
    println!(
        "create {} demo users (durable, incl. schema + 4 Argon2id hashes): {:.2} s ({} the {} s budget for 100 000)",
        args.users,
        create_time.as_secs_f64(),
        if create_time <= DEMO_CREATE_BUDGET {
            "within"
        } else {
            "OVER"
        },
        DEMO_CREATE_BUDGET.as_secs()
    );
    let base_url = emulator.base_url();

    if args.only_export {
        export_run(&client_rt, &emulator, args.export_rows)?;
        server_rt.block_on(emulator.shutdown());
        return Ok(());
    }

    client_rt.block_on(async {
        let duration = Duration::from_secs(args.duration_secs);
        let runs = args.clients.iter().map(|&clients| (clients, Records::OwnRecord));
        let same = (args.same_record > 0).then_some((args.same_record, Records::SameRecord));
        for (clients, records) in runs.chain(same) {
            let (count, elapsed, latencies) =
                update_run(&base_url, clients, duration, records).await?;
            let whose = match records {
                Records::OwnRecord => "each its own record",
                Records::SameRecord => "all the SAME record",
            };
            println!(
                "PUT users/{{id}} with {clients:>2} client(s), {whose}: {count} updates in {:.2} s = {:.0} updates/s, p50 {}, p99 {}, max {}",
                elapsed.as_secs_f64(),
                count as f64 / elapsed.as_secs_f64(),
                ms(percentile(&latencies, 50.0)),
                ms(percentile(&latencies, 99.0)),
                ms(percentile(&latencies, 100.0)),
            );
        }
        let (admin, _) = login(&reqwest::Client::new(), &base_url, "admin@example.com", "admin-pass-1").await?;
        for (label, body) in [
            ("offset 0", json!({"where": "age >= 30 AND newsletter = true", "pageSize": 100, "offset": 0})),
            ("offset 20000", json!({"where": "age >= 30 AND newsletter = true", "pageSize": 100, "offset": 20000})),
            (
                "sorted by email desc",
                json!({"where": "email LIKE 'user%' AND score > 1", "pageSize": 100, "sortBy": "email desc"}),
            ),
        ] {
            let latencies = find_run(&base_url, &admin, &body, args.find_requests).await?;
            println!(
                "find 100-row page, where + {label}, over {} users: p50 {}, p99 {}, max {}",
                args.users + 3,
                ms(percentile(&latencies, 50.0)),
                ms(percentile(&latencies, 99.0)),
                ms(percentile(&latencies, 100.0)),
            );
        }
        if args.long_query_reads > 0 {
            let (latencies, ended) =
                reads_during_long_query(&base_url, &admin, args.long_query_reads).await?;
            println!(
                "another user's GET data/Users/{{own id}} + 1-row find while an admin's query runs into the 2 s deadline \
                 ({ended} long queries stopped at the deadline): {} reads, p50 {}, p99 {}, max {} (target: p99 under 50 ms)",
                latencies.len(),
                ms(percentile(&latencies, 50.0)),
                ms(percentile(&latencies, 99.0)),
                ms(percentile(&latencies, 100.0)),
            );
        }
        anyhow::Ok(())
    })?;
    export_run(&client_rt, &emulator, args.export_rows)?;
    server_rt.block_on(emulator.shutdown());
    Ok(())
}

/// The columns the export writes: every column of the demo schema.
const EXPORT_COLUMNS: [&str; 14] = [
    "objectId",
    "email",
    "name",
    "phoneNumber",
    "address",
    "age",
    "birthday",
    "newsletter",
    "score",
    "preferences",
    "created",
    "updated",
    "ownerId",
    "userStatus",
];

/// The app's CSV export of the whole Users table as the Admin sees it, through the app's client, into a
/// temporary directory: rows/s and the process's peak memory (`VmHWM`, reset just before). Then where the
/// time goes: the same pages fetched without writing, and one page's latency at the first and last offsets.
fn export_run(
    client_rt: &tokio::runtime::Runtime,
    emulator: &RunningEmulator,
    min_rows: u32,
) -> anyhow::Result<()> {
    use profile_editor::backendless::client::{Client, FindQuery, Password};
    use profile_editor::backendless::endpoint::Endpoint;
    use profile_editor::users_admin::{ExportControl, ExportFormat, UsersQuery, export};

    if min_rows == 0 {
        return Ok(());
    }
    let endpoint = Endpoint::parse(
        &emulator.origin(),
        Some(profile_editor::cli::DEMO_APP_ID),
        Some(profile_editor::cli::DEMO_API_KEY),
    )?;
    let client = Client::new(endpoint);
    let dir = TempDir(std::env::temp_dir().join(format!(
        "profile-editor-loadgen-export-{}",
        std::process::id()
    )));
    std::fs::create_dir_all(&dir.0)?;
    let path = dir.0.join("users.csv");
    let columns: Vec<String> = EXPORT_COLUMNS.map(String::from).to_vec();
    let query = UsersQuery::new("email");
    client_rt.block_on(async {
        let token = client
            .login("admin@example.com", &Password::new("admin-pass-1".into()))
            .await?
            .token;
        let total = client.count_users(Some(&token), None).await?;
        if total < u64::from(min_rows) {
            println!("CSV export: skipped, {total} rows is fewer than --export-rows {min_rows}");
            return anyhow::Ok(());
        }
        let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
        let before = memory_mib("VmRSS");
        let control = ExportControl::default();
        let started = Instant::now();
        let summary = export(&client, &token, &query, &columns, ExportFormat::Csv, &path, &control)
            .await
            .map_err(|e| anyhow::anyhow!("export failed: {e}"))?;
        let elapsed = started.elapsed();
        let peak = memory_mib("VmHWM");
        let bytes = std::fs::metadata(&path)?.len();
        let show = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.0} MiB"));
        println!(
            "CSV export of {} rows x {} columns ({:.1} MB): {:.2} s = {:.0} rows/s; process RSS before {}, peak {}{} \
             (target: 100,000 rows under 5 s, memory flat)",
            summary.records,
            columns.len(),
            bytes as f64 / 1e6,
            elapsed.as_secs_f64(),
            summary.records as f64 / elapsed.as_secs_f64(),
            show(before),
            show(peak),
            if reset { "" } else { " (peak not reset)" },
        );
        // Where the time goes: one page at the first and at the last offset, then every page without
        // writing anything.
        let pages = total.div_ceil(u64::from(profile_editor::users_admin::PAGE_SIZE)) as usize;
        for page in [0, pages.saturating_sub(1)] {
            let mut latencies = Vec::new();
            for _ in 0..20 {
                let sent = Instant::now();
                client.find_user_rows(Some(&token), &query.find_query(page)).await?;
                latencies.push(sent.elapsed());
            }
            latencies.sort_unstable();
            println!(
                "  by offset (the walk before): page {page} of {pages} alone: p50 {}",
                ms(percentile(&latencies, 50.0))
            );
        }
        // The export's own walk (by `created`): a page from a `created` near the end.
        let near_end = client
            .find_user_rows(
                Some(&token),
                &FindQuery {
                    sort_by: vec!["created desc".into()],
                    page_size: 100,
                    ..FindQuery::default()
                },
            )
            .await?
            .last()
            .and_then(|row| row.as_ref().ok()?.get("created")?.as_i64())
            .context("a last page")?;
        let seek = FindQuery {
            where_clause: Some(format!("created >= {near_end}")),
            sort_by: vec!["created asc".into(), "objectId asc".into()],
            page_size: 100,
            ..FindQuery::default()
        };
        let mut latencies = Vec::new();
        for _ in 0..20 {
            let sent = Instant::now();
            client.find_user_rows(Some(&token), &seek).await?;
            latencies.push(sent.elapsed());
        }
        latencies.sort_unstable();
        println!(
            "  the export's walk, a page from `created >= {near_end}` (the last 100 rows): p50 {}",
            ms(percentile(&latencies, 50.0))
        );
        let started = Instant::now();
        let mut rows = 0;
        for page in 0..pages {
            rows += client.find_user_rows(Some(&token), &query.find_query(page)).await?.len();
        }
        println!(
            "  by offset (the walk before), {pages} pages fetched and parsed, nothing written: {rows} rows in {:.2} s",
            started.elapsed().as_secs_f64()
        );
        anyhow::Ok(())
    })
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}
