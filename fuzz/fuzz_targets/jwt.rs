//! JWT parsing: an access-token check on any string never panics, and anything it accepts is a
//! token this key signed that is alive at the given time.

#![no_main]

use std::sync::OnceLock;

use keygate_core::credentials::{looks_like_jwt, Credentials};
use keygate_core::keys::KeyRing;
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_800_000_000;

fn credentials() -> &'static Credentials {
    static CREDENTIALS: OnceLock<Credentials> = OnceLock::new();
    CREDENTIALS.get_or_init(|| {
        let key = keygate_core::keys::generate_es256(0).expect("key");
        Credentials::new("keygate.fuzz".into(), KeyRing::load(&[key]).expect("ring"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let _ = looks_like_jwt(token);
    if let Ok(claims) = credentials().verify_access_token(token, NOW) {
        assert!(claims.nbf <= NOW && NOW < claims.exp);
        assert_eq!(claims.iss, "keygate.fuzz");
    }
});
