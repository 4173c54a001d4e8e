//! `Params`: the request parameters of one call (query string and form body merged, or a
//! Huawei JSON body), with typed getters that fail with the documented error codes.
//!
//! Conventions (seed 002 error table; `shared/reference/alibaba-sdk-wire.md`):
//! - a required parameter that is absent: `MissingParameter` on 2017-07-05, `Parameter.Null`
//!   on 2020-07-01; present but empty: `Parameter.Empty`;
//! - enums: `Parameter.Enumeration`; numeric ranges: `Parameter.Minimum` / `Parameter.Maximum`;
//! - booleans accept `true`/`false` in any case (the Python SDKs send `True`/`False`);
//! - repeat lists arrive as `Name.1`, `Name.2`, ... and come back ordered by index.

use std::collections::BTreeMap;

use crate::error::{ApiError, ApiResult};

/// Which family of "missing parameter" errors applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorStyle {
    /// 2017-07-05 and Huawei: `MissingParameter`.
    #[default]
    Legacy,
    /// 2020-07-01: `Parameter.Null`.
    V2020,
}

/// The decoded request parameters of one call.
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: BTreeMap<String, String>,
    style: ErrorStyle,
    /// A JSON request body (Huawei dialects), when there was one.
    pub json_body: Option<serde_json::Value>,
}

impl Params {
    /// Parameters from decoded key/value pairs; a later duplicate key wins.
    pub fn new(values: BTreeMap<String, String>, style: ErrorStyle) -> Self {
        Self {
            values,
            style,
            json_body: None,
        }
    }

    /// Parameters from pairs, convenient in tests: `Params::from_pairs(&[("InstanceId", "x")])`.
    pub fn from_pairs(pairs: &[(&str, &str)], style: ErrorStyle) -> Self {
        Self::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            style,
        )
    }

    /// Which family of "missing parameter" errors applies.
    pub fn style(&self) -> ErrorStyle {
        self.style
    }

    /// All parameters, sorted by name.
    pub fn all(&self) -> &BTreeMap<String, String> {
        &self.values
    }

    /// The raw value, if the parameter was sent (possibly empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A required string: absent gives `MissingParameter` / `Parameter.Null`, blank gives
    /// `Parameter.Empty`.
    pub fn required(&self, name: &str) -> ApiResult<&str> {
        match self.get(name) {
            None => Err(match self.style {
                ErrorStyle::Legacy => ApiError::missing(name),
                ErrorStyle::V2020 => ApiError::null(name),
            }),
            Some(v) if v.trim().is_empty() => Err(ApiError::empty(name)),
            Some(v) => Ok(v),
        }
    }

    /// An optional string; absent or empty gives `None` ("empty means no filtering" in the
    /// seeds).
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// A required string of at most `max` characters (`Parameter.Maximum` otherwise).
    pub fn required_max_len(&self, name: &str, max: usize) -> ApiResult<&str> {
        let v = self.required(name)?;
        check_len(name, v, max)?;
        Ok(v)
    }

    /// An optional string of at most `max` characters.
    pub fn optional_max_len(&self, name: &str, max: usize) -> ApiResult<Option<&str>> {
        let v = self.optional(name);
        if let Some(v) = v {
            check_len(name, v, max)?;
        }
        Ok(v)
    }

    /// A required value that must be one of `allowed` (exact, case-sensitive).
    pub fn required_enum(&self, name: &str, allowed: &[&'static str]) -> ApiResult<&'static str> {
        let v = self.required(name)?;
        pick_enum(name, v, allowed)
    }

    /// An optional enum value; empty counts as absent.
    pub fn optional_enum(
        &self,
        name: &str,
        allowed: &[&'static str],
    ) -> ApiResult<Option<&'static str>> {
        self.optional(name)
            .map(|v| pick_enum(name, v, allowed))
            .transpose()
    }

    /// An optional boolean (`true`/`false`, any case).
    pub fn optional_bool(&self, name: &str) -> ApiResult<Option<bool>> {
        self.optional(name).map(|v| parse_bool(name, v)).transpose()
    }

    /// A required boolean.
    pub fn required_bool(&self, name: &str) -> ApiResult<bool> {
        parse_bool(name, self.required(name)?)
    }

    /// An optional integer within `min..=max`.
    pub fn optional_int(&self, name: &str, min: i64, max: i64) -> ApiResult<Option<i64>> {
        self.optional(name)
            .map(|v| parse_int(name, v, min, max))
            .transpose()
    }

    /// A required integer within `min..=max`.
    pub fn required_int(&self, name: &str, min: i64, max: i64) -> ApiResult<i64> {
        parse_int(name, self.required(name)?, min, max)
    }

    /// The values of a repeat list `Name.1`, `Name.2`, ... ordered by index; empty items are
    /// skipped. `name` is given without the `.N` suffix.
    pub fn repeat_list(&self, name: &str) -> ApiResult<Vec<String>> {
        let prefix = format!("{name}.");
        let mut items: Vec<(u32, &String)> = Vec::new();
        for (k, v) in self.values.range(prefix.clone()..) {
            let Some(index) = k.strip_prefix(&prefix) else {
                break;
            };
            let n: u32 = index.parse().map_err(|_| {
                ApiError::invalid(
                    k,
                    format!("repeat-list index must be a number like {name}.1"),
                )
            })?;
            if n == 0 {
                return Err(ApiError::minimum(&format!("{name}.N"), 1));
            }
            if !v.is_empty() {
                items.push((n, v));
            }
        }
        items.sort_by_key(|(n, _)| *n);
        Ok(items.into_iter().map(|(_, v)| v.clone()).collect())
    }

    /// A repeat list with at least one item (`MissingParameter` / `Parameter.Null` otherwise).
    pub fn required_repeat_list(&self, name: &str) -> ApiResult<Vec<String>> {
        let items = self.repeat_list(name)?;
        if items.is_empty() {
            let shown = format!("{name}.1");
            return Err(match self.style {
                ErrorStyle::Legacy => ApiError::missing(&shown),
                ErrorStyle::V2020 => ApiError::null(&shown),
            });
        }
        Ok(items)
    }
}

fn check_len(name: &str, v: &str, max: usize) -> ApiResult<()> {
    if v.chars().count() > max {
        return Err(ApiError::new(
            400,
            "Parameter.Maximum",
            format!("The length of parameter {name} must be less than or equal to {max}."),
        ));
    }
    Ok(())
}

fn pick_enum(name: &str, v: &str, allowed: &[&'static str]) -> ApiResult<&'static str> {
    allowed
        .iter()
        .copied()
        .find(|a| *a == v)
        .ok_or_else(|| ApiError::enumeration(name, allowed))
}

fn parse_bool(name: &str, v: &str) -> ApiResult<bool> {
    if v.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if v.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(ApiError::invalid(name, "expected true or false"))
    }
}

fn parse_int(name: &str, v: &str, min: i64, max: i64) -> ApiResult<i64> {
    let n: i64 = v
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

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(pairs, ErrorStyle::V2020)
    }

    #[test]
    fn missing_and_empty_have_distinct_codes() {
        assert_eq!(
            p(&[]).required("InstanceId").unwrap_err().code,
            "Parameter.Null"
        );
        assert_eq!(
            p(&[("InstanceId", " ")])
                .required("InstanceId")
                .unwrap_err()
                .code,
            "Parameter.Empty"
        );
        let legacy = Params::from_pairs(&[], ErrorStyle::Legacy);
        assert_eq!(
            legacy.required("InstanceId").unwrap_err().code,
            "MissingParameter"
        );
    }

    #[test]
    fn python_booleans_are_accepted() {
        assert_eq!(
            p(&[("Active", "True")]).optional_bool("Active").unwrap(),
            Some(true)
        );
        assert_eq!(
            p(&[("Active", "false")]).optional_bool("Active").unwrap(),
            Some(false)
        );
        assert_eq!(
            p(&[("Active", "yes")])
                .optional_bool("Active")
                .unwrap_err()
                .code,
            "InvalidParameter"
        );
    }

    #[test]
    fn ranges_name_the_limit() {
        let e = p(&[("PageSize", "101")])
            .required_int("PageSize", 1, 100)
            .unwrap_err();
        assert_eq!(
            (e.code.as_ref(), e.message.as_str()),
            (
                "Parameter.Maximum",
                "The parameter PageSize must be less than or equal to 100."
            )
        );
        assert_eq!(
            p(&[("PageSize", "0")])
                .required_int("PageSize", 1, 100)
                .unwrap_err()
                .code,
            "Parameter.Minimum"
        );
    }

    #[test]
    fn repeat_lists_are_ordered_by_index_not_text() {
        let params = p(&[("N.10", "j"), ("N.2", "b"), ("N.1", "a"), ("Other", "x")]);
        assert_eq!(params.repeat_list("N").unwrap(), vec!["a", "b", "j"]);
        assert!(params.repeat_list("Missing").unwrap().is_empty());
        assert_eq!(
            params.required_repeat_list("Missing").unwrap_err().code,
            "Parameter.Null"
        );
    }

    #[test]
    fn enums_list_the_allowed_values() {
        let e = p(&[("Usage", "Both")])
            .optional_enum("Usage", &["Inbound", "Outbound"])
            .unwrap_err();
        assert_eq!(e.code, "Parameter.Enumeration");
        assert!(e.message.contains("[Inbound, Outbound]"));
    }
}
