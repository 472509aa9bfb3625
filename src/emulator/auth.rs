//! Secrets of the emulator: Argon2id password hashes, user-tokens and objectIds from the OS random generator.
//!
//! Hashing and verifying are slow on purpose; callers run them outside the store lock. Nothing here logs.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// The Argon2id instance used for every password (OWASP's minimum: 19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashes `password` with a fresh random salt; the result is a PHC string (`$argon2id$v=19$...`).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("OS random generator failed: {e}"))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt encoding failed: {e}"))?;
    let hash = argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash`. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
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
    fn tokens_are_distinct_and_id_shaped() {
        let a = new_user_token().unwrap();
        let b = new_user_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
    }
}
