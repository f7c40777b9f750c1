//! Connections held per client address, so that one address cannot take every connection slot
//! (a slow-header flood) and keep everybody else out.
//!
//! IPv4 addresses count one by one; IPv6 addresses count by their /64 prefix, since one host
//! commonly holds a whole /64 and could otherwise open each connection from a new address.
//! Trusted reverse proxies carry many clients and are not counted (see
//! [`Limits::trusted_proxies`](crate::limits::Limits::trusted_proxies)).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// What addresses are counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum AddressKey {
    V4(u32),
    /// The first 64 bits.
    V6Prefix(u64),
}

impl AddressKey {
    fn of(addr: IpAddr) -> Self {
        match crate::forwarded::canonical(addr) {
            IpAddr::V4(v4) => Self::V4(u32::from(v4)),
            IpAddr::V6(v6) => Self::V6Prefix((u128::from(v6) >> 64) as u64),
        }
    }
}

/// The connections each address holds now.
#[derive(Debug)]
pub(crate) struct AddressSlots {
    per_address: usize,
    held: Mutex<HashMap<AddressKey, usize>>,
}

/// One connection's slot; given back when dropped. A slot of an uncounted connection (no cap,
/// or a trusted proxy) holds nothing.
#[derive(Debug)]
pub(crate) struct AddressSlot {
    counted: Option<(Arc<AddressSlots>, AddressKey)>,
}

impl AddressSlot {
    /// A slot that counts against nothing.
    pub(crate) fn uncounted() -> Self {
        Self { counted: None }
    }
}

impl AddressSlots {
    /// At most `per_address` connections per address; 0 means no cap.
    pub(crate) fn new(per_address: usize) -> Arc<Self> {
        Arc::new(Self {
            per_address,
            held: Mutex::new(HashMap::new()),
        })
    }

    /// A slot for a connection from `addr`, or `None` when that address holds its share.
    /// With no cap every connection gets one.
    pub(crate) fn take(self: &Arc<Self>, addr: IpAddr) -> Option<AddressSlot> {
        if self.per_address == 0 {
            return Some(AddressSlot::uncounted());
        }
        let key = AddressKey::of(addr);
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let count = held.entry(key).or_insert(0);
        if *count >= self.per_address {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            counted: Some((Arc::clone(self), key)),
        })
    }

    /// Connections `addr` holds now.
    #[cfg(test)]
    fn held_by(&self, addr: IpAddr) -> usize {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.get(&AddressKey::of(addr)).copied().unwrap_or(0)
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let Some((slots, key)) = self.counted.take() else {
            return;
        };
        let mut held = slots.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = held.get_mut(&key) {
            *count -= 1;
            if *count == 0 {
                // Forget idle addresses, so the map only ever holds connected clients.
                held.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_address_gets_its_share_and_no_more_and_gets_it_back() {
        let slots = AddressSlots::new(2);
        let a = slots.take(ip("192.0.2.1")).unwrap();
        let b = slots.take(ip("192.0.2.1")).unwrap();
        assert!(slots.take(ip("192.0.2.1")).is_none());
        assert!(
            slots.take(ip("192.0.2.2")).is_some(),
            "others are not affected"
        );
        drop(a);
        assert!(slots.take(ip("192.0.2.1")).is_some());
        drop(b);
        assert_eq!(slots.held_by(ip("192.0.2.1")), 0);
    }

    #[test]
    fn ipv6_addresses_of_one_prefix_share_a_count() {
        let slots = AddressSlots::new(1);
        let _held = slots.take(ip("2001:db8:1:2::1")).unwrap();
        assert!(slots.take(ip("2001:db8:1:2:ffff::9")).is_none());
        assert!(slots.take(ip("2001:db8:1:3::1")).is_some());
    }

    #[test]
    fn a_mapped_ipv4_address_counts_as_itself() {
        let slots = AddressSlots::new(1);
        let _held = slots.take(ip("192.0.2.1")).unwrap();
        assert!(slots.take(ip("::ffff:192.0.2.1")).is_none());
    }

    #[test]
    fn zero_means_no_cap() {
        let slots = AddressSlots::new(0);
        for _ in 0..1000 {
            assert!(slots.take(ip("192.0.2.1")).is_some());
        }
    }
}
