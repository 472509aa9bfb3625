//! CPU time of one frame of the admin's Users browser (`UsersView::ui` plus tessellation), headless, over
//! 100,000 users with the page cache filled around rows 0, 50,000 and 99,900 (target: under 4 ms), and of
//! a frame that scrolls 40 rows further each time (pages answered at once). Only the app's own work is timed:
//! the worker's side (building the answered page's records) happens outside the measured time. Run with
//! `cargo bench --bench users_table`.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use profile_editor::model::{Schema, UserRecord};
use profile_editor::ui::users::UsersView;
use profile_editor::users_admin::PAGE_SIZE;
use profile_editor::users_admin::requests::{UsersAnswer, UsersOutcome, UsersRequest};
use serde_json::json;

#[path = "common/mod.rs"]
mod common;
use common::record;

/// Users in the table, as with `serve --demo --demo-users 100000`.
const TOTAL: u64 = 100_000;

/// The demo schema of CONTRACT.md §2.
fn schema() -> Schema {
    Schema::from_descriptors(common::demo_descriptors())
}

/// Page `page`: records shaped like the emulator's generated users.
fn page_rows(page: usize) -> Vec<UserRecord> {
    let first = page * PAGE_SIZE as usize;
    let last = (first + PAGE_SIZE as usize).min(TOTAL as usize);
    (first..last)
        .map(|n| {
            record(json!({
                "objectId": format!("{n:08X}-0000-4000-8000-000000000000"), "___class": "Users",
                "created": 1_704_067_200_000_i64 + n as i64 * 1_000, "updated": null, "ownerId": null,
                "email": format!("user{n:05}@example.com"), "name": format!("User {n:05}"),
                "phoneNumber": format!("555-{:04}", n % 10_000), "address": format!("{n} Generated Street"),
                "age": 18 + n % 60, "birthday": 0, "newsletter": n % 2 == 0, "score": 2.5,
                "preferences": null
            }))
        })
        .collect()
}

/// One whole frame: layout of the view and tessellation of what it drew. Returns the view's outcome.
fn frame(ctx: &egui::Context, view: &mut UsersView) -> Option<UsersOutcome> {
    common::frame(ctx, |ui| view.ui(ui))
}

/// Plays the worker: the answer to the count or page request in `outcome`, if any (built outside any
/// timed section).
fn worker_answer(outcome: Option<UsersOutcome>) -> Option<UsersAnswer> {
    match outcome {
        Some(UsersOutcome::Send(UsersRequest::Count { ticket, .. })) => Some(UsersAnswer::Count {
            ticket,
            result: Ok(TOTAL),
        }),
        Some(UsersOutcome::Send(UsersRequest::Page { ticket, page, .. })) => {
            Some(UsersAnswer::Page {
                ticket,
                page,
                result: Ok(page_rows(page).into_iter().map(Ok).collect()),
            })
        }
        _ => None,
    }
}

/// Answers the count and every page request at once.
fn answer(view: &mut UsersView, outcome: Option<UsersOutcome>) {
    if let Some(answer) = worker_answer(outcome) {
        view.answer(answer);
    }
}

/// Frames until the view asks for nothing more.
fn settle(ctx: &egui::Context, view: &mut UsersView) {
    let mut idle = 0;
    while idle < 3 {
        let action = frame(ctx, view);
        idle = if action.is_some() { 0 } else { idle + 1 };
        answer(view, action);
    }
}

fn users_table(c: &mut Criterion) {
    let columns: Vec<String> = [
        "email",
        "name",
        "created",
        "age",
        "newsletter",
        "phoneNumber",
    ]
    .map(String::from)
    .to_vec();
    for row in [0_usize, 50_000, 99_900] {
        let ctx = egui::Context::default();
        let mut view = UsersView::new(schema(), &columns);
        settle(&ctx, &mut view);
        view.scroll_to_row(row);
        settle(&ctx, &mut view);
        let (first, last) = view.visible_rows().expect("rows are shown");
        assert!(first <= row && row <= last + 1, "{row} in {first}..={last}");
        assert!(view.cache().cached_pages() <= 16);
        c.bench_function(&format!("users_table/frame_at_row_{row}"), |b| {
            b.iter(|| frame(&ctx, &mut view))
        });
    }

    // Scrolling: every frame moves 40 rows further (wrapping), pages answered at once; the cache stays bounded.
    let ctx = egui::Context::default();
    let mut view = UsersView::new(schema(), &columns);
    settle(&ctx, &mut view);
    let mut row = 0_usize;
    let mut pending = None;
    c.bench_function("users_table/scroll_frame", |b| {
        // Timed: handing the last answer to the view, scrolling, and the frame. Not timed: the worker
        // building the records of the page the frame asked for.
        b.iter_custom(|iterations| {
            let mut timed = Duration::ZERO;
            for _ in 0..iterations {
                let started = Instant::now();
                if let Some(answer) = pending.take() {
                    view.answer(answer);
                }
                row = (row + 40) % TOTAL as usize;
                view.scroll_to_row(row);
                let action = frame(&ctx, &mut view);
                timed += started.elapsed();
                pending = worker_answer(action);
            }
            timed
        })
    });
    assert!(
        view.cache().cached_pages() <= 16,
        "the page cache stays bounded"
    );
}

criterion_group!(benches, users_table);
criterion_main!(benches);
