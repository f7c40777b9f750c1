//! Password hashing with Argon2id, one computation at a time per process.
//!
//! Each Argon2id computation (the crate's defaults: 19 MiB, two passes) holds 19 MiB while it runs;
//! unbounded, a burst of sign-ins on the blocking thread pool multiplies that by the burst, and the
//! allocator keeps much of it afterwards. [`verify_password_gated`] lets one verification run at a
//! time, which keeps the server's memory flat and costs nothing on a 2-core node: one verification
//! takes ~11 ms of one core, so a node still checks ~90 passwords a second, far above what the
//! per-account and per-address sign-in limits let through.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use std::sync::OnceLock;

use tokio::sync::Semaphore;

/// Password computations allowed at once in this process.
const CONCURRENT_HASHES: usize = 1;

/// The gate every request-time password verification passes.
static HASH_SLOTS: Semaphore = Semaphore::const_new(CONCURRENT_HASHES);

/// A real hash of a random password, verified when there is no user, so an unknown email costs
/// the same Argon2id work as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password(&crate::secrets::random_token()).unwrap_or_default())
}

/// Hashes a password with Argon2id and a fresh salt.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against a stored hash; `None` (no such user) still does the full work.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (decoy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && real
}

/// [`verify_password`] on the blocking thread pool, waiting its turn behind the other
/// verifications in progress (see the module docs). A verification that cannot run is a failure.
pub async fn verify_password_gated(password: String, stored: Option<String>) -> bool {
    let Ok(_slot) = HASH_SLOTS.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || verify_password(&password, stored.as_deref()))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", Some(&h)));
        assert!(!verify_password("wrong", Some(&h)));
        assert!(!verify_password("correct horse", None));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn gated_verifications_all_answer_when_many_arrive_at_once() {
        let h = hash_password("correct horse").unwrap();
        let checks: Vec<_> = (0..4)
            .map(|i| {
                let password = if i % 2 == 0 { "correct horse" } else { "wrong" };
                tokio::spawn(verify_password_gated(password.to_owned(), Some(h.clone())))
            })
            .collect();
        let mut answers = Vec::new();
        for check in checks {
            answers.push(check.await.unwrap());
        }
        assert_eq!(answers, vec![true, false, true, false]);
    }
}
