//! `POST /oauth2/token` with any body: the form parser, grant dispatch, client authentication and
//! credential lookups must answer every input without a server fault.

#![no_main]

use axum::body::Body;
use axum::http::Request;
use keygate_fuzz::harness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let h = harness();
    let body = match std::str::from_utf8(data) {
        Ok(text) => h.fill(text).into_bytes(),
        Err(_) => data.to_vec(),
    };
    let request = Request::post("/oauth2/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request");
    let (status, _, body) = h.send(request);
    assert!(
        !status.is_server_error(),
        "token endpoint answered {status}"
    );
    assert!(!status.is_success() || !body.is_empty());
});
