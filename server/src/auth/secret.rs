//! Session ids and API tokens: 32 random bytes from the operating system,
//! stored only as their SHA-256 digest. They are long and random, so a
//! fast digest is enough (passwords are what need Argon2).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

/// API tokens start with this, so that a leaked one is easy to recognise
/// (and to grep for).
pub const TOKEN_PREFIX: &str = "shipshape_";

/// A new random secret, URL-safe, with `prefix` in front.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    // The system's random source failing is not something to carry on from.
    #[expect(clippy::expect_used, reason = "no randomness means no safe secret")]
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the operating system's random source");
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What the store keeps of a secret.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_digests_are_stable() {
        let a = new_secret(TOKEN_PREFIX);
        let b = new_secret(TOKEN_PREFIX);
        assert_ne!(a, b);
        assert!(
            a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 43,
            "{a}"
        );
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&b));
        assert_eq!(digest(&a).len(), 64);
    }
}
