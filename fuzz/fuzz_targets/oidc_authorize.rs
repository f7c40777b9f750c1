//! `GET` and `POST /oauth2/authorize` with a valid OpenID Connect request whose OpenID parameters
//! (`prompt`, `max_age`, `id_token_hint`, `login_hint`, `claims`, `response_mode`, `nonce`,
//! `ui_locales`, `request`) take any values: the parsers behind them must never fault, and the
//! answer must never redirect anywhere but to sign-in (same origin) or the registered callback.

#![no_main]

use axum::body::Body;
use axum::http::{header, Request};
use keygate_fuzz::{as_query, harness, CALLBACK};
use libfuzzer_sys::fuzz_target;

/// The OpenID parameters the fuzzer's input is spread over, in order.
const PARAMETERS: [&str; 9] = [
    "prompt",
    "max_age",
    "id_token_hint",
    "login_hint",
    "claims",
    "response_mode",
    "nonce",
    "ui_locales",
    "request",
];

fuzz_target!(|data: &[u8]| {
    let h = harness();
    // One value per parameter, separated by 0xff bytes; missing ones are left out.
    let mut query = h.fill(
        "client_id={app}&response_type=code&scope=openid%20profile&redirect_uri={callback}\
         &state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGyjw_AeUI&code_challenge_method=S256",
    );
    for (name, value) in PARAMETERS.iter().zip(data.split(|b| *b == 0xff)) {
        query.push('&');
        query.push_str(name);
        query.push('=');
        query.push_str(&as_query(value));
    }
    let get = Request::get(format!("/oauth2/authorize?{query}")).body(Body::empty());
    let post = Request::post("/oauth2/authorize")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(query.clone()));
    for request in [get, post].into_iter().flatten() {
        let (status, location, _) = h.send(request);
        assert!(!status.is_server_error(), "authorize answered {status}");
        if let Some(location) = location {
            let same_origin = location.starts_with('/') && !location.starts_with("//");
            assert!(
                same_origin || location.starts_with(CALLBACK),
                "open redirect to {location}"
            );
        }
    }
});
