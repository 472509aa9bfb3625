//! Secrets of the emulator: Argon2id password hashes (bounded: at most [`hashing_slots`] at once, each in memory
//! that goes back to the OS when it ends), digests of user-tokens, and ids from the OS random generator.
//!
//! Hashing and verifying are slow on purpose; callers use the `*_bounded` async forms, which queue for a slot
//! and run the work on a blocking thread, never on an async worker and never under the store lock. Nothing here
//! logs.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use blake2::{Blake2s256, Digest as _};
use tokio::sync::Semaphore;

/// Most password hashes computed at once, however many cores the machine has (each takes ~19 MiB).
pub const MAX_HASHING_SLOTS: usize = 8;

/// Bytes reserved (not touched) for one hash's working memory. glibc serves an allocation this large with its own
/// `mmap` and unmaps it on free (its dynamic mmap threshold never rises above 32 MiB), so a hash's 19 MiB is
/// given back to the OS as soon as the hash ends instead of staying cached in a per-thread malloc arena. Only
/// the pages the hash uses become resident.
const HASH_MEMORY_RESERVE_BYTES: usize = 33 * 1024 * 1024;

/// Length of a password hash's output (Argon2's default).
const HASH_OUTPUT_LEN: usize = Params::DEFAULT_OUTPUT_LEN;

/// The Argon2id parameters of every new hash (OWASP's minimum: 19 MiB, 2 passes, 1 lane).
fn params() -> Params {
    Params::default()
}

/// How many password hashes may run at once: the number of cores, at least 1, at most [`MAX_HASHING_SLOTS`].
/// The rest queue.
pub fn hashing_slots() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, MAX_HASHING_SLOTS)
}

/// The process-wide queue for hashing (shared by every emulator in the process: they share the cores).
fn slots() -> Arc<Semaphore> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    SLOTS
        .get_or_init(|| Arc::new(Semaphore::new(hashing_slots())))
        .clone()
}

/// Runs `work` on a blocking thread once a hashing slot is free; the slot is held until `work` returns (even if
/// the caller stops waiting).
async fn run_bounded<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let permit = slots()
        .acquire_owned()
        .await
        .map_err(|e| anyhow::anyhow!("the hashing queue is closed: {e}"))?;
    tokio::task::spawn_blocking(move || {
        let result = work();
        drop(permit);
        result
    })
    .await
    .map_err(|e| anyhow::anyhow!("password hashing task failed: {e}"))
}

/// [`hash_password`] in the bounded hashing queue, off the async threads.
pub async fn hash_password_bounded(password: String) -> anyhow::Result<String> {
    run_bounded(move || hash_password(&password)).await?
}

/// [`verify_password`] in the bounded hashing queue, off the async threads.
pub async fn verify_password_bounded(password: String, hash: String) -> anyhow::Result<bool> {
    run_bounded(move || verify_password(&password, &hash)).await
}

/// Runs Argon2 with `params` in freshly mapped working memory that is unmapped when it returns.
fn argon2_into(
    argon2: &Argon2<'_>,
    block_count: usize,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    let mut blocks: Vec<Block> =
        Vec::with_capacity(block_count.max(HASH_MEMORY_RESERVE_BYTES / Block::SIZE));
    blocks.resize(block_count, Block::new());
    argon2.hash_password_into_with_memory(password, salt, out, &mut blocks[..])
}

/// Hashes `password` with a fresh random salt; the result is a PHC string (`$argon2id$v=19$...`).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("OS random generator failed: {e}"))?;
    let salt_string =
        SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt encoding failed: {e}"))?;
    let params = params();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; HASH_OUTPUT_LEN];
    argon2_into(
        &argon2,
        params.block_count(),
        password.as_bytes(),
        &salt,
        &mut out,
    )
    .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)
            .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))?,
        salt: Some(salt_string.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash` (compared in constant time). A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    let check = || -> Option<bool> {
        let parsed = PasswordHash::new(hash).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::default(),
        };
        let params = Params::try_from(&parsed).ok()?;
        let expected = parsed.hash?;
        let mut salt_buf = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt_buf).ok()?;
        let mut out = vec![0u8; expected.len()];
        let argon2 = Argon2::new(algorithm, version, params.clone());
        argon2_into(
            &argon2,
            params.block_count(),
            password.as_bytes(),
            salt,
            &mut out,
        )
        .ok()?;
        Some(Output::new(&out).ok()? == expected)
    };
    check().unwrap_or(false)
}

/// A hash that matches no password anyone can send, verified for unknown identities so a failed login takes
/// as long whether or not the identity exists.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password("\u{0}no user has this password\u{0}")
            .unwrap_or_else(|_| "$argon2id$invalid".to_owned())
    })
}

/// What the database keeps of a user-token: its BLAKE2s-256 digest in lower-case hex (64 characters). Tokens
/// carry 128 random bits, so a fast unsalted digest cannot be reversed; a stolen database file holds no
/// usable token.
pub fn token_digest(user_token: &str) -> String {
    let digest = Blake2s256::digest(user_token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// 128 random bits from the OS generator, formatted like a Backendless id: `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX`.
pub fn random_id() -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("OS random generator failed: {e}"))?;
    Ok(format_id(u128::from_be_bytes(bytes)))
}

/// A new user-token (128 random bits; never logged).
pub fn new_user_token() -> anyhow::Result<String> {
    random_id()
}

/// Formats 128 bits as upper-case hex in the 8-4-4-4-12 layout Backendless ids use.
pub fn format_id(bits: u128) -> String {
    let hex = format!("{bits:032X}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_own_password() {
        let hash = hash_password("alice-pass-1").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("alice-pass-1", &hash));
        assert!(!verify_password("alice-pass-2", &hash));
        assert!(!verify_password("alice-pass-1", "not a hash"));
    }

    #[test]
    fn a_hash_from_the_stock_hasher_still_verifies() {
        use argon2::password_hash::{PasswordHasher as _, SaltString};
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let stock = Argon2::default()
            .hash_password(b"alice-pass-1", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("alice-pass-1", &stock));
        assert!(!verify_password("alice-pass-2", &stock));
        // And the stock verifier accepts ours.
        use argon2::password_hash::PasswordVerifier as _;
        let ours = hash_password("bob-pass-1").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"bob-pass-1", &parsed)
                .is_ok()
        );
    }

    #[test]
    fn token_digests_are_stable_hex_and_not_the_token() {
        let token = new_user_token().unwrap();
        let digest = token_digest(&token);
        assert_eq!(digest.len(), 64);
        assert!(
            digest
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(digest, token_digest(&token));
        assert_ne!(digest, token_digest(&new_user_token().unwrap()));
        assert!(!digest.contains(&token));
    }

    #[test]
    fn hashing_slots_follow_the_cores_within_bounds() {
        let slots = hashing_slots();
        assert!((1..=MAX_HASHING_SLOTS).contains(&slots));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bounded_hashing_never_runs_more_than_the_slots_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static RUNNING: AtomicUsize = AtomicUsize::new(0);
        static PEAK: AtomicUsize = AtomicUsize::new(0);
        let tasks: Vec<_> = (0..4 * hashing_slots() + 2)
            .map(|_| {
                tokio::spawn(run_bounded(|| {
                    let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
                    PEAK.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    RUNNING.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let peak = PEAK.load(Ordering::SeqCst);
        assert!(peak >= 1 && peak <= hashing_slots(), "peak {peak}");
    }

    #[test]
    fn tokens_are_distinct_and_id_shaped() {
        let a = new_user_token().unwrap();
        let b = new_user_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
    }
}
