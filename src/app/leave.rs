//! Leaving with unsaved edits: the question asked before logging out, reloading or closing the window
//! drops the open editor's edits, the "save first, then do it" that may follow, and whether the window may
//! close. Pure data owned by `AppState`, which makes every decision about it (`AppState::begin_leave`,
//! `answer_leave`, `close_requested`, the session's end); `App` only draws the question and feeds back the
//! answer. No egui, no I/O.

/// What the user asked for that would drop the open editor's edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// "Log out" (the top bar or the editor).
    Logout,
    /// "Reload" in the editor.
    Reload,
    /// The window's close button.
    Close,
}

/// The user's answer to the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Save the edits first; the intent is carried out once that save has succeeded.
    Save,
    /// Drop the edits (and their draft), then carry out the intent.
    Discard,
    /// Keep editing; nothing happens.
    Cancel,
}

/// The question to show, as `AppState` decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question {
    /// What waits for the answer.
    pub intent: Intent,
    /// Whether "Save" is offered: only while a session can take the save (not under the re-login prompt).
    pub can_save: bool,
}

/// The state of leaving; every field is changed by `AppState` only.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Leave {
    /// The open question and the intent waiting for the own editor's save. The question is cleared by its
    /// answer, and (except closing) by the end of the session it was about; the "save first" by that save,
    /// its failure, a review that was cancelled (the editor is idle again), or the end of the session.
    pub(crate) question: SaveFirst<Intent>,
    /// The user agreed to close the window (nothing pending, or discarded); never cleared.
    pub(crate) close_allowed: bool,
}

/// What an answer to the question leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<I> {
    /// Open the editor's review; what was asked for waits for the save (see [`SaveFirst::saved`]).
    ReviewSave,
    /// Drop the edits and do it now.
    Go(I),
    /// Nothing happens (cancelled, or no question was open).
    Stay,
}

/// One unsaved-changes question and its "save first", whatever waits (`I`): the app's [`Intent`]s (inside
/// `AppState`), the record editor's "Back to users" and "Reload". Pure; the owner draws the question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveFirst<I> {
    /// The open question; cleared by its answer.
    asking: Option<I>,
    /// "Save" was answered: this waits for the save. Cleared by the save, or [`SaveFirst::forget_save`].
    after_save: Option<I>,
}

impl<I> Default for SaveFirst<I> {
    fn default() -> Self {
        Self {
            asking: None,
            after_save: None,
        }
    }
}

impl<I: Copy> SaveFirst<I> {
    /// Asks before `what` (pending edits would be lost); replaces an open question.
    pub fn ask(&mut self, what: I) {
        self.asking = Some(what);
    }

    /// The open question, if any.
    pub fn asking(&self) -> Option<I> {
        self.asking
    }

    /// The user answered the open question.
    pub fn answer(&mut self, answer: Answer) -> Step<I> {
        let Some(what) = self.asking.take() else {
            return Step::Stay;
        };
        match answer {
            Answer::Save => {
                self.after_save = Some(what);
                Step::ReviewSave
            }
            Answer::Discard => Step::Go(what),
            Answer::Cancel => Step::Stay,
        }
    }

    /// The editor's save succeeded; `pending_edits`: whether edits are still pending (typed while it was in
    /// flight). Returns what waited for it, unless something would still be lost.
    pub fn saved(&mut self, pending_edits: bool) -> Option<I> {
        self.after_save.take().filter(|_| !pending_edits)
    }

    /// Whether something waits for a save.
    pub fn waits_for_save(&self) -> bool {
        self.after_save.is_some()
    }

    /// The save failed, or its review was cancelled: what waited for it no longer does.
    pub fn forget_save(&mut self) {
        self.after_save = None;
    }

    /// Keeps the open question only if `keep` says so (the session it was about has ended).
    pub fn keep_question_if(&mut self, keep: impl FnOnce(I) -> bool) {
        self.asking = self.asking.filter(|what| keep(*what));
    }

    /// Drops the question and what waited for a save (the user left anyway).
    pub fn clear(&mut self) {
        self.asking = None;
        self.after_save = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_stays_and_forgets_the_question() {
        let mut leave = SaveFirst::default();
        assert_eq!(leave.answer(Answer::Discard), Step::Stay, "nothing asked");
        leave.ask(Intent::Logout);
        assert_eq!(leave.asking(), Some(Intent::Logout));
        assert_eq!(leave.answer(Answer::Cancel), Step::Stay);
        assert_eq!(leave.asking(), None);
        assert!(!leave.waits_for_save());
    }

    #[test]
    fn discard_goes_at_once() {
        let mut leave = SaveFirst::default();
        leave.ask(Intent::Reload);
        assert_eq!(leave.answer(Answer::Discard), Step::Go(Intent::Reload));
        assert_eq!(leave.asking(), None);
        assert!(!leave.waits_for_save());
    }

    #[test]
    fn save_first_goes_after_a_save_that_left_nothing_pending() {
        let mut leave = SaveFirst::default();
        leave.ask(Intent::Close);
        assert_eq!(leave.answer(Answer::Save), Step::ReviewSave);
        assert!(leave.waits_for_save());
        assert_eq!(leave.saved(false), Some(Intent::Close));
        assert_eq!(leave.saved(false), None, "once");

        leave.ask(Intent::Close);
        leave.answer(Answer::Save);
        assert_eq!(
            leave.saved(true),
            None,
            "edits typed meanwhile would be lost"
        );
        assert!(!leave.waits_for_save());

        leave.ask(Intent::Logout);
        leave.answer(Answer::Save);
        leave.forget_save();
        assert_eq!(leave.saved(false), None, "failed or review cancelled");
    }

    #[test]
    fn a_question_is_kept_only_where_asked_and_clear_drops_everything() {
        let mut leave = SaveFirst::default();
        leave.ask(Intent::Logout);
        leave.keep_question_if(|what| what == Intent::Close);
        assert_eq!(leave.asking(), None);
        leave.ask(Intent::Close);
        leave.keep_question_if(|what| what == Intent::Close);
        assert_eq!(leave.asking(), Some(Intent::Close));
        leave.answer(Answer::Save);
        leave.ask(Intent::Logout);
        leave.clear();
        assert_eq!(leave.asking(), None);
        assert!(!leave.waits_for_save());
    }
}
