//! The emulator's outbox: the mails it would have sent (it sends none) and the password-reset tokens those
//! mails carry. Memory only, bounded, no I/O: `routes` appends on `users/restorepassword`, serves the list at
//! `GET /_emulator/outbox` (loopback peers only) and redeems a token at `/_emulator/reset-password`.
//!
//! Only the BLAKE2s digest of a reset token is kept beside its user; the token itself is only in the mail body.

use std::collections::{HashMap, VecDeque};

use serde::Serialize;

use super::auth;

/// Most mails kept; the oldest goes first past it.
pub const MAX_OUTBOX_MAILS: usize = 100;
/// How long a reset link works after the mail was written: one hour.
pub const RESET_TOKEN_TTL_MS: i64 = 60 * 60 * 1000;
/// Most reset tokens pending at once; the oldest is forgotten first past it (its link stops working).
pub const MAX_PENDING_RESETS: usize = MAX_OUTBOX_MAILS;
/// The path of the outbox endpoint, below the server's origin.
pub const OUTBOX_PATH: &str = "/_emulator/outbox";
/// The path of the reset page the mails link to, below the server's origin.
pub const RESET_PATH: &str = "/_emulator/reset-password";

/// One mail the emulator would have sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mail {
    /// The recipient: the identity the restore was asked for.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The text, with the reset link.
    pub body: String,
    /// When it was written, epoch milliseconds.
    pub time: i64,
    /// The reset link alone (also in `body`), for scripts and tests.
    #[serde(rename = "resetLink")]
    pub reset_link: String,
}

/// A pending reset: whose password it changes and until when.
#[derive(Debug, Clone)]
struct PendingReset {
    object_id: String,
    expires_ms: i64,
    created_ms: i64,
}

/// Why a reset token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetRefused {
    /// Never issued, already used, forgotten (its user deleted, or pushed out by newer ones).
    Unknown,
    /// Issued, but more than [`RESET_TOKEN_TTL_MS`] ago.
    Expired,
}

/// The mails and pending reset tokens.
#[derive(Debug, Default)]
pub struct Outbox {
    mails: VecDeque<Mail>,
    /// Keyed by the token's digest.
    resets: HashMap<String, PendingReset>,
}

impl Outbox {
    /// Writes the password-reset mail for `to` (the user `object_id`) with a new one-time token, linking to
    /// `{origin}{RESET_PATH}?token=…`. `token` comes from the caller (the OS generator in production).
    pub fn add_reset_mail(
        &mut self,
        to: &str,
        object_id: &str,
        origin: &str,
        token: &str,
        now_ms: i64,
    ) {
        self.resets
            .retain(|_, reset| reset.expires_ms > now_ms && reset.object_id != object_id);
        if self.resets.len() >= MAX_PENDING_RESETS
            && let Some(oldest) = self
                .resets
                .iter()
                .min_by_key(|(_, reset)| reset.created_ms)
                .map(|(digest, _)| digest.clone())
        {
            self.resets.remove(&oldest);
        }
        self.resets.insert(
            auth::token_digest(token),
            PendingReset {
                object_id: object_id.to_owned(),
                expires_ms: now_ms.saturating_add(RESET_TOKEN_TTL_MS),
                created_ms: now_ms,
            },
        );
        let reset_link = format!("{origin}{RESET_PATH}?token={token}");
        let minutes = RESET_TOKEN_TTL_MS / 60_000;
        let body = format!(
            "Someone asked to reset the password of {to}.\n\nOpen this link to choose a new one \
             (it works once, for {minutes} minutes):\n{reset_link}\n\nIf it was not you, ignore this mail."
        );
        if self.mails.len() >= MAX_OUTBOX_MAILS {
            self.mails.pop_front();
        }
        self.mails.push_back(Mail {
            to: to.to_owned(),
            subject: "Reset your password".to_owned(),
            body,
            time: now_ms,
            reset_link,
        });
    }

    /// The mails, oldest first.
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.iter().cloned().collect()
    }

    /// Whether `token` would be accepted at `now_ms` (for the reset page); does not use it up.
    pub fn check(&self, token: &str, now_ms: i64) -> Result<(), ResetRefused> {
        match self.resets.get(&auth::token_digest(token)) {
            None => Err(ResetRefused::Unknown),
            Some(reset) if reset.expires_ms <= now_ms => Err(ResetRefused::Expired),
            Some(_) => Ok(()),
        }
    }

    /// Uses up `token`: the objectId whose password may now be set. A token works once; an expired one is
    /// dropped and refused.
    pub fn redeem(&mut self, token: &str, now_ms: i64) -> Result<String, ResetRefused> {
        self.check(token, now_ms)?;
        self.resets
            .remove(&auth::token_digest(token))
            .map(|reset| reset.object_id)
            .ok_or(ResetRefused::Unknown)
    }

    /// Forgets the user's pending tokens (the user was deleted).
    pub fn forget_user(&mut self, object_id: &str) {
        self.resets.retain(|_, reset| reset.object_id != object_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "http://127.0.0.1:1";

    #[test]
    fn a_reset_token_works_once() {
        let mut outbox = Outbox::default();
        outbox.add_reset_mail("a@example.com", "ID-A", ORIGIN, "TOKEN-1", 1_000);
        let mail = &outbox.mails()[0];
        assert_eq!(mail.to, "a@example.com");
        assert!(mail.body.contains(&mail.reset_link));
        assert_eq!(
            mail.reset_link,
            format!("{ORIGIN}{RESET_PATH}?token=TOKEN-1")
        );
        assert_eq!(outbox.redeem("TOKEN-1", 2_000), Ok("ID-A".to_owned()));
        assert_eq!(outbox.redeem("TOKEN-1", 2_000), Err(ResetRefused::Unknown));
        assert_eq!(outbox.redeem("OTHER", 2_000), Err(ResetRefused::Unknown));
    }

    #[test]
    fn a_reset_token_expires_after_its_ttl() {
        let mut outbox = Outbox::default();
        outbox.add_reset_mail("a@example.com", "ID-A", ORIGIN, "T", 0);
        assert_eq!(outbox.check("T", RESET_TOKEN_TTL_MS - 1), Ok(()));
        assert_eq!(
            outbox.redeem("T", RESET_TOKEN_TTL_MS),
            Err(ResetRefused::Expired)
        );
    }

    #[test]
    fn a_newer_mail_replaces_the_users_older_token() {
        let mut outbox = Outbox::default();
        outbox.add_reset_mail("a@example.com", "ID-A", ORIGIN, "OLD", 0);
        outbox.add_reset_mail("a@example.com", "ID-A", ORIGIN, "NEW", 1);
        assert_eq!(outbox.check("OLD", 2), Err(ResetRefused::Unknown));
        assert_eq!(outbox.redeem("NEW", 2), Ok("ID-A".to_owned()));
    }

    #[test]
    fn the_outbox_and_pending_tokens_are_bounded() {
        let mut outbox = Outbox::default();
        for n in 0..MAX_OUTBOX_MAILS + 5 {
            let now = i64::try_from(n).unwrap();
            outbox.add_reset_mail(
                &format!("u{n}@example.com"),
                &format!("ID-{n}"),
                ORIGIN,
                &format!("T{n}"),
                now,
            );
        }
        let mails = outbox.mails();
        assert_eq!(mails.len(), MAX_OUTBOX_MAILS);
        assert_eq!(mails[0].to, "u5@example.com", "the oldest mails went first");
        assert_eq!(outbox.resets.len(), MAX_PENDING_RESETS);
        assert_eq!(outbox.check("T0", 200), Err(ResetRefused::Unknown));
        let last = format!("T{}", MAX_OUTBOX_MAILS + 4);
        assert_eq!(outbox.check(&last, 200), Ok(()));
    }

    #[test]
    fn forgetting_a_user_drops_its_tokens() {
        let mut outbox = Outbox::default();
        outbox.add_reset_mail("a@example.com", "ID-A", ORIGIN, "T", 0);
        outbox.forget_user("ID-A");
        assert_eq!(outbox.redeem("T", 1), Err(ResetRefused::Unknown));
    }
}
