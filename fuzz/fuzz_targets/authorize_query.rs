//! `GET /oauth2/authorize?<any query>`: the query parser and request validation must never fault,
//! and must never redirect anywhere but to sign-in (same origin) or the registered callback.

#![no_main]

use axum::body::Body;
use axum::http::Request;
use keygate_fuzz::{as_query, harness, CALLBACK};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let h = harness();
    let query = match std::str::from_utf8(data) {
        Ok(text) => as_query(h.fill(text).as_bytes()),
        Err(_) => as_query(data),
    };
    let Ok(request) = Request::get(format!("/oauth2/authorize?{query}")).body(Body::empty()) else {
        return;
    };
    let (status, location, _) = h.send(request);
    assert!(!status.is_server_error(), "authorize answered {status}");
    if let Some(location) = location {
        let same_origin = location.starts_with('/') && !location.starts_with("//");
        assert!(
            same_origin || location.starts_with(CALLBACK),
            "open redirect to {location}"
        );
    }
});
