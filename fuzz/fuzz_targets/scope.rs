//! Scope strings: parsing never panics, and what it accepts is canonical (lower case, sorted,
//! no duplicates), round-trips through its text form, and is contained in its own closure.

#![no_main]

use keygate_core::scopes::ScopeSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(set) = ScopeSet::parse(text) else {
        return;
    };
    let canonical = set.to_string();
    assert_eq!(ScopeSet::parse(&canonical).as_ref(), Ok(&set));
    assert_eq!(ScopeSet::from_stored(&canonical), set);
    let scopes: Vec<&str> = set.iter().collect();
    assert!(scopes.windows(2).all(|w| w[0] < w[1]), "{canonical}");
    assert!(scopes.iter().all(|s| *s == s.to_ascii_lowercase()));
    let closure = set.closure();
    for s in &scopes {
        assert!(closure.contains(s), "{s} missing from its closure");
        assert!(set.allows(s));
    }
});
