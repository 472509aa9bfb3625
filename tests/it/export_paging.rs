//! Issue 14: the Users export walks the server by `created` (a seek per page) instead of by offset (a walk
//! past every earlier row per page), and still writes every matching record exactly once, in creation order.
//! Its speed is measured by `cargo run --release --bin loadgen -- --only-export`, not here.

use profile_editor::backendless::{Client, Endpoint, Password};
use profile_editor::cli::{DEMO_API_KEY, DEMO_APP_ID};
use profile_editor::emulator::EmulatorConfig;
use profile_editor::users_admin::{ExportControl, ExportFormat, PAGE_SIZE, UsersQuery, export};
use serde_json::Value;

use crate::helpers::{ADMIN, spawn_emulator_with};

/// Generated users on top of the demo's three: a few pages, the last one short.
const GENERATED: u32 = 2 * PAGE_SIZE + 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsorted_export_seeks_by_created_and_writes_every_row_once_in_creation_order() {
    let emu = spawn_emulator_with(EmulatorConfig {
        demo: true,
        demo_users: GENERATED,
        ..EmulatorConfig::default()
    })
    .await;
    // Through the recording proxy, which shows each page's request.
    let endpoint = Endpoint::parse(&emu.origin(), Some(DEMO_APP_ID), Some(DEMO_API_KEY)).unwrap();
    let client = Client::new(endpoint);
    let token = client
        .login(ADMIN.0, &Password::new(ADMIN.1.to_owned()))
        .await
        .unwrap()
        .token;
    let total = client.count_users(Some(&token), None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.json");
    let columns = vec!["objectId".to_owned(), "created".to_owned()];
    let summary = export(
        &client,
        &token,
        &UsersQuery::new("email"),
        &columns,
        ExportFormat::Json,
        &path,
        &ExportControl::default(),
    )
    .await
    .unwrap();

    let rows: Vec<Value> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(summary.records, total);
    assert_eq!(rows.len() as u64, total);
    let mut ids: Vec<&str> = rows
        .iter()
        .map(|r| r["objectId"].as_str().unwrap())
        .collect();
    let created: Vec<i64> = rows
        .iter()
        .map(|r| r["created"].as_i64().unwrap())
        .collect();
    assert!(created.is_sorted(), "creation order");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len() as u64, total, "every record exactly once");

    // Page n + 1 starts from the `created` of the last row of page n, skipping the rows of that instant
    // already written; no page walks past the earlier rows by offset.
    let pages: Vec<Vec<(String, String)>> = emu
        .proxy
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("/data/Users?"))
        .map(|r| {
            let url = url::Url::parse(&format!("http://proxy{}", r.path)).unwrap();
            url.query_pairs().into_owned().collect()
        })
        .collect();
    let param = |page: &[(String, String)], name: &str| {
        page.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    assert_eq!(pages.len() as u64, total.div_ceil(u64::from(PAGE_SIZE)));
    for (n, page) in pages.iter().enumerate() {
        assert_eq!(
            param(page, "sortBy").as_deref(),
            Some("created asc,objectId asc")
        );
        if n == 0 {
            assert_eq!(param(page, "where"), None);
            assert_eq!(param(page, "offset").as_deref(), Some("0"));
            continue;
        }
        let last_written = created[n * PAGE_SIZE as usize - 1];
        assert_eq!(
            param(page, "where"),
            Some(format!("created >= {last_written}")),
            "page {n}"
        );
        assert_eq!(param(page, "offset").as_deref(), Some("1"), "page {n}");
    }
}
