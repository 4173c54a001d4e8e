//! Plugin settings: the `[plugins.<name>]` table of the config file, read into the plugin's
//! own typed struct at start-up ([`crate::Plugin::init`]).
//!
//! ```toml
//! [plugins.numbers]
//! list_cache_ttl_ms = 1000
//! ```
//!
//! Environment overrides use the config crate's scheme: `CCGATE__PLUGINS__NUMBERS__LIST_CACHE_TTL_MS=0`
//! (values from the environment arrive as strings; [`parse`] accepts a string where a number or
//! boolean is expected, so both sources read alike).

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Reads `settings` (a JSON object; `null` counts as `{}`) into `T`.
///
/// Strings that hold a number or `true` / `false` are read as such where `T` expects one (the
/// environment delivers every value as a string), and unknown keys are refused (`T` should be
/// `#[serde(deny_unknown_fields)]`): a misspelt setting must not be silently ignored.
///
/// Errors: one line naming the key by its full config path and the reason, e.g.
/// `plugins.numbers.list_cache_ttl_ms: invalid type: string "soon", expected u64`.
pub fn parse<T: DeserializeOwned>(plugin: &str, settings: &Value) -> Result<T, String> {
    let mut value = match settings {
        Value::Null => Value::Object(Default::default()),
        other => other.clone(),
    };
    // Each round either succeeds, fails for good, or turns one more string into a number or a
    // boolean; a settings table has few values, so this ends quickly.
    loop {
        let err = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(t) => return Ok(t),
            Err(e) => e,
        };
        if !coerce_at(&mut value, err.path()) {
            let path = err.path().to_string();
            let key = if path == "." || path.is_empty() {
                format!("plugins.{plugin}")
            } else {
                format!("plugins.{plugin}.{path}")
            };
            return Err(format!("{key}: {}", err.inner()));
        }
    }
}

/// Replaces the string at `path` by the number or boolean it spells; false when there is no
/// such string there.
fn coerce_at(value: &mut Value, path: &serde_path_to_error::Path) -> bool {
    use serde_path_to_error::Segment;
    let mut at = value;
    for segment in path.iter() {
        at = match (segment, at) {
            (Segment::Map { key }, Value::Object(map)) => match map.get_mut(key) {
                Some(v) => v,
                None => return false,
            },
            (Segment::Seq { index }, Value::Array(items)) => match items.get_mut(*index) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    let Value::String(s) = at else {
        return false;
    };
    let t = s.trim();
    let new = if let Ok(n) = t.parse::<i64>() {
        Value::from(n)
    } else if let Ok(n) = t.parse::<u64>() {
        Value::from(n)
    } else if let Some(f) = t.parse::<f64>().ok().filter(|f| f.is_finite()) {
        Value::from(f)
    } else if t.eq_ignore_ascii_case("true") {
        Value::Bool(true)
    } else if t.eq_ignore_ascii_case("false") {
        Value::Bool(false)
    } else {
        return false;
    };
    *at = new;
    true
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct S {
        ttl_ms: u64,
        enabled: bool,
        name: String,
    }

    impl Default for S {
        fn default() -> Self {
            Self {
                ttl_ms: 1000,
                enabled: true,
                name: "x".into(),
            }
        }
    }

    #[test]
    fn absent_settings_are_the_defaults() {
        assert_eq!(parse::<S>("p", &Value::Null).unwrap(), S::default());
        assert_eq!(parse::<S>("p", &json!({})).unwrap(), S::default());
    }

    #[test]
    fn environment_strings_read_as_numbers_and_booleans() {
        let s: S = parse(
            "p",
            &json!({"ttl_ms": "0", "enabled": "FALSE", "name": "42"}),
        )
        .unwrap();
        assert_eq!((s.ttl_ms, s.enabled), (0, false));
        // A string field keeps a numeric-looking value when the typed read succeeds first.
        let s: S = parse("p", &json!({"name": "42"})).unwrap();
        assert_eq!(s.name, "42");
    }

    #[test]
    fn a_bad_value_or_unknown_key_names_the_key() {
        let e = parse::<S>("numbers", &json!({"ttl_ms": "soon"})).unwrap_err();
        assert!(e.starts_with("plugins.numbers.ttl_ms: invalid type"), "{e}");
        let e = parse::<S>("numbers", &json!({"ttl": 5})).unwrap_err();
        assert!(
            e.starts_with("plugins.numbers.ttl: unknown field `ttl`"),
            "{e}"
        );
        let e = parse::<S>("numbers", &json!({"ttl_ms": -1})).unwrap_err();
        assert!(
            e.starts_with("plugins.numbers.ttl_ms: invalid value"),
            "{e}"
        );
    }
}
