//! Keeps the editor's pending edits on disk as a draft (`crate::profile::draft`), debounced while the user types,
//! so a crash or `kill -9` loses nothing; offers a found draft when the editor opens; deletes the draft
//! once nothing is pending (saved, reverted or discarded). Never writes a password.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::profile::draft::{self, Draft};
use crate::ui::editor::EditorView;

/// How long typing must pause before the draft is written.
pub const DRAFT_DEBOUNCE: Duration = Duration::from_millis(400);

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
    /// The editor's draft marker when the draft was last brought up to date.
    written_marker: u64,
    /// When the marker first moved since the last write (the debounce starts here).
    dirty_since: Option<Instant>,
}

impl DraftKeeper {
    /// A keeper writing under `data_dir`.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            owner: None,
            written_marker: 0,
            dirty_since: None,
        }
    }

    /// An editor opened for `identity` on `connection_key`: offers their draft, if there is one. Nothing is
    /// written until the user edits, restores or discards.
    pub fn opened(&mut self, editor: &mut EditorView, connection_key: &str, identity: &str) {
        self.owner = Some(Owner {
            connection_key: connection_key.to_owned(),
            identity: identity.to_owned(),
        });
        self.written_marker = editor.draft_marker();
        self.dirty_since = None;
        if let Some(found) = draft::load(&self.data_dir, connection_key, identity) {
            editor.offer_draft(found);
        }
    }

    /// Called every frame: writes (or deletes) the draft once the edits have rested for
    /// [`DRAFT_DEBOUNCE`]; asks for a frame when the wait is over.
    pub fn tick(&mut self, editor: &EditorView, ctx: &egui::Context) {
        if self.owner.is_none() || editor.draft_offer().is_some() {
            // An offered draft stays untouched on disk until the user decides.
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

    /// Brings the draft up to date now: the pending edits, or no file when nothing is pending.
    pub fn flush(&mut self, editor: &EditorView) {
        let Some(owner) = &self.owner else { return };
        if editor.draft_offer().is_some() {
            return;
        }
        let session = editor.session();
        let edits = session.pending_edits();
        let result = if edits.is_empty() {
            draft::delete(&self.data_dir, &owner.connection_key, &owner.identity)
        } else {
            let original = session.original();
            let draft = Draft::new(
                &owner.connection_key,
                &owner.identity,
                original.object_id(),
                original.updated_ms(),
                edits,
            );
            draft::save(&self.data_dir, &draft).map(|_| ())
        };
        if let Err(error) = result {
            tracing::error!(
                "cannot keep the draft of unsaved changes: {error} in {}",
                self.data_dir.display()
            );
        }
        self.written_marker = editor.draft_marker();
        self.dirty_since = None;
    }

    /// The user discarded their changes: the draft goes, and nothing more is written for this editor.
    pub fn discard(&mut self) {
        if let Some(owner) = self.owner.take()
            && let Err(error) =
                draft::delete(&self.data_dir, &owner.connection_key, &owner.identity)
        {
            tracing::error!(
                "cannot delete the draft: {error} in {}",
                self.data_dir.display()
            );
        }
        self.dirty_since = None;
    }

    /// The editor closes (logout, another user): its state is written one last time.
    pub fn closing(&mut self, editor: &EditorView) {
        self.flush(editor);
        self.owner = None;
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

    #[test]
    fn the_draft_is_written_only_after_the_edits_rest_and_goes_when_nothing_is_pending() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = egui::Context::default();
        let mut keeper = DraftKeeper::new(dir.path().to_owned());
        let mut editor = editor();
        keeper.opened(&mut editor, "local-demo", "alice@example.com");
        keeper.tick(&editor, &ctx);
        assert!(draft::load(dir.path(), "local-demo", "alice@example.com").is_none());

        import_name(&mut editor, "Drafted");
        keeper.tick(&editor, &ctx);
        assert!(
            draft::load(dir.path(), "local-demo", "alice@example.com").is_none(),
            "not while typing"
        );
        std::thread::sleep(DRAFT_DEBOUNCE + Duration::from_millis(50));
        keeper.tick(&editor, &ctx);
        let written = draft::load(dir.path(), "local-demo", "alice@example.com").unwrap();
        assert_eq!(written.base_updated, Some(5));
        assert_eq!(written.edits[0].text, "Drafted");

        editor.undo();
        keeper.flush(&editor);
        assert!(draft::load(dir.path(), "local-demo", "alice@example.com").is_none());
    }

    #[test]
    fn an_offered_draft_is_left_alone_until_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = egui::Context::default();
        let mut first = editor();
        import_name(&mut first, "Old");
        let mut keeper = DraftKeeper::new(dir.path().to_owned());
        keeper.opened(&mut editor(), "local-demo", "alice@example.com");
        keeper.flush(&first);
        assert!(draft::load(dir.path(), "local-demo", "alice@example.com").is_some());

        let mut second = editor();
        keeper.opened(&mut second, "local-demo", "alice@example.com");
        assert!(second.draft_offer().is_some());
        keeper.flush(&second);
        std::thread::sleep(DRAFT_DEBOUNCE + Duration::from_millis(50));
        keeper.tick(&second, &ctx);
        assert!(
            draft::load(dir.path(), "local-demo", "alice@example.com").is_some(),
            "kept while offered"
        );
        second.discard_draft();
        keeper.flush(&second);
        assert!(draft::load(dir.path(), "local-demo", "alice@example.com").is_none());
    }
}
