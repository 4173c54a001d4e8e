//! Flow `Definition` / `Content` validation (`ccgate_flows::definition`).
//!
//! Input: the definition text (lossy UTF-8), as `CreateContactFlow` receives `Content`.
//!
//! Properties:
//! * `validate` never panics and is deterministic, for each flow type;
//! * its verdict equals an independent implementation of the four documented rules;
//! * sub and survey flows get the same verdict; no text is valid both as a main flow and as a
//!   sub flow (their start activities exclude each other);
//! * a valid definition stays valid after a JSON round trip (parse, serialize);
//! * `check` maps every refusal to 400 `InvalidParameter` on `Content`, carrying the reason.
#![no_main]

use ccgate_flows::definition::{START_TYPES, check, validate};
use ccgate_flows::flow_type::FlowType;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The rules of `definition.rs`'s module docs, written again from the docs.
fn reference(content: &str, flow_type: FlowType) -> bool {
    let Ok(doc) = serde_json::from_str::<Value>(content) else {
        return false;
    };
    let Some(activities) = doc.get("activities").and_then(Value::as_array) else {
        return false;
    };
    if !doc.is_object() {
        return false;
    }
    let nonempty_str = |v: Option<&Value>| v.and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    let mut ids = std::collections::HashSet::new();
    for a in activities {
        if !a.is_object() || !nonempty_str(a.get("type")) {
            return false;
        }
        match a.get("id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => {
                if !ids.insert(id) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    for a in activities {
        match a.get("events") {
            None | Some(Value::Null) => {}
            Some(Value::Array(events)) => {
                for ev in events {
                    if !ev.is_object() || !nonempty_str(ev.get("event")) {
                        return false;
                    }
                    match ev.get("next") {
                        None | Some(Value::Null) => {}
                        Some(Value::String(n)) if n.is_empty() || ids.contains(n.as_str()) => {}
                        Some(_) => return false,
                    }
                }
            }
            Some(_) => return false,
        }
    }
    let wanted = flow_type.start_activity();
    let types: Vec<&str> = activities
        .iter()
        .filter_map(|a| a.get("type").and_then(Value::as_str))
        .filter(|t| START_TYPES.contains(t))
        .collect();
    types.len() == 1 && types[0] == wanted
}

fuzz_target!(|data: &[u8]| {
    let content = String::from_utf8_lossy(data);
    let mut verdicts = Vec::new();
    for t in [FlowType::Main, FlowType::Sub, FlowType::Survey] {
        let got = validate(&content, t);
        assert_eq!(got, validate(&content, t), "deterministic");
        assert_eq!(
            got.is_ok(),
            reference(&content, t),
            "{} verdict {got:?} differs from the documented rules",
            t.as_2020()
        );
        match (&got, check(&content, t)) {
            (Ok(()), Ok(())) => {}
            (Err(why), Err(e)) => {
                assert!(!why.is_empty());
                assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
                assert!(e.message.contains("Content") && e.message.ends_with(why.as_str()));
            }
            (a, b) => panic!("validate {a:?} but check {b:?}"),
        }
        if got.is_ok() {
            let value: Value = serde_json::from_str(&content).expect("valid means JSON");
            let again = serde_json::to_string(&value).expect("serializes");
            assert_eq!(validate(&again, t), Ok(()), "valid after a JSON round trip");
        }
        verdicts.push(got.is_ok());
    }
    assert_eq!(
        verdicts[1], verdicts[2],
        "sub and survey flows follow the same rules"
    );
    assert!(
        !(verdicts[0] && verdicts[1]),
        "valid both as a main and as a sub flow"
    );
});
