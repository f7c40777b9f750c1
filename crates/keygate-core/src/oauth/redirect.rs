//! Which redirect URIs an app may register and which a request may use (RFC 6749 §3.1.2,
//! RFC 8252 §7 for native apps).
//!
//! Confidential apps register an https URL (protocol §2) and must repeat it byte for byte.
//! Public (native) apps may also register a loopback `http://127.0.0.1` or `http://[::1]` URL,
//! matched ignoring the port because the app picks a free one at run time (RFC 8252 §7.3), or a
//! private-use URI scheme in reverse-domain form such as `com.example.app:/callback` (§7.1).

use url::{Host, Url};

use crate::model::ClientKind;
use crate::validate;

/// Whether `url` is a loopback IP redirect: plain http to an IP literal, never `localhost`
/// (RFC 8252 §8.3: a name can be re-pointed; the literal cannot).
pub fn is_loopback_ip(url: &Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        }
}

/// Whether `url` uses a private-use scheme: reverse-domain form, so it contains a period and
/// cannot be `javascript:`, `data:`, `file:` or any other scheme a browser acts on itself.
pub fn is_private_use_scheme(url: &Url) -> bool {
    let scheme = url.scheme();
    scheme.contains('.')
        && !scheme.starts_with('.')
        && !scheme.ends_with('.')
        && !scheme.contains("..")
}

/// Checks a callback URL at registration: https (or http with the development switch) for every
/// app; for public apps also a loopback IP redirect or a private-use scheme.
pub fn validate_callback(raw: &str, kind: ClientKind, allow_http: bool) -> Result<String, String> {
    let web = validate::callback_url(raw, allow_http);
    if web.is_ok() || kind == ClientKind::Confidential {
        return web;
    }
    let t = raw.trim();
    let native = Url::parse(t).ok().filter(|url| {
        url.fragment().is_none()
            && url.username().is_empty()
            && url.password().is_none()
            && t.len() <= 2048
            && (is_loopback_ip(url) || is_private_use_scheme(url))
    });
    match native {
        Some(_) => Ok(t.to_owned()),
        None => Err(
            "must be https, a loopback URL such as http://127.0.0.1/callback, or a \
                     private-use scheme such as com.example.app:/callback"
                .into(),
        ),
    }
}

/// Whether a redirect URI presented at authorize matches the registered one: byte for byte,
/// except that a public app's loopback IP redirect may name any port (RFC 8252 §7.3).
pub fn redirect_matches(registered: &str, presented: &str, kind: ClientKind) -> bool {
    if registered == presented {
        return true;
    }
    if kind != ClientKind::Public {
        return false;
    }
    let (Ok(reg), Ok(pre)) = (Url::parse(registered), Url::parse(presented)) else {
        return false;
    };
    is_loopback_ip(&reg)
        && is_loopback_ip(&pre)
        && reg.host() == pre.host()
        && reg.path() == pre.path()
        && reg.query() == pre.query()
        && pre.fragment().is_none()
        && pre.username().is_empty()
        && pre.password().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PUBLIC: ClientKind = ClientKind::Public;
    const CONFIDENTIAL: ClientKind = ClientKind::Confidential;

    #[test]
    fn public_apps_may_register_loopback_and_private_use_redirects() {
        for ok in [
            "http://127.0.0.1/callback",
            "http://127.0.0.1:8400/cb",
            "http://[::1]:9000/cb",
            "com.example.app:/callback",
            "com.example.app://oauth",
            "https://app.example/cb",
        ] {
            assert!(validate_callback(ok, PUBLIC, false).is_ok(), "{ok} refused");
        }
    }

    #[test]
    fn native_redirects_are_refused_for_confidential_apps_and_dangerous_schemes_for_all() {
        for native in ["http://127.0.0.1/cb", "com.example.app:/callback"] {
            assert!(validate_callback(native, CONFIDENTIAL, false).is_err());
        }
        for bad in [
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "http://localhost:8080/cb",
            "http://10.0.0.1/cb",
            "http://127.0.0.1/cb#frag",
            "http://user@127.0.0.1/cb",
            "myapp:/cb",
            ".com.example:/cb",
        ] {
            assert!(
                validate_callback(bad, PUBLIC, false).is_err(),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn a_confidential_app_must_repeat_its_callback_exactly() {
        let reg = "https://localhost:5001/cb";
        assert!(redirect_matches(reg, reg, CONFIDENTIAL));
        assert!(!redirect_matches(
            reg,
            "https://localhost:5002/cb",
            CONFIDENTIAL
        ));
        assert!(!redirect_matches(
            "http://127.0.0.1:80/cb",
            "http://127.0.0.1:81/cb",
            CONFIDENTIAL
        ));
    }

    #[test]
    fn private_use_schemes_match_exactly() {
        let reg = "com.example.app:/callback";
        assert!(redirect_matches(reg, reg, PUBLIC));
        assert!(!redirect_matches(reg, "com.example.app:/other", PUBLIC));
        assert!(!redirect_matches(reg, "com.evil.app:/callback", PUBLIC));
    }

    proptest! {
        #[test]
        fn a_public_loopback_redirect_matches_on_any_port(
            registered_port in proptest::option::of(1u16..),
            port in 1u16..,
            v6 in any::<bool>(),
            path in "/[a-z]{0,12}",
        ) {
            let host = if v6 { "[::1]" } else { "127.0.0.1" };
            let reg = match registered_port {
                Some(p) => format!("http://{host}:{p}{path}"),
                None => format!("http://{host}{path}"),
            };
            let presented = format!("http://{host}:{port}{path}");
            prop_assert!(redirect_matches(&reg, &presented, PUBLIC));
        }

        #[test]
        fn a_loopback_redirect_with_another_path_host_or_scheme_never_matches(
            port in 1u16..,
            path in "/[a-z]{1,12}",
            other in "/[a-z]{1,12}",
        ) {
            prop_assume!(path != other);
            let reg = format!("http://127.0.0.1{path}");
            for presented in [
                format!("http://127.0.0.1:{port}{other}"),
                format!("http://[::1]:{port}{path}"),
                format!("https://127.0.0.1:{port}{path}"),
                format!("http://localhost:{port}{path}"),
                format!("http://127.0.0.1:{port}{path}?x=1"),
                format!("http://127.0.0.1:{port}{path}#f"),
                format!("http://127.0.0.2:{port}{path}"),
            ] {
                prop_assert!(!redirect_matches(&reg, &presented, PUBLIC), "{} matched", presented);
            }
        }

        #[test]
        fn no_presented_uri_matches_a_confidential_callback_unless_identical(
            presented in "[ -~]{0,40}",
        ) {
            let reg = "https://app.example/cb";
            prop_assert_eq!(redirect_matches(reg, &presented, CONFIDENTIAL), presented == reg);
        }
    }
}
