//! The verification page's guard against guessing user codes (RFC 8628 §5.1): wrong codes are
//! counted per client address and per browser session over a window, and past a limit every
//! entry from that address or session is refused until the window ends.
//!
//! Only wrong codes count, so a person who types their code once is never held up. The counts
//! live in this node's memory (like the sign-in limiter per address); with 20^8 codes alive for
//! 15 minutes each, a guesser spread over every node still has no real chance.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use keygate_core::clock::{Clock, UnixTime};
use sha2::{Digest, Sha256};

/// Seconds over which wrong codes are counted.
const WINDOW: i64 = 300;
/// Wrong codes one browser session may enter per window.
const PER_SESSION: u32 = 5;
/// Wrong codes one address may enter per window (several people may share one address).
const PER_ADDRESS: u32 = 20;
/// Past this many remembered keys, windows that have ended are forgotten.
const PRUNE_ABOVE: usize = 50_000;

/// Who is entering codes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Address(IpAddr),
    /// SHA-256 of the session cookie (the cookie itself is never kept).
    Session([u8; 32]),
}

/// A fixed window: when it started and how many wrong codes it saw.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: UnixTime,
    failures: u32,
}

/// Counts wrong user codes per address and per session.
pub struct DeviceThrottle {
    clock: Arc<dyn Clock>,
    windows: Mutex<HashMap<Key, Window>>,
}

impl std::fmt::Debug for DeviceThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceThrottle").finish_non_exhaustive()
    }
}

/// The address and session an entry came from.
#[derive(Debug, Clone)]
pub(crate) struct Entrant {
    keys: Vec<(Key, u32)>,
}

impl Entrant {
    /// An entry from `address` (if known) in the session whose cookie is `session`.
    pub(crate) fn new(address: Option<IpAddr>, session: Option<&str>) -> Self {
        let mut keys = Vec::with_capacity(2);
        if let Some(address) = address {
            keys.push((Key::Address(address), PER_ADDRESS));
        }
        if let Some(session) = session {
            keys.push((
                Key::Session(Sha256::digest(session.as_bytes()).into()),
                PER_SESSION,
            ));
        }
        Self { keys }
    }
}

impl DeviceThrottle {
    /// A throttle on `clock`'s time.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when the entrant's address or session has used up its wrong
    /// codes for the current window.
    pub(crate) fn check(&self, entrant: &Entrant) -> Result<(), i64> {
        let now = self.clock.now();
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let wait = entrant
            .keys
            .iter()
            .filter_map(|(key, limit)| {
                let w = windows.get(key)?;
                let open = now - w.start < WINDOW;
                (open && w.failures >= *limit).then(|| (w.start + WINDOW - now).max(1))
            })
            .max();
        wait.map_or(Ok(()), Err)
    }

    /// Counts a wrong code against the entrant's address and session.
    pub(crate) fn fail(&self, entrant: &Entrant) {
        let now = self.clock.now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, w| now - w.start < WINDOW);
        }
        for (key, _) in &entrant.keys {
            let w = windows.entry(key.clone()).or_insert(Window {
                start: now,
                failures: 0,
            });
            if now - w.start >= WINDOW {
                *w = Window {
                    start: now,
                    failures: 0,
                };
            }
            w.failures += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use keygate_core::ManualClock;

    use super::*;

    #[test]
    fn a_session_is_held_up_after_five_wrong_codes_until_the_window_ends() {
        let clock = Arc::new(ManualClock::at(1000));
        let throttle = DeviceThrottle::new(clock.clone());
        let me = Entrant::new(Some(IpAddr::V4(Ipv4Addr::LOCALHOST)), Some("cookie"));
        for _ in 0..PER_SESSION {
            assert_eq!(throttle.check(&me), Ok(()));
            throttle.fail(&me);
        }
        assert_eq!(throttle.check(&me), Err(WINDOW));
        let other_session = Entrant::new(Some(IpAddr::V4(Ipv4Addr::LOCALHOST)), Some("other"));
        assert_eq!(throttle.check(&other_session), Ok(()));
        clock.advance(WINDOW);
        assert_eq!(throttle.check(&me), Ok(()));
    }

    #[test]
    fn an_address_is_held_up_after_twenty_wrong_codes_from_any_session() {
        let clock = Arc::new(ManualClock::at(1000));
        let throttle = DeviceThrottle::new(clock.clone());
        let address = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
        for i in 0..PER_ADDRESS {
            let session = format!("session {i}");
            throttle.fail(&Entrant::new(address, Some(&session)));
        }
        clock.advance(10);
        assert_eq!(
            throttle.check(&Entrant::new(address, Some("fresh"))),
            Err(WINDOW - 10)
        );
        let elsewhere = Entrant::new(Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2))), None);
        assert_eq!(throttle.check(&elsewhere), Ok(()));
    }
}
