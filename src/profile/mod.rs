//! The editing core for one user record: everything between "the server's record" and "the changes to
//! send", with no drawing. Today it edits the logged-in user's own profile; it is written against a record
//! and a schema, not against "me", so that an admin editing another user's record can use the same core.
//!
//! - [`session`]: per-field buffers, validation, undo, the changeset and where each save error is shown. Pure.
//! - [`checked_save`]: the save that re-reads first and reports a conflict instead of overwriting. I/O.
//! - [`draft`]: pending edits kept on disk (atomically, never a password) until saved or discarded. I/O.
//! - [`import`]: import (validated like typed edits) and export of a record as JSON. Pure.

pub mod checked_save;
pub mod draft;
pub mod import;
pub mod session;
