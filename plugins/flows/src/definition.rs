//! Flow definition (`Content` of 2017 CreateContactFlow / CommitContactFlowVersionModification,
//! `Definition` of 2020 ListContactFlows) validation, and the default definition.
//!
//! Format, from the example of seed 000 (2020-07-01 ListContactFlows, `Definition`):
//!
//! ```json
//! {"activities": [
//!    {"type": "INCOMING_CALL", "id": "e98f0d47", "name": "开始", "properties": {...},
//!     "events": [{"event": "complete", "next": "2d3ad2c2", "edgeId": "41f7dbd0"}],
//!     "nodeIndex": 0},
//!    ...],
//!  "description": ""}
//! ```
//!
//! Rules checked (each failure is 400 `InvalidParameter` on `Content`, naming the activity by
//! id and name where there is one):
//! 1. the text is a JSON object with an `activities` array;
//! 2. every activity is an object with a non-empty string `id`, unique within the flow, and a
//!    non-empty string `type`;
//! 3. `events`, when present, is an array of objects with a non-empty string `event`, and each
//!    `next` is `null`, absent, `""` (all meaning "not connected") or the id of an activity of
//!    the same flow;
//! 4. exactly one start activity: `INCOMING_CALL` for main flows, `START` for sub and survey
//!    flows ([`FlowType::start_activity`]); the other start type may not appear at all.
//!
//! Other activity types and properties are not interpreted here.

use std::collections::HashMap;

use ccgate_plugin_sdk::ApiResult;
use serde_json::{Map, Value};

use crate::api::errors;
use crate::flow_type::FlowType;

/// The activity types that start a flow.
pub const START_TYPES: [&str; 2] = ["INCOMING_CALL", "START"];

/// The definition of a new instance's default flow: INCOMING_CALL → PLAY_SAY → HANGUP, the
/// example of seed 000 (with this gateway's greeting).
pub const DEFAULT_DEFINITION: &str = r#"{"activities":[{"type":"INCOMING_CALL","id":"e98f0d47","name":"开始","properties":{"position":{"x":263,"y":164}},"events":[{"event":"complete","next":"2d3ad2c2","edgeId":"41f7dbd0"}],"nodeIndex":0},{"type":"HANGUP","id":"bd4f37e2","name":"挂机","properties":{"position":{"x":765,"y":185}},"events":[{"event":"complete","next":null}],"nodeIndex":999},{"type":"PLAY_SAY","id":"2d3ad2c2","name":"放音","properties":{"say":"您好,欢迎来到云联络中心。","audioResourceId":"","position":{"x":485.5,"y":153.5},"audioType":"tts","audioInterrupt":false},"events":[{"event":"complete","next":"bd4f37e2","edgeId":"e1af4f1f"}],"nodeIndex":1}],"description":""}"#;

/// Checks `content` as a definition of a `flow_type` flow.
///
/// Errors: 400 `InvalidParameter` for parameter `Content`, the message saying which rule
/// (see the module docs) failed and for which activity, e.g. `activity "2d3ad2c2" (放音)
/// event "complete" points at "zzz", which does not exist`.
pub fn check(content: &str, flow_type: FlowType) -> ApiResult<()> {
    validate(content, flow_type).map_err(|why| errors::invalid_parameter("Content", why))
}

/// How an activity is named in messages: `activity "<id>" (<name>)`, or `activity #<n>
/// (<name>)` (1-based position) when it has no usable id; the name part is left out when
/// the activity has none.
fn label(index: usize, activity: &Map<String, Value>) -> String {
    let who = match activity.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => format!("activity \"{id}\""),
        _ => format!("activity #{}", index + 1),
    };
    match activity.get("name").and_then(Value::as_str) {
        Some(name) if !name.is_empty() => format!("{who} ({name})"),
        _ => who,
    }
}

/// The rules of the module docs; `Err` carries the reason.
pub fn validate(content: &str, flow_type: FlowType) -> Result<(), String> {
    let doc: Value =
        serde_json::from_str(content).map_err(|e| format!("it is not valid JSON ({e})"))?;
    let Some(doc) = doc.as_object() else {
        return Err("it must be a JSON object like {\"activities\": [...]}".into());
    };
    let Some(activities) = doc.get("activities").and_then(Value::as_array) else {
        return Err("it has no \"activities\" array".into());
    };

    // Rule 2: objects with unique non-empty ids and a type. Ids go in a hash map, so checking a
    // definition is linear in its size (a 1,000,000-character Content holds ~37,000 activities).
    let mut items: Vec<&Map<String, Value>> = Vec::with_capacity(activities.len());
    let mut ids: HashMap<&str, usize> = HashMap::with_capacity(activities.len());
    for (i, a) in activities.iter().enumerate() {
        let Some(a) = a.as_object() else {
            return Err(format!("activity #{} is not a JSON object", i + 1));
        };
        let id = match a.get("id") {
            Some(Value::String(id)) if !id.is_empty() => id.as_str(),
            _ => return Err(format!("{} has no \"id\"", label(i, a))),
        };
        if let Some(&first) = ids.get(id) {
            return Err(format!(
                "{} has the same id as {}",
                label(i, a),
                label_by_position(first, activities)
            ));
        }
        match a.get("type") {
            Some(Value::String(t)) if !t.is_empty() => {}
            _ => return Err(format!("{} has no \"type\"", label(i, a))),
        }
        ids.insert(id, i);
        items.push(a);
    }

    // Rule 3: events and their targets.
    for (i, a) in items.iter().enumerate() {
        let events = match a.get("events") {
            None | Some(Value::Null) => continue,
            Some(Value::Array(events)) => events,
            Some(_) => return Err(format!("{}: \"events\" must be an array", label(i, a))),
        };
        for (j, ev) in events.iter().enumerate() {
            let Some(ev) = ev.as_object() else {
                return Err(format!(
                    "{} event #{} is not a JSON object",
                    label(i, a),
                    j + 1
                ));
            };
            let name = match ev.get("event") {
                Some(Value::String(n)) if !n.is_empty() => n.as_str(),
                _ => {
                    return Err(format!(
                        "{} event #{} has no \"event\" name",
                        label(i, a),
                        j + 1
                    ));
                }
            };
            match ev.get("next") {
                None | Some(Value::Null) => {}
                Some(Value::String(next)) if next.is_empty() => {}
                Some(Value::String(next)) => {
                    if !ids.contains_key(next.as_str()) {
                        return Err(format!(
                            "{} event \"{name}\" points at \"{next}\", which does not exist",
                            label(i, a)
                        ));
                    }
                }
                Some(_) => {
                    return Err(format!(
                        "{} event \"{name}\": \"next\" must be an activity id or null",
                        label(i, a)
                    ));
                }
            }
        }
    }

    // Rule 4: exactly one start activity of the flow type's kind.
    let wanted = flow_type.start_activity();
    let mut start: Option<usize> = None;
    for (i, a) in items.iter().enumerate() {
        let t = a.get("type").and_then(Value::as_str).unwrap_or_default();
        if !START_TYPES.contains(&t) {
            continue;
        }
        if t != wanted {
            return Err(format!(
                "{} has type {t}, which cannot start a {} flow (its start activity is {wanted})",
                label(i, a),
                flow_type.as_2020()
            ));
        }
        if let Some(first) = start {
            return Err(format!(
                "{} is a second {wanted} start activity (the first is {}); a flow has exactly one",
                label(i, a),
                label(first, items[first])
            ));
        }
        start = Some(i);
    }
    if start.is_none() {
        return Err(format!(
            "a {} flow needs exactly one start activity of type {wanted}, and it has none",
            flow_type.as_2020()
        ));
    }
    Ok(())
}

fn label_by_position(index: usize, activities: &[Value]) -> String {
    activities
        .get(index)
        .and_then(Value::as_object)
        .map(|a| label(index, a))
        .unwrap_or_else(|| format!("activity #{}", index + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(doc: &Value, t: FlowType) -> String {
        validate(&doc.to_string(), t).unwrap_err()
    }

    fn main_flow() -> Value {
        serde_json::from_str(DEFAULT_DEFINITION).unwrap()
    }

    #[test]
    fn the_seed_example_is_a_valid_main_flow() {
        assert_eq!(validate(DEFAULT_DEFINITION, FlowType::Main), Ok(()));
    }

    #[test]
    fn not_json_or_not_an_object_or_no_activities() {
        assert!(
            validate("{nope", FlowType::Main)
                .unwrap_err()
                .starts_with("it is not valid JSON")
        );
        assert_eq!(
            validate("[1]", FlowType::Main).unwrap_err(),
            "it must be a JSON object like {\"activities\": [...]}"
        );
        assert_eq!(
            validate(r#"{"activities": {}}"#, FlowType::Main).unwrap_err(),
            "it has no \"activities\" array"
        );
        assert_eq!(
            validate(r#"{"description": ""}"#, FlowType::Main).unwrap_err(),
            "it has no \"activities\" array"
        );
    }

    #[test]
    fn activity_must_be_an_object() {
        let doc = json!({"activities": [{"type": "INCOMING_CALL", "id": "a"}, 7]});
        assert_eq!(
            err(&doc, FlowType::Main),
            "activity #2 is not a JSON object"
        );
    }

    #[test]
    fn every_activity_needs_an_id() {
        let mut doc = main_flow();
        doc["activities"][2]["id"] = json!("");
        assert_eq!(
            err(&doc, FlowType::Main),
            "activity #3 (放音) has no \"id\""
        );
        doc["activities"][2].as_object_mut().unwrap().remove("id");
        assert_eq!(
            err(&doc, FlowType::Main),
            "activity #3 (放音) has no \"id\""
        );
    }

    #[test]
    fn ids_are_unique() {
        let mut doc = main_flow();
        doc["activities"][2]["id"] = json!("bd4f37e2");
        assert_eq!(
            err(&doc, FlowType::Main),
            "activity \"bd4f37e2\" (放音) has the same id as activity \"bd4f37e2\" (挂机)"
        );
    }

    #[test]
    fn every_activity_needs_a_type() {
        let mut doc = main_flow();
        doc["activities"][1].as_object_mut().unwrap().remove("type");
        assert_eq!(
            err(&doc, FlowType::Main),
            "activity \"bd4f37e2\" (挂机) has no \"type\""
        );
    }

    #[test]
    fn next_must_point_at_an_existing_activity() {
        let mut doc = main_flow();
        doc["activities"][2]["events"][0]["next"] = json!("zzz");
        let e = check(&doc.to_string(), FlowType::Main).unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert_eq!(
            e.message,
            "The specified parameter Content is not valid: activity \"2d3ad2c2\" (放音) event \
             \"complete\" points at \"zzz\", which does not exist"
        );
    }

    #[test]
    fn unconnected_events_are_fine() {
        let mut doc = main_flow();
        doc["activities"][2]["events"][0]["next"] = json!("");
        assert_eq!(validate(&doc.to_string(), FlowType::Main), Ok(()));
        doc["activities"][2]["events"][0]
            .as_object_mut()
            .unwrap()
            .remove("next");
        assert_eq!(validate(&doc.to_string(), FlowType::Main), Ok(()));
    }

    #[test]
    fn malformed_events_are_rejected() {
        let mut doc = main_flow();
        doc["activities"][0]["events"] = json!({"event": "complete"});
        assert_eq!(
            err(&doc, FlowType::Main),
            "activity \"e98f0d47\" (开始): \"events\" must be an array"
        );
        doc["activities"][0]["events"] = json!([{"next": null}]);
        assert_eq!(
            err(&doc, FlowType::Main),
            "activity \"e98f0d47\" (开始) event #1 has no \"event\" name"
        );
        doc["activities"][0]["events"] = json!([{"event": "complete", "next": 3}]);
        assert_eq!(
            err(&doc, FlowType::Main),
            "activity \"e98f0d47\" (开始) event \"complete\": \"next\" must be an activity id or null"
        );
        doc["activities"][0]["events"] = json!(["complete"]);
        assert_eq!(
            err(&doc, FlowType::Main),
            "activity \"e98f0d47\" (开始) event #1 is not a JSON object"
        );
    }

    #[test]
    fn a_main_flow_needs_exactly_one_incoming_call() {
        let mut doc = main_flow();
        doc["activities"][0]["type"] = json!("PLAY_SAY");
        assert_eq!(
            err(&doc, FlowType::Main),
            "a MAIN_FLOW flow needs exactly one start activity of type INCOMING_CALL, and it has none"
        );
        let mut doc = main_flow();
        doc["activities"][2]["type"] = json!("INCOMING_CALL");
        assert_eq!(
            err(&doc, FlowType::Main),
            "activity \"2d3ad2c2\" (放音) is a second INCOMING_CALL start activity (the first \
             is activity \"e98f0d47\" (开始)); a flow has exactly one"
        );
        assert_eq!(
            validate(r#"{"activities": []}"#, FlowType::Main).unwrap_err(),
            "a MAIN_FLOW flow needs exactly one start activity of type INCOMING_CALL, and it has none"
        );
    }

    #[test]
    fn sub_and_survey_flows_start_with_start() {
        let mut doc = main_flow();
        assert_eq!(
            err(&doc, FlowType::Sub),
            "activity \"e98f0d47\" (开始) has type INCOMING_CALL, which cannot start a SUB_FLOW \
             flow (its start activity is START)"
        );
        doc["activities"][0]["type"] = json!("START");
        assert_eq!(validate(&doc.to_string(), FlowType::Sub), Ok(()));
        assert_eq!(validate(&doc.to_string(), FlowType::Survey), Ok(()));
        assert_eq!(
            err(&doc, FlowType::Main),
            "activity \"e98f0d47\" (开始) has type START, which cannot start a MAIN_FLOW flow \
             (its start activity is INCOMING_CALL)"
        );
    }

    #[test]
    fn unnamed_activities_are_named_by_id_only() {
        let doc = json!({"activities": [
            {"type": "INCOMING_CALL", "id": "s", "events": [{"event": "complete", "next": "x"}]}
        ]});
        assert_eq!(
            err(&doc, FlowType::Main),
            "activity \"s\" event \"complete\" points at \"x\", which does not exist"
        );
    }

    /// Issue 9 (found by the fuzzing review): id look-ups were linear scans, so a 1 MB
    /// definition of ~37,000 activities took 2.4 s to check; they are hash look-ups now. (The
    /// time is a benchmark's business; this checks the rules still hold at that size.)
    #[test]
    fn large_definitions_keep_every_rule() {
        let n = 40_000;
        let mut acts = vec![
            serde_json::json!({"type": "INCOMING_CALL", "id": "a0", "events": [{"event": "complete", "next": "a1"}]}),
        ];
        for i in 1..n {
            acts.push(serde_json::json!({"type": "PLAY_SAY", "id": format!("a{i}"), "events": [{"event": "complete", "next": format!("a{}", (i + 1) % n)}]}));
        }
        let doc = |acts: &[Value]| serde_json::json!({ "activities": acts }).to_string();
        assert_eq!(validate(&doc(&acts), FlowType::Main), Ok(()));
        let mut dup = acts.clone();
        dup.push(serde_json::json!({"type": "HANGUP", "id": "a39999"}));
        let e = validate(&doc(&dup), FlowType::Main).unwrap_err();
        assert!(e.contains("has the same id as activity \"a39999\""), "{e}");
        let mut dangling = acts;
        dangling[n - 1]["events"][0]["next"] = serde_json::json!("nowhere");
        let e = validate(&doc(&dangling), FlowType::Main).unwrap_err();
        assert!(e.contains("points at \"nowhere\""), "{e}");
    }
}
