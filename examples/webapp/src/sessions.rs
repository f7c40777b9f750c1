//! Browser sessions kept in memory, keyed by a random cookie: the pending authorize requests
//! (`state` and PKCE verifier, each good for one callback) and the tokens once exchanged.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use keygate_client::{AuthorizeRequest, TokenSet};
use rand::RngCore;

/// How long a browser has to come back from the authorize page.
const PENDING_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// At most this many authorize requests in flight per browser (several tabs).
const MAX_PENDING: usize = 5;
/// A session unused for this long is forgotten.
const IDLE_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// At most this many sessions in memory; the least recently used goes first.
const MAX_SESSIONS: usize = 10_000;

/// What the app kept for one authorize request.
pub(crate) struct Pending {
    /// The `state` it sent.
    pub state: String,
    /// The PKCE verifier, if it sent a challenge.
    pub pkce_verifier: Option<String>,
    created: Instant,
}

/// One browser's session.
pub(crate) struct Session {
    /// Authorize requests awaiting their callback.
    pending: Vec<Pending>,
    /// The tokens, once a code was exchanged.
    pub tokens: Option<TokenSet>,
    /// How many times the tokens were refreshed.
    pub refreshes: u32,
    /// The CSRF token for this session's forms.
    pub csrf: String,
    last_seen: Instant,
}

/// All sessions.
#[derive(Default)]
pub(crate) struct Sessions {
    inner: Mutex<HashMap<String, Session>>,
}

/// 256 random bits, base64url.
pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Sessions {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding the lock cannot leave a session half-written in a way that
        // matters here; keep serving.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session for `cookie`, or a new one. Returns its id and whether it is new (so the
    /// caller sets the cookie).
    pub(crate) fn ensure(&self, cookie: Option<&str>) -> (String, bool) {
        let now = Instant::now();
        let mut map = self.lock();
        if let Some(id) = cookie {
            if let Some(s) = map.get_mut(id) {
                if now.duration_since(s.last_seen) < IDLE_LIFETIME {
                    s.last_seen = now;
                    return (id.to_owned(), false);
                }
                map.remove(id);
            }
        }
        map.retain(|_, s| now.duration_since(s.last_seen) < IDLE_LIFETIME);
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        let id = random_id();
        map.insert(
            id.clone(),
            Session {
                pending: Vec::new(),
                tokens: None,
                refreshes: 0,
                csrf: random_id(),
                last_seen: now,
            },
        );
        (id, true)
    }

    /// Remembers an authorize request until its callback.
    pub(crate) fn begin(&self, id: &str, request: &AuthorizeRequest) {
        let now = Instant::now();
        if let Some(s) = self.lock().get_mut(id) {
            s.pending
                .retain(|p| now.duration_since(p.created) < PENDING_LIFETIME);
            if s.pending.len() >= MAX_PENDING {
                s.pending.remove(0);
            }
            s.pending.push(Pending {
                state: request.state.clone(),
                pkce_verifier: request.pkce_verifier.clone(),
                created: now,
            });
        }
    }

    /// Takes (and so spends) the pending request whose `state` is `state`.
    pub(crate) fn take_pending(&self, id: &str, state: &str) -> Option<Pending> {
        let now = Instant::now();
        let mut map = self.lock();
        let s = map.get_mut(id)?;
        let i = s.pending.iter().position(|p| p.state == state)?;
        let p = s.pending.remove(i);
        (now.duration_since(p.created) < PENDING_LIFETIME).then_some(p)
    }

    /// Runs `f` on the session, if it exists.
    pub(crate) fn with<T>(&self, id: &str, f: impl FnOnce(&mut Session) -> T) -> Option<T> {
        self.lock().get_mut(id).map(f)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    fn request(state: &str) -> AuthorizeRequest {
        AuthorizeRequest {
            url: url::Url::parse("https://keygate.example/oauth2/authorize").unwrap(),
            state: state.into(),
            pkce_verifier: Some("v".into()),
        }
    }

    #[test]
    fn a_state_can_be_taken_once_and_only_by_its_own_session() {
        let sessions = Sessions::default();
        let (a, new) = sessions.ensure(None);
        assert!(new);
        let (b, _) = sessions.ensure(None);
        sessions.begin(&a, &request("s1"));
        assert!(sessions.take_pending(&b, "s1").is_none());
        let p = sessions.take_pending(&a, "s1").unwrap();
        assert_eq!(p.pkce_verifier.as_deref(), Some("v"));
        assert!(sessions.take_pending(&a, "s1").is_none(), "single use");
    }

    #[test]
    fn an_unknown_cookie_gets_a_fresh_session_and_a_known_one_keeps_its_own() {
        let sessions = Sessions::default();
        let (a, _) = sessions.ensure(Some("forged"));
        assert_ne!(a, "forged");
        assert_eq!(sessions.ensure(Some(&a)), (a.clone(), false));
    }

    #[test]
    fn only_the_latest_pending_requests_are_kept() {
        let sessions = Sessions::default();
        let (a, _) = sessions.ensure(None);
        for i in 0..=MAX_PENDING {
            sessions.begin(&a, &request(&format!("s{i}")));
        }
        assert!(sessions.take_pending(&a, "s0").is_none());
        assert!(sessions
            .take_pending(&a, &format!("s{MAX_PENDING}"))
            .is_some());
    }
}
