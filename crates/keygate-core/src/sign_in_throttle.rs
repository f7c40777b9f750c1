//! Sign-in throttling that slows guessing without locking the owner out.
//!
//! Failures are counted over [`WINDOW`] three ways: per (account, address) pair, per address, and
//! per account. A pair or an address with too many failures is refused (the guesser is the one
//! who failed there); an account attacked from many addresses is only slowed down, with a delay
//! that doubles per failure up to [`MAX_DELAY_SECS`], so its owner, signing in from an address
//! with no recent failures, still gets in. IPv6 addresses count by their /64 prefix, since one
//! host usually holds a whole /64.

use std::net::IpAddr;

use crate::model::SignInFailures;

/// The sliding window, in seconds, over which failures count.
pub const WINDOW: i64 = 15 * 60;
/// Failures for one account from one address before that address may not try that account.
pub const PAIR_LIMIT: u32 = 5;
/// Failures from one address (any account) before that address may not sign in at all.
pub const ADDRESS_LIMIT: u32 = 20;
/// Failures for one account (any address) before each attempt on it is delayed.
pub const ACCOUNT_DELAY_AFTER: u32 = 10;
/// The longest delay, in seconds, an attempt on an attacked account waits.
pub const MAX_DELAY_SECS: u64 = 8;

/// What to do with a sign-in attempt, decided before the password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Check the password now.
    Allow,
    /// Check the password after waiting this many seconds (the account is under attack).
    Delay(u64),
    /// Refuse without checking: this address failed too often for this account.
    RefusePair,
    /// Refuse without checking: this address failed too often for any account.
    RefuseAddress,
}

impl Decision {
    /// The audit detail naming the decision; `None` for [`Decision::Allow`].
    pub fn audit_detail(self) -> Option<String> {
        match self {
            Decision::Allow => None,
            Decision::Delay(secs) => Some(format!("delayed={secs}s")),
            Decision::RefusePair => Some("refused=account_from_address".into()),
            Decision::RefuseAddress => Some("refused=address".into()),
        }
    }
}

/// Decides from the recent failures.
pub fn decide(failures: SignInFailures) -> Decision {
    if failures.address >= ADDRESS_LIMIT {
        Decision::RefuseAddress
    } else if failures.pair >= PAIR_LIMIT {
        Decision::RefusePair
    } else if failures.account >= ACCOUNT_DELAY_AFTER {
        let doublings = (failures.account - ACCOUNT_DELAY_AFTER).min(8);
        Decision::Delay((1u64 << doublings).min(MAX_DELAY_SECS))
    } else {
        Decision::Allow
    }
}

/// The key an address counts under: an IPv4 address itself, an IPv6 address by its /64 prefix
/// (an IPv4-mapped IPv6 address as IPv4), and `-` when the request had no network address.
pub fn address_key(addr: Option<IpAddr>) -> String {
    match addr.map(|a| a.to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures(account: u32, address: u32, pair: u32) -> SignInFailures {
        SignInFailures {
            account,
            address,
            pair,
        }
    }

    #[test]
    fn a_clean_address_is_allowed_or_only_delayed_however_attacked_the_account_is() {
        assert_eq!(decide(failures(0, 0, 0)), Decision::Allow);
        assert_eq!(decide(failures(9, 0, 0)), Decision::Allow);
        assert_eq!(decide(failures(10, 0, 0)), Decision::Delay(1));
        assert_eq!(decide(failures(11, 0, 0)), Decision::Delay(2));
        assert_eq!(decide(failures(13, 0, 0)), Decision::Delay(8));
        assert_eq!(
            decide(failures(10_000, 0, 0)),
            Decision::Delay(MAX_DELAY_SECS)
        );
    }

    #[test]
    fn a_guessing_address_is_refused_for_the_account_then_for_everything() {
        assert_eq!(decide(failures(4, 4, 4)), Decision::Allow);
        assert_eq!(decide(failures(5, 5, 5)), Decision::RefusePair);
        assert_eq!(decide(failures(0, 19, 0)), Decision::Allow);
        assert_eq!(decide(failures(0, 20, 0)), Decision::RefuseAddress);
        assert_eq!(decide(failures(50, 20, 5)), Decision::RefuseAddress);
    }

    #[test]
    fn addresses_count_by_host_or_by_ipv6_prefix() {
        let key = |s: &str| address_key(Some(s.parse().unwrap()));
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2:aaaa::1"));
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(address_key(None), "-");
    }
}
