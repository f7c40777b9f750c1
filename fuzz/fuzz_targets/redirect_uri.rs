//! Redirect URI rules: registration-time validation and authorize-time matching never panic, and
//! what they accept keeps its promises (https or an allowed native form, no fragment, no user
//! info; a match is reflexive; appending parameters keeps a parseable URL).

#![no_main]

use keygate_core::model::ClientKind;
use keygate_core::oauth::authorize::redirect_with;
use keygate_core::oauth::redirect::{redirect_matches, validate_callback};
use keygate_core::validate::callback_url;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (registered, presented) = text.split_once('\n').unwrap_or((text, text));
    for allow_http in [false, true] {
        if let Ok(ok) = callback_url(registered, allow_http) {
            let url = url::Url::parse(&ok).expect("accepted callbacks parse");
            assert!(url.scheme() == "https" || (allow_http && url.scheme() == "http"));
            assert!(
                url.fragment().is_none() && url.username().is_empty() && url.password().is_none()
            );
            assert!(url.host_str().is_some_and(|h| !h.is_empty()));
            let with = redirect_with(&ok, &[("code", Some(presented)), ("state", Some(text))]);
            assert!(url::Url::parse(&with).is_ok(), "{with}");
        }
        for kind in [ClientKind::Confidential, ClientKind::Public] {
            if let Ok(ok) = validate_callback(registered, kind, allow_http) {
                assert!(redirect_matches(&ok, &ok, kind));
                let url = url::Url::parse(&ok).expect("accepted callbacks parse");
                assert!(url.fragment().is_none() && url.username().is_empty());
                if kind == ClientKind::Confidential {
                    assert!(matches!(url.scheme(), "https" | "http"));
                }
            }
            let _ = redirect_matches(registered, presented, kind);
        }
    }
    if redirect_matches(registered, presented, ClientKind::Confidential) {
        assert_eq!(registered, presented);
    }
});
