//! What the Users browser asks for and what it gets back: the one request enum the view emits and the
//! worker runs (`app::users::run`), the one answer enum that comes back to `UsersView::answer`, and the
//! tickets that tell a current answer from a stale one. Every request carries a [`Ticket`] and its answer
//! repeats it; [`Tickets`] is what the view awaits, so anything else (a superseded query, a page asked for
//! again, a record for a closed inspector) is dropped in one check. Pure: no egui, no I/O.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::export::{ExportControl, ExportError, ExportFormat, ExportSummary};
use super::manage::{AdminAnswer, AdminFailure, AdminRequest};
use super::query::UsersQuery;
use crate::backendless::client::{FindQuery, FindRow};
use crate::backendless::error::ApiError;
use crate::backendless::wire::PropertyDescriptor;
use crate::model::ids::ObjectId;
use crate::model::record::UserRecord;

/// Names one request of the Users browser's kind; its answer repeats it. The browser's are issued by
/// [`Tickets::issue`] and never reused within one view; the app's own (a read it makes for another window,
/// e.g. History's revert) are [`Ticket::for_app`], which no view ever awaits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(u64);

/// The bit of a [`Ticket`] that says the app asked, not a view: a view's tickets count up from 1 and
/// never reach it, so an app ticket is never one a view awaits (and the ticket stays one word).
const APP_ASKED: u64 = 1 << 63;

impl Ticket {
    /// A browser ticket with this number (answers built outside a view: tests, the state machine's own
    /// tests).
    pub const fn new(number: u64) -> Self {
        Self(number & !APP_ASKED)
    }

    /// The app's own ticket `number`: its answer is the app's, never a view's.
    pub const fn for_app(number: u64) -> Self {
        Self(number | APP_ASKED)
    }
}

/// One thing the Users browser needs from the server (or the desktop).
#[derive(Debug, Clone)]
pub enum UsersRequest {
    /// `users/userclassprops` again: a page showed a property the browser's schema does not describe.
    Schema {
        /// Repeated in the answer.
        ticket: Ticket,
    },
    /// `data/Users/count` of the current query.
    Count {
        /// Repeated in the answer.
        ticket: Ticket,
        /// The query's `where` clause.
        where_clause: Option<String>,
    },
    /// One page of `data/Users`.
    Page {
        /// Repeated in the answer.
        ticket: Ticket,
        /// The page index.
        page: usize,
        /// The request (where, sortBy, pageSize, offset).
        query: FindQuery,
    },
    /// `data/Users/{objectId}`: a related record opened from the inspector, or a record read again
    /// before it is edited.
    Record {
        /// Repeated in the answer.
        ticket: Ticket,
        /// The record's id.
        object_id: ObjectId,
    },
    /// The native save dialog (`rfd`), run off the UI thread.
    PickExportPath {
        /// Repeated in the answer.
        ticket: Ticket,
        /// For the file type filter.
        format: ExportFormat,
        /// Suggested file name.
        file_name: String,
    },
    /// Export the query to `path` (`users_admin::export`).
    Export {
        /// Repeated in the answer.
        ticket: Ticket,
        /// Where to write.
        path: PathBuf,
        /// CSV or JSON.
        format: ExportFormat,
        /// Filter and sort.
        query: UsersQuery,
        /// Chosen columns.
        columns: Vec<String>,
        /// Progress and Cancel, shared with the view.
        control: Arc<ExportControl>,
    },
    /// Something the admin does to users (status, roles, delete, create, bulk); see
    /// [`super::manage`]. The worker runs it with the connection's CloudCode key and the app's data dir.
    Admin {
        /// Repeated in the answer.
        ticket: Ticket,
        /// What to do.
        request: AdminRequest,
    },
}

impl UsersRequest {
    /// The ticket its answer repeats.
    pub fn ticket(&self) -> Ticket {
        match self {
            Self::Schema { ticket }
            | Self::Count { ticket, .. }
            | Self::Page { ticket, .. }
            | Self::Record { ticket, .. }
            | Self::PickExportPath { ticket, .. }
            | Self::Export { ticket, .. }
            | Self::Admin { ticket, .. } => *ticket,
        }
    }

    /// Whether the request needs a client (everything but the dialog).
    pub fn needs_server(&self) -> bool {
        !matches!(self, Self::PickExportPath { .. })
    }
}

/// The answer to a [`UsersRequest`], repeating its ticket.
#[derive(Debug, Clone, PartialEq)]
pub enum UsersAnswer {
    /// The Users schema, read again.
    Schema {
        /// Repeated from the request.
        ticket: Ticket,
        /// The descriptors or why not.
        result: Result<Vec<PropertyDescriptor>, ApiError>,
    },
    /// The count of the query asked about.
    Count {
        /// Repeated from the request.
        ticket: Ticket,
        /// The count or why not.
        result: Result<u64, ApiError>,
    },
    /// One page.
    Page {
        /// Repeated from the request.
        ticket: Ticket,
        /// Repeated from the request.
        page: usize,
        /// The rows (each a record or why that row could not be read), or why the page could not be had.
        result: Result<Vec<FindRow>, ApiError>,
    },
    /// The record asked for by [`UsersRequest::Record`].
    Record {
        /// Repeated from the request.
        ticket: Ticket,
        /// Repeated from the request.
        object_id: ObjectId,
        /// The record or why not.
        result: Result<UserRecord, ApiError>,
    },
    /// The dialog closed.
    ExportPath {
        /// Repeated from the request.
        ticket: Ticket,
        /// The chosen path, or `None` when nothing was chosen (or no dialog could be shown).
        path: Option<PathBuf>,
    },
    /// The export ended.
    Exported {
        /// Repeated from the request.
        ticket: Ticket,
        /// What was written or why not.
        result: Result<ExportSummary, ExportError>,
    },
    /// An admin request ended.
    Admin {
        /// Repeated from the request.
        ticket: Ticket,
        /// How it went.
        answer: AdminAnswer,
    },
}

impl UsersAnswer {
    /// The ticket of the request answered.
    pub fn ticket(&self) -> Ticket {
        match self {
            Self::Schema { ticket, .. }
            | Self::Count { ticket, .. }
            | Self::Page { ticket, .. }
            | Self::Record { ticket, .. }
            | Self::ExportPath { ticket, .. }
            | Self::Exported { ticket, .. }
            | Self::Admin { ticket, .. } => *ticket,
        }
    }

    /// The API error inside, if any (the app checks it for a session end).
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Schema {
                result: Err(error), ..
            }
            | Self::Count {
                result: Err(error), ..
            }
            | Self::Page {
                result: Err(error), ..
            }
            | Self::Record {
                result: Err(error), ..
            }
            | Self::Exported {
                result: Err(ExportError::Api(error)),
                ..
            } => Some(error),
            Self::Admin { answer, .. } => answer.api_error(),
            _ => None,
        }
    }

    /// The answer when `request` could not be run (no client could be built for the connection).
    pub fn failed(request: &UsersRequest, error: ApiError) -> Self {
        let ticket = request.ticket();
        match request {
            UsersRequest::Schema { .. } => Self::Schema {
                ticket,
                result: Err(error),
            },
            UsersRequest::Count { .. } => Self::Count {
                ticket,
                result: Err(error),
            },
            UsersRequest::Page { page, .. } => Self::Page {
                ticket,
                page: *page,
                result: Err(error),
            },
            UsersRequest::Record { object_id, .. } => Self::Record {
                ticket,
                object_id: object_id.clone(),
                result: Err(error),
            },
            UsersRequest::PickExportPath { .. } => Self::ExportPath { ticket, path: None },
            UsersRequest::Export { .. } => Self::Exported {
                ticket,
                result: Err(ExportError::Api(error)),
            },
            UsersRequest::Admin { request, .. } => Self::Admin {
                ticket,
                answer: AdminAnswer::failed(request, AdminFailure::Api(error)),
            },
        }
    }
}

/// What the browser hands the app after a frame.
#[derive(Debug)]
pub enum UsersOutcome {
    /// Send this request to the worker.
    Send(UsersRequest),
    /// Remember this column choice in the settings (not a request: nothing answers it).
    Columns(Vec<String>),
}

/// What the view does with the answer to one ticket.
#[derive(Debug, Clone, PartialEq)]
pub enum Awaited {
    /// The schema read again.
    Schema,
    /// The count of the current query.
    Count,
    /// Page `page` of the current query.
    Page {
        /// The page index.
        page: usize,
    },
    /// A related record, opened from the inspector.
    Related {
        /// The related record's id.
        object_id: ObjectId,
    },
    /// A record read again before it is edited; `copy` (the inspector's) is edited if the read fails.
    Edit {
        /// The record as the view had it.
        copy: Box<UserRecord>,
    },
    /// The save dialog's path.
    ExportPath,
    /// The end of an export.
    Export,
    /// The end of an admin request.
    Admin,
}

impl Awaited {
    /// Whether asking for `newer` makes the answer to `self` useless: a count or a page asked for again
    /// (a new query, a refresh, a retry), another related record or another record to edit.
    fn is_superseded_by(&self, newer: &Self) -> bool {
        match (self, newer) {
            (Self::Count, Self::Count)
            | (Self::Related { .. }, Self::Related { .. })
            | (Self::Edit { .. }, Self::Edit { .. }) => true,
            (Self::Page { page, .. }, Self::Page { page: newer, .. }) => page == newer,
            _ => false,
        }
    }
}

/// The requests a view has sent and still awaits, by ticket. An answer is applied only when its ticket is
/// here ([`Tickets::accept`]); everything else is stale and dropped.
#[derive(Debug, Default)]
pub struct Tickets {
    /// The number of the last ticket issued.
    last: u64,
    /// What each awaited ticket is for; removed when answered or superseded.
    awaiting: BTreeMap<Ticket, Awaited>,
}

impl Tickets {
    /// A fresh ticket for a request for `awaited`; an earlier request it supersedes is no longer awaited.
    pub fn issue(&mut self, awaited: Awaited) -> Ticket {
        self.awaiting
            .retain(|_, old| !old.is_superseded_by(&awaited));
        self.last += 1;
        let ticket = Ticket::new(self.last);
        self.awaiting.insert(ticket, awaited);
        ticket
    }

    /// What the answer with `ticket` is for, if it is still awaited (it no longer is afterwards); `None`:
    /// a stale answer, to be dropped.
    pub fn accept(&mut self, ticket: Ticket) -> Option<Awaited> {
        self.awaiting.remove(&ticket)
    }

    /// The query changed: its count and pages are no longer awaited.
    pub fn query_changed(&mut self) {
        self.forget(|awaited| matches!(awaited, Awaited::Count | Awaited::Page { .. }));
    }

    /// The inspector closed (or shows another record): the related record on its way is not awaited.
    pub fn inspector_closed(&mut self) {
        self.forget(|awaited| matches!(awaited, Awaited::Related { .. }));
    }

    /// Stops awaiting whatever `which` picks.
    pub fn forget(&mut self, which: impl Fn(&Awaited) -> bool) {
        self.awaiting.retain(|_, awaited| !which(awaited));
    }

    /// Everything awaited, oldest request first.
    pub fn awaited(&self) -> impl Iterator<Item = &Awaited> {
        self.awaiting.values()
    }

    /// Whether anything `which` picks is awaited.
    pub fn is_awaiting(&self, which: impl Fn(&Awaited) -> bool) -> bool {
        self.awaiting.values().any(which)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(object_id: &str) -> UserRecord {
        UserRecord::from_json(
            serde_json::json!({ "objectId": object_id })
                .as_object()
                .unwrap()
                .clone(),
        )
        .unwrap()
    }

    #[test]
    fn the_current_answer_is_applied_once() {
        let mut tickets = Tickets::default();
        let count = tickets.issue(Awaited::Count);
        let page = tickets.issue(Awaited::Page { page: 0 });
        assert_eq!(tickets.accept(page), Some(Awaited::Page { page: 0 }));
        assert_eq!(tickets.accept(count), Some(Awaited::Count));
        assert_eq!(tickets.accept(page), None, "an answer is applied once");
        assert_eq!(tickets.accept(Ticket::new(99)), None, "never issued");
        let issued = tickets.issue(Awaited::Schema);
        assert_eq!(
            tickets.accept(Ticket::for_app(issued.0)),
            None,
            "the app's own ticket is never a view's, whatever its number"
        );
        assert_eq!(tickets.accept(issued), Some(Awaited::Schema));
    }

    #[test]
    fn answers_to_a_superseded_query_are_ignored() {
        let mut tickets = Tickets::default();
        let old_count = tickets.issue(Awaited::Count);
        let old_page = tickets.issue(Awaited::Page { page: 0 });
        tickets.query_changed();
        let count = tickets.issue(Awaited::Count);
        let page = tickets.issue(Awaited::Page { page: 3 });
        assert_eq!(tickets.accept(old_count), None);
        assert_eq!(tickets.accept(old_page), None);
        assert_eq!(tickets.accept(count), Some(Awaited::Count));
        assert!(tickets.accept(page).is_some());
    }

    #[test]
    fn a_page_or_count_asked_again_ignores_the_earlier_answer() {
        let mut tickets = Tickets::default();
        let first = tickets.issue(Awaited::Page { page: 2 });
        let other_page = tickets.issue(Awaited::Page { page: 3 });
        let count = tickets.issue(Awaited::Count);
        // Refresh: the same page and the count are asked for again.
        let again = tickets.issue(Awaited::Page { page: 2 });
        let count_again = tickets.issue(Awaited::Count);
        assert_eq!(
            tickets.accept(first),
            None,
            "the re-issued page's old answer"
        );
        assert_eq!(tickets.accept(count), None);
        assert!(tickets.accept(again).is_some());
        assert!(tickets.accept(count_again).is_some());
        assert!(
            tickets.accept(other_page).is_some(),
            "other pages stay awaited"
        );
    }

    #[test]
    fn a_related_record_for_a_closed_inspector_is_ignored() {
        let mut tickets = Tickets::default();
        let related = tickets.issue(Awaited::Related {
            object_id: "B".parse().unwrap(),
        });
        let admin = tickets.issue(Awaited::Admin);
        tickets.inspector_closed();
        assert_eq!(tickets.accept(related), None);
        assert_eq!(tickets.accept(admin), Some(Awaited::Admin));
        // Opening another related record supersedes the one on its way.
        let first = tickets.issue(Awaited::Related {
            object_id: "C".parse().unwrap(),
        });
        let second = tickets.issue(Awaited::Related {
            object_id: "D".parse().unwrap(),
        });
        assert_eq!(tickets.accept(first), None);
        assert!(tickets.is_awaiting(|a| matches!(a, Awaited::Related { .. })));
        assert!(tickets.accept(second).is_some());
    }

    #[test]
    fn only_the_last_record_read_for_editing_is_opened() {
        let mut tickets = Tickets::default();
        let first = tickets.issue(Awaited::Edit {
            copy: Box::new(record("A")),
        });
        let second = tickets.issue(Awaited::Edit {
            copy: Box::new(record("B")),
        });
        // Closing the inspector does not drop an edit: the record editor opens in its place.
        tickets.inspector_closed();
        tickets.query_changed();
        assert_eq!(tickets.accept(first), None);
        assert!(matches!(
            tickets.accept(second),
            Some(Awaited::Edit { copy }) if copy.object_id() == "B"
        ));
    }

    #[test]
    fn failed_requests_answer_in_kind_with_their_ticket_and_expose_their_error() {
        let error = ApiError::SessionExpired {
            status: 401,
            code: 3064,
            message: "Not existing user token".into(),
        };
        let page = UsersRequest::Page {
            ticket: Ticket::new(4),
            page: 7,
            query: FindQuery::default(),
        };
        let answer = UsersAnswer::failed(&page, error.clone());
        assert!(matches!(answer, UsersAnswer::Page { page: 7, .. }));
        assert_eq!(answer.ticket(), Ticket::new(4));
        assert_eq!(answer.api_error(), Some(&error));
        let dialog = UsersRequest::PickExportPath {
            ticket: Ticket::new(5),
            format: ExportFormat::Csv,
            file_name: "users.csv".into(),
        };
        assert!(!dialog.needs_server());
        let answer = UsersAnswer::failed(&dialog, error);
        assert_eq!(answer.api_error(), None);
        assert_eq!(answer.ticket(), Ticket::new(5));
    }
}
