//! Password hashing with Argon2id; request-time verifications run one at a time on one thread
//! that reuses one block of memory.
//!
//! Each Argon2id computation (the crate's defaults: 19 MiB, two passes) needs 19 MiB of working
//! memory. Allocated per verification on the blocking thread pool, a burst of sign-ins multiplied
//! that by the burst, and glibc's allocator kept most of it afterwards (the server sat at
//! 200-900 MiB after the sign-in benchmark). [`verify_password_gated`] instead hands every
//! verification to one `keygate-password` thread that owns the memory and reuses it (zeroed after
//! each use), so the server's memory stays flat and no verification pays for page faults. One
//! verification takes ~11 ms of one core: a node checks ~90 passwords a second, above what the
//! per-account and per-address sign-in limits let through.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

use std::sync::mpsc;
use std::sync::OnceLock;

use tokio::sync::oneshot;

/// The most memory a stored hash may ask for (64 MiB): a hash with a higher cost was not made by
/// Keygate, and is refused rather than allowed to make the server allocate without bound.
const MAX_BLOCKS: usize = 64 * 1024;

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
/// Allocates its working memory; request-time checks go through [`verify_password_gated`].
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    verify_in(&mut Vec::new(), password, stored)
}

/// [`verify_password`] computed in `memory` (grown as needed, zeroed afterwards).
fn verify_in(memory: &mut Vec<Block>, password: &str, stored: Option<&str>) -> bool {
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (decoy_hash(), false),
    };
    let ok = recompute_matches(memory, password.as_bytes(), hash);
    memory.fill(Block::default());
    ok && real
}

/// Recomputes the PHC-format `stored` hash for `password` with the stored salt and parameters
/// and compares the outputs in constant time.
fn recompute_matches(memory: &mut Vec<Block>, password: &[u8], stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let mut salt_bytes = [0u8; argon2::password_hash::Salt::MAX_LENGTH];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS {
        return false;
    }
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let Some(working) = memory.get_mut(..blocks) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, &mut out, working)
        .is_ok()
        && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

/// A verification waiting for the password thread.
struct Job {
    password: String,
    stored: Option<String>,
    answer: oneshot::Sender<bool>,
}

/// The queue of the password thread, started on first use (`None` if it could not start).
fn password_thread() -> Option<&'static mpsc::Sender<Job>> {
    static QUEUE: OnceLock<Option<mpsc::Sender<Job>>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let (queue, jobs) = mpsc::channel::<Job>();
            let started = std::thread::Builder::new()
                .name("keygate-password".into())
                .spawn(move || {
                    let mut memory = Vec::new();
                    for job in jobs {
                        let ok = verify_in(&mut memory, &job.password, job.stored.as_deref());
                        let _ = job.answer.send(ok);
                    }
                });
            match started {
                Ok(_) => Some(queue),
                Err(e) => {
                    tracing::error!(error = %e, "could not start the password thread");
                    None
                }
            }
        })
        .as_ref()
}

/// [`verify_password`] on the password thread, after the verifications queued before it (see
/// the module docs). A verification that cannot run is a failure.
pub async fn verify_password_gated(password: String, stored: Option<String>) -> bool {
    let Some(queue) = password_thread() else {
        return false;
    };
    let (answer, answered) = oneshot::channel();
    let job = Job {
        password,
        stored,
        answer,
    };
    if queue.send(job).is_err() {
        return false;
    }
    answered.await.unwrap_or(false)
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

    /// What the argon2 crate's own verifier says (no user: no match).
    fn crate_verdict(password: &str, stored: Option<&str>) -> bool {
        use argon2::password_hash::PasswordVerifier;
        stored
            .and_then(|h| PasswordHash::new(h).ok())
            .is_some_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
    }

    #[test]
    fn verifying_in_reused_memory_agrees_with_the_crate() {
        let h = hash_password("correct horse").unwrap();
        let mut memory = Vec::new();
        for (password, stored) in [
            ("correct horse", Some(h.as_str())),
            ("wrong", Some(h.as_str())),
            ("correct horse", None),
            ("correct horse", Some("not a phc string")),
            ("correct horse", Some(h.as_str())),
        ] {
            assert_eq!(
                verify_in(&mut memory, password, stored),
                crate_verdict(password, stored),
                "{password} against {stored:?}"
            );
        }
        assert!(
            memory.iter().all(|b| b.as_ref().iter().all(|w| *w == 0)),
            "zeroed after use"
        );
    }

    #[test]
    fn a_hash_asking_for_more_memory_than_keygate_uses_is_refused() {
        let salt = SaltString::generate(&mut OsRng);
        let params = Params::new(128 * 1024, 1, 1, None).unwrap();
        let greedy = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"pw", &salt)
            .unwrap()
            .to_string();
        let mut memory = Vec::new();
        assert!(!verify_in(&mut memory, "pw", Some(&greedy)));
        assert!(memory.is_empty());
    }
}
