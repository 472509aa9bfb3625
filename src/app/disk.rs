//! The app's one disk worker: a named thread, fed by a channel, that writes files (owner-only and atomic,
//! through `private_file`), removes them and reads them (whole, or the tail of a log), so the UI thread
//! never waits on a disk. Writes and removals of one path that are still queued are coalesced, latest
//! wins, and jobs run one at a time in order, so an older content never lands after a newer one. Each
//! answer goes back over the channel its job names and wakes the UI. It knows no file formats: callers
//! serialize before and parse after. The app's side (answers, the notice, the flush on exit) is at the end.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, Read as _, Seek as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long closing the app waits for the queued writes (a draft typed right before closing) to land.
pub const EXIT_FLUSH_WAIT: Duration = Duration::from_secs(2);

/// Why a job was sent: decides where its answer is used and how a failure is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// `settings.json` or `keys.json`.
    Settings,
    /// An editor's draft (written or removed).
    Draft,
    /// An editor's draft, read when the editor opened; the ticket names that opening (`app::drafts`).
    DraftRead(u64),
    /// The change journal, read for the History window.
    HistoryLoad,
    /// The change journal, read to be exported to this path.
    HistoryExportRead(PathBuf),
    /// The History export of this many changes, written.
    HistoryExport(usize),
    /// The log's tail, read for "Copy diagnostics".
    Diagnostics,
    /// The profile, exported as JSON by the editor's file window.
    ProfileExport,
    /// A JSON file read for the editor's import.
    ProfileImport,
}

/// What to do with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskJob {
    /// Replace the file with these bytes (owner-only, atomic).
    Write(Vec<u8>),
    /// Remove the file; a missing file is fine.
    Remove,
    /// Read the file, or only its last `tail_bytes` when set.
    Read {
        /// At most this many bytes from the end; `None`: the whole file.
        tail_bytes: Option<u64>,
    },
}

impl DiskJob {
    /// Whether the job changes the file (and so may replace a queued change of the same file).
    fn is_change(&self) -> bool {
        matches!(self, Self::Write(_) | Self::Remove)
    }
}

/// What a job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskDone {
    /// The file now holds the bytes.
    Written,
    /// The file is gone (or was not there).
    Removed,
    /// The file's bytes (its tail when one was asked for).
    Read {
        /// The bytes read.
        bytes: Vec<u8>,
        /// Whether the tail starts inside the file (its first line is likely cut).
        starts_mid_file: bool,
    },
}

/// The answer to one job.
#[derive(Debug)]
pub struct DiskAnswer {
    /// The job's purpose, as sent.
    pub purpose: Purpose,
    /// The job's file.
    pub path: PathBuf,
    /// What happened.
    pub result: io::Result<DiskDone>,
}

/// One job on its way to the worker, with where its answer goes.
struct Envelope {
    purpose: Purpose,
    path: PathBuf,
    job: DiskJob,
    reply: Sender<DiskAnswer>,
}

// -------------------------------------------------------------------------------------------------
// The queue (pure: no thread, no I/O).

/// Jobs in the order they were sent, where a change of a path that is still queued takes the queued
/// change's place (latest wins, in the older one's turn). Reads are never merged: each is answered.
#[derive(Debug)]
pub(crate) struct JobQueue<T> {
    /// Slots in turn order.
    order: VecDeque<u64>,
    /// The item of each queued slot.
    items: HashMap<u64, T>,
    /// The slot of the queued change of each path.
    change_of: HashMap<PathBuf, u64>,
    /// The next slot number.
    next_slot: u64,
}

impl<T> Default for JobQueue<T> {
    fn default() -> Self {
        Self {
            order: VecDeque::new(),
            items: HashMap::new(),
            change_of: HashMap::new(),
            next_slot: 0,
        }
    }
}

impl<T> JobQueue<T> {
    /// Queues `item`; a change (`change_path` set) replaces a queued change of the same path, which is
    /// returned (it will never run).
    pub(crate) fn push(&mut self, change_path: Option<&Path>, item: T) -> Option<T> {
        if let Some(path) = change_path
            && let Some(slot) = self.change_of.get(path)
        {
            return self.items.insert(*slot, item);
        }
        let slot = self.next_slot;
        self.next_slot += 1;
        self.order.push_back(slot);
        self.items.insert(slot, item);
        if let Some(path) = change_path {
            self.change_of.insert(path.to_owned(), slot);
        }
        None
    }

    /// The next item to run; from here on, a new change of its path is queued anew (after it).
    pub(crate) fn pop(&mut self) -> Option<T> {
        let slot = self.order.pop_front()?;
        self.change_of.retain(|_, queued| *queued != slot);
        self.items.remove(&slot)
    }

    /// How many items are queued.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.order.len()
    }
}

// -------------------------------------------------------------------------------------------------
// The worker.

/// What a file will hold once its queued change is done (`None`: removed).
pub type Upcoming = Option<Arc<[u8]>>;

/// What the handles and the worker share: the queued work's count (for the idle wait) and what the
/// queued changes will leave on disk.
#[derive(Default)]
struct Shared {
    state: Mutex<SharedState>,
    /// Signalled whenever `pending` drops (and when a test releases the worker).
    changed: Condvar,
}

#[derive(Default)]
struct SharedState {
    /// Jobs sent and not yet done (run, or replaced by a newer change).
    pending: usize,
    /// Per path with a change sent and not yet done: the content it will leave (`None`: removed),
    /// tagged with the change's number so an older change's end does not drop a newer one's entry.
    upcoming: HashMap<PathBuf, (u64, Upcoming)>,
    /// Numbers the changes.
    next_change: u64,
    /// Tests: while set, the worker waits before running its next job (a slow disk).
    #[cfg(feature = "test-hooks")]
    held: bool,
    /// Tests: writes to these paths fail once their temporary file is complete, before the rename.
    #[cfg(feature = "test-hooks")]
    failing: Vec<PathBuf>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, SharedState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `count` jobs are done (run or replaced).
    fn done(&self, count: usize) {
        let mut state = self.lock();
        state.pending = state.pending.saturating_sub(count);
        drop(state);
        self.changed.notify_all();
    }
}

/// Sends jobs to the disk worker. Cheap to clone; answers go to the channel it was made with.
#[derive(Clone)]
pub struct DiskHandle {
    jobs: Sender<(Envelope, u64)>,
    shared: Arc<Shared>,
    reply: Sender<DiskAnswer>,
}

impl std::fmt::Debug for DiskHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiskHandle").finish_non_exhaustive()
    }
}

impl DiskHandle {
    /// The same worker, answering on `reply` instead (a view that drains its own answers).
    pub fn replying_to(&self, reply: Sender<DiskAnswer>) -> Self {
        Self {
            jobs: self.jobs.clone(),
            shared: Arc::clone(&self.shared),
            reply,
        }
    }

    /// Replaces `path` with `bytes`, owner-only and atomically.
    pub fn write(&self, purpose: Purpose, path: PathBuf, bytes: Vec<u8>) {
        self.send(purpose, path, DiskJob::Write(bytes));
    }

    /// Removes `path`; a missing file is fine.
    pub fn remove(&self, purpose: Purpose, path: PathBuf) {
        self.send(purpose, path, DiskJob::Remove);
    }

    /// Reads `path` whole.
    pub fn read(&self, purpose: Purpose, path: PathBuf) {
        self.send(purpose, path, DiskJob::Read { tail_bytes: None });
    }

    /// Reads the last `tail_bytes` of `path`.
    pub fn read_tail(&self, purpose: Purpose, path: PathBuf, tail_bytes: u64) {
        let job = DiskJob::Read {
            tail_bytes: Some(tail_bytes),
        };
        self.send(purpose, path, job);
    }

    /// What `path` will hold once the queued changes of it are done: `None` when none is queued (the
    /// disk is up to date), `Some(None)` when it will be removed. Lets a reader on the UI thread see a
    /// change that is still on its way.
    pub fn upcoming(&self, path: &Path) -> Option<Upcoming> {
        self.shared
            .lock()
            .upcoming
            .get(path)
            .map(|(_, content)| content.clone())
    }

    /// Waits until every job sent so far is done, at most `timeout`; `true` when it is.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        while state.pending > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// How many jobs are sent and not yet done.
    pub fn pending(&self) -> usize {
        self.shared.lock().pending
    }

    fn send(&self, purpose: Purpose, path: PathBuf, job: DiskJob) {
        let number = {
            let mut state = self.shared.lock();
            state.pending += 1;
            let number = state.next_change;
            state.next_change += 1;
            match &job {
                DiskJob::Write(bytes) => {
                    let content = Some(Arc::from(bytes.as_slice()));
                    state.upcoming.insert(path.clone(), (number, content));
                }
                DiskJob::Remove => {
                    state.upcoming.insert(path.clone(), (number, None));
                }
                DiskJob::Read { .. } => {}
            }
            number
        };
        let envelope = Envelope {
            purpose,
            path,
            job,
            reply: self.reply.clone(),
        };
        if let Err(std::sync::mpsc::SendError((envelope, number))) =
            self.jobs.send((envelope, number))
        {
            finished(&self.shared, &envelope.path, number);
            envelope
                .reply
                .send(DiskAnswer {
                    purpose: envelope.purpose,
                    path: envelope.path,
                    result: Err(io::Error::other("the disk worker has stopped")),
                })
                .ok();
        }
    }

    /// Tests: holds the worker before its next job (a slow disk) until [`DiskHandle::release`].
    #[cfg(feature = "test-hooks")]
    pub fn hold(&self) {
        self.shared.lock().held = true;
    }

    /// Tests: lets a held worker go on.
    #[cfg(feature = "test-hooks")]
    pub fn release(&self) {
        self.shared.lock().held = false;
        self.shared.changed.notify_all();
    }

    /// Tests: every write to `path` from now on fails half way (the temporary file complete, not yet
    /// renamed over `path`).
    #[cfg(feature = "test-hooks")]
    pub fn fail_writes_to(&self, path: PathBuf) {
        self.shared.lock().failing.push(path);
    }
}

/// A change (or read) numbered `number` of `path` is done: its upcoming entry goes unless a newer change
/// replaced it; the pending count drops.
fn finished(shared: &Shared, path: &Path, number: u64) {
    let mut state = shared.lock();
    if state
        .upcoming
        .get(path)
        .is_some_and(|(newest, _)| *newest == number)
    {
        state.upcoming.remove(path);
    }
    drop(state);
    shared.done(1);
}

/// The disk worker's thread and the app's answer channel. Dropping it (and every handle) ends the thread.
pub struct DiskWorker {
    handle: DiskHandle,
    answers: Receiver<DiskAnswer>,
    /// Set once the app flushed on exit (eframe's `on_exit`), so dropping it afterwards does not again.
    exit_flushed: bool,
}

impl DiskWorker {
    /// Starts the worker thread; each answer wakes `ctx`.
    pub fn spawn(ctx: egui::Context) -> io::Result<Self> {
        let (jobs, inbox) = std::sync::mpsc::channel();
        let (reply, answers) = std::sync::mpsc::channel();
        let shared = Arc::new(Shared::default());
        let for_thread = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("disk".to_owned())
            .spawn(move || run(&inbox, &for_thread, &ctx))?;
        Ok(Self {
            handle: DiskHandle {
                jobs,
                shared,
                reply,
            },
            answers,
            exit_flushed: false,
        })
    }

    /// A handle whose answers come to [`DiskWorker::try_answer`].
    pub fn handle(&self) -> &DiskHandle {
        &self.handle
    }

    /// The next answer for the app, if one is there.
    pub fn try_answer(&self) -> Option<DiskAnswer> {
        self.answers.try_recv().ok()
    }
}

/// The worker's loop: waits for a job, takes every job already sent into the queue (merging changes),
/// runs the next one, and so on until every sender is gone.
fn run(inbox: &Receiver<(Envelope, u64)>, shared: &Shared, ctx: &egui::Context) {
    let mut queue = JobQueue::default();
    let take = |queue: &mut JobQueue<(Envelope, u64)>, (envelope, number): (Envelope, u64)| {
        let change = envelope.job.is_change().then(|| envelope.path.clone());
        if let Some((replaced, replaced_number)) = queue.push(change.as_deref(), (envelope, number))
        {
            finished(shared, &replaced.path, replaced_number);
        }
    };
    while let Ok(first) = inbox.recv() {
        take(&mut queue, first);
        loop {
            while let Ok(next) = inbox.try_recv() {
                take(&mut queue, next);
            }
            let Some((envelope, number)) = queue.pop() else {
                break;
            };
            #[cfg(feature = "test-hooks")]
            {
                let mut state = shared.lock();
                while state.held {
                    state = shared
                        .changed
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            }
            // A failure is handled (logged, shown) by whoever gets the answer.
            let result = perform(shared, &envelope.path, envelope.job);
            envelope
                .reply
                .send(DiskAnswer {
                    purpose: envelope.purpose,
                    path: envelope.path.clone(),
                    result,
                })
                .ok();
            finished(shared, &envelope.path, number);
            ctx.request_repaint();
        }
    }
}

/// Does one job.
fn perform(shared: &Shared, path: &Path, job: DiskJob) -> io::Result<DiskDone> {
    #[cfg(not(feature = "test-hooks"))]
    let _ = shared;
    match job {
        DiskJob::Write(bytes) => {
            #[cfg(feature = "test-hooks")]
            let fails = shared.lock().failing.iter().any(|failing| failing == path);
            #[cfg(not(feature = "test-hooks"))]
            let fails = false;
            crate::private_file::write_checked(path, &bytes, || {
                if fails {
                    Err(io::Error::other("the write was made to fail half way"))
                } else {
                    Ok(())
                }
            })?;
            Ok(DiskDone::Written)
        }
        DiskJob::Remove => match std::fs::remove_file(path) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(DiskDone::Removed),
        },
        DiskJob::Read { tail_bytes: None } => Ok(DiskDone::Read {
            bytes: std::fs::read(path)?,
            starts_mid_file: false,
        }),
        DiskJob::Read {
            tail_bytes: Some(tail_bytes),
        } => {
            let mut file = File::open(path)?;
            let start = file.metadata()?.len().saturating_sub(tail_bytes);
            file.seek(io::SeekFrom::Start(start))?;
            let mut bytes = Vec::new();
            file.take(tail_bytes).read_to_end(&mut bytes)?;
            Ok(DiskDone::Read {
                bytes,
                starts_mid_file: start > 0,
            })
        }
    }
}

// -------------------------------------------------------------------------------------------------
// The app's side: answers, the notice of a failed write, the flush on exit.

/// A write that failed, shown at the bottom of the window until dismissed or the same kind of write
/// succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskNotice {
    /// What failed ([`Purpose::Settings`] or [`Purpose::Draft`]).
    purpose: Purpose,
    /// The sentence shown.
    message: String,
}

/// The notice's Dismiss button.
pub const DISMISS_NOTICE: &str = "Dismiss";

impl super::App {
    /// Takes the disk worker's answers (called in `logic`; each answer woke the UI).
    pub(super) fn disk_answers(&mut self) {
        while let Some(answer) = self.disk.try_answer() {
            let DiskAnswer {
                purpose,
                path,
                result,
            } = answer;
            match purpose {
                Purpose::Settings | Purpose::Draft => self.write_answered(purpose, &path, result),
                Purpose::DraftRead(ticket) => self.draft_read(ticket, result),
                Purpose::HistoryLoad => self.history_read(result),
                Purpose::HistoryExportRead(to) => self.history_export_read(to, result),
                Purpose::HistoryExport(count) => self.history_exported(count, &path, result),
                Purpose::Diagnostics => self.log_tail_read(result),
                // The editor's file window drains its own answers.
                Purpose::ProfileExport | Purpose::ProfileImport => {}
            }
        }
    }

    /// A settings or draft write answered: a failure is logged and shown; a success clears the notice
    /// of the same kind.
    fn write_answered(&mut self, purpose: Purpose, path: &Path, result: io::Result<DiskDone>) {
        match result {
            Ok(_) => {
                if self
                    .disk_notice
                    .as_ref()
                    .is_some_and(|notice| notice.purpose == purpose)
                {
                    self.disk_notice = None;
                }
            }
            Err(error) => {
                let message = if purpose == Purpose::Settings {
                    tracing::error!("cannot save the settings: {error} in {}", path.display());
                    format!(
                        "Your settings could not be saved ({error}): they last until the app closes. \
                         Folder: {}",
                        path.parent().unwrap_or(path).display()
                    )
                } else {
                    tracing::error!(
                        "cannot keep the draft of unsaved changes: {error} in {}",
                        path.display()
                    );
                    format!(
                        "Your unsaved changes could not be kept on disk ({error}): save them to \
                         the server. Folder: {}",
                        path.parent().unwrap_or(path).display()
                    )
                };
                self.disk_notice = Some(DiskNotice { purpose, message });
            }
        }
    }

    /// The notice of a failed write, at the bottom of the window.
    pub(super) fn disk_notice_ui(&mut self, ui: &mut egui::Ui) {
        let Some(notice) = &self.disk_notice else {
            return;
        };
        let mut dismissed = false;
        egui::Panel::bottom("disk_notice").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(ui.visuals().error_fg_color, &notice.message);
                dismissed = ui.button(DISMISS_NOTICE).clicked();
            });
        });
        if dismissed {
            self.disk_notice = None;
        }
    }

    /// The window closes or the app is dropped (whichever comes first; once): the open editors' drafts
    /// are brought up to date and the queued writes get up to [`EXIT_FLUSH_WAIT`] to land.
    pub(super) fn flush_to_disk(&mut self) {
        if std::mem::replace(&mut self.disk.exit_flushed, true) {
            return;
        }
        if let Some(editor) = &self.editor {
            self.drafts.flush(editor);
        }
        if let Some(editor) = &mut self.record_editor {
            editor.flush_draft();
        }
        let disk = self.disk.handle();
        if !disk.wait_idle(EXIT_FLUSH_WAIT) {
            tracing::error!(
                "closing with {} file write(s) not done after {} s",
                disk.pending(),
                EXIT_FLUSH_WAIT.as_secs()
            );
        }
    }

    /// The disk worker, to hold it (a slow disk), fail its writes or see whether it is idle (`test-hooks`
    /// feature only).
    #[cfg(feature = "test-hooks")]
    pub fn disk(&self) -> &DiskHandle {
        self.disk.handle()
    }
}

impl Drop for super::App {
    fn drop(&mut self) {
        self.flush_to_disk();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(queue: &mut JobQueue<&'static str>) -> Vec<&'static str> {
        std::iter::from_fn(|| queue.pop()).collect()
    }

    #[test]
    fn ten_quick_changes_of_one_path_become_one_with_the_newest_content() {
        let mut queue = JobQueue::default();
        let contents = ["v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9"];
        let path = Path::new("/data/drafts/a.json");
        let replaced: Vec<_> = contents
            .iter()
            .filter_map(|content| queue.push(Some(path), *content))
            .collect();
        assert_eq!(queue.len(), 1);
        assert_eq!(replaced, &contents[..9], "every older change is dropped");
        assert_eq!(drain(&mut queue), ["v9"]);
    }

    #[test]
    fn a_change_keeps_the_turn_of_the_change_it_replaces_and_other_paths_keep_their_order() {
        let mut queue = JobQueue::default();
        let a = Path::new("/a");
        let b = Path::new("/b");
        queue.push(Some(a), "a1");
        queue.push(Some(b), "b1");
        queue.push(None, "read a");
        queue.push(Some(a), "a2");
        assert_eq!(drain(&mut queue), ["a2", "b1", "read a"]);
    }

    #[test]
    fn a_change_sent_after_its_path_was_taken_runs_after_it_never_before() {
        let mut queue = JobQueue::default();
        let a = Path::new("/a");
        queue.push(Some(a), "a1");
        assert_eq!(queue.pop(), Some("a1"));
        // "a1" is being written; "a2" must not join it (it would be lost) but come next.
        assert_eq!(queue.push(Some(a), "a2"), None);
        assert_eq!(queue.push(Some(a), "a3"), Some("a2"));
        assert_eq!(drain(&mut queue), ["a3"]);
    }

    #[test]
    fn reads_are_never_merged() {
        let mut queue = JobQueue::default();
        queue.push(None, "read 1");
        queue.push(None, "read 2");
        assert_eq!(drain(&mut queue), ["read 1", "read 2"]);
    }

    #[test]
    fn a_removal_replaces_a_queued_write_and_a_write_a_queued_removal() {
        let mut queue = JobQueue::default();
        let a = Path::new("/a");
        queue.push(Some(a), "write");
        queue.push(Some(a), "remove");
        assert_eq!(drain(&mut queue), ["remove"]);
        queue.push(Some(a), "remove");
        queue.push(Some(a), "write");
        assert_eq!(drain(&mut queue), ["write"]);
    }

    #[test]
    fn the_worker_writes_the_newest_content_and_answers_each_job_it_ran() {
        let dir = tempfile::tempdir().unwrap();
        let worker = DiskWorker::spawn(egui::Context::default()).unwrap();
        let disk = worker.handle();
        let path = dir.path().join("sub/file.json");
        for n in 0..10 {
            disk.write(Purpose::Draft, path.clone(), format!("v{n}").into_bytes());
        }
        assert!(disk.wait_idle(Duration::from_secs(10)));
        assert_eq!(std::fs::read(&path).unwrap(), b"v9");
        assert!(disk.upcoming(&path).is_none());
        let answers: Vec<_> = std::iter::from_fn(|| worker.try_answer()).collect();
        assert!((1..=10).contains(&answers.len()), "{answers:?}");
        assert!(answers.iter().all(|answer| answer.result.is_ok()));

        disk.read_tail(Purpose::Diagnostics, path.clone(), 1);
        disk.remove(Purpose::Draft, path.clone());
        disk.remove(Purpose::Draft, dir.path().join("missing"));
        assert!(disk.wait_idle(Duration::from_secs(10)));
        let answers: Vec<_> = std::iter::from_fn(|| worker.try_answer()).collect();
        assert_eq!(
            answers[0].result.as_ref().unwrap(),
            &DiskDone::Read {
                bytes: b"9".to_vec(),
                starts_mid_file: true
            }
        );
        assert!(answers[1..].iter().all(|answer| answer.result.is_ok()));
        assert!(!path.exists());
    }
}
