//! `loadgen`: load generator for the emulator. Measures, on loopback with durable storage (a temporary
//! `--data` directory): time to create the demo users, authenticated `PUT users/{id}` throughput and p50/p99
//! latency with 1 and 32 concurrent clients, and the latency of a 100-row `find` page with a `where` clause.
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

/// Runs `clients` concurrent update loops for `duration`; returns (completed updates, sorted latencies).
async fn update_run(
    base_url: &str,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<(usize, Duration, Vec<Duration>)> {
    let mut sessions = Vec::new();
    for n in 1..=clients {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()?;
        let (token, object_id) = login(
            &http,
            base_url,
            &format!("user{n:05}@example.com"),
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

    let config = EmulatorConfig {
        storage: Storage::Dir(dir.0.clone()),
        demo: true,
        demo_users: args.users,
        ..EmulatorConfig::default()
    };
    let listen: SocketAddr = "127.0.0.1:0".parse()?;
    let started = Instant::now();
    let emulator = server_rt.block_on(RunningEmulator::start(config, listen))?;
    let create_time = started.elapsed();
    println!(
        "create {} demo users (durable, incl. schema + 4 Argon2id hashes): {:.2} s",
        args.users,
        create_time.as_secs_f64()
    );
    let base_url = emulator.base_url();

    client_rt.block_on(async {
        for &clients in &args.clients {
            let (count, elapsed, latencies) =
                update_run(&base_url, clients, Duration::from_secs(args.duration_secs)).await?;
            println!(
                "PUT users/{{id}} with {clients:>2} client(s): {count} updates in {:.2} s = {:.0} updates/s, p50 {}, p99 {}, max {}",
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
        anyhow::Ok(())
    })?;
    server_rt.block_on(emulator.shutdown());
    Ok(())
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}
