//! Where service hook deliveries may connect: only to public internet addresses, so a
//! subscription cannot point Keygate at its own network (server-side request forgery: private
//! ranges, loopback, link-local cloud metadata at 169.254.169.254, ...). Names are resolved by
//! [`PublicOnly`], which hands the connector only the public addresses it found, so a name that
//! resolves differently on the second lookup (DNS rebinding) gains nothing; IP literals, which
//! are not resolved, are checked by [`literal_host_is_public`]. In emulator mode every address
//! is allowed: a test suite's receivers run on the same machine.

use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether a delivery may connect to `ip`: a globally routable unicast address.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            let special = v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (b & 0xc0) == 64) // 100.64.0.0/10, carrier-grade NAT
                || (a == 192 && b == 0 && c == 0) // 192.0.0.0/24, protocol assignments
                || (a == 198 && (b & 0xfe) == 18) // 198.18.0.0/15, benchmarking
                || a >= 240; // reserved
            !special
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let special = v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // fc00::/7, unique local
                || (s[0] & 0xffc0) == 0xfe80 // fe80::/10, link local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x64 && s[1] == 0xff9b); // NAT64, which reaches IPv4 ranges
            !special
        }
    }
}

/// Whether the host of `url` is allowed when it is an IP literal (names are checked when they
/// are resolved); `true` for a name.
pub(crate) fn literal_host_is_public(url: &str) -> bool {
    match url::Url::parse(url).ok().as_ref().and_then(url::Url::host) {
        Some(url::Host::Ipv4(ip)) => is_public(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_public(IpAddr::V6(ip)),
        Some(url::Host::Domain(_)) => true,
        None => false,
    }
}

/// A resolver that answers only the public addresses of a name; a name with none is an error.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let public: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if public.is_empty() {
                return Err(format!("{host} has no public internet address").into());
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "a test should fail loudly at the line that broke"
)]
mod tests {
    use super::*;

    fn public(ip: &str) -> bool {
        is_public(ip.parse().unwrap())
    }

    #[test]
    fn only_globally_routable_addresses_are_public() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
        ] {
            assert!(!public(internal), "{internal} counted as public");
        }
        for outside in ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(public(outside), "{outside} counted as internal");
        }
    }

    #[test]
    fn ip_literals_in_consumer_urls_are_checked_and_names_left_to_the_resolver() {
        assert!(!literal_host_is_public(
            "https://169.254.169.254/latest/meta-data"
        ));
        assert!(!literal_host_is_public("https://[::1]:8443/hook"));
        assert!(!literal_host_is_public("https://10.0.0.5/hook"));
        assert!(literal_host_is_public("https://1.1.1.1/hook"));
        assert!(literal_host_is_public("https://hooks.example.com/hook"));
    }

    #[tokio::test]
    async fn a_name_with_only_internal_addresses_does_not_resolve() {
        let name: Name = "localhost".parse().unwrap();
        let resolved = PublicOnly.resolve(name).await;
        assert!(resolved.is_err(), "localhost resolved for a delivery");
    }
}
