//! Property tests for the parsers an attacker reaches first: scope strings, redirect URIs and
//! JWTs (the same parsers the cargo-fuzz targets under `fuzz/` drive).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly at the line that broke"
)]

use keygate_core::credentials::{looks_like_jwt, BearerRejection, Credentials};
use keygate_core::ids::{AppId, AuthorizationId, UserId};
use keygate_core::keys::{generate_es256, KeyRing};
use keygate_core::model::ClientKind;
use keygate_core::oauth::authorize::redirect_with;
use keygate_core::oauth::redirect::{redirect_matches, validate_callback};
use keygate_core::scopes::{catalogue, ScopeSet};
use keygate_core::validate::callback_url;
use proptest::prelude::*;

fn known_scopes() -> Vec<String> {
    let mut names: Vec<String> = [
        "vso.profile",
        "vso.code",
        "vso.code_write",
        "vso.work",
        "vso.work_write",
        "vso.build",
        "vso.project",
    ]
    .iter()
    .filter(|s| catalogue().get(s).is_some())
    .map(|s| (*s).to_owned())
    .collect();
    names.sort();
    names
}

/// A known scope in random letter case.
fn scope_in_any_case() -> impl Strategy<Value = String> {
    (proptest::sample::select(known_scopes()), any::<u64>()).prop_map(|(s, bits)| {
        s.chars()
            .enumerate()
            .map(|(i, c)| {
                if (bits >> (i % 64)) & 1 == 1 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect()
    })
}

fn credentials() -> Credentials {
    Credentials::new(
        "keygate.test".into(),
        KeyRing::load(&[generate_es256(0).unwrap()]).unwrap(),
    )
}

proptest! {
    #[test]
    fn scope_strings_of_known_scopes_parse_to_their_canonical_set(
        scopes in proptest::collection::vec(scope_in_any_case(), 1..6),
        separators in proptest::collection::vec(
            proptest::sample::select(vec![" ", "+", ",", "  ", "\t"]),
            6,
        ),
    ) {
        let raw: String = scopes
            .iter()
            .zip(separators.iter().cycle())
            .map(|(s, sep)| format!("{s}{sep}"))
            .collect();
        let set = ScopeSet::parse(&raw).unwrap();
        let mut expected: Vec<String> = scopes.iter().map(|s| s.to_ascii_lowercase()).collect();
        expected.sort();
        expected.dedup();
        prop_assert_eq!(set.iter().map(str::to_owned).collect::<Vec<_>>(), expected);
        prop_assert_eq!(ScopeSet::parse(&set.to_string()).unwrap(), set.clone());
        for s in set.iter() {
            prop_assert!(set.allows(s));
        }
    }

    #[test]
    fn any_string_either_parses_to_a_canonical_scope_set_or_is_refused(raw in ".{0,200}") {
        if let Ok(set) = ScopeSet::parse(&raw) {
            let text = set.to_string();
            prop_assert_eq!(ScopeSet::parse(&text).unwrap(), set.clone());
            prop_assert_eq!(text.to_ascii_lowercase(), text.clone());
        }
    }

    #[test]
    fn accepted_callbacks_are_absolute_https_urls_without_fragments_or_user_info(
        raw in "(https?|javascript|data|com\\.example\\.app)://?[a-zA-Z0-9.:@#?/%&=\\[\\]-]{0,60}",
        allow_http in any::<bool>(),
    ) {
        if let Ok(ok) = callback_url(&raw, allow_http) {
            let url = url::Url::parse(&ok).unwrap();
            prop_assert!(url.scheme() == "https" || (allow_http && url.scheme() == "http"));
            prop_assert!(url.fragment().is_none());
            prop_assert!(url.username().is_empty() && url.password().is_none());
            prop_assert!(url.host_str().is_some_and(|h| !h.is_empty()));
            // Appending a code and state keeps a URL on the same origin.
            let with = redirect_with(&ok, &[("code", Some("c")), ("state", Some(&raw))]);
            prop_assert_eq!(url::Url::parse(&with).unwrap().origin(), url.origin());
        }
        for kind in [ClientKind::Confidential, ClientKind::Public] {
            if let Ok(ok) = validate_callback(&raw, kind, allow_http) {
                prop_assert!(redirect_matches(&ok, &ok, kind));
            }
        }
    }

    #[test]
    fn a_confidential_redirect_matches_only_byte_for_byte(
        a in "https://[a-z]{1,8}\\.example(:[0-9]{1,4})?/[a-z]{0,8}",
        b in "https://[a-z]{1,8}\\.example(:[0-9]{1,4})?/[a-z]{0,8}",
    ) {
        prop_assert_eq!(redirect_matches(&a, &b, ClientKind::Confidential), a == b);
    }

    #[test]
    fn arbitrary_strings_are_never_accepted_as_access_tokens(raw in ".{0,300}") {
        let c = credentials();
        prop_assert!(c.verify_access_token(&raw, 10).is_err());
        let _ = looks_like_jwt(&raw);
    }

    #[test]
    fn a_token_with_any_character_changed_is_refused(
        position in 0usize..1000,
        replacement in proptest::char::range('!', '~'),
    ) {
        let c = credentials();
        let scopes = ScopeSet::parse("vso.work").unwrap();
        let token = c
            .mint_access_token(
                UserId::new_random(),
                AppId::new_random(),
                AuthorizationId::new_random(),
                &scopes,
                0,
                500,
            )
            .unwrap();
        let i = position % token.len();
        prop_assume!(token.as_bytes()[i] as char != replacement);
        let mut forged = token.clone();
        forged.replace_range(i..=i, &replacement.to_string());
        // Base64url has spare bits in a segment's last character, so a change there may decode
        // to the same bytes (and the same claims); anything else must be refused.
        match c.verify_access_token(&forged, 10) {
            Ok(claims) => prop_assert_eq!(claims, c.verify_access_token(&token, 10).unwrap()),
            Err(e) => prop_assert!(matches!(
                e,
                BearerRejection::Invalid | BearerRejection::NotAnAccessToken
            )),
        }
    }
}
