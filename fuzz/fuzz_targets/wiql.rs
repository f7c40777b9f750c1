//! WIQL texts: parsing never panics, and a parsed query can always be run and sorted.

#![no_main]

use keygate_core::work_items::wiql;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = wiql::parse(text) else {
        return;
    };
    assert!(!query.columns.is_empty());
    let macros = wiql::Macros {
        project: Some("Web"),
        me: "Ana",
    };
    let fields = |title: &str| -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("System.Title".into(), json!(title));
        m.insert("System.State".into(), json!(1));
        m
    };
    let mut items = vec![(2, fields("b")), (1, fields("a")), (3, fields("B"))];
    for (id, f) in &items {
        let _ = query.matches(*id, f, macros);
    }
    query.sort(&mut items);
    assert_eq!(items.len(), 3);
});
