//! What keeping a draft costs the UI thread (issue 14): before, a synchronous owner-only atomic write
//! (`private_file::write`: temp file, fsync, rename, folder fsync); now, handing the bytes to the disk
//! worker (`app::disk`), which writes them on its own thread, ten quick drafts of one file coalescing into
//! one or two writes. Also the worker's own time per write, for comparison. Run with
//! `cargo bench --bench disk`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use profile_editor::app::disk::{DiskWorker, Purpose};

/// A draft of a few edited fields, as the editor writes it.
const DRAFT_BYTES: usize = 4 * 1024;

fn draft_bytes() -> Vec<u8> {
    (0..DRAFT_BYTES).map(|i| b'a' + (i % 26) as u8).collect()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = draft_bytes();

    let path = dir.path().join("sync/draft.json");
    c.bench_function(
        "ui thread: synchronous private_file::write of a 4 KiB draft",
        |b| b.iter(|| profile_editor::private_file::write(black_box(&path), black_box(&bytes))),
    );

    let worker = DiskWorker::spawn(egui::Context::default()).expect("disk worker");
    let disk = worker.handle().clone();
    let path = dir.path().join("worker/draft.json");
    c.bench_function("ui thread: hand a 4 KiB draft to the disk worker", |b| {
        b.iter(|| {
            disk.write(
                Purpose::Draft,
                black_box(path.clone()),
                black_box(bytes.clone()),
            );
            // The answers are not read here: drop them as the app's logic would take them.
            while worker.try_answer().is_some() {}
        })
    });
    disk.wait_idle(Duration::from_secs(30));

    c.bench_function("disk worker: one 4 KiB draft written and answered", |b| {
        b.iter(|| {
            disk.write(Purpose::Draft, path.clone(), bytes.clone());
            disk.wait_idle(Duration::from_secs(30));
            while worker.try_answer().is_some() {}
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
