//! Keeps the editor's pending edits on disk as a draft (`crate::profile::draft`), debounced while the user types,
//! so a crash or `kill -9` loses nothing; offers a found draft when the editor opens; deletes the draft
//! once nothing is pending (saved, reverted or discarded). Never writes a password. The reads, writes and
//! removals go to the disk worker (`app::disk`): the UI thread only serializes and parses.
//!
//! Opening an editor asks the disk worker for its draft and the editor opens at once; the answer is
//! matched to that opening by a ticket, so a draft read for an editor that was closed or opened afresh
//! meanwhile is dropped. Until it comes nothing is written over the file (it may hold an earlier run's
//! edits not yet offered), unless the editor must be written now (closing with edits): that write,
//! queued after the read, wins and the read's answer is dropped.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::app::disk::{DiskDone, DiskHandle, Purpose};
use crate::profile::draft::{self, Draft};
use crate::ui::editor::EditorView;

/// How long typing must pause before the draft is written.
pub const DRAFT_DEBOUNCE: Duration = Duration::from_millis(400);

/// Numbers the draft reads of every keeper (the own editor's and each record editor's), so an answer
/// meant for one opening never matches another.
static NEXT_READ: AtomicU64 = AtomicU64::new(1);

/// Whose draft the open editor keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owner {
    connection_key: String,
    identity: String,
}

/// The draft writer of the open editor.
#[derive(Debug)]
pub struct DraftKeeper {
    /// The data dir; drafts live in its `drafts` folder.
    data_dir: PathBuf,
    /// The user whose editor is open; `None` when no editor is, or its draft was discarded.
    owner: Option<Owner>,
    /// The ticket of the draft read sent when the editor opened, until its answer comes (or a write of
    /// the draft, or another opening, makes it stale).
    reading: Option<u64>,
    /// The editor's draft marker when the draft was last brought up to date.
    written_marker: u64,
    /// When the marker first moved since the last write (the debounce starts here).
    dirty_since: Option<Instant>,
    /// Reads, writes and removes the draft off the UI thread.
    disk: DiskHandle,
}

impl DraftKeeper {
    /// A keeper writing under `data_dir` through `disk`.
    pub fn new(data_dir: PathBuf, disk: DiskHandle) -> Self {
        Self {
            data_dir,
            owner: None,
            reading: None,
            written_marker: 0,
            dirty_since: None,
            disk,
        }
    }

    /// An editor opened for `identity` on `connection_key`: its draft, if there is one, is offered once the
    /// disk worker has read it ([`DraftKeeper::read_answered`]); at once when a write or removal of it is
    /// still on its way to the disk (that is what the file will hold). Nothing is written until the user
    /// edits, restores or discards.
    pub fn opened(&mut self, editor: &mut EditorView, connection_key: &str, identity: &str) {
        self.owner = Some(Owner {
            connection_key: connection_key.to_owned(),
            identity: identity.to_owned(),
        });
        self.written_marker = editor.draft_marker();
        self.dirty_since = None;
        self.reading = None;
        let path = draft::draft_path(&self.data_dir, connection_key, identity);
        match self.disk.upcoming(&path) {
            Some(content) => self.offer(editor, content.as_deref()),
            None => {
                let ticket = NEXT_READ.fetch_add(1, Ordering::Relaxed);
                self.disk.read(Purpose::DraftRead(ticket), path);
                self.reading = Some(ticket);
            }
        }
    }

    /// Whether the draft read `ticket` is this keeper's and still awaited.
    pub fn awaits(&self, ticket: u64) -> bool {
        self.reading == Some(ticket)
    }

    /// The disk worker answered the draft read `ticket`: when it is the one this keeper awaits, the draft
    /// found is offered to `editor` (the editor it was opened for; what was typed meanwhile stays, the user
    /// restores or discards the offer). A stale answer (another opening's, or one a write made old) is
    /// ignored. Returns whether the answer was this keeper's.
    pub fn read_answered(
        &mut self,
        editor: &mut EditorView,
        ticket: u64,
        result: io::Result<DiskDone>,
    ) -> bool {
        if !self.awaits(ticket) {
            return false;
        }
        self.reading = None;
        let Some(owner) = &self.owner else {
            return true;
        };
        let path = draft::draft_path(&self.data_dir, &owner.connection_key, &owner.identity);
        // A change of the file sent after the read is newer than what the read saw.
        let bytes: Option<Vec<u8>> = match self.disk.upcoming(&path) {
            Some(content) => content.map(|content| content.to_vec()),
            None => match result {
                Ok(DiskDone::Read { bytes, .. }) => Some(bytes),
                Ok(_) => None,
                Err(error) if error.kind() == io::ErrorKind::NotFound => None,
                Err(error) => {
                    tracing::warn!("cannot read the draft: {error} in {}", path.display());
                    None
                }
            },
        };
        self.offer(editor, bytes.as_deref());
        true
    }

    /// Offers the draft in `bytes` (the file's content; `None`: no file) to `editor`, if it is the owner's.
    fn offer(&self, editor: &mut EditorView, bytes: Option<&[u8]>) {
        let Some(owner) = &self.owner else { return };
        let path = draft::draft_path(&self.data_dir, &owner.connection_key, &owner.identity);
        let found = bytes.and_then(|bytes| {
            draft::from_bytes(bytes, &path, &owner.connection_key, &owner.identity)
        });
        if let Some(found) = found {
            editor.offer_draft(found);
        }
    }

    /// Called every frame: writes (or deletes) the draft once the edits have rested for
    /// [`DRAFT_DEBOUNCE`]; asks for a frame when the wait is over.
    pub fn tick(&mut self, editor: &EditorView, ctx: &egui::Context) {
        if self.owner.is_none() || self.reading.is_some() || editor.draft_offer().is_some() {
            // A draft being read, or offered, stays untouched on disk until the user decides.
            return;
        }
        let marker = editor.draft_marker();
        if marker == self.written_marker {
            self.dirty_since = None;
            return;
        }
        let since = *self.dirty_since.get_or_insert_with(Instant::now);
        let waited = since.elapsed();
        if waited < DRAFT_DEBOUNCE {
            ctx.request_repaint_after(DRAFT_DEBOUNCE - waited);
            return;
        }
        self.flush(editor);
    }

    /// Brings the draft up to date now: the pending edits, or no file when nothing is pending. While the
    /// draft is still being read, an empty editor leaves the file alone (it may hold an earlier run's
    /// edits); pending edits are written, and that write wins over the read (its answer is dropped).
    pub fn flush(&mut self, editor: &EditorView) {
        let Some(owner) = &self.owner else { return };
        if editor.draft_offer().is_some() {
            return;
        }
        let session = editor.session();
        let edits = session.pending_edits();
        if self.reading.is_some() {
            if edits.is_empty() {
                return;
            }
            self.reading = None;
        }
        let path = draft::draft_path(&self.data_dir, &owner.connection_key, &owner.identity);
        if edits.is_empty() {
            self.disk.remove(Purpose::Draft, path);
        } else {
            let original = session.original();
            let draft = Draft::new(
                &owner.connection_key,
                &owner.identity,
                original.object_id(),
                original.updated_ms(),
                edits,
            );
            // The app shows a failed write when the disk worker answers.
            match serde_json::to_vec_pretty(&draft) {
                Ok(bytes) => self.disk.write(Purpose::Draft, path, bytes),
                Err(error) => tracing::error!("cannot encode the draft: {error}"),
            }
        }
        self.written_marker = editor.draft_marker();
        self.dirty_since = None;
    }

    /// The user discarded their changes: the draft goes, and nothing more is written for this editor.
    pub fn discard(&mut self) {
        if let Some(owner) = self.owner.take() {
            let path = draft::draft_path(&self.data_dir, &owner.connection_key, &owner.identity);
            self.disk.remove(Purpose::Draft, path);
        }
        self.reading = None;
        self.dirty_since = None;
    }

    /// The editor closes (logout, another user): its state is written one last time; a draft read still
    /// on its way is for nobody now.
    pub fn closing(&mut self, editor: &EditorView) {
        self.flush(editor);
        self.owner = None;
        self.reading = None;
    }
}

impl super::App {
    /// The disk worker answered the draft read `ticket`: it goes to the editor whose opening sent it, if
    /// that editor is still the one open (own profile, or the admin's record editor); otherwise it is
    /// stale and dropped.
    pub(super) fn draft_read(&mut self, ticket: u64, result: io::Result<DiskDone>) {
        if let Some(editor) = &mut self.editor
            && self.drafts.awaits(ticket)
        {
            self.drafts.read_answered(editor, ticket, result);
        } else if let Some(editor) = &mut self.record_editor {
            editor.draft_read(ticket, result);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::UserRecord;
    use crate::model::schema::Schema;

    fn editor() -> EditorView {
        let serde_json::Value::Object(map) =
            serde_json::json!({"objectId": "A1", "updated": 5, "name": "Alice"})
        else {
            unreachable!()
        };
        let record = UserRecord::from_json(map).unwrap();
        let schema = Schema::from_descriptors(vec![crate::backendless::wire::PropertyDescriptor {
            name: "name".into(),
            required: false,
            data_type: "STRING".into(),
            default_value: serde_json::Value::Null,
            identity: None,
            related_table: None,
            custom_regex: None,
            auto_load: None,
            is_primary_key: None,
        }]);
        EditorView::new(schema, record, "alice@example.com".into())
    }

    fn import_name(editor: &mut EditorView, name: &str) {
        let text = format!("{{\"name\": {name:?}}}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.json");
        std::fs::write(&path, text).unwrap();
        editor.open_files(crate::ui::editor::files::FileMode::Import);
        editor.import_file_for_test(&path);
    }

    /// A keeper under `dir` with a disk worker of its own (kept alive by the returned worker).
    fn keeper(dir: &std::path::Path) -> (DraftKeeper, crate::app::disk::DiskWorker) {
        let worker = crate::app::disk::DiskWorker::spawn(egui::Context::default()).unwrap();
        (
            DraftKeeper::new(dir.to_owned(), worker.handle().clone()),
            worker,
        )
    }

    /// Hands every answer of `worker` to `keeper` for `editor` once the worker is idle (what the app
    /// does each frame); returns how many draft reads `keeper` took.
    fn answer_reads(
        keeper: &mut DraftKeeper,
        worker: &crate::app::disk::DiskWorker,
        editor: &mut EditorView,
    ) -> usize {
        assert!(keeper.disk.wait_idle(Duration::from_secs(10)));
        let mut taken = 0;
        while let Some(answer) = worker.try_answer() {
            if let Purpose::DraftRead(ticket) = answer.purpose
                && keeper.read_answered(editor, ticket, answer.result)
            {
                taken += 1;
            }
        }
        taken
    }

    /// The draft on disk once the disk worker has done what it was given.
    fn on_disk(keeper: &DraftKeeper, dir: &std::path::Path) -> Option<Draft> {
        assert!(keeper.disk.wait_idle(Duration::from_secs(10)));
        draft::load(dir, "local-demo", "alice@example.com")
    }

    #[test]
    fn the_draft_is_written_only_after_the_edits_rest_and_goes_when_nothing_is_pending() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = egui::Context::default();
        let (mut keeper, worker) = keeper(dir.path());
        let mut editor = editor();
        keeper.opened(&mut editor, "local-demo", "alice@example.com");
        assert_eq!(answer_reads(&mut keeper, &worker, &mut editor), 1);
        keeper.tick(&editor, &ctx);
        assert!(on_disk(&keeper, dir.path()).is_none());

        import_name(&mut editor, "Drafted");
        keeper.tick(&editor, &ctx);
        assert!(on_disk(&keeper, dir.path()).is_none(), "not while typing");
        std::thread::sleep(DRAFT_DEBOUNCE + Duration::from_millis(50));
        keeper.tick(&editor, &ctx);
        let written = on_disk(&keeper, dir.path()).unwrap();
        assert_eq!(written.base_updated, Some(5));
        assert_eq!(written.edits[0].text, "Drafted");

        editor.undo();
        keeper.flush(&editor);
        assert!(on_disk(&keeper, dir.path()).is_none());
    }

    #[test]
    fn an_offered_draft_is_left_alone_until_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = egui::Context::default();
        let mut first = editor();
        import_name(&mut first, "Old");
        let (mut keeper, worker) = keeper(dir.path());
        keeper.opened(&mut first, "local-demo", "alice@example.com");
        answer_reads(&mut keeper, &worker, &mut first);
        keeper.flush(&first);
        assert!(on_disk(&keeper, dir.path()).is_some());

        let mut second = editor();
        keeper.opened(&mut second, "local-demo", "alice@example.com");
        assert!(second.draft_offer().is_none(), "offered once read");
        assert_eq!(answer_reads(&mut keeper, &worker, &mut second), 1);
        assert!(second.draft_offer().is_some());
        keeper.flush(&second);
        std::thread::sleep(DRAFT_DEBOUNCE + Duration::from_millis(50));
        keeper.tick(&second, &ctx);
        assert!(on_disk(&keeper, dir.path()).is_some(), "kept while offered");
        second.discard_draft();
        keeper.flush(&second);
        assert!(on_disk(&keeper, dir.path()).is_none());
    }

    /// A draft written when an editor closed, still on its way to a slow disk, is offered when the same
    /// user's editor opens again at once (the file itself is not there yet).
    #[cfg(feature = "test-hooks")]
    #[test]
    fn a_draft_still_on_its_way_to_the_disk_is_offered_when_the_editor_opens_again() {
        let dir = tempfile::tempdir().unwrap();
        let (mut keeper, _worker) = keeper(dir.path());
        keeper.disk.hold();
        let mut first = editor();
        keeper.opened(&mut first, "local-demo", "alice@example.com");
        import_name(&mut first, "Queued");
        keeper.closing(&first);
        assert!(draft::load(dir.path(), "local-demo", "alice@example.com").is_none());

        let mut again = editor();
        keeper.opened(&mut again, "local-demo", "alice@example.com");
        let offered = again.draft_offer().expect("the queued draft is offered");
        assert_eq!(offered.edits[0].text, "Queued");
        keeper.disk.release();
        assert_eq!(
            on_disk(&keeper, dir.path()).unwrap().edits[0].text,
            "Queued"
        );
    }

    /// Writes Alice's draft of "Old" to `dir` as an earlier run left it.
    fn earlier_draft(dir: &std::path::Path) {
        let mut old = editor();
        import_name(&mut old, "Old");
        let session = old.session();
        let draft = Draft::new(
            "local-demo",
            "alice@example.com",
            session.original().object_id(),
            session.original().updated_ms(),
            session.pending_edits(),
        );
        draft::save(dir, &draft).unwrap();
    }

    /// The draft is read by the disk worker, not when the editor opens: while the read is held the editor
    /// takes typing, nothing is written over the file, and the answer offers the draft without touching
    /// what was typed.
    #[cfg(feature = "test-hooks")]
    #[test]
    fn the_draft_is_offered_when_its_read_is_answered_and_typing_meanwhile_stays() {
        let dir = tempfile::tempdir().unwrap();
        earlier_draft(dir.path());
        let ctx = egui::Context::default();
        let (mut keeper, worker) = keeper(dir.path());
        keeper.disk.hold();
        let mut editor = editor();
        keeper.opened(&mut editor, "local-demo", "alice@example.com");
        assert!(editor.draft_offer().is_none(), "not read on this thread");
        import_name(&mut editor, "Typed");
        std::thread::sleep(DRAFT_DEBOUNCE + Duration::from_millis(50));
        keeper.tick(&editor, &ctx);
        assert_eq!(
            keeper.disk.pending(),
            1,
            "only the read: nothing written over it"
        );
        keeper.disk.release();
        assert_eq!(answer_reads(&mut keeper, &worker, &mut editor), 1);
        assert_eq!(editor.draft_offer().unwrap().edits[0].text, "Old");
        assert_eq!(editor.session().pending_edits()[0].text, "Typed");
        assert_eq!(on_disk(&keeper, dir.path()).unwrap().edits[0].text, "Old");
    }

    /// An answer for an editor that was closed, or opened afresh, before the read came is dropped: the
    /// newer opening's own read is the one offered, once.
    #[cfg(feature = "test-hooks")]
    #[test]
    fn a_read_answered_after_its_editor_was_closed_or_reopened_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        earlier_draft(dir.path());
        let (mut keeper, worker) = keeper(dir.path());
        keeper.disk.hold();
        let mut closed = editor();
        keeper.opened(&mut closed, "local-demo", "alice@example.com");
        keeper.closing(&closed);
        let mut stale = editor();
        keeper.opened(&mut stale, "local-demo", "alice@example.com");
        let mut fresh = editor();
        keeper.opened(&mut fresh, "local-demo", "alice@example.com");
        keeper.disk.release();
        assert!(keeper.disk.wait_idle(Duration::from_secs(10)));
        let answers: Vec<_> = std::iter::from_fn(|| worker.try_answer()).collect();
        assert_eq!(answers.len(), 3, "{answers:?}");
        let mut taken = Vec::new();
        // Each answer goes to the editor it was read for, in the order they were opened.
        for (answer, editor) in answers
            .into_iter()
            .zip([&mut closed, &mut stale, &mut fresh])
        {
            let Purpose::DraftRead(ticket) = answer.purpose else {
                panic!("{answer:?}")
            };
            taken.push(keeper.read_answered(editor, ticket, answer.result));
        }
        assert_eq!(taken, [false, false, true]);
        assert!(closed.draft_offer().is_none());
        assert!(stale.draft_offer().is_none());
        assert_eq!(fresh.draft_offer().unwrap().edits[0].text, "Old");
    }

    /// Edits that must be written while the draft is still being read (the editor closes) win: the write
    /// is queued after the read, so the read's answer (the older file) is dropped, not offered; an editor
    /// closing with nothing typed leaves the earlier draft alone.
    #[cfg(feature = "test-hooks")]
    #[test]
    fn a_write_sent_while_the_draft_is_read_wins_over_the_read() {
        let dir = tempfile::tempdir().unwrap();
        earlier_draft(dir.path());
        let (mut keeper, worker) = keeper(dir.path());
        keeper.disk.hold();
        let mut untouched = editor();
        keeper.opened(&mut untouched, "local-demo", "alice@example.com");
        keeper.closing(&untouched);
        keeper.disk.release();
        assert_eq!(on_disk(&keeper, dir.path()).unwrap().edits[0].text, "Old");
        answer_reads(&mut keeper, &worker, &mut untouched);

        keeper.disk.hold();
        let mut editor = editor();
        keeper.opened(&mut editor, "local-demo", "alice@example.com");
        import_name(&mut editor, "Newer");
        keeper.flush(&editor);
        keeper.disk.release();
        assert_eq!(answer_reads(&mut keeper, &worker, &mut editor), 0);
        assert!(
            editor.draft_offer().is_none(),
            "the older file is not offered"
        );
        assert_eq!(on_disk(&keeper, dir.path()).unwrap().edits[0].text, "Newer");
    }
}
