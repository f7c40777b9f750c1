//! JSON Patch (RFC 6902) documents as the work item API takes them: `add`, `replace`, `remove`
//! and `test` on `/fields/{referenceName}`, and `test` on `/rev` or `/id` (the optimistic
//! concurrency check clients send). Parsing is separate from applying, so a document is checked
//! whole before anything changes.

use serde::Deserialize;
use serde_json::{Map, Value};

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Sets a field (RFC 6902 §4.1).
    Add,
    /// Sets a field that may already have a value (§4.3).
    Replace,
    /// Clears a field (§4.2).
    Remove,
    /// Fails the whole document unless the target has the value (§4.6).
    Test,
}

/// What an operation points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `/fields/{referenceName}`.
    Field(String),
    /// `/rev`.
    Rev,
    /// `/id`.
    Id,
}

/// One checked operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// What it does.
    pub op: Op,
    /// What it points at.
    pub target: Target,
    /// The value of `add`, `replace` and `test`; `None` for `remove`.
    pub value: Option<Value>,
}

/// Why a document or one of its operations is unusable, or a `test` failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The body is not a JSON array of operations.
    #[error("The request body is not a valid JSON Patch document: {0}")]
    Malformed(String),
    /// An operation this API does not support (`move`, `copy`, an unknown name).
    #[error("The operation '{0}' is not supported. Use add, replace, remove or test.")]
    UnsupportedOp(String),
    /// A path that is not `/fields/...`, `/rev` or `/id`.
    #[error("The path '{0}' is not supported. Use /fields/{{referenceName}}.")]
    UnsupportedPath(String),
    /// `add`, `replace` or `test` without a value.
    #[error("The operation on '{0}' needs a value.")]
    MissingValue(String),
    /// A field value that is not a string, number, boolean or null.
    #[error("The value for field '{0}' must be a string, a number or a boolean.")]
    InvalidValue(String),
    /// No such field in the process.
    #[error("TF51535: Cannot find field {0}.")]
    UnknownField(String),
    /// A field the server maintains.
    #[error("TF401326: Invalid field status 'ReadOnly' for field '{0}'.")]
    ReadOnly(String),
    /// A `test` operation whose value did not match.
    #[error("Test operation failed: the value at '{0}' is not the expected value.")]
    TestFailed(String),
}

#[derive(Deserialize)]
struct RawOperation {
    op: String,
    path: String,
    /// Present (even as `null`) or absent: `null` is a value for `test` and `add`.
    #[serde(default, deserialize_with = "present")]
    value: Option<Value>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// Fields the server sets: a client may test them, never set them.
pub const READ_ONLY_FIELDS: &[&str] = &[
    "System.Id",
    "System.Rev",
    "System.WorkItemType",
    "System.TeamProject",
    "System.CreatedBy",
    "System.CreatedDate",
    "System.ChangedBy",
    "System.ChangedDate",
    "System.AuthorizedDate",
    "System.RevisedDate",
    "System.Watermark",
];

/// Fields a client may set, beside any field the item already has (the Agile, Scrum and Basic
/// processes' common fields).
pub const WRITABLE_FIELDS: &[&str] = &[
    "System.Title",
    "System.Description",
    "System.State",
    "System.Reason",
    "System.AssignedTo",
    "System.Tags",
    "System.AreaPath",
    "System.IterationPath",
    "System.History",
    "Microsoft.VSTS.Common.Priority",
    "Microsoft.VSTS.Common.Severity",
    "Microsoft.VSTS.Common.ValueArea",
    "Microsoft.VSTS.Common.AcceptanceCriteria",
    "Microsoft.VSTS.Common.Activity",
    "Microsoft.VSTS.TCM.ReproSteps",
    "Microsoft.VSTS.Scheduling.Effort",
    "Microsoft.VSTS.Scheduling.StoryPoints",
    "Microsoft.VSTS.Scheduling.OriginalEstimate",
    "Microsoft.VSTS.Scheduling.RemainingWork",
    "Microsoft.VSTS.Scheduling.CompletedWork",
];

/// The canonical spelling of a known field name (reference names compare ignoring case).
pub fn known_field(name: &str) -> Option<&'static str> {
    READ_ONLY_FIELDS
        .iter()
        .chain(WRITABLE_FIELDS)
        .find(|f| f.eq_ignore_ascii_case(name))
        .copied()
}

/// Parses a JSON Patch document; every operation is checked for shape, none is applied.
pub fn parse(body: &[u8]) -> Result<Vec<Operation>, PatchError> {
    let raw: Vec<RawOperation> =
        serde_json::from_slice(body).map_err(|e| PatchError::Malformed(e.to_string()))?;
    raw.into_iter().map(operation).collect()
}

fn operation(raw: RawOperation) -> Result<Operation, PatchError> {
    let op = match raw.op.to_ascii_lowercase().as_str() {
        "add" => Op::Add,
        "replace" => Op::Replace,
        "remove" => Op::Remove,
        "test" => Op::Test,
        _ => return Err(PatchError::UnsupportedOp(raw.op.chars().take(32).collect())),
    };
    let target = target(&raw.path)?;
    if op != Op::Remove && raw.value.is_none() {
        return Err(PatchError::MissingValue(raw.path));
    }
    let value = if op == Op::Remove { None } else { raw.value };
    Ok(Operation { op, target, value })
}

fn target(path: &str) -> Result<Target, PatchError> {
    let unsupported = || PatchError::UnsupportedPath(path.chars().take(128).collect());
    if path.eq_ignore_ascii_case("/rev") {
        return Ok(Target::Rev);
    }
    if path.eq_ignore_ascii_case("/id") {
        return Ok(Target::Id);
    }
    let rest = path
        .get(..8)
        .filter(|p| p.eq_ignore_ascii_case("/fields/"))
        .map(|_| &path[8..])
        .ok_or_else(unsupported)?;
    // RFC 6901 escapes; a reference name has no further segments.
    if rest.is_empty() || rest.contains('/') || rest.len() > 128 {
        return Err(unsupported());
    }
    Ok(Target::Field(rest.replace("~1", "/").replace("~0", "~")))
}

/// Applies checked operations to a work item's `fields` (at revision `rev`, number `id`), all or
/// nothing: on an error `fields` is left as it was. Field names are stored in their canonical
/// spelling.
pub fn apply(
    fields: &mut Map<String, Value>,
    rev: i64,
    id: i64,
    ops: &[Operation],
) -> Result<(), PatchError> {
    let mut next = fields.clone();
    for operation in ops {
        apply_one(&mut next, rev, id, operation)?;
    }
    *fields = next;
    Ok(())
}

fn number_matches(value: Option<&Value>, expected: i64) -> bool {
    match value {
        Some(Value::Number(n)) => n.as_i64() == Some(expected),
        Some(Value::String(s)) => s.trim().parse::<i64>() == Ok(expected),
        _ => false,
    }
}

fn apply_one(
    fields: &mut Map<String, Value>,
    rev: i64,
    id: i64,
    operation: &Operation,
) -> Result<(), PatchError> {
    let name = match &operation.target {
        Target::Rev | Target::Id => {
            let (path, actual) = match operation.target {
                Target::Rev => ("/rev", rev),
                _ => ("/id", id),
            };
            return match operation.op {
                Op::Test if number_matches(operation.value.as_ref(), actual) => Ok(()),
                Op::Test => Err(PatchError::TestFailed(path.into())),
                _ => Err(PatchError::ReadOnly(path.into())),
            };
        }
        Target::Field(name) => name,
    };
    let existing = fields
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned();
    let canonical = match (known_field(name), existing) {
        (Some(known), _) => known.to_owned(),
        (None, Some(existing)) => existing,
        (None, None) => return Err(PatchError::UnknownField(name.clone())),
    };
    if operation.op == Op::Test {
        let actual = fields.get(&canonical).unwrap_or(&Value::Null);
        let expected = operation.value.as_ref().unwrap_or(&Value::Null);
        return if actual == expected {
            Ok(())
        } else {
            Err(PatchError::TestFailed(format!("/fields/{canonical}")))
        };
    }
    if READ_ONLY_FIELDS.contains(&canonical.as_str()) {
        return Err(PatchError::ReadOnly(canonical));
    }
    match (operation.op, &operation.value) {
        (Op::Remove, _) | (_, Some(Value::Null)) => {
            fields.remove(&canonical);
        }
        (_, Some(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_)))) => {
            fields.insert(canonical, v.clone());
        }
        _ => return Err(PatchError::InvalidValue(canonical)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Vec<Operation> {
        parse(v.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn add_replace_and_remove_change_fields_in_canonical_spelling() {
        let mut fields = Map::new();
        fields.insert("System.Title".into(), json!("Old"));
        fields.insert("System.Tags".into(), json!("x"));
        let ops = doc(json!([
            {"op": "replace", "path": "/fields/system.title", "value": "New"},
            {"op": "add", "path": "/fields/Microsoft.VSTS.Common.Priority", "value": 2},
            {"op": "remove", "path": "/fields/System.Tags"}
        ]));
        apply(&mut fields, 1, 7, &ops).unwrap();
        assert_eq!(
            Value::Object(fields),
            json!({"System.Title": "New", "Microsoft.VSTS.Common.Priority": 2})
        );
    }

    #[test]
    fn a_failed_test_changes_nothing() {
        let mut fields = Map::new();
        fields.insert("System.Title".into(), json!("Old"));
        let ops = doc(json!([
            {"op": "add", "path": "/fields/System.State", "value": "Active"},
            {"op": "test", "path": "/rev", "value": 3}
        ]));
        assert_eq!(
            apply(&mut fields, 2, 7, &ops),
            Err(PatchError::TestFailed("/rev".into()))
        );
        assert_eq!(Value::Object(fields), json!({"System.Title": "Old"}));
    }

    #[test]
    fn tests_on_rev_id_and_fields_pass_when_equal() {
        let mut fields = Map::new();
        fields.insert("System.Title".into(), json!("T"));
        let ops = doc(json!([
            {"op": "test", "path": "/rev", "value": 2},
            {"op": "test", "path": "/id", "value": "7"},
            {"op": "test", "path": "/fields/System.Title", "value": "T"},
            {"op": "test", "path": "/fields/System.State", "value": null}
        ]));
        apply(&mut fields, 2, 7, &ops).unwrap();
    }

    #[test]
    fn unknown_and_read_only_fields_are_refused() {
        let mut fields = Map::new();
        let unknown = doc(json!([{"op": "add", "path": "/fields/No.Such", "value": 1}]));
        assert_eq!(
            apply(&mut fields, 1, 1, &unknown),
            Err(PatchError::UnknownField("No.Such".into()))
        );
        let read_only = doc(json!([{"op": "add", "path": "/fields/System.Rev", "value": 9}]));
        assert_eq!(
            apply(&mut fields, 1, 1, &read_only),
            Err(PatchError::ReadOnly("System.Rev".into()))
        );
        let object = doc(json!([{"op": "add", "path": "/fields/System.Title", "value": {}}]));
        assert!(matches!(
            apply(&mut fields, 1, 1, &object),
            Err(PatchError::InvalidValue(_))
        ));
    }

    #[test]
    fn malformed_documents_are_refused_before_anything_applies() {
        for body in [
            "{}",
            "[{\"op\":\"move\",\"path\":\"/fields/System.Title\",\"from\":\"/x\"}]",
            "[{\"op\":\"add\",\"path\":\"/relations/-\",\"value\":{}}]",
            "[{\"op\":\"add\",\"path\":\"/fields/System.Title\"}]",
            "[{\"op\":\"add\",\"path\":\"/fields/\",\"value\":1}]",
            "not json",
        ] {
            assert!(parse(body.as_bytes()).is_err(), "{body}");
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn operation() -> impl Strategy<Value = Value> {
            let op = prop_oneof![
                Just("add"),
                Just("replace"),
                Just("remove"),
                Just("test"),
                Just("move")
            ];
            let path = prop_oneof![
                Just("/fields/System.Title".to_owned()),
                Just("/fields/System.State".to_owned()),
                Just("/fields/System.Rev".to_owned()),
                Just("/rev".to_owned()),
                "/fields/[A-Za-z.]{0,12}",
                "/[a-z]{0,6}",
            ];
            let value = prop_oneof![
                Just(Value::Null),
                any::<i64>().prop_map(Value::from),
                "[a-zA-Z ]{0,8}".prop_map(Value::from),
                any::<bool>().prop_map(Value::from),
                Just(json!({"x": 1})),
            ];
            (op, path, proptest::option::of(value)).prop_map(|(op, path, value)| match value {
                Some(v) => json!({"op": op, "path": path, "value": v}),
                None => json!({"op": op, "path": path}),
            })
        }

        proptest! {
            #[test]
            fn a_document_applies_whole_or_not_at_all(
                ops in proptest::collection::vec(operation(), 0..8),
            ) {
                let Ok(parsed) = parse(Value::Array(ops).to_string().as_bytes()) else {
                    return Ok(());
                };
                let mut fields = Map::new();
                fields.insert("System.Title".into(), json!("Seed"));
                let before = fields.clone();
                match apply(&mut fields, 2, 9, &parsed) {
                    Ok(()) => prop_assert!(fields.values().all(|v| matches!(
                        v,
                        Value::String(_) | Value::Number(_) | Value::Bool(_)
                    ))),
                    Err(_) => prop_assert_eq!(fields, before),
                }
            }

            #[test]
            fn any_bytes_parse_or_are_refused_without_panicking(body in proptest::collection::vec(any::<u8>(), 0..256)) {
                let _ = parse(&body);
            }
        }
    }
}
