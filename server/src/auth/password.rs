//! Password hashing with Argon2id (the crate's defaults: 19 MiB, two
//! passes, one lane, as OWASP recommends), stored as PHC strings so that
//! the parameters travel with each hash.

use std::cell::RefCell;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// Shorter passwords are refused when an account is created.
pub const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("the password is too short: use at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the password could not be hashed: {0}")]
    Hashing(String),
}

thread_local! {
    /// Argon2's working memory (19 MiB), kept by each thread that hashes
    /// and used again by its next hash. The crate's own `hash_password`
    /// allocates it afresh each time, and glibc kept the freed buffers:
    /// the server grew by 19 MiB with every sign-in attempt (measured in
    /// BENCHMARKS.md, "Slow clients, many connections and sign-in bursts").
    static WORKING_MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Argon2 of `password` and `salt` into `out`, in this thread's working
/// memory.
fn argon2_into(
    argon2: &Argon2<'_>,
    blocks: usize,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    WORKING_MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon2.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

/// `password`'s Argon2 output for the parameters and salt given, as the
/// PHC string's hash field.
fn argon2_output(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: &[u8],
    output_len: usize,
) -> Result<Output, String> {
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    Output::init_with(output_len, |out| {
        argon2_into(&argon2, blocks, password, salt, out)
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .map_err(|e| e.to_string())
}

pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| PasswordError::Hashing(e.to_string()))?;
    let params = Params::default();
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let hash = argon2_output(
        Algorithm::Argon2id,
        Version::V0x13,
        params.clone(),
        password.as_bytes(),
        salt_bytes,
        output_len,
    )
    .map_err(PasswordError::Hashing)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)
            .map_err(|e| PasswordError::Hashing(e.to_string()))?,
        salt: Some(salt.as_salt()),
        hash: Some(hash),
    };
    Ok(phc.to_string())
}

/// False for a wrong password and for a stored hash that cannot be read.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else {
        return false;
    };
    let Ok(version) = hash
        .version
        .map_or(Ok(Version::default()), Version::try_from)
    else {
        return false;
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    argon2_output(
        algorithm,
        version,
        params,
        password.as_bytes(),
        salt_bytes,
        expected.len(),
    )
    // `Output`'s equality takes the same time wherever the bytes differ.
    .is_ok_and(|computed| computed == expected)
}

/// A hash of no password at all, verified against when an account does not
/// exist, so that a wrong name takes as long as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that never matches").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("correct horse battery", "not a hash"));
        assert_ne!(
            hash,
            hash_password("correct horse battery").expect("hash"),
            "salted"
        );
        assert_eq!(hash_password("short"), Err(PasswordError::TooShort));
    }

    /// Hashes stored before the working memory was reused (made by the
    /// crate's own hasher) still sign in, and the other way round; the
    /// parameters are read from each stored hash.
    #[test]
    fn hashes_match_the_crates_own_in_both_directions() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::generate(&mut OsRng);
        let stock = Argon2::default()
            .hash_password(b"correct horse battery", &salt)
            .expect("hash")
            .to_string();
        assert!(verify_password("correct horse battery", &stock));
        assert!(!verify_password("correct horse batteries", &stock));

        let ours = hash_password("correct horse battery").expect("hash");
        let parsed = PasswordHash::new(&ours).expect("a PHC string");
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );

        let cheaper = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x10,
            Params::new(4096, 3, 1, Some(24)).expect("params"),
        )
        .hash_password(b"correct horse battery", &salt)
        .expect("hash")
        .to_string();
        assert!(verify_password("correct horse battery", &cheaper));
        assert!(!verify_password("correct horse battery!", &cheaper));
    }
}
