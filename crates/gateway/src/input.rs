//! Checks on a request's raw input that run before authentication and before anything reads a
//! value (issue 9): how many parameters, how long their names, no NUL characters (no database
//! can store one: PostgreSQL refuses it in `text`, so an unchecked `AccessKeyId=%00` used to
//! fail the key lookup with 500), and bounded, escaped renderings of hostile values for log
//! lines and error messages.
//!
//! Errors are Alibaba's common codes: 400 `Parameter.Maximum` (too many parameters, a name too
//! long) and 400 `InvalidParameter` (a NUL character). The per-action bounds (string lengths,
//! repeat-list sizes) are the specs' and are checked by the generated parsers.

use std::fmt::Write as _;

use ccgate_plugin_sdk::ApiError;
use serde_json::Value;

/// Longest parameter name accepted, in bytes. The longest documented name plus a repeat-list
/// index (`OutboundPhoneNumberId.1000`) is far shorter.
pub const MAX_NAME_BYTES: usize = 128;

/// Characters of a client-supplied value shown in logs and error messages; the rest is cut
/// and counted.
pub const SHOWN_CHARS: usize = 64;

/// Checks the decoded parameters of an RPC request: `lists` as sent (the query's pairs, then the
/// form body's, duplicates included), at most `max_params` pairs in all.
///
/// Errors: 400 `Parameter.Maximum` (count, name length), 400 `InvalidParameter` (NUL in a name
/// or value).
pub fn check_pairs(lists: &[&[(String, String)]], max_params: usize) -> Result<(), ApiError> {
    let count: usize = lists.iter().map(|l| l.len()).sum();
    if count > max_params {
        return Err(ApiError::new(
            400,
            "Parameter.Maximum",
            format!("The request has {count} parameters; at most {max_params} are accepted."),
        ));
    }
    for (name, value) in lists.iter().flat_map(|l| l.iter()) {
        if name.len() > MAX_NAME_BYTES {
            return Err(ApiError::new(
                400,
                "Parameter.Maximum",
                format!(
                    "The parameter name {} is longer than {MAX_NAME_BYTES} bytes.",
                    shown(name)
                ),
            ));
        }
        if name.contains('\0') || value.contains('\0') {
            return Err(nul(name));
        }
    }
    Ok(())
}

/// 400 `InvalidParameter` for a NUL character in parameter `name`.
pub fn nul(name: &str) -> ApiError {
    ApiError::invalid(
        &shown(name),
        "it contains a NUL character (U+0000), which is not accepted",
    )
}

/// The first string of a JSON value (keys included) that holds a NUL character, as the path to
/// it (`$.app_key`), or `None`.
pub fn json_nul(value: &Value) -> Option<String> {
    fn walk(v: &Value, path: &mut String) -> bool {
        match v {
            Value::String(s) => s.contains('\0'),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                let len = path.len();
                let _ = write!(path, "[{i}]");
                let found = walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            Value::Object(map) => map.iter().any(|(k, item)| {
                let len = path.len();
                path.push('.');
                path.push_str(&shown(k));
                let found = k.contains('\0') || walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = String::from("$");
    walk(value, &mut path).then_some(path)
}

/// `s` for a log line or an error message: at most [`SHOWN_CHARS`] characters, control
/// characters and quotes escaped (`\n`, `\u{1b}`), so a value can neither flood a log nor
/// forge a line of it; a cut value ends in `…(+N chars)`.
pub fn shown(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(SHOWN_CHARS * 2) + 16);
    let mut chars = s.chars();
    for c in chars.by_ref().take(SHOWN_CHARS) {
        if c.is_control() || c == '"' || c == '\\' || is_bidi_control(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    let rest = chars.count();
    if rest > 0 {
        let _ = write!(out, "…(+{rest} chars)");
    }
    out
}

/// Unicode bidirectional controls, which can make a log line read differently than it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn nul_anywhere_is_refused_before_any_lookup() {
        let e = check_pairs(&[&pairs(&[("AccessKeyId", "\0")])], 10).unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(e.message.contains("AccessKeyId"), "{}", e.message);
        let e = check_pairs(&[&pairs(&[("A\0", "x")])], 10).unwrap_err();
        assert!(e.message.contains("A\\u{0}"), "{}", e.message);
        assert!(check_pairs(&[&pairs(&[("Name", "a\tb\nc")])], 10).is_ok());
    }

    #[test]
    fn counts_and_names_are_bounded() {
        let query: Vec<(String, String)> = (0..6).map(|i| (format!("P.{i}"), "v".into())).collect();
        let form: Vec<(String, String)> = (6..11).map(|i| (format!("P.{i}"), "v".into())).collect();
        let e = check_pairs(&[&query, &form], 10).unwrap_err();
        assert_eq!(e.code, "Parameter.Maximum");
        assert!(e.message.contains("11 parameters"), "{}", e.message);
        assert!(check_pairs(&[&query, &form[..4]], 10).is_ok());
        let long = "N".repeat(MAX_NAME_BYTES + 1);
        let e = check_pairs(&[&pairs(&[(long.as_str(), "v")])], 10).unwrap_err();
        assert_eq!(e.code, "Parameter.Maximum");
        assert!(e.message.len() < 200, "the name is cut: {}", e.message);
    }

    #[test]
    fn shown_values_cannot_forge_log_lines() {
        assert_eq!(shown("List\nINFO forged"), "List\\nINFO forged");
        assert_eq!(shown("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(shown("a\u{202e}b"), "a\\u{202e}b");
        let long = "x".repeat(1000);
        let s = shown(&long);
        assert!(s.ends_with("…(+936 chars)"), "{s}");
        assert_eq!(shown("默认流程"), "默认流程");
    }

    #[test]
    fn json_nul_names_the_path() {
        assert_eq!(
            json_nul(&json!({"app_key": "a\u{0}"})).as_deref(),
            Some("$.app_key")
        );
        assert_eq!(
            json_nul(&json!({"a": [1, {"b": "\u{0}"}]})).as_deref(),
            Some("$.a[1].b")
        );
        assert_eq!(json_nul(&json!({"a": ["x"], "b": {"c": 1}})), None);
    }
}
