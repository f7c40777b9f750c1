//! JSON Patch documents for work items: parsing never panics, and applying what parses either
//! changes the fields completely or leaves them exactly as they were.

#![no_main]

use keygate_core::work_items::patch;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(ops) = patch::parse(data) else {
        return;
    };
    let mut fields = Map::new();
    fields.insert("System.Title".into(), json!("Seed"));
    fields.insert("System.State".into(), json!("New"));
    let before = fields.clone();
    match patch::apply(&mut fields, 3, 42, &ops) {
        Ok(()) => {
            for value in fields.values() {
                assert!(matches!(
                    value,
                    Value::String(_) | Value::Number(_) | Value::Bool(_)
                ));
            }
        }
        Err(_) => assert_eq!(fields, before, "a refused patch changed fields"),
    }
});
