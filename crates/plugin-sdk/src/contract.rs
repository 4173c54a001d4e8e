//! Validation primitives for the request parsers that `cargo xtask codegen` generates from the
//! action specs (`plugins/<plugin>/api/<Action>.<version>.toml`, format in `plugins/README.md`).
//!
//! Plugins do not call these by hand: each generated `Request::parse` reads its parameters from
//! [`Params`](crate::Params) (which owns the absent / empty rules: `MissingParameter` on
//! 2017-07-05 and Huawei, `Parameter.Null` on 2020-07-01, `Parameter.Empty`) and checks each
//! value with one of the functions below, which fail with the documented codes of seed 002's
//! error table: `Parameter.Maximum` (length or value), `Parameter.Minimum`,
//! `Parameter.Enumeration`, and `InvalidParameter` for a value of the wrong type.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::plugin::Reply;

/// A string of at most `max` characters (Unicode scalar values, as the seeds count them).
///
/// Errors: 400 `Parameter.Maximum` naming the limit.
pub fn max_len(name: &str, value: &str, max: usize) -> ApiResult<()> {
    if value.chars().count() > max {
        return Err(ApiError::new(
            400,
            "Parameter.Maximum",
            format!("The length of parameter {name} must be less than or equal to {max}."),
        ));
    }
    Ok(())
}

/// A repeat list of at most `max` items.
///
/// Errors: 400 `Parameter.Maximum` naming the list (`Name.N`) and the limit.
pub fn max_items<T>(name: &str, items: Vec<T>, max: usize) -> ApiResult<Vec<T>> {
    if items.len() > max {
        return Err(ApiError::new(
            400,
            "Parameter.Maximum",
            format!("The parameter {name}.N must contain at most {max} items."),
        ));
    }
    Ok(items)
}

/// The enumeration value `value` names, from `(wire value, value)` pairs in documented order
/// (exact, case-sensitive match).
///
/// Errors: 400 `Parameter.Enumeration` listing the wire values.
pub fn one_of<T: Copy>(name: &str, value: &str, values: &[(&'static str, T)]) -> ApiResult<T> {
    values
        .iter()
        .find(|(wire, _)| *wire == value)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let allowed: Vec<&str> = values.iter().map(|(w, _)| *w).collect();
            ApiError::enumeration(name, &allowed)
        })
}

/// An integer in `min..=max`; surrounding blanks are ignored.
///
/// Errors: 400 `InvalidParameter` (not an integer), `Parameter.Minimum`, `Parameter.Maximum`.
pub fn int(name: &str, value: &str, min: i64, max: i64) -> ApiResult<i64> {
    let n: i64 = value
        .trim()
        .parse()
        .map_err(|_| ApiError::invalid(name, "expected an integer"))?;
    if n < min {
        return Err(ApiError::minimum(name, min));
    }
    if n > max {
        return Err(ApiError::maximum(name, max));
    }
    Ok(n)
}

/// An integer that must be one of `allowed` (a numeric enumeration such as `AnswerMode`).
///
/// Errors: those of [`int`], then 400 `Parameter.Enumeration`.
pub fn int_one_of(name: &str, value: &str, allowed: &[i64]) -> ApiResult<i64> {
    let n = int(name, value, i64::MIN, i64::MAX)?;
    if allowed.contains(&n) {
        Ok(n)
    } else {
        let shown: Vec<String> = allowed.iter().map(i64::to_string).collect();
        let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
        Err(ApiError::enumeration(name, &shown))
    }
}

/// A boolean: `true` / `false` in any case (the Python SDKs send `True` / `False`).
///
/// Errors: 400 `InvalidParameter`.
pub fn boolean(name: &str, value: &str) -> ApiResult<bool> {
    if value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(ApiError::invalid(name, "expected true or false"))
    }
}

/// A parameter carrying JSON in a string (spec type `json-string`): the text as sent and the
/// value it parses to.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonString {
    /// The parameter exactly as sent (stored verbatim where the API echoes it back).
    pub raw: String,
    /// The parsed JSON.
    pub value: Value,
}

/// Parses a `json-string` parameter.
///
/// Errors: 400 `InvalidParameter` with the parser's position when it is not JSON.
pub fn json_string(name: &str, value: &str) -> ApiResult<JsonString> {
    let parsed = serde_json::from_str(value)
        .map_err(|e| ApiError::invalid(name, format!("expected JSON: {e}")))?;
    Ok(JsonString {
        raw: value.to_string(),
        value: parsed,
    })
}

/// A reply from a generated response struct: its fields in documented order.
///
/// A struct always serializes to a JSON object; anything else (a programming error) gives an
/// empty reply in release builds.
pub fn reply<T: Serialize>(body: &T) -> Reply {
    match serde_json::to_value(body) {
        Ok(value) => Reply::from_json(value),
        Err(e) => {
            debug_assert!(false, "response body did not serialize: {e}");
            Reply::empty()
        }
    }
}

/// Checks that `reply` has exactly the shape of the action's generated response struct `T`:
/// the documented fields with the documented JSON types, and nothing else. Generated `dispatch` runs it on every successful reply in debug builds (unit tests,
/// the end-to-end suite), so a handler that drifts from its spec fails loudly there; release
/// builds skip it and return `reply` untouched.
///
/// Errors: 500 `InternalError` naming the first difference (debug builds only).
pub fn conform<T: Serialize + DeserializeOwned>(reply: Reply) -> ApiResult<Reply> {
    if cfg!(debug_assertions) {
        check_shape::<T>(reply.fields()).map_err(|why| {
            ApiError::new(
                500,
                "InternalError",
                format!("reply does not match the action's spec: {why}"),
            )
        })?;
    }
    Ok(reply)
}

/// The reply of a generated response struct, kept typed until the gateway writes it
/// ([`Reply::typed`]). In debug builds it is first checked like [`conform`] (fields held as
/// free JSON, e.g. `object` / `array` fields, can still drift from the spec); release builds
/// only wrap it.
///
/// Errors: 500 `InternalError` naming the first difference (debug builds only).
pub fn typed<T: crate::plugin::ResponseBody + DeserializeOwned>(body: T) -> ApiResult<Reply> {
    let reply = Reply::typed(body);
    if cfg!(debug_assertions) {
        return conform::<T>(reply);
    }
    Ok(reply)
}

/// Checks that an action without documented response fields replies with none (see
/// [`conform`]).
pub fn conform_empty(reply: Reply) -> ApiResult<Reply> {
    if cfg!(debug_assertions) && !reply.fields().is_empty() {
        let keys: Vec<&String> = reply.fields().keys().collect();
        return Err(ApiError::new(
            500,
            "InternalError",
            format!("reply does not match the action's spec: undocumented fields {keys:?}"),
        ));
    }
    Ok(reply)
}

/// `Ok` when `fields` deserializes into `T` and serializes back to the same JSON.
pub fn check_shape<T: Serialize + DeserializeOwned>(
    fields: &serde_json::Map<String, Value>,
) -> Result<(), String> {
    let original = Value::Object(fields.clone());
    let typed: T = serde_json::from_value(original.clone()).map_err(|e| e.to_string())?;
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    same("", &original, &back)
}

/// Structural equality that reports where two values differ. Object keys compare as sets:
/// JSON clients do not depend on key order, and several specs list fields alphabetically (as
/// the SDK models do) where the seeds' examples, which the handlers follow, use another order.
/// Numbers compare by value (`1` equals `1.0` for `float` fields).
fn same(path: &str, sent: &Value, documented: &Value) -> Result<(), String> {
    match (sent, documented) {
        (Value::Object(a), Value::Object(b)) => {
            let mut ka: Vec<&String> = a.keys().collect();
            let mut kb: Vec<&String> = b.keys().collect();
            ka.sort();
            kb.sort();
            if ka != kb {
                return Err(format!(
                    "fields of {} are {ka:?}, the spec documents {kb:?}",
                    if path.is_empty() { "the reply" } else { path }
                ));
            }
            for (k, v) in a {
                same(format!("{path}.{k}").trim_start_matches('.'), v, &b[k])?;
            }
            Ok(())
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .try_for_each(|(i, (x, y))| same(&format!("{path}[{i}]"), x, y)),
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => Ok(()),
        (a, b) if a == b => Ok(()),
        (a, b) => Err(format!(
            "{path} is {a}, which the spec's type renders as {b}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Usage {
        Inbound,
        Outbound,
    }
    const USAGES: &[(&str, Usage)] = &[("Inbound", Usage::Inbound), ("Outbound", Usage::Outbound)];

    #[test]
    fn enumerations_match_exactly_and_list_the_wire_values() {
        assert_eq!(
            one_of("Usage", "Outbound", USAGES).unwrap(),
            Usage::Outbound
        );
        let e = one_of("Usage", "outbound", USAGES).unwrap_err();
        assert_eq!(e.code, "Parameter.Enumeration");
        assert!(e.message.contains("[Inbound, Outbound]"), "{}", e.message);
        let e = int_one_of("AnswerMode", "3", &[0, 1, 2]).unwrap_err();
        assert_eq!(e.code, "Parameter.Enumeration");
        assert!(e.message.contains("[0, 1, 2]"), "{}", e.message);
        assert_eq!(int_one_of("AnswerMode", " 2", &[0, 1, 2]).unwrap(), 2);
    }

    #[test]
    fn integers_are_checked_for_type_and_range() {
        assert_eq!(
            int("PageSize", "0", 1, 100).unwrap_err().code,
            "Parameter.Minimum"
        );
        let e = int("PageSize", "101", 1, 100).unwrap_err();
        assert_eq!(
            e.message,
            "The parameter PageSize must be less than or equal to 100."
        );
        assert_eq!(
            int("PageSize", "ten", 1, 100).unwrap_err().code,
            "InvalidParameter"
        );
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(max_len("Name", "默认流程", 4).is_ok());
        let e = max_len("Name", "默认流程x", 4).unwrap_err();
        assert_eq!(e.code, "Parameter.Maximum");
        assert!(e.message.starts_with("The length of parameter Name"));
    }

    #[test]
    fn repeat_lists_are_bounded() {
        assert_eq!(max_items("PhoneNumber", vec![1, 2], 2).unwrap(), [1, 2]);
        let e = max_items("PhoneNumber", vec![1, 2, 3], 2).unwrap_err();
        assert_eq!(e.code, "Parameter.Maximum");
        assert!(e.message.contains("PhoneNumber.N"), "{}", e.message);
    }

    #[test]
    fn booleans_and_json_strings() {
        assert!(boolean("Active", "TRUE").unwrap());
        assert_eq!(boolean("Active", "1").unwrap_err().code, "InvalidParameter");
        let j = json_string("Content", r#"{"a":1}"#).unwrap();
        assert_eq!(
            (j.raw.as_str(), j.value["a"].as_i64()),
            (r#"{"a":1}"#, Some(1))
        );
        assert_eq!(
            json_string("Content", "{").unwrap_err().code,
            "InvalidParameter"
        );
    }

    #[test]
    fn replies_keep_the_struct_field_order() {
        #[derive(Serialize)]
        struct Body {
            #[serde(rename = "Zeta")]
            zeta: i64,
            #[serde(rename = "Alpha")]
            alpha: Option<String>,
        }
        let r = reply(&Body {
            zeta: 1,
            alpha: None,
        });
        assert_eq!(r.fields().keys().collect::<Vec<_>>(), ["Zeta", "Alpha"]);
        assert!(r.fields()["Alpha"].is_null());
    }

    #[derive(Serialize, serde::Deserialize)]
    struct Documented {
        #[serde(rename = "RoutePoint")]
        route_point: String,
        #[serde(rename = "Ratio")]
        ratio: f64,
    }

    #[test]
    fn conformance_names_the_difference() {
        let ok = Reply::from_json(serde_json::json!({"RoutePoint": "8020", "Ratio": 1}));
        assert!(conform::<Documented>(ok).is_ok());
        let missing = Reply::from_json(serde_json::json!({"RoutePoint": "8020"}));
        let e = conform::<Documented>(missing).unwrap_err();
        assert!(e.message.contains("missing field `Ratio`"), "{}", e.message);
        let extra =
            Reply::from_json(serde_json::json!({"RoutePoint": "8020", "Ratio": 0.5, "X": 1}));
        let e = conform::<Documented>(extra).unwrap_err();
        assert!(
            e.message.contains(r#"["Ratio", "RoutePoint", "X"]"#),
            "{}",
            e.message
        );
        let order = Reply::from_json(serde_json::json!({"Ratio": 0.5, "RoutePoint": "8020"}));
        assert!(conform::<Documented>(order).is_ok(), "key order is free");
        let wrong = Reply::from_json(serde_json::json!({"RoutePoint": 8020, "Ratio": 0.5}));
        assert!(conform::<Documented>(wrong).is_err());
        assert!(conform_empty(Reply::empty()).is_ok());
        assert!(conform_empty(Reply::empty().with("X", Value::Null)).is_err());
    }
}
