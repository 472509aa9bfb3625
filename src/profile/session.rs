//! The pure state of one profile edit: per-field buffers, validation, the changeset, save state and where
//! each save error is shown. No egui, no I/O: the editor view draws it, the app's worker sends what it
//! produces.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::backendless::error::ApiError;
use crate::model::diff::{Changeset, diff};
use crate::model::ids::{IdError, PropertyName};
use crate::model::record::UserRecord;
use crate::model::schema::{PASSWORD, Property, PropertyType, SYSTEM_PROPERTIES, Schema};
use crate::model::value::{
    EditError, Value, format_datetime_local, format_datetime_utc, parse_edit, same_json,
};

/// The key under which password problems are reported (the `password` column is write-only).
pub const PASSWORD_FIELD: &str = PASSWORD;

/// The property types a user may choose for a new property.
pub const NEW_PROPERTY_TYPES: [PropertyType; 6] = [
    PropertyType::String,
    PropertyType::Int,
    PropertyType::Double,
    PropertyType::Boolean,
    PropertyType::Json,
    PropertyType::DateTime,
];

// ------------------------------------------------------------------------------------------------

/// Why a field cannot be saved as typed; shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblem {
    /// The text does not parse as the column's type. Blocks saving.
    Parse(EditError),
    /// The two password fields differ. Blocks saving.
    PasswordMismatch,
    /// A new property's name is not a valid column name.
    InvalidName(String),
    /// A new property's name is already a property (or another new property).
    NameTaken,
    /// A required property is null or empty. Only a hint: the server decides (3045).
    Required,
}

impl FieldProblem {
    /// Whether this problem keeps the changes from being sent.
    pub fn blocks_save(&self) -> bool {
        !matches!(self, Self::Required)
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Parse(error) => write!(f, "{error}"),
            Self::PasswordMismatch => f.write_str("The two passwords do not match."),
            Self::InvalidName(why) => f.write_str(why),
            Self::NameTaken => f.write_str("A property with this name already exists."),
            Self::Required => f.write_str("Required: the server will refuse null or empty."),
        }
    }
}

/// The edit buffer of one existing, editable property.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldEdit {
    /// The text as the user typed it. Booleans hold `"true"` / `"false"`. Kept while `is_null` is on, so
    /// unticking "null" brings the text back.
    pub text: String,
    /// The explicit null toggle: the value is null, whatever `text` says.
    pub is_null: bool,
    /// Set when the buffer cannot be saved as is. Derived: only [`FieldEdit::edit`] changes the buffer, and it
    /// recomputes this.
    problem: Option<FieldProblem>,
    /// Whether the buffer differs in meaning from the baseline. Derived like `problem`.
    dirty: bool,
    /// The text the buffer started with: an untouched buffer is never a change, even for a value the
    /// program cannot round-trip exactly.
    baseline_text: String,
    /// The null flag the buffer started with.
    baseline_null: bool,
}

/// A property the user is adding; it becomes a column on save (with dynamic schema on).
#[derive(Debug, Clone, PartialEq)]
pub struct NewProperty {
    /// Column name, validated when the property was added.
    pub name: String,
    /// Chosen type; decides how `text` parses.
    pub kind: PropertyType,
    /// The value as typed.
    pub text: String,
    /// Null instead of the text.
    pub is_null: bool,
    /// Set when `text` does not parse. Derived: set by [`NewProperty::new`] and [`NewProperty::edit`].
    problem: Option<FieldProblem>,
}

impl FieldEdit {
    /// A fresh, clean buffer for `property` from `record`.
    fn fresh(property: &Property, record: &UserRecord) -> Self {
        let value = record
            .get(&property.name)
            .map_or(Value::Null, |raw| Value::from_json(&property.ty, raw));
        let (text, is_null) = match &value {
            Value::Null => (String::new(), true),
            other => (edit_text(other), false),
        };
        let problem =
            (property.required && (is_null || text.is_empty())).then_some(FieldProblem::Required);
        Self {
            baseline_text: text.clone(),
            baseline_null: is_null,
            text,
            is_null,
            problem,
            dirty: false,
        }
    }

    /// Why the buffer cannot be saved as is (or the required hint), if so.
    pub fn problem(&self) -> Option<&FieldProblem> {
        self.problem.as_ref()
    }

    /// Whether the buffer differs in meaning from the value it started with (one that does not parse does).
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// The one way a buffer changes: `change` gets the text and the null flag, then the problem and dirtiness
    /// are recomputed against `property` and the baseline raw value `original`.
    fn edit(
        &mut self,
        property: &Property,
        original: Option<&serde_json::Value>,
        change: impl FnOnce(&mut String, &mut bool),
    ) {
        change(&mut self.text, &mut self.is_null);
        let value = buffer_value(&property.ty, &self.text, self.is_null);
        self.problem = match &value {
            Err(problem) => Some(problem.clone()),
            Ok(Value::Null) if property.required => Some(FieldProblem::Required),
            Ok(Value::Text(text)) if property.required && text.is_empty() => {
                Some(FieldProblem::Required)
            }
            Ok(_) => None,
        };
        let untouched = self.text == self.baseline_text && self.is_null == self.baseline_null;
        self.dirty = !untouched
            && match &value {
                Ok(value) => !same_meaning(
                    &property.ty,
                    original.unwrap_or(&serde_json::Value::Null),
                    value,
                ),
                Err(_) => true,
            };
    }
}

impl NewProperty {
    /// A property being added, its problem computed from `text`.
    fn new(name: String, kind: PropertyType, text: String, is_null: bool) -> Self {
        let problem = buffer_value(&kind, &text, is_null).err();
        Self {
            name,
            kind,
            text,
            is_null,
            problem,
        }
    }

    /// Why the value cannot be saved as typed, if so.
    pub fn problem(&self) -> Option<&FieldProblem> {
        self.problem.as_ref()
    }

    /// The one way the value changes: `change` gets the text and the null flag, then the problem is recomputed.
    fn edit(&mut self, change: impl FnOnce(&mut String, &mut bool)) {
        change(&mut self.text, &mut self.is_null);
        self.problem = buffer_value(&self.kind, &self.text, self.is_null).err();
    }
}

/// A problem above the grid: not tied to one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    /// What to tell the user.
    pub message: String,
    /// Whether "Retry" re-sends the same changes (network failures and timeouts).
    pub retryable: bool,
}

/// Where the editor showed a save error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorPlacement {
    /// At these fields (sorted), next to their inputs.
    Fields(Vec<String>),
    /// In the banner above the grid.
    Banner,
    /// The user-token no longer works: the app asks for a new login, then retries; the edits stay.
    SessionEnded,
}

/// Whether a save is on its way.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveState {
    /// Nothing in flight.
    Idle,
    /// The changes were handed to the app; `request` is set once the worker took them.
    Saving {
        /// The worker's request id, from `save_started`.
        request: Option<u64>,
        /// Exactly what was sent; used to place errors and to know what became clean on success.
        changes: Changeset,
    },
}

/// The password change: two write-only buffers. Never displayed; `Debug` prints nothing of them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PasswordChange {
    /// The new password.
    pub new: String,
    /// The confirmation; must equal `new`.
    pub confirm: String,
}

impl fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordChange")
            .field("is_touched", &self.is_touched())
            .finish_non_exhaustive()
    }
}

impl PasswordChange {
    /// Whether the user typed anything in either field.
    pub fn is_touched(&self) -> bool {
        !self.new.is_empty() || !self.confirm.is_empty()
    }

    /// The mismatch, if the two fields differ.
    pub fn problem(&self) -> Option<FieldProblem> {
        (self.new != self.confirm).then_some(FieldProblem::PasswordMismatch)
    }
}

/// One line of the review: a property, its old and its new value, as the user reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRow {
    /// Property name.
    pub name: String,
    /// The saved value, or "(new property)".
    pub old: String,
    /// The value about to be sent; "(changed)" for the password.
    pub new: String,
}

// ------------------------------------------------------------------------------------------------

/// The whole state of editing one user record. See the module doc.
#[derive(Debug, Clone)]
pub struct EditSession {
    /// The described schema; grows when a new property is saved.
    schema: Schema,
    /// The record as last loaded or saved: the baseline of every diff. Changes only in `rebuild`.
    original: UserRecord,
    /// The property buffers. Every change goes through `Counted::change`, which moves the revision: no
    /// mutator can forget to.
    buffers: Counted<Buffers>,
    /// Password change buffers; cleared after a save that sent them.
    password: PasswordChange,
    /// Errors the server placed at a field; each clears when the user edits that field.
    server_errors: HashMap<String, String>,
    /// An error not tied to a field; cleared by the next save or by dismissing it.
    banner: Option<Banner>,
    /// Whether a save is in flight.
    save: SaveState,
    /// The last changes that failed with a retryable or session-ending error: what Retry re-sends.
    retry: Option<Changeset>,
    /// Set when the server refused a save because the user-token no longer works (a report of the last
    /// save's placement, [`ErrorPlacement::SessionEnded`]: whether the session has ended, and what happens
    /// next, is `AppState`'s decision). Cleared by the next save, or when the app says the session is back.
    session_ended: bool,
    /// States to go back to (newest last); cleared when the baseline changes (a save, a merge).
    undo: Vec<Buffers>,
    /// States undone, to go forward to again (newest last); cleared by any new edit.
    redo: Vec<Buffers>,
    /// The field being typed into: further keystrokes there join the same undo step. Cleared by any other
    /// kind of edit, by undo and by redo.
    typing: Option<String>,
}

/// The property buffers, which are also the undoable part of a session. The password is left out on purpose,
/// so no copy of it is kept in the history.
#[derive(Debug, Clone, PartialEq)]
struct Buffers {
    /// Buffers of the editable properties, by name.
    fields: BTreeMap<String, FieldEdit>,
    /// Properties being added, in the order the user added them.
    new_properties: Vec<NewProperty>,
}

mod counted {
    /// A value whose every mutable borrow counts as a change. Its field is private to this module, so code
    /// beside it cannot change the value without moving the revision.
    #[derive(Debug, Clone)]
    pub(super) struct Counted<T> {
        value: T,
        revision: u64,
    }

    impl<T> Counted<T> {
        pub(super) fn new(value: T) -> Self {
            Self { value, revision: 0 }
        }

        pub(super) fn get(&self) -> &T {
            &self.value
        }

        /// The value, to change it: moves the revision.
        pub(super) fn change(&mut self) -> &mut T {
            self.revision += 1;
            &mut self.value
        }

        /// How many times the value was handed out to be changed.
        pub(super) fn revision(&self) -> u64 {
            self.revision
        }
    }
}
use counted::Counted;

/// A dirty buffer carried over a new baseline: (name, text, null).
type KeptEdit = (String, String, bool);

/// The most undo steps kept.
const UNDO_LIMIT: usize = 200;

/// One pending edit, as kept in a draft: exactly what the buffer holds (so an edit that does not parse
/// yet is kept too), plus the value it was made against. Never the password.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PendingEdit {
    /// Property name.
    pub name: String,
    /// The text as typed.
    pub text: String,
    /// The explicit null.
    pub is_null: bool,
    /// For a property being added: its Backendless type name (e.g. `"INT"`); `None` for an existing one.
    pub new_kind: Option<String>,
    /// The value the edit was made against (`None`: the record had no such key).
    pub base: Option<serde_json::Value>,
}

impl EditSession {
    /// Starts editing `record`, typed by `schema`.
    pub fn new(schema: Schema, record: UserRecord) -> Self {
        let fields = editable_buffers(&schema, &record);
        Self {
            schema,
            original: record,
            buffers: Counted::new(Buffers {
                fields,
                new_properties: Vec::new(),
            }),
            password: PasswordChange::default(),
            server_errors: HashMap::new(),
            banner: None,
            save: SaveState::Idle,
            retry: None,
            session_ended: false,
            undo: Vec::new(),
            redo: Vec::new(),
            typing: None,
        }
    }

    /// The buffers of the editable properties.
    fn fields(&self) -> &BTreeMap<String, FieldEdit> {
        &self.buffers.get().fields
    }

    /// The schema the grid is typed by.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The baseline record (last loaded or saved).
    pub fn original(&self) -> &UserRecord {
        &self.original
    }

    /// The buffer of an editable property; `None` for read-only, write-only or unknown names.
    pub fn field(&self, name: &str) -> Option<&FieldEdit> {
        self.fields().get(name)
    }

    /// Whether `name` can be edited in the grid.
    pub fn is_editable(&self, name: &str) -> bool {
        self.fields().contains_key(name)
    }

    /// Whether the schema allows null for `name` (the "null" toggle is offered).
    pub fn is_nullable(&self, name: &str) -> bool {
        self.schema
            .get(name)
            .is_none_or(|property| !property.required)
    }

    /// Replaces the text of `name` (the user typed); re-validates; clears that field's server error.
    pub fn set_text(&mut self, name: &str, text: impl Into<String>) {
        let text = text.into();
        if self
            .fields()
            .get(name)
            .is_some_and(|field| field.text == text)
        {
            return;
        }
        self.checkpoint(Some(name));
        self.edit_field(name, |old, _| *old = text);
    }

    /// Turns the explicit null of `name` on or off; clears that field's server error.
    pub fn set_null(&mut self, name: &str, is_null: bool) {
        if self
            .fields()
            .get(name)
            .is_none_or(|field| field.is_null == is_null)
        {
            return;
        }
        self.checkpoint(None);
        self.edit_field(name, |_, null| *null = is_null);
    }

    /// The user typed `text` into the null field `name`: the text replaces null, as in a spreadsheet. One
    /// undo step (back to null), which the keystrokes that follow join.
    pub fn type_into_null(&mut self, name: &str, text: impl Into<String>) {
        let text = text.into();
        if self.fields().get(name).is_none_or(|field| !field.is_null) {
            self.set_text(name, text);
            return;
        }
        self.checkpoint(Some(name));
        self.edit_field(name, |old, null| {
            *null = false;
            *old = text;
        });
    }

    /// Sets `name` to the raw JSON `value` as a pending edit (import, merge). `false` when `name` is not
    /// an editable property or `value` is not of its type (nothing changes then).
    fn set_json(&mut self, name: &str, value: &serde_json::Value) -> bool {
        let Some(property) = self.schema.get(name) else {
            return false;
        };
        if !self.fields().contains_key(name) {
            return false;
        }
        let typed = Value::from_json(&property.ty, value);
        if matches!(typed, Value::Opaque(_)) {
            return false;
        }
        let (text, is_null) = match &typed {
            Value::Null => (None, true),
            other => (Some(edit_text(other)), false),
        };
        self.edit_field(name, |old, null| {
            if let Some(text) = text {
                *old = text;
            }
            *null = is_null;
        });
        true
    }

    /// Sets every `(name, value)` as pending edits, as ONE undo step; returns the names applied (the rest
    /// were not editable or not of their property's type and changed nothing).
    pub fn import_values(&mut self, values: &[(String, serde_json::Value)]) -> Vec<String> {
        self.checkpoint(None);
        let applied: Vec<String> = values
            .iter()
            .filter(|(name, value)| self.set_json(name, value))
            .map(|(name, _)| name.clone())
            .collect();
        if applied.is_empty() {
            // Nothing changed: the step just pushed would undo nothing.
            self.undo.pop();
        }
        applied
    }

    // --------------------------------------------------------------------------------------------
    // Undo and redo

    /// Remembers the buffers before an edit. Keystrokes into the same field (`typing`) share one step.
    fn checkpoint(&mut self, typing: Option<&str>) {
        if typing.is_some() && self.typing.as_deref() == typing {
            return;
        }
        self.typing = typing.map(str::to_owned);
        self.undo.push(self.buffers.get().clone());
        if self.undo.len() > UNDO_LIMIT {
            self.undo.remove(0);
        }
        self.redo.clear();
    }

    fn restore(&mut self, snapshot: Buffers) {
        // Server errors belong to the values they were reported for; a restored buffer may differ.
        for (name, field) in &snapshot.fields {
            if self.fields().get(name) != Some(field) {
                self.server_errors.remove(name);
            }
        }
        *self.buffers.change() = snapshot;
        self.typing = None;
    }

    /// Whether there is an edit to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is an undone edit to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Goes back one edit step (a run of typing in one field is one step). `false` if there is none.
    pub fn undo(&mut self) -> bool {
        let Some(previous) = self.undo.pop() else {
            return false;
        };
        self.redo.push(self.buffers.get().clone());
        self.restore(previous);
        true
    }

    /// Goes forward one undone step. `false` if there is none.
    pub fn redo(&mut self) -> bool {
        let Some(next) = self.redo.pop() else {
            return false;
        };
        self.undo.push(self.buffers.get().clone());
        self.restore(next);
        true
    }

    /// Counts changes of the buffers (edits, undo, redo, reverts, saves, merges); the app writes the draft
    /// when it moves. Derived from the buffers' own change counter, so every mutator moves it.
    pub fn revision(&self) -> u64 {
        self.buffers.revision()
    }

    // --------------------------------------------------------------------------------------------
    // Drafts and merges

    /// Every pending property edit, sorted by name, with the value it was made against. The password is
    /// never included.
    pub fn pending_edits(&self) -> Vec<PendingEdit> {
        let mut edits: Vec<PendingEdit> = self
            .fields()
            .iter()
            .filter(|(_, field)| field.dirty)
            .map(|(name, field)| PendingEdit {
                name: name.clone(),
                text: field.text.clone(),
                is_null: field.is_null,
                new_kind: None,
                base: self.original.get(name).cloned(),
            })
            .collect();
        edits.extend(self.new_properties().iter().map(|added| PendingEdit {
            name: added.name.clone(),
            text: added.text.clone(),
            is_null: added.is_null,
            new_kind: Some(added.kind.name().to_owned()),
            base: None,
        }));
        edits.sort_by(|a, b| a.name.cmp(&b.name));
        edits
    }

    /// Puts `edits` (from a draft) into the buffers as one undo step; returns the names that could not be
    /// restored (no longer an editable property, or a new property whose name is now taken).
    pub fn restore_edits(&mut self, edits: &[PendingEdit]) -> Vec<String> {
        self.checkpoint(None);
        let mut skipped = Vec::new();
        for edit in edits {
            match &edit.new_kind {
                None if self.fields().contains_key(&edit.name) => {
                    let (text, is_null) = (edit.text.clone(), edit.is_null);
                    self.edit_field(&edit.name, |old, null| {
                        *old = text;
                        *null = is_null;
                    });
                }
                Some(kind) if self.check_new_name(&edit.name).is_ok() => {
                    let added = NewProperty::new(
                        edit.name.clone(),
                        PropertyType::from_backendless(kind),
                        edit.text.clone(),
                        edit.is_null,
                    );
                    self.buffers.change().new_properties.push(added);
                }
                _ => skipped.push(edit.name.clone()),
            }
        }
        skipped
    }

    /// The changes that parse, ignoring buffers that do not (a merge can only compare values).
    pub fn parsed_changes(&self) -> Changeset {
        let mut edited = self.original.clone();
        for (name, field) in self.fields().iter().filter(|(_, field)| field.dirty) {
            if let Some(property) = self.schema.get(name)
                && let Ok(value) = buffer_value(&property.ty, &field.text, field.is_null)
            {
                edited.set(name, value.to_json());
            }
        }
        for added in self.new_properties() {
            if let Ok(value) = buffer_value(&added.kind, &added.text, added.is_null) {
                edited.set(&added.name, value.to_json());
            }
        }
        diff(&self.original, &edited, &self.schema)
    }

    /// Moves the baseline to `theirs` (the record as the server has it now) keeping the user's edits,
    /// except those of `take_theirs`, which take the server's value. Properties only the server changed
    /// show the server's value. Ends any save in flight and clears the undo history (the baseline moved).
    pub fn rebase(&mut self, theirs: UserRecord, take_theirs: &[String]) {
        let keep = |name: &str| !take_theirs.iter().any(|taken| taken == name);
        let kept = self.dirty_buffers(|name, _| keep(name));
        self.buffers
            .change()
            .new_properties
            .retain(|added| keep(&added.name));
        self.rebuild(theirs, kept);
    }

    /// The dirty buffers `keep` chooses, to carry over a new baseline with [`Self::rebuild`].
    fn dirty_buffers(&self, keep: impl Fn(&str, &FieldEdit) -> bool) -> Vec<KeptEdit> {
        self.fields()
            .iter()
            .filter(|(name, field)| field.dirty && keep(name, field))
            .map(|(name, field)| (name.clone(), field.text.clone(), field.is_null))
            .collect()
    }

    /// The one "keep dirty buffers, rebuild" step of a save and a merge: `original` becomes the baseline,
    /// every buffer starts again from it, then `kept` is typed back in. Ends any save in flight, clears
    /// the server's field errors and the undo history (the baseline moved).
    fn rebuild(&mut self, original: UserRecord, kept: Vec<KeptEdit>) {
        self.original = original;
        let mut fields = editable_buffers(&self.schema, &self.original);
        for (name, text, is_null) in kept {
            if let (Some(property), Some(field)) = (self.schema.get(&name), fields.get_mut(&name)) {
                field.edit(property, self.original.get(&name), |old, null| {
                    *old = text;
                    *null = is_null;
                });
            }
        }
        self.buffers.change().fields = fields;
        self.save = SaveState::Idle;
        self.server_errors.clear();
        self.undo.clear();
        self.redo.clear();
        self.typing = None;
    }

    /// Applies `change` to the text and null flag of `name`'s buffer (which recomputes its problem and
    /// dirtiness) and clears that field's server error.
    fn edit_field(&mut self, name: &str, change: impl FnOnce(&mut String, &mut bool)) {
        let Some(property) = self.schema.get(name) else {
            return;
        };
        if !self.fields().contains_key(name) {
            return;
        }
        let original = self.original.get(name);
        if let Some(field) = self.buffers.change().fields.get_mut(name) {
            field.edit(property, original, change);
        }
        self.server_errors.remove(name);
    }

    /// The value `name` would be saved as, or why it cannot be.
    pub fn edited_value(&self, name: &str) -> Option<Result<Value, FieldProblem>> {
        let property = self.schema.get(name)?;
        let field = self.fields().get(name)?;
        Some(buffer_value(&property.ty, &field.text, field.is_null))
    }

    /// Whether `name` differs from the baseline (a buffer that does not parse counts as changed).
    pub fn is_dirty(&self, name: &str) -> bool {
        if name == PASSWORD_FIELD {
            return self.password.is_touched();
        }
        if let Some(field) = self.fields().get(name) {
            return field.dirty;
        }
        self.new_properties().iter().any(|added| added.name == name)
    }

    /// How many fields differ from the baseline (password and new properties included).
    pub fn dirty_count(&self) -> usize {
        let fields = self.fields().values().filter(|field| field.dirty).count();
        fields + self.new_properties().len() + usize::from(self.password.is_touched())
    }

    /// Whether anything would be lost by discarding the session.
    pub fn has_pending_edits(&self) -> bool {
        self.dirty_count() > 0
    }

    /// Puts `name` back to its baseline value (an added property is removed; the password fields emptied).
    pub fn revert(&mut self, name: &str) {
        if !self.is_dirty(name) {
            return;
        }
        self.checkpoint(None);
        self.server_errors.remove(name);
        if name == PASSWORD_FIELD {
            self.password = PasswordChange::default();
        } else if let Some(index) = self
            .new_properties()
            .iter()
            .position(|added| added.name == name)
        {
            self.buffers.change().new_properties.remove(index);
        } else if let Some(property) = self.schema.get(name)
            && self.fields().contains_key(name)
        {
            let fresh = FieldEdit::fresh(property, &self.original);
            self.buffers.change().fields.insert(name.to_owned(), fresh);
        }
    }

    /// Puts every field back to the baseline and drops added properties and the password change.
    pub fn revert_all(&mut self) {
        if !self.has_pending_edits() {
            return;
        }
        self.checkpoint(None);
        *self.buffers.change() = Buffers {
            fields: editable_buffers(&self.schema, &self.original),
            new_properties: Vec::new(),
        };
        self.password = PasswordChange::default();
        self.server_errors.clear();
    }

    // --------------------------------------------------------------------------------------------
    // Password

    /// The password change buffers.
    pub fn password(&self) -> &PasswordChange {
        &self.password
    }

    /// Sets the new password text.
    pub fn set_password(&mut self, text: impl Into<String>) {
        self.password.new = text.into();
        self.server_errors.remove(PASSWORD_FIELD);
    }

    /// Sets the confirmation text.
    pub fn set_password_confirm(&mut self, text: impl Into<String>) {
        self.password.confirm = text.into();
        self.server_errors.remove(PASSWORD_FIELD);
    }

    // --------------------------------------------------------------------------------------------
    // New properties

    /// The properties being added.
    pub fn new_properties(&self) -> &[NewProperty] {
        &self.buffers.get().new_properties
    }

    /// Why `name` cannot be a new property's name, if it cannot. Names compare case-insensitively, like
    /// the server's columns.
    pub fn check_new_name(&self, name: &str) -> Result<(), FieldProblem> {
        check_column_name(name)?;
        let lower = name.to_ascii_lowercase();
        let clashes = |other: &str| other.to_ascii_lowercase() == lower;
        let taken = self
            .schema
            .properties()
            .iter()
            .any(|property| clashes(&property.name))
            || self.original.names().any(clashes)
            || SYSTEM_PROPERTIES.iter().any(|system| clashes(system))
            || clashes(PASSWORD)
            || self
                .new_properties()
                .iter()
                .any(|added| clashes(&added.name));
        if taken {
            Err(FieldProblem::NameTaken)
        } else {
            Ok(())
        }
    }

    /// Adds a property after checking its name; its value can still be fixed in its row.
    pub fn add_property(
        &mut self,
        name: &str,
        kind: PropertyType,
        text: &str,
    ) -> Result<(), FieldProblem> {
        let name = name.trim();
        self.check_new_name(name)?;
        self.checkpoint(None);
        let added = NewProperty::new(name.to_owned(), kind, text.to_owned(), false);
        self.buffers.change().new_properties.push(added);
        Ok(())
    }

    /// Replaces the value text of the added property `index`; clears its server error.
    pub fn set_new_text(&mut self, index: usize, text: impl Into<String>) {
        let text = text.into();
        let Some(name) = self
            .new_properties()
            .get(index)
            .map(|added| added.name.clone())
        else {
            return;
        };
        self.checkpoint(Some(&format!("(new) {name}")));
        self.edit_new(index, |old, _| *old = text);
    }

    /// Turns the null of the added property `index` on or off; clears its server error.
    pub fn set_new_null(&mut self, index: usize, is_null: bool) {
        self.checkpoint(None);
        self.edit_new(index, |_, null| *null = is_null);
    }

    /// Applies `change` to the text and null flag of the added property `index` (which recomputes its
    /// problem) and clears its server error.
    fn edit_new(&mut self, index: usize, change: impl FnOnce(&mut String, &mut bool)) {
        if index >= self.new_properties().len() {
            return;
        }
        let added = &mut self.buffers.change().new_properties[index];
        added.edit(change);
        self.server_errors.remove(&added.name);
    }

    // --------------------------------------------------------------------------------------------
    // Saving

    /// The changes to send, or every field whose buffer cannot be saved (sorted by field name).
    pub fn changeset(&self) -> Result<Changeset, Vec<(String, FieldProblem)>> {
        let mut problems = Vec::new();
        let mut edited = self.original.clone();
        for (name, field) in self.fields().iter().filter(|(_, field)| field.dirty) {
            let Some(property) = self.schema.get(name) else {
                continue;
            };
            match buffer_value(&property.ty, &field.text, field.is_null) {
                Ok(value) => edited.set(name, value.to_json()),
                Err(problem) => problems.push((name.clone(), problem)),
            }
        }
        for added in self.new_properties() {
            match buffer_value(&added.kind, &added.text, added.is_null) {
                Ok(value) => edited.set(&added.name, value.to_json()),
                Err(problem) => problems.push((added.name.clone(), problem)),
            }
        }
        if let Some(problem) = self.password.problem() {
            problems.push((PASSWORD_FIELD.to_owned(), problem));
        }
        if !problems.is_empty() {
            problems.sort_by(|a, b| a.0.cmp(&b.0));
            return Err(problems);
        }
        let mut changes = diff(&self.original, &edited, &self.schema);
        if !self.password.new.is_empty() {
            changes.set_password(self.password.new.clone());
        }
        Ok(changes)
    }

    /// The review lines for `changes`, sorted by name; the password shows only as "(changed)".
    pub fn review_rows(&self, changes: &Changeset) -> Vec<ReviewRow> {
        changes
            .keys()
            .map(|name| {
                if name == PASSWORD_FIELD {
                    return ReviewRow {
                        name: name.to_owned(),
                        old: "(hidden)".to_owned(),
                        new: "(changed)".to_owned(),
                    };
                }
                let kind = self.kind_of(name);
                let old = match self.original.get(name) {
                    Some(raw) => display_value(&kind, raw),
                    None if self.schema.get(name).is_some() => "null".to_owned(),
                    None => "(new property)".to_owned(),
                };
                let new = changes
                    .get(name)
                    .map_or_else(|| "null".to_owned(), |raw| display_value(&kind, raw));
                ReviewRow {
                    name: name.to_owned(),
                    old,
                    new,
                }
            })
            .collect()
    }

    /// The type of `name`: from the schema, else from an added property, else as the server would infer it.
    pub fn kind_of(&self, name: &str) -> PropertyType {
        if let Some(added) = self
            .new_properties()
            .iter()
            .find(|added| added.name == name)
        {
            return added.kind.clone();
        }
        self.schema.type_of(
            name,
            self.original.get(name).unwrap_or(&serde_json::Value::Null),
        )
    }

    /// Records that `changes` were handed to the app for sending; clears the banner.
    pub fn begin_save(&mut self, changes: Changeset) {
        self.banner = None;
        self.session_ended = false;
        self.retry = None;
        self.save = SaveState::Saving {
            request: None,
            changes,
        };
    }

    /// Records the worker's request id of the save in flight.
    pub fn save_started(&mut self, request_id: u64) {
        if let SaveState::Saving { request, .. } = &mut self.save {
            *request = Some(request_id);
        }
    }

    /// The save in flight ended without an answer to place (it found a conflict to resolve first).
    pub fn end_save(&mut self) {
        self.save = SaveState::Idle;
    }

    /// Whether a save is in flight.
    pub fn is_saving(&self) -> bool {
        matches!(self.save, SaveState::Saving { .. })
    }

    /// The save state.
    pub fn save_state(&self) -> &SaveState {
        &self.save
    }

    /// The server saved: `record` becomes the baseline. A field edited while the save was in flight (its
    /// value is no longer what was sent) keeps its buffer and stays marked as changed.
    pub fn apply_saved(&mut self, record: UserRecord) {
        let sent = match std::mem::replace(&mut self.save, SaveState::Idle) {
            SaveState::Saving { changes, .. } => changes,
            SaveState::Idle => Changeset::default(),
        };
        // Columns the save created join the schema, typed as the user chose.
        let (created, still_new): (Vec<NewProperty>, Vec<NewProperty>) = self
            .new_properties()
            .iter()
            .cloned()
            .partition(|added| sent.get(&added.name).is_some());
        let mut kept: Vec<KeptEdit> = Vec::new();
        for added in created {
            // Edited again while the save was in flight: keep the newer text as a pending change.
            if !sent_as_is(&sent, &added.name, &added.kind, &added.text, added.is_null) {
                kept.push((added.name.clone(), added.text.clone(), added.is_null));
            }
            // The name passed `check_new_name` (a stricter rule than PropertyName's), so it parses.
            if self.schema.get(&added.name).is_none()
                && let Ok(name) = crate::model::PropertyName::parse(added.name)
            {
                self.schema = self
                    .schema
                    .with_property(Property::dynamic(name, added.kind));
            }
        }
        kept.extend(self.dirty_buffers(|name, field| {
            self.schema.get(name).is_some_and(|property| {
                !sent_as_is(&sent, name, &property.ty, &field.text, field.is_null)
            })
        }));
        self.buffers.change().new_properties = still_new;
        self.rebuild(record, kept);
        if sent.get(PASSWORD_FIELD).is_some() {
            self.password = PasswordChange::default();
        }
        self.banner = None;
        self.retry = None;
        self.session_ended = false;
    }

    /// The server refused `sent`: places the error at its fields, in the banner, or reports the ended
    /// session. Nothing the user typed changes.
    pub fn apply_save_error(&mut self, error: &ApiError, sent: &Changeset) -> ErrorPlacement {
        self.save = SaveState::Idle;
        if error.is_session_ending() {
            self.session_ended = true;
            self.retry = Some(sent.clone());
            self.banner = Some(Banner {
                message: error.to_string(),
                retryable: false,
            });
            return ErrorPlacement::SessionEnded;
        }
        // Only fields the grid shows can carry an error; anything else goes to the banner.
        let fields: Vec<String> = error
            .fields(&self.schema, sent)
            .into_iter()
            .filter(|name| self.shows_field(name))
            .collect();
        if fields.is_empty() {
            let retryable = error.is_retryable();
            self.retry = retryable.then(|| sent.clone());
            self.banner = Some(Banner {
                message: banner_message(error),
                retryable,
            });
            return ErrorPlacement::Banner;
        }
        let message = field_message(error);
        for field in &fields {
            self.server_errors.insert(field.clone(), message.clone());
        }
        ErrorPlacement::Fields(fields)
    }

    /// Whether the grid has a place for an error at `name`.
    fn shows_field(&self, name: &str) -> bool {
        name == PASSWORD_FIELD
            || self.fields().contains_key(name)
            || self.new_properties().iter().any(|a| a.name == name)
    }

    /// The server's error at `name`, if any.
    pub fn server_error(&self, name: &str) -> Option<&str> {
        self.server_errors.get(name).map(String::as_str)
    }

    /// The names that carry a server error, sorted.
    pub fn server_error_fields(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.server_errors.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// The banner above the grid, if any.
    pub fn banner(&self) -> Option<&Banner> {
        self.banner.as_ref()
    }

    /// Hides the banner.
    pub fn dismiss_banner(&mut self) {
        self.banner = None;
    }

    /// The changes Retry re-sends (after a retryable failure, or after a new login).
    pub fn retry_changes(&self) -> Option<&Changeset> {
        self.retry.as_ref()
    }

    /// Whether the last save was refused because the user-token no longer works (the placement
    /// [`ErrorPlacement::SessionEnded`] reported). A report only: `AppState` decides that the session ended.
    pub fn session_ended(&self) -> bool {
        self.session_ended
    }

    /// The app says the session is back (the same user logged in again): the banner about its end goes.
    /// The refused changes stay pending (and what Retry would send), for the next save.
    pub fn session_resumed(&mut self) {
        if std::mem::take(&mut self.session_ended) {
            self.banner = None;
        }
    }
}

// ------------------------------------------------------------------------------------------------

/// Buffers for every editable property of `schema`, filled from `record`.
fn editable_buffers(schema: &Schema, record: &UserRecord) -> BTreeMap<String, FieldEdit> {
    schema
        .properties()
        .iter()
        .filter(|property| is_editable_property(property))
        .map(|property| {
            (
                property.name.to_string(),
                FieldEdit::fresh(property, record),
            )
        })
        .collect()
}

/// Whether the grid offers an input for `property` (editable types, read-write, not the password).
pub fn is_editable_property(property: &Property) -> bool {
    property.is_editable() && property.name != PASSWORD_FIELD
}

/// The text a user edits for `value` (dates in local time, JSON pretty-printed over several lines).
pub fn edit_text(value: &Value) -> String {
    match value {
        Value::Json(json) => {
            serde_json::to_string_pretty(json).unwrap_or_else(|_| json.to_string())
        }
        other => other.edit_text(),
    }
}

/// How a raw value reads in the grid and the review: dates in local time with UTC after it, null and the
/// empty string spelled out.
pub fn display_value(kind: &PropertyType, raw: &serde_json::Value) -> String {
    match Value::from_json(kind, raw) {
        Value::Null => "null".to_owned(),
        Value::DateTime(millis) => format!(
            "{} (UTC {})",
            format_datetime_local(millis),
            format_datetime_utc(millis)
        ),
        Value::Text(text) if text.is_empty() => "\"\" (empty)".to_owned(),
        other => other.edit_text(),
    }
}

/// Whether `new` means the same as the raw `old` (numbers by value, dates by instant, JSON by content).
fn same_meaning(kind: &PropertyType, old: &serde_json::Value, new: &Value) -> bool {
    match (Value::from_json(kind, old), new) {
        (Value::DateTime(a), Value::DateTime(b)) => a == *b,
        _ => same_json(old, &new.to_json()),
    }
}

/// Whether `sent` holds `name` with the meaning the buffer (`text`, `is_null`) has now: a buffer edited again
/// while its save was in flight is not.
fn sent_as_is(
    sent: &Changeset,
    name: &str,
    kind: &PropertyType,
    text: &str,
    is_null: bool,
) -> bool {
    match (sent.get(name), buffer_value(kind, text, is_null)) {
        (Some(sent_value), Ok(value)) => same_meaning(kind, sent_value, &value),
        _ => false,
    }
}

/// What a buffer would save as, or why it cannot.
fn buffer_value(kind: &PropertyType, text: &str, is_null: bool) -> Result<Value, FieldProblem> {
    if is_null {
        return Ok(Value::Null);
    }
    parse_edit(kind, text).map_err(FieldProblem::Parse)
}

/// Checks the shape of a new column's name, in the words of the person who typed it: the Backendless
/// column-name rule ([`PropertyName::parse`], the one source of truth for it), plus one rule of the editor's
/// own on top: a letter first (names starting with `_` are left to the server's own columns).
pub fn check_column_name(name: &str) -> Result<(), FieldProblem> {
    let invalid = |message: String| Err(FieldProblem::InvalidName(message));
    if name.is_empty() {
        return invalid("Enter a name.".to_owned());
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return invalid("A name must start with a letter.".to_owned());
    }
    match PropertyName::parse(name) {
        Ok(_) => Ok(()),
        Err(IdError::TooLong { max_chars, .. }) => {
            invalid(format!("At most {max_chars} characters."))
        }
        Err(IdError::Empty { .. }) => invalid("Enter a name.".to_owned()),
        Err(IdError::InvalidPropertyName | IdError::UnsafeObjectId) => {
            invalid("Use only letters, digits and _.".to_owned())
        }
    }
}

/// The message shown at a field: the readable sentence, then the server's words.
fn field_message(error: &ApiError) -> String {
    banner_message(error)
}

/// The message for `error`: the readable sentence plus the server's own words when they add something.
fn banner_message(error: &ApiError) -> String {
    let readable = error.to_string();
    match error.server_message() {
        Some(server) if !server.is_empty() && !readable.contains(server) => {
            format!("{readable} ({server})")
        }
        _ => readable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backendless::wire::Fault;
    use crate::model::test_fixtures::{descriptor, record};
    use serde_json::json;

    /// The demo schema of CONTRACT.md §2, plus a TEXT and a POINT column.
    fn schema() -> Schema {
        Schema::from_descriptors(vec![
            descriptor("objectId", "STRING_ID", false, false),
            descriptor("created", "DATETIME", false, false),
            descriptor("updated", "DATETIME", false, false),
            descriptor("ownerId", "STRING", false, false),
            descriptor("email", "STRING", true, true),
            descriptor("password", "STRING", true, false),
            descriptor("name", "STRING", true, false),
            descriptor("phoneNumber", "STRING", false, false),
            descriptor("bio", "TEXT", false, false),
            descriptor("age", "INT", false, false),
            descriptor("birthday", "DATETIME", false, false),
            descriptor("newsletter", "BOOLEAN", false, false),
            descriptor("score", "DOUBLE", false, false),
            descriptor("preferences", "JSON", false, false),
            descriptor("home", "POINT", false, false),
        ])
    }

    fn alice() -> UserRecord {
        let json = json!({
            "objectId": "A1", "___class": "Users", "created": 1_700_000_000_000_i64, "updated": null,
            "ownerId": "A1", "email": "alice@example.com", "name": "Alice Liddell", "phoneNumber": "555-0100",
            "bio": null, "age": 30, "birthday": 831_168_000_000_i64, "newsletter": true, "score": 4.5,
            "preferences": {"theme": "dark", "langs": ["en", "fr"]},
            "home": {"type": "Point", "coordinates": [1.0, 2.0]}
        });
        record(json)
    }

    fn session() -> EditSession {
        EditSession::new(schema(), alice())
    }

    fn fault(code: i64, message: &str) -> ApiError {
        ApiError::from_fault(400, Fault::new(code, message))
    }

    fn keys(changes: &Changeset) -> Vec<&str> {
        changes.keys().collect()
    }

    // Issue 14: the editor's column-name check is the Backendless rule (`PropertyName`) plus "a letter
    // first", not a copy of it: what it accepts is exactly what both accept.
    #[test]
    fn a_new_column_name_is_a_property_name_that_starts_with_a_letter() {
        let long = format!(
            "a{}",
            "b".repeat(crate::model::ids::MAX_PROPERTY_NAME_CHARS)
        );
        let names = [
            "a", "level", "Level_2", "a_", "_a", "___class", "1abc", "a b", "a-b", "é", "aé", "",
            &long,
        ];
        for name in names {
            let letter_first = name.starts_with(|c: char| c.is_ascii_alphabetic());
            assert_eq!(
                check_column_name(name).is_ok(),
                PropertyName::parse(name).is_ok() && letter_first,
                "{name:?}"
            );
        }
        let message = |name: &str| match check_column_name(name) {
            Err(FieldProblem::InvalidName(message)) => message,
            other => panic!("{name:?}: {other:?}"),
        };
        assert_eq!(message(""), "Enter a name.");
        assert_eq!(message("_a"), "A name must start with a letter.");
        assert_eq!(message("a-b"), "Use only letters, digits and _.");
        assert_eq!(message(&long), "At most 64 characters.");
    }

    #[test]
    fn typing_into_a_null_field_clears_null_in_one_undo_step() {
        let mut session = session();
        assert!(session.field("bio").unwrap().is_null);
        session.type_into_null("bio", "5");
        session.set_text("bio", "55");
        let field = session.field("bio").unwrap();
        assert!(!field.is_null);
        assert_eq!(field.text, "55");
        assert!(session.undo());
        let field = session.field("bio").unwrap();
        assert!(field.is_null, "one undo brings null back");
        assert!(!session.has_pending_edits());
        assert!(!session.can_undo());
    }

    #[test]
    fn a_fresh_session_has_no_changes() {
        let session = session();
        assert!(!session.has_pending_edits());
        assert!(session.changeset().unwrap().is_empty());
        assert!(
            session.is_editable("email")
                && session.is_editable("preferences")
                && session.is_editable("home")
        );
        assert!(!session.is_editable("objectId") && !session.is_editable("password"));
        assert!(!session.is_nullable("name") && session.is_nullable("age"));
    }

    #[test]
    fn only_the_edited_field_is_in_the_changeset() {
        let mut session = session();
        session.set_text("name", "Alice L.");
        session.set_text("age", "31");
        assert!(session.is_dirty("name") && session.is_dirty("age") && !session.is_dirty("email"));
        let changes = session.changeset().unwrap();
        assert_eq!(keys(&changes), ["age", "name"]);
        assert_eq!(changes.get("age"), Some(&json!(31)));
        assert_eq!(changes.get("name"), Some(&json!("Alice L.")));
        assert_eq!(session.dirty_count(), 2);
    }

    #[test]
    fn typing_the_same_meaning_back_is_not_a_change() {
        let mut session = session();
        session.set_text("score", "4.50");
        session.set_text("age", "30");
        let birthday = session.field("birthday").unwrap().text.clone();
        session.set_text("birthday", format!("{birthday} "));
        session.set_text("preferences", r#"{"langs":["en","fr"],"theme":"dark"}"#);
        assert!(!session.has_pending_edits(), "{:?}", session.changeset());
        assert!(session.changeset().unwrap().is_empty());
    }

    #[test]
    fn a_number_that_does_not_parse_blocks_the_changeset_and_keeps_the_text() {
        let mut session = session();
        session.set_text("age", "thirty");
        session.set_text("score", "1.2.3");
        let problems = session.changeset().unwrap_err();
        let names: Vec<&str> = problems.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["age", "score"]);
        assert!(matches!(problems[0].1, FieldProblem::Parse(_)));
        assert_eq!(session.field("age").unwrap().text, "thirty");
        assert!(session.is_dirty("age"));
    }

    #[test]
    fn null_and_empty_string_are_different_changes() {
        let mut session = session();
        session.set_null("phoneNumber", true);
        assert_eq!(
            session.changeset().unwrap().get("phoneNumber"),
            Some(&serde_json::Value::Null)
        );
        session.set_null("phoneNumber", false);
        assert_eq!(
            session.field("phoneNumber").unwrap().text,
            "555-0100",
            "unticking null restores the text"
        );
        session.set_text("phoneNumber", "");
        assert_eq!(
            session.changeset().unwrap().get("phoneNumber"),
            Some(&json!(""))
        );
        // A null TEXT column set to the empty string is a change; leaving it null is not.
        assert!(session.field("bio").unwrap().is_null);
        session.set_null("bio", false);
        assert_eq!(session.changeset().unwrap().get("bio"), Some(&json!("")));
    }

    #[test]
    fn tri_state_boolean_and_local_datetime() {
        let mut session = session();
        assert_eq!(session.field("newsletter").unwrap().text, "true");
        session.set_text("newsletter", "false");
        session.set_text("birthday", "2000-01-02 03:04:05 UTC");
        let changes = session.changeset().unwrap();
        assert_eq!(changes.get("newsletter"), Some(&json!(false)));
        assert_eq!(changes.get("birthday"), Some(&json!(946_782_245_000_i64)));
        session.set_null("newsletter", true);
        assert_eq!(
            session.changeset().unwrap().get("newsletter"),
            Some(&serde_json::Value::Null)
        );
    }

    #[test]
    fn invalid_json_blocks_and_valid_json_is_sent_as_json() {
        let mut session = session();
        session.set_text("preferences", "{\"theme\": ");
        assert!(session.changeset().is_err());
        session.set_text("preferences", r#"{"theme": "light"}"#);
        assert_eq!(
            session.changeset().unwrap().get("preferences"),
            Some(&json!({"theme": "light"}))
        );
    }

    #[test]
    fn revert_one_and_revert_all() {
        let mut session = session();
        session.set_text("name", "X");
        session.set_text("age", "1");
        session.set_password("secret-1");
        session.set_password_confirm("secret-1");
        session
            .add_property("nickname", PropertyType::String, "Al")
            .unwrap();
        session.revert("name");
        assert_eq!(session.field("name").unwrap().text, "Alice Liddell");
        assert_eq!(
            keys(&session.changeset().unwrap()),
            ["age", "nickname", "password"]
        );
        session.revert("nickname");
        assert!(session.new_properties().is_empty());
        session.revert_all();
        assert!(!session.has_pending_edits());
        assert!(session.password().new.is_empty());
    }

    #[test]
    fn password_must_be_confirmed_and_reviews_as_changed() {
        let mut session = session();
        session.set_password("new-pass-1");
        assert_eq!(
            session.changeset().unwrap_err(),
            vec![(PASSWORD.to_owned(), FieldProblem::PasswordMismatch)]
        );
        session.set_password_confirm("new-pass-1");
        let changes = session.changeset().unwrap();
        assert_eq!(changes.get(PASSWORD), Some(&json!("new-pass-1")));
        let rows = session.review_rows(&changes);
        assert_eq!(
            rows,
            vec![ReviewRow {
                name: "password".into(),
                old: "(hidden)".into(),
                new: "(changed)".into()
            }]
        );
        assert!(
            !format!("{session:?}").contains("new-pass-1"),
            "Debug must not print the password"
        );
    }

    #[test]
    fn review_shows_old_and_new_values_readably() {
        let mut session = session();
        session.set_null("phoneNumber", true);
        session.set_text("name", "");
        session
            .add_property("nickname", PropertyType::String, "Al")
            .unwrap();
        let rows = session.review_rows(&session.changeset().unwrap());
        assert_eq!(
            rows,
            vec![
                ReviewRow {
                    name: "name".into(),
                    old: "Alice Liddell".into(),
                    new: "\"\" (empty)".into()
                },
                ReviewRow {
                    name: "nickname".into(),
                    old: "(new property)".into(),
                    new: "Al".into()
                },
                ReviewRow {
                    name: "phoneNumber".into(),
                    old: "555-0100".into(),
                    new: "null".into()
                },
            ]
        );
    }

    #[test]
    fn new_property_names_are_validated_and_must_not_clash() {
        let mut session = session();
        assert!(matches!(
            session.check_new_name(""),
            Err(FieldProblem::InvalidName(_))
        ));
        assert!(matches!(
            session.check_new_name("1abc"),
            Err(FieldProblem::InvalidName(_))
        ));
        assert!(matches!(
            session.check_new_name("a b"),
            Err(FieldProblem::InvalidName(_))
        ));
        assert_eq!(
            session.check_new_name("Email"),
            Err(FieldProblem::NameTaken)
        );
        assert_eq!(
            session.check_new_name("objectId"),
            Err(FieldProblem::NameTaken)
        );
        assert_eq!(
            session.check_new_name("___class"),
            Err(FieldProblem::InvalidName(
                "A name must start with a letter.".into()
            ))
        );
        assert_eq!(
            session.check_new_name("PASSWORD"),
            Err(FieldProblem::NameTaken)
        );
        session
            .add_property("level", PropertyType::Int, "3")
            .unwrap();
        assert_eq!(
            session.add_property("LEVEL", PropertyType::Int, "4"),
            Err(FieldProblem::NameTaken)
        );
        assert_eq!(session.changeset().unwrap().get("level"), Some(&json!(3)));
        session.set_new_text(0, "x");
        assert!(session.changeset().is_err());
    }

    #[test]
    fn field_errors_land_at_their_fields_and_keep_the_edits() {
        let mut session = session();
        session.set_text("email", "bob@example.com");
        session.set_text("name", "");
        session
            .add_property("nickname", PropertyType::String, "Al")
            .unwrap();
        let sent = session.changeset().unwrap();
        session.begin_save(sent.clone());

        let placement = session.apply_save_error(&fault(3018, "already exists"), &sent);
        assert_eq!(placement, ErrorPlacement::Fields(vec!["email".into()]));
        assert!(session.server_error("email").is_some());
        assert!(!session.is_saving());

        assert_eq!(
            session.apply_save_error(&fault(3045, "required"), &sent),
            ErrorPlacement::Fields(vec!["name".into()])
        );
        assert_eq!(
            session.apply_save_error(&fault(3031, "dynamic off"), &sent),
            ErrorPlacement::Fields(vec!["nickname".into()])
        );
        assert_eq!(
            session.apply_save_error(&fault(3024, "Invalid value for property 'name'"), &sent),
            ErrorPlacement::Fields(vec!["name".into()])
        );
        assert_eq!(session.field("email").unwrap().text, "bob@example.com");
        assert_eq!(
            session.changeset().unwrap(),
            sent,
            "no error changes what the user typed"
        );

        session.set_text("email", "alice2@example.com");
        assert!(
            session.server_error("email").is_none(),
            "editing a field clears its error"
        );
        assert!(session.server_error("nickname").is_some());
        session.set_new_text(0, "Ally");
        assert!(session.server_error("nickname").is_none());
    }

    #[test]
    fn record_level_errors_go_to_the_banner() {
        let mut session = session();
        session.set_text("name", "Z");
        let sent = session.changeset().unwrap();
        for (code, message) in [
            (3029, "not yours"),
            (3030, "no such user"),
            (3024, "something broke"),
            (2002, "bad key"),
        ] {
            session.begin_save(sent.clone());
            assert_eq!(
                session.apply_save_error(&fault(code, message), &sent),
                ErrorPlacement::Banner,
                "{code}"
            );
            let banner = session.banner().unwrap();
            assert!(
                banner.message.contains(message),
                "{code}: {}",
                banner.message
            );
            assert!(!banner.retryable, "{code}");
            assert!(session.retry_changes().is_none());
        }
        // A 3024 naming a property the grid does not show is a banner too.
        session.begin_save(sent.clone());
        let error = fault(3024, "Unable to update 'ghost'");
        assert_eq!(
            session.apply_save_error(&error, &sent),
            ErrorPlacement::Banner
        );
        assert_eq!(session.field("name").unwrap().text, "Z");
    }

    #[test]
    fn network_failures_offer_retry_of_the_same_changes() {
        let mut session = session();
        session.set_text("name", "Z");
        let sent = session.changeset().unwrap();
        session.begin_save(sent.clone());
        session.save_started(7);
        assert_eq!(
            session.save_state(),
            &SaveState::Saving {
                request: Some(7),
                changes: sent.clone()
            }
        );
        assert_eq!(
            session.apply_save_error(&ApiError::Timeout, &sent),
            ErrorPlacement::Banner
        );
        assert!(session.banner().unwrap().retryable);
        assert_eq!(session.retry_changes(), Some(&sent));
        session.begin_save(sent.clone());
        assert!(session.banner().is_none());
    }

    #[test]
    fn session_ending_errors_are_reported_and_keep_the_edits() {
        for code in [3028, 3048, 3064, 3091] {
            let mut session = session();
            session.set_text("name", "Z");
            let sent = session.changeset().unwrap();
            session.begin_save(sent.clone());
            let placement = session.apply_save_error(
                &ApiError::from_fault(401, Fault::new(code, "Not existing user token")),
                &sent,
            );
            assert_eq!(placement, ErrorPlacement::SessionEnded, "{code}");
            assert!(session.session_ended());
            assert_eq!(session.retry_changes(), Some(&sent));
            assert_eq!(session.field("name").unwrap().text, "Z");
        }
    }

    /// The session's end is reported, not decided here: once the app says the session is back, the banner
    /// about its end goes, and the refused edit stays pending (and is what Retry sends). Other banners stay.
    #[test]
    fn the_session_ended_banner_goes_when_the_app_says_the_session_is_back() {
        let mut session = session();
        session.set_text("name", "Z");
        let sent = session.changeset().unwrap();
        session.begin_save(sent.clone());
        let expired = ApiError::from_fault(401, Fault::new(3064, "Not existing user token"));
        session.apply_save_error(&expired, &sent);
        assert!(session.banner().is_some());
        session.session_resumed();
        assert!(session.banner().is_none());
        assert!(!session.session_ended());
        assert_eq!(session.retry_changes(), Some(&sent));
        assert_eq!(session.field("name").unwrap().text, "Z");

        session.begin_save(sent.clone());
        session.apply_save_error(&ApiError::Timeout, &sent);
        session.session_resumed();
        assert!(session.banner().is_some(), "not about the session: kept");
    }

    #[test]
    fn a_successful_save_sets_a_new_baseline_and_forgets_the_password() {
        let mut session = session();
        session.set_text("name", "Alice L.");
        session.set_password("new-pass-1");
        session.set_password_confirm("new-pass-1");
        session
            .add_property("nickname", PropertyType::String, "Al")
            .unwrap();
        let sent = session.changeset().unwrap();
        session.begin_save(sent.clone());
        // Edited while the save is in flight: must survive the success.
        session.set_text("age", "31");
        let saved = sent.apply_to(session.original());
        session.apply_saved(saved);
        assert!(!session.is_saving());
        assert!(!session.is_dirty("name"));
        assert_eq!(session.field("name").unwrap().text, "Alice L.");
        assert!(session.password().new.is_empty() && session.password().confirm.is_empty());
        assert!(session.new_properties().is_empty());
        assert!(
            session.is_editable("nickname"),
            "the new column joins the schema"
        );
        assert_eq!(session.field("nickname").unwrap().text, "Al");
        assert!(
            session.is_dirty("age"),
            "an edit made during the save is kept"
        );
        assert_eq!(keys(&session.changeset().unwrap()), ["age"]);
    }

    #[test]
    fn a_field_edited_again_during_the_save_stays_changed() {
        let mut session = session();
        session.set_text("name", "First");
        let sent = session.changeset().unwrap();
        session.begin_save(sent.clone());
        session.set_text("name", "Second");
        session.apply_saved(sent.apply_to(session.original()));
        assert_eq!(session.field("name").unwrap().text, "Second");
        assert_eq!(
            session.changeset().unwrap().get("name"),
            Some(&json!("Second"))
        );
    }

    #[test]
    fn a_new_property_edited_during_the_save_keeps_the_newer_value() {
        let mut session = session();
        session
            .add_property("level", PropertyType::Int, "1")
            .unwrap();
        let sent = session.changeset().unwrap();
        session.begin_save(sent.clone());
        session.set_new_text(0, "2");
        session.apply_saved(sent.apply_to(session.original()));
        assert!(session.new_properties().is_empty());
        assert_eq!(session.field("level").unwrap().text, "2");
        assert_eq!(session.changeset().unwrap().get("level"), Some(&json!(2)));
    }

    #[test]
    fn required_fields_are_hinted_but_the_server_decides() {
        let mut session = session();
        session.set_text("name", "");
        assert_eq!(
            session.field("name").unwrap().problem(),
            Some(&FieldProblem::Required)
        );
        assert_eq!(session.changeset().unwrap().get("name"), Some(&json!("")));
    }

    // --------------------------------------------------------------------------------------------
    // Undo, redo, import, drafts and merges

    #[test]
    fn typing_in_one_field_is_one_undo_step_and_redo_brings_it_back() {
        let mut session = session();
        for text in ["A", "Al", "Ali"] {
            session.set_text("name", text);
        }
        session.set_text("age", "3");
        session.set_text("age", "31");
        assert!(session.undo(), "undo the age");
        assert_eq!(session.field("age").unwrap().text, "30");
        assert_eq!(session.field("name").unwrap().text, "Ali");
        assert!(session.undo(), "undo the whole run of typing in name");
        assert_eq!(session.field("name").unwrap().text, "Alice Liddell");
        assert!(!session.has_pending_edits());
        assert!(!session.undo(), "nothing left to undo");
        assert!(session.redo());
        assert_eq!(session.field("name").unwrap().text, "Ali");
        assert!(session.redo());
        assert_eq!(session.field("age").unwrap().text, "31");
        assert!(!session.redo());
        assert_eq!(keys(&session.changeset().unwrap()), ["age", "name"]);
    }

    #[test]
    fn a_new_edit_after_undo_drops_the_redo_steps() {
        let mut session = session();
        session.set_text("name", "X");
        session.set_null("phoneNumber", true);
        session.undo();
        assert!(session.can_redo());
        session.set_text("age", "1");
        assert!(!session.can_redo());
        assert_eq!(keys(&session.changeset().unwrap()), ["age", "name"]);
    }

    #[test]
    fn undo_covers_null_revert_revert_all_and_added_properties() {
        let mut session = session();
        session.set_text("name", "X");
        session.set_null("age", true);
        session
            .add_property("level", PropertyType::Int, "1")
            .unwrap();
        session.set_new_text(0, "12");
        session.revert_all();
        assert!(!session.has_pending_edits());
        session.undo();
        assert_eq!(
            keys(&session.changeset().unwrap()),
            ["age", "level", "name"]
        );
        assert_eq!(session.changeset().unwrap().get("level"), Some(&json!(12)));
        session.undo();
        assert_eq!(session.new_properties()[0].text, "1");
        session.undo();
        assert!(session.new_properties().is_empty());
        session.undo();
        assert!(!session.field("age").unwrap().is_null);
        session.revert("name");
        session.undo();
        assert_eq!(session.field("name").unwrap().text, "X");
    }

    #[test]
    fn a_save_ends_the_undo_history_and_the_password_is_never_in_it() {
        let mut session = session();
        session.set_password("secret-99");
        session.set_password_confirm("secret-99");
        session.set_text("name", "X");
        assert!(!format!("{:?}", session.undo).contains("secret-99"));
        let sent = session.changeset().unwrap();
        session.begin_save(sent.clone());
        session.apply_saved(sent.apply_to(session.original()));
        assert!(!session.can_undo() && !session.can_redo());
    }

    #[test]
    fn import_sets_typed_values_as_one_undo_step() {
        let mut session = session();
        let applied = session.import_values(&[
            ("name".to_owned(), json!("Imported")),
            ("age".to_owned(), json!(44)),
            ("phoneNumber".to_owned(), serde_json::Value::Null),
            ("preferences".to_owned(), json!({"theme": "light"})),
            ("score".to_owned(), json!("not a number")),
            ("objectId".to_owned(), json!("X")),
        ]);
        assert_eq!(applied, ["name", "age", "phoneNumber", "preferences"]);
        let changes = session.changeset().unwrap();
        assert_eq!(
            keys(&changes),
            ["age", "name", "phoneNumber", "preferences"]
        );
        assert_eq!(changes.get("phoneNumber"), Some(&serde_json::Value::Null));
        session.undo();
        assert!(!session.has_pending_edits());
    }

    #[test]
    fn pending_edits_round_trip_into_a_new_session() {
        let mut session = session();
        session.set_text("age", "thirty");
        session.set_null("phoneNumber", true);
        session.set_password("secret-99");
        session.set_password_confirm("secret-99");
        session
            .add_property("level", PropertyType::Int, "7")
            .unwrap();
        let edits = session.pending_edits();
        let names: Vec<&str> = edits.iter().map(|edit| edit.name.as_str()).collect();
        assert_eq!(names, ["age", "level", "phoneNumber"], "never the password");
        assert_eq!(edits[0].base, Some(json!(30)));
        let mut restored = EditSession::new(schema(), alice());
        assert!(restored.restore_edits(&edits).is_empty());
        assert_eq!(restored.field("age").unwrap().text, "thirty");
        assert!(restored.field("phoneNumber").unwrap().is_null);
        assert_eq!(restored.new_properties()[0].kind, PropertyType::Int);
        assert_eq!(restored.pending_edits(), edits);
        assert!(restored.undo(), "restoring is one undo step");
        assert!(!restored.has_pending_edits());
    }

    #[test]
    fn rebase_takes_server_changes_keeps_mine_and_drops_what_was_resolved_to_theirs() {
        let mut session = session();
        session.set_text("name", "Mine");
        session.set_text("age", "40");
        let mut theirs = alice();
        theirs.set("name", json!("Theirs"));
        theirs.set("phoneNumber", json!("555-9999"));
        theirs.set("updated", json!(1_800_000_000_000_i64));
        session.rebase(theirs.clone(), &["name".to_owned()]);
        assert_eq!(session.original(), &theirs);
        assert_eq!(session.field("name").unwrap().text, "Theirs");
        assert_eq!(session.field("phoneNumber").unwrap().text, "555-9999");
        assert_eq!(keys(&session.changeset().unwrap()), ["age"]);
        assert!(!session.can_undo());
    }

    /// A session with work for every mutator: dirty fields (one that does not parse, one required and
    /// empty), an added property, a save in flight and an undone step (so redo has work).
    fn busy_session() -> EditSession {
        let mut session = session();
        session.set_text("age", "31");
        session
            .add_property("level", PropertyType::Int, "1")
            .unwrap();
        session.begin_save(session.changeset().unwrap());
        session.set_text("score", "1,5");
        session.set_text("name", "");
        session.set_text("phoneNumber", "555-0101");
        assert!(session.undo());
        session
    }

    type Mutator = (&'static str, fn(&mut EditSession));

    /// Every public operation that changes the buffers or the baseline, i.e. what a draft holds.
    const BUFFER_MUTATORS: [Mutator; 16] = [
        ("set_text", |s| s.set_text("name", "Bob")),
        ("set_text back to the saved value", |s| {
            s.set_text("age", "30")
        }),
        ("set_null", |s| s.set_null("bio", false)),
        ("type_into_null", |s| s.type_into_null("bio", "hello")),
        ("import_values", |s| {
            s.import_values(&[("name".to_owned(), json!("Imported"))]);
        }),
        ("restore_edits", |s| {
            s.restore_edits(&[PendingEdit {
                name: "name".to_owned(),
                text: "Drafted".to_owned(),
                is_null: false,
                new_kind: None,
                base: Some(json!("Alice Liddell")),
            }]);
        }),
        ("undo", |s| assert!(s.undo())),
        ("redo", |s| assert!(s.redo())),
        ("revert", |s| s.revert("age")),
        ("revert an added property", |s| s.revert("level")),
        ("revert_all", EditSession::revert_all),
        ("add_property", |s| {
            s.add_property("rank", PropertyType::Int, "2").unwrap();
        }),
        ("set_new_text", |s| s.set_new_text(0, "5")),
        ("set_new_null", |s| s.set_new_null(0, true)),
        ("apply_saved", |s| {
            let SaveState::Saving { changes, .. } = s.save_state().clone() else {
                panic!("no save in flight");
            };
            s.apply_saved(changes.apply_to(s.original()));
        }),
        ("rebase", |s| {
            let mut theirs = s.original().clone();
            theirs.set("name", json!("Theirs"));
            s.rebase(theirs, &[]);
        }),
    ];

    /// What a draft of the session would hold, and the buffers behind it.
    fn draft_view(session: &EditSession) -> (Vec<PendingEdit>, UserRecord, Buffers) {
        (
            session.pending_edits(),
            session.original().clone(),
            session.buffers.get().clone(),
        )
    }

    #[test]
    fn every_buffer_mutator_moves_the_revision() {
        for (name, mutate) in BUFFER_MUTATORS {
            let mut session = busy_session();
            let (before, view) = (session.revision(), draft_view(&session));
            mutate(&mut session);
            assert_ne!(draft_view(&session), view, "{name} changed nothing");
            assert!(
                session.revision() > before,
                "{name} changed the buffers without moving the revision (drafts would go stale)"
            );
        }
    }

    #[test]
    fn operations_that_leave_the_buffers_alone_keep_the_revision() {
        let untouched: [Mutator; 7] = [
            ("set_text to the same text", |s| s.set_text("name", "")),
            ("set_null to the same flag", |s| s.set_null("bio", true)),
            ("set_password", |s| s.set_password("secret-1")),
            ("set_password_confirm", |s| {
                s.set_password_confirm("secret-1")
            }),
            ("dismiss_banner", EditSession::dismiss_banner),
            ("save_started", |s| s.save_started(7)),
            ("apply_save_error", |s| {
                let SaveState::Saving { changes, .. } = s.save_state().clone() else {
                    panic!("no save in flight");
                };
                s.apply_save_error(&fault(3024, "Unable to update 'age'"), &changes);
            }),
        ];
        for (name, mutate) in untouched {
            let mut session = busy_session();
            let before = session.revision();
            mutate(&mut session);
            assert_eq!(session.revision(), before, "{name}");
        }
    }

    #[test]
    fn derived_problem_and_dirtiness_match_the_buffers_after_every_mutator() {
        for (name, mutate) in BUFFER_MUTATORS {
            let mut session = busy_session();
            mutate(&mut session);
            for (field_name, field) in session.fields() {
                let property = session.schema().get(field_name).unwrap();
                let saved = session.original().get(field_name);
                let fresh = FieldEdit::fresh(property, session.original());
                // Worked out from scratch, independently of `FieldEdit::edit`.
                let value = buffer_value(&property.ty, &field.text, field.is_null);
                let typed = (&field.text, field.is_null) != (&fresh.text, fresh.is_null);
                let dirty = typed
                    && !matches!(&value, Ok(value)
                        if same_meaning(&property.ty, saved.unwrap_or(&json!(null)), value));
                let problem = match &value {
                    Err(problem) => Some(problem.clone()),
                    Ok(Value::Null) if property.required => Some(FieldProblem::Required),
                    Ok(Value::Text(text)) if property.required && text.is_empty() => {
                        Some(FieldProblem::Required)
                    }
                    Ok(_) => None,
                };
                let problem = if typed {
                    problem
                } else {
                    fresh.problem.clone()
                };
                assert_eq!(field.problem(), problem.as_ref(), "{name}: {field_name}");
                assert_eq!(field.is_dirty(), dirty, "{name}: {field_name}");
                assert_eq!(session.is_dirty(field_name), dirty, "{name}: {field_name}");
            }
            for added in session.new_properties() {
                let derived = buffer_value(&added.kind, &added.text, added.is_null).err();
                assert_eq!(added.problem(), derived.as_ref(), "{name}: {}", added.name);
            }
        }
    }
}
